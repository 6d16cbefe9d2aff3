"""/api/settings: the webhook secret, the webhook URL under the address policy, and the same policy
for input URLs checked at submit time."""

from __future__ import annotations

import pytest

from apexlocal.errors import BadRequest
from apexlocal.jobs.inputs import check_input_url
from apexlocal.webhooks import ssrf
from tests.webhooks.test_ssrf import INSIDE_URLS

PUBLIC = "93.184.216.34"


@pytest.fixture
def public_dns(monkeypatch):
    """Names answer with a public address; nothing leaves the machine (no request is made)."""
    looked_up: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        looked_up.append(host)
        return [PUBLIC]

    monkeypatch.setattr(ssrf, "system_resolver", resolve)
    return looked_up


def test_the_secret_is_made_on_first_read_kept_and_rotated(app_client, account):
    first = app_client.get("/api/settings", headers=account.headers)
    assert first.status_code == 200
    data = first.json()["data"]
    assert data["webhookUrl"] is None and data["webhookSecret"].startswith("whsec_")
    assert app_client.get("/api/settings", headers=account.headers).json()["data"] == data
    rotated = app_client.post("/api/settings/webhook-secret/rotate", headers=account.headers)
    assert rotated.status_code == 200
    secret = rotated.json()["data"]["webhookSecret"]
    assert secret.startswith("whsec_") and secret != data["webhookSecret"]
    assert app_client.get("/api/settings", headers=account.headers).json()["data"]["webhookSecret"] == secret


def test_settings_are_per_user(app_client, account, settings):
    from tests.conftest import add_account

    bob = add_account(app_client.services.db, settings, "bob@example.com")
    mine = app_client.get("/api/settings", headers=account.headers).json()["data"]["webhookSecret"]
    theirs = app_client.get("/api/settings", headers=bob.headers).json()["data"]["webhookSecret"]
    assert mine != theirs


def test_a_public_url_is_set_read_and_cleared(app_client, account, public_dns):
    url = "https://hooks.example.com/apex?team=1"
    r = app_client.patch("/api/settings", json={"webhookUrl": url}, headers=account.headers)
    assert r.status_code == 200 and r.json() == {"data": {"webhookUrl": url}}
    assert public_dns == ["hooks.example.com"]
    assert app_client.get("/api/settings", headers=account.headers).json()["data"]["webhookUrl"] == url
    r = app_client.patch("/api/settings", json={"webhookUrl": None}, headers=account.headers)
    assert r.json() == {"data": {"webhookUrl": None}}
    assert app_client.get("/api/settings", headers=account.headers).json()["data"]["webhookUrl"] is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "webhookUrl: is required"),
        ({"webhookUrl": "https://hooks.example.com/", "colour": "red"}, "colour: unknown field"),
        ({"webhookUrl": 42}, "webhookUrl: "),
        ({"webhookUrl": "http://hooks.example.com/"}, "webhookUrl: must use https"),
    ],
)
def test_bad_bodies_name_the_field(app_client, account, public_dns, body, message):
    r = app_client.patch("/api/settings", json=body, headers=account.headers)
    assert r.status_code == 400 and r.json()["code"] == "BAD_REQUEST"
    assert r.json()["error"].startswith(message), r.json()


def test_every_inside_url_is_refused_as_the_webhook_url(app_client, account, public_dns):
    assert len(INSIDE_URLS) >= 30
    for url, word in INSIDE_URLS:
        r = app_client.patch("/api/settings", json={"webhookUrl": url}, headers=account.headers)
        body = r.json()
        assert r.status_code == 400 and body["code"] == "BAD_REQUEST", (url, body)
        assert body["error"].startswith("webhookUrl: ") and word.lower() in body["error"].lower(), (url, body)
    assert app_client.get("/api/settings", headers=account.headers).json()["data"]["webhookUrl"] is None


def test_every_inside_url_is_refused_as_an_input_url(app_client, account, public_dns):
    from apexlocal.accounts.users import get_user

    services = app_client.services
    user = get_user(services.db, account.id)
    for url, word in INSIDE_URLS:
        with pytest.raises(BadRequest) as caught:
            check_input_url(services, user, url, "avatarImage")
        assert caught.value.status == 400 and caught.value.message.startswith("avatarImage: "), url
        assert word.lower() in caught.value.message.lower(), (url, caught.value.message)
    check_input_url(services, user, "https://media.example.com/face.png", "avatarImage")


def test_private_webhook_targets_need_the_setting(tmp_path, models_dir):
    from litestar.testing import TestClient

    from apexlocal.app import create_app
    from tests.conftest import add_account, make_settings

    settings = make_settings(tmp_path / "d", models_dir, webhooks_allow_private=True)
    app = create_app(settings, start_workers=False)
    with TestClient(app) as client:
        acct = add_account(app.state.services.db, settings, "lan@example.com")
        for url in ("http://127.0.0.1:9000/hook", "http://192.168.1.20/in", "https://10.0.0.5/"):
            r = client.patch("/api/settings", json={"webhookUrl": url}, headers=acct.headers)
            assert r.status_code == 200, (url, r.text)
        r = client.patch("/api/settings", json={"webhookUrl": "http://169.254.169.254/latest/"}, headers=acct.headers)
        assert r.status_code == 400 and "metadata" in r.json()["error"]
