"""Every error code of the seed (and API.md's additions) is reachable, in the envelope, and a
rejected request charges nothing."""

from __future__ import annotations

import sqlite3

import pytest

from apexlocal.accounts import credits
from tests.conftest import add_account


def assert_envelope(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error", "code"}, body
    assert body["code"] == code
    assert isinstance(body["error"], str) and body["error"]
    return body


def image(client, headers, **fields):
    return client.post("/api/generate/image", json={"prompt": "a cat", **fields}, headers=headers)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"width": 100}, "width: must be an integer between 256 and 2048"),
        ({"height": 4096}, "height: must be an integer between 256 and 2048"),
        ({"steps": 0}, "steps: must be an integer between 1 and 50"),
        ({"prompt": ""}, "prompt: must be 1-2,000 characters"),
        ({"prompt": "x" * 2001}, "prompt: must be 1-2,000 characters"),
        ({"prompt": "   "}, "prompt: must not be blank"),
        ({"style": "baroque"}, "style: must be one of photorealistic, illustration, 3d, flat"),
        ({"width": "wide"}, "width: must be an integer between 256 and 2048"),
        ({"seed": -1}, "seed: must be an integer between 0 and 4294967295"),
        ({"model": "no-such-model"}, "model: must be one of flux2-klein-4b"),
    ],
)
def test_validation_names_field_and_rule(app_client, account, fields, message):
    body = assert_envelope(image(app_client, account.headers, **fields), 400, "BAD_REQUEST")
    assert body["error"].startswith(message)


def test_unknown_and_missing_fields_are_rejected(app_client, account):
    body = assert_envelope(image(app_client, account.headers, colour="red"), 400, "BAD_REQUEST")
    assert body["error"].startswith("colour: unknown field")
    r = app_client.post("/api/generate/image", json={"width": 512}, headers=account.headers)
    assert assert_envelope(r, 400, "BAD_REQUEST")["error"] == "prompt: is required"


def test_malformed_json_and_wrong_media_type(app_client, account):
    r = app_client.post(
        "/api/generate/image", content=b"{not json", headers={**account.headers, "Content-Type": "application/json"}
    )
    assert assert_envelope(r, 400, "BAD_REQUEST")["error"] == "body: must be valid JSON"
    r = app_client.post(
        "/api/generate/image", content=b'{"prompt": "a"}', headers={**account.headers, "Content-Type": "text/plain"}
    )
    assert_envelope(r, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_oversize_body_is_413(app_client, account):
    r = app_client.post(
        "/api/generate/image",
        content=b'{"prompt": "' + b"x" * 2_000_000 + b'"}',
        headers={**account.headers, "Content-Type": "application/json"},
    )
    assert_envelope(r, 413, "PAYLOAD_TOO_LARGE")


def test_auth_errors(app_client, account):
    assert_envelope(app_client.get("/api/usage"), 401, "UNAUTHORIZED")
    assert_envelope(app_client.get("/api/usage", headers={"Authorization": "Bearer nope"}), 401, "UNAUTHORIZED")
    assert_envelope(app_client.get("/api/usage", headers={"Authorization": "Basic abc"}), 401, "UNAUTHORIZED")


def test_payment_required_charges_nothing(app_client, settings):
    poor = add_account(app_client.services.db, settings, "poor@example.com", credits=5)
    body = assert_envelope(image(app_client, poor.headers), 402, "PAYMENT_REQUIRED")
    assert "10" in body["error"]
    assert credits.balance(app_client.services.db, poor.id) == 5
    assert app_client.get("/api/jobs", headers=poor.headers).json()["data"] == []


def test_forbidden_by_plan(app_client, settings):
    free = add_account(app_client.services.db, settings, "free@example.com", plan="free")
    assert_envelope(app_client.get("/api/keys", headers=free.headers), 403, "FORBIDDEN")
    body = assert_envelope(image(app_client, free.headers, model="ideogram-v3"), 403, "FORBIDDEN")
    assert body["error"].startswith("model:")
    assert credits.balance(app_client.services.db, free.id) == 1000


def test_not_found_and_method_not_allowed(app_client, account):
    assert_envelope(app_client.get("/api/nope", headers=account.headers), 404, "NOT_FOUND")
    assert_envelope(app_client.get("/nothing/here"), 404, "NOT_FOUND")
    assert_envelope(
        app_client.get("/api/jobs/00000000-0000-0000-0000-000000000000", headers=account.headers), 404, "NOT_FOUND"
    )
    r = app_client.put("/api/usage", headers=account.headers)
    assert_envelope(r, 405, "METHOD_NOT_ALLOWED")


def test_conflict_on_reused_idempotency_key(app_client, account):
    headers = {**account.headers, "Idempotency-Key": "k-1"}
    first = image(app_client, headers, seed=1)
    again = image(app_client, headers, seed=1)
    assert first.status_code == again.status_code == 202
    assert first.json() == again.json()
    assert_envelope(image(app_client, headers, seed=2), 409, "CONFLICT")
    jobs = app_client.get("/api/jobs", headers=account.headers).json()["data"]
    assert len(jobs) == 1
    assert credits.balance(app_client.services.db, account.id) == 990


def test_rate_limited(app_client, account):
    for _ in range(5):
        image(app_client, account.headers, width=99)  # rejected, but still requests
    r = image(app_client, account.headers)
    assert_envelope(r, 429, "RATE_LIMITED")
    assert r.json()["error"] == "Too many requests"
    assert int(r.headers["Retry-After"]) >= 1


def test_model_unavailable_without_auto_pull(tmp_path, models_dir):
    from litestar.testing import TestClient

    from apexlocal.app import create_app
    from tests.conftest import make_settings

    settings = make_settings(tmp_path / "d", tmp_path / "empty-models", auto_pull=False)
    app = create_app(settings, start_workers=False)
    with TestClient(app) as client:
        acct = add_account(app.state.services.db, settings, "a@example.com")
        body = assert_envelope(image(client, acct.headers), 400, "MODEL_UNAVAILABLE")
        assert "apexlocal models pull flux2-klein-4b" in body["error"]
        assert credits.balance(app.state.services.db, acct.id) == 1000


def test_internal_error_leaks_nothing(app_client, account, monkeypatch):
    services = app_client.services

    def broken(*args, **kwargs):
        raise sqlite3.OperationalError("no such table: secret_internal_table")

    monkeypatch.setattr(services.db, "all", broken)
    body = assert_envelope(app_client.get("/api/jobs", headers=account.headers), 500, "INTERNAL_ERROR")
    assert "secret" not in body["error"] and "sqlite" not in body["error"].lower()


def test_service_unavailable_while_shutting_down(app_client, account):
    app_client.services.stopping.set()
    body = assert_envelope(image(app_client, account.headers), 503, "SERVICE_UNAVAILABLE")
    assert "shutting down" in body["error"]
    assert credits.balance(app_client.services.db, account.id) == 1000
