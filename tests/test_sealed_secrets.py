"""Webhook secrets are sealed in app.db: never in its bytes, still what the user holds and what
deliveries are signed with."""

from __future__ import annotations

import time
from pathlib import Path

from standardwebhooks.webhooks import Webhook

from apexlocal.db import sealed, user_settings
from apexlocal.webhooks import sign


def raw_bytes(data_dir: Path) -> bytes:
    return b"".join(p.read_bytes() for p in data_dir.glob("app.db*"))


def test_webhook_secrets_are_sealed_at_rest_and_still_sign(app_client, account):
    first = app_client.get("/api/settings", headers=account.headers).json()["data"]["webhookSecret"]
    rotated = app_client.post("/api/settings/webhook-secret/rotate", headers=account.headers).json()
    secret = rotated["data"]["webhookSecret"]
    assert secret.startswith("whsec_") and secret != first
    assert app_client.get("/api/settings", headers=account.headers).json()["data"]["webhookSecret"] == secret
    db = app_client.services.db
    stored = db.value("SELECT webhook_secret FROM user_settings WHERE user_id = ?", (account.id,))
    assert sealed.is_sealed(stored) and secret not in stored
    for value in (first, secret):  # neither in the database, its WAL, nor a freed page
        assert value.encode() not in raw_bytes(db.path.parent)
        assert value.removeprefix("whsec_").encode() not in raw_bytes(db.path.parent)
    # What a delivery signs with is the secret the user holds.
    prefs = user_settings.ensure_secret(db, account.id, sign.new_secret)
    body = b'{"event": "job.completed"}'
    headers = sign.headers(prefs["webhook_secret"], "msg_1", int(time.time()), body)
    assert Webhook(secret).verify(body, headers) == {"event": "job.completed"}
