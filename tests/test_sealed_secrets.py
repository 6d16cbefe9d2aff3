"""Webhook secrets are sealed in app.db: never in its bytes, still what the user holds and what
deliveries are signed with; a migration seals the ones an older release stored in plain text."""

from __future__ import annotations

import sqlite3
import stat
import time
from pathlib import Path

from standardwebhooks.webhooks import Webhook

from apexlocal.db import sealed, user_settings
from apexlocal.db.database import Database
from apexlocal.db.migrations import MIGRATIONS, _statements, migrate
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


def _install_before_sealing(path: Path) -> None:
    """An app.db of the release before secrets were sealed, holding one plain secret."""
    conn = sqlite3.connect(path)
    version = MIGRATIONS.index(user_settings.seal_stored_secrets)
    for script in MIGRATIONS[:version]:
        for statement in _statements(script):
            conn.execute(statement)
    conn.execute(f"PRAGMA user_version={version}")
    conn.execute("INSERT INTO users (id, email, plan, created_at) VALUES ('u1', 'a@b.c', 'free', 'now')")
    conn.execute(
        "INSERT INTO user_settings (user_id, webhook_secret, updated_at) "
        "VALUES ('u1', 'whsec_cGxhaW4tb2xkLXNlY3JldC1ieXRlcw==', 'now')"
    )
    conn.commit()
    conn.close()


def test_a_migration_seals_the_secrets_stored_in_plain_text(tmp_path):
    path = tmp_path / "data" / "app.db"
    path.parent.mkdir()
    _install_before_sealing(path)
    db = Database(path)
    assert migrate(db) == len(MIGRATIONS)
    assert user_settings.get(db, "u1")["webhook_secret"] == "whsec_cGxhaW4tb2xkLXNlY3JldC1ieXRlcw=="
    assert sealed.is_sealed(db.value("SELECT webhook_secret FROM user_settings"))
    db.close()
    assert b"cGxhaW4tb2xkLXNlY3JldC1ieXRlcw" not in raw_bytes(path.parent)
    assert stat.S_IMODE((path.parent / sealed.KEY_FILE).stat().st_mode) == 0o600
