"""Request bodies are decoded strictly, in one place: no coercion of strings into numbers or
booleans, no 500 for a deeply nested document, no control characters in the text a product
speaks or draws, and each refusal is a 400 naming the field and the rule, charging nothing."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest

from apexlocal.accounts import credits
from apexlocal.accounts.users import create_user
from apexlocal.api.body import TOO_DEEP, decode_body
from tests.api.test_errors import assert_envelope
from tests.conftest import add_account

DEEP = b"[" * 1000 + b"]" * 1000  # about 2 KB
NO_CONTROL = "must not contain control characters (tab, newline and carriage return are allowed)"


@pytest.fixture(scope="module")
def module_app(tmp_path_factory, models_dir):
    """One server for the module (none of these requests reaches a worker); an account per test."""
    from litestar.testing import TestClient

    from apexlocal.app import create_app
    from tests.conftest import make_settings

    settings = make_settings(
        tmp_path_factory.mktemp("bodies"), models_dir, rate_limits="read=100000/10,generation=100000/10"
    )
    app = create_app(settings, start_workers=False)
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        client.services = app.state.services
        yield client, settings


@pytest.fixture
def app_client(module_app):
    return module_app[0]


@pytest.fixture
def settings(module_app):
    return module_app[1]


@pytest.fixture
def account(module_app):
    client, settings = module_app
    return add_account(client.services.db, settings, f"user-{uuid.uuid4().hex[:12]}@example.com")


def post_json(client: Any, path: str, body: bytes, headers: dict[str, str] | None = None) -> Any:
    return client.post(path, content=body, headers={**(headers or {}), "Content-Type": "application/json"})


def refused(r: Any, message: str) -> None:
    assert assert_envelope(r, 400, "BAD_REQUEST")["error"] == message


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/api/generate/image", {"prompt": "a cat", "width": "256"}, "width: must be an integer between 256 and 2048"),
        ("/api/generate/video", {"script": "Hello there.", "captions": "true"}, "captions: must be true or false"),
        ("/api/generate/voice", {"text": "Hello.", "speed": "1.0"}, "speed: must be a number between 0.5 and 2.0"),
        ("/api/generate/image", {"prompt": 5}, "prompt: must be a string of 1-2,000 characters"),
    ],
)
def test_strings_are_not_coerced(app_client, account, path, body, message):
    refused(app_client.post(path, json=body, headers=account.headers), message)
    assert credits.balance(app_client.services.db, account.id) == 1000


def test_admin_amount_is_not_coerced(app_client, settings):
    db = app_client.services.db
    admin = create_user(db, f"admin-{uuid.uuid4().hex[:8]}@example.com", "enterprise", settings.plans, 0, is_admin=True)
    from apexlocal.accounts.api_keys import create_key

    headers = {"Authorization": f"Bearer {create_key(db, admin.id, 'admin').key}"}
    r = app_client.post(f"/api/admin/users/{admin.id}/credits", json={"amount": "10"}, headers=headers)
    refused(r, "amount: must be an integer between -1000000000 and 1000000000")
    assert credits.balance(db, admin.id) == 0
    r = app_client.post(f"/api/admin/users/{admin.id}/credits", json={"amount": 10}, headers=headers)
    assert r.status_code == 200 and r.json()["data"]["credits"] == 10


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "body: must be a JSON object"),
        (b"null", "body: must be a JSON object"),
        (b"[1]", "body: must be a JSON object"),
        (b'{"prompt": "a"', "body: must be valid JSON"),
        (b'{"prompt": "a", "seed": -1}', "seed: must be an integer between 0 and 4294967295"),
    ],
)
def test_body_shape_messages(app_client, account, body, message):
    refused(post_json(app_client, "/api/generate/image", body, account.headers), message)


def test_nested_fields_are_named_by_their_path(app_client, account):
    speech = {"model": "tts-1", "input": "Hello.", "voice": {"id": 5}}
    refused(
        app_client.post("/v1/audio/speech", json=speech, headers=account.headers),
        "voice.id: must be a string of 1-200 characters",
    )
    speech["voice"] = 5
    refused(
        app_client.post("/v1/audio/speech", json=speech, headers=account.headers),
        "voice: must be a string or an object",
    )


def _errors(caplog: Any) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_deeply_nested_json_is_a_400_on_an_authenticated_route(app_client, account, caplog):
    refused(post_json(app_client, "/api/generate/image", DEEP, account.headers), "body: must be a JSON object")
    inside = b'{"prompt": "a", "model": ' + DEEP + b"}"
    refused(
        post_json(app_client, "/api/generate/image", inside, account.headers),
        "model: must be a string of 1-100 characters",
    )
    assert _errors(caplog) == []


def test_deeply_nested_json_is_a_400_on_the_login_route(app_client, caplog):
    refused(post_json(app_client, "/auth/login", DEEP), "body: must be a JSON object")
    refused(
        post_json(app_client, "/auth/login", b'{"apiKey": ' + DEEP + b"}"),
        "apiKey: must be a string of 1-200 characters",
    )
    assert _errors(caplog) == []


def test_nesting_past_the_decoders_limit_is_named():
    from apexlocal.errors import BadRequest

    with pytest.raises(BadRequest) as caught:
        decode_body(Any, b"[" * 100_000 + b"]" * 100_000)
    assert caught.value.message == TOO_DEEP


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/generate/voice", {"text": "Hello\u0000 there."}, "text"),
        ("/v1/audio/speech", {"model": "tts-1", "input": "Hello\u0007", "voice": "alloy"}, "input"),
        ("/api/generate/image", {"prompt": "a cat\u001b[31m"}, "prompt"),
        ("/api/generate/video", {"script": "One.\u000bTwo."}, "script"),
    ],
)
def test_control_characters_are_refused_before_anything_is_charged(app_client, account, path, body, field):
    refused(app_client.post(path, json=body, headers=account.headers), f"{field}: {NO_CONTROL}")
    assert credits.balance(app_client.services.db, account.id) == 1000
    assert app_client.get("/api/jobs", headers=account.headers).json()["data"] == []


def test_tab_newline_and_carriage_return_are_text(app_client, account):
    r = app_client.post("/api/generate/image", json={"prompt": "a cat,\tasleep\r\non a mat"}, headers=account.headers)
    assert r.status_code == 202, r.text
