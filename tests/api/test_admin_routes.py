"""The routes the studio added: admin users and plans, model pull/remove with progress, credits spent
per day, and a job's parameters."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import msgspec
import pytest

from apexlocal.accounts import credits
from apexlocal.accounts.users import create_user
from tests.conftest import add_account


@pytest.fixture
def admin(app_client, settings):
    from apexlocal.accounts.api_keys import create_key

    user = create_user(app_client.services.db, "root@example.com", "enterprise", settings.plans, 0, is_admin=True)
    return {"Authorization": f"Bearer {create_key(app_client.services.db, user.id, 'admin').key}"}


def test_admin_routes_need_an_admin(app_client, account):
    for method, path in [
        ("get", "/api/admin/users"),
        ("get", "/api/admin/plans"),
        ("post", "/api/admin/users"),
        ("post", "/api/models/flux2-klein-4b/pull"),
        ("delete", "/api/models/flux2-klein-4b"),
    ]:
        r = getattr(app_client, method)(path, headers=account.headers)
        assert r.status_code == 403 and r.json() == {"error": "This route is for admins", "code": "FORBIDDEN"}, path
    assert app_client.get("/api/admin/users").status_code == 401


def test_admin_creates_users_sets_plans_and_grants_credits(app_client, admin):
    created = app_client.post(
        "/api/admin/users", json={"email": "new@example.com", "plan": "creator", "credits": 50}, headers=admin
    )
    assert created.status_code == 201, created.text
    user = created.json()["data"]
    assert user["plan"] == "creator" and user["credits"] == 50 and user["isAdmin"] is False
    dup = app_client.post("/api/admin/users", json={"email": "new@example.com"}, headers=admin)
    assert dup.status_code == 409
    bad = app_client.post("/api/admin/users", json={"email": "x@example.com", "plan": "gold"}, headers=admin)
    assert bad.status_code == 400 and bad.json()["error"].startswith("plan: must be one of")
    changed = app_client.patch(f"/api/admin/users/{user['id']}", json={"plan": "pro"}, headers=admin)
    assert changed.json()["data"]["plan"] == "pro"
    grant = {**admin, "Idempotency-Key": "grant-1"}
    for _ in range(2):  # a retried grant is not granted twice
        r = app_client.post(f"/api/admin/users/{user['id']}/credits", json={"amount": 25}, headers=grant)
        assert r.status_code == 200 and r.json()["data"]["credits"] == 75
    below = app_client.post(f"/api/admin/users/{user['id']}/credits", json={"amount": -100}, headers=admin)
    assert below.status_code == 400 and below.json()["error"].startswith("amount:")
    assert credits.ledger_sum(app_client.services.db, user["id"]) == 75
    emails = [u["email"] for u in app_client.get("/api/admin/users", headers=admin).json()["data"]]
    assert "new@example.com" in emails and "root@example.com" in emails
    plans = [p["name"] for p in app_client.get("/api/admin/plans", headers=admin).json()["data"]]
    assert plans == ["free", "creator", "pro", "enterprise"]
    assert app_client.patch("/api/admin/users/nobody", json={"plan": "pro"}, headers=admin).status_code == 404


def test_admin_login_link_signs_the_user_in(app_client, admin):
    user = app_client.post("/api/admin/users", json={"email": "guest@example.com"}, headers=admin).json()["data"]
    link = app_client.post(f"/api/admin/users/{user['id']}/login-link", headers=admin).json()["data"]
    assert link["expiresInSeconds"] == 900
    path = link["url"].removeprefix("http://127.0.0.1:8000")
    opened = app_client.get(path, headers={"Sec-Fetch-Site": "none"}, follow_redirects=False)
    assert opened.headers["location"] == "/"
    assert app_client.get("/auth/me").json()["data"]["user"]["email"] == "guest@example.com"


def test_usage_daily_has_30_days_of_credits_spent(app_client, account):
    db = app_client.services.db
    with db.write():
        credits.debit_for_job(db, account.id, "job-a", 10, "image")
        credits.debit_for_job(db, account.id, "job-b", 250, "video")
    credits.refund_job(db, account.id, "job-b", 250, "failed")
    days = app_client.get("/api/usage/daily", headers=account.headers).json()["data"]
    assert len(days) == 30 and days[-1]["date"] == datetime.now(UTC).date().isoformat()
    assert days[-1]["credits"] == 10 and sum(d["credits"] for d in days) == 10
    assert days[0]["date"] < days[-1]["date"]


def test_job_params_are_readable_by_their_owner_only(app_client, account, settings):
    job = app_client.post(
        "/api/generate/image",
        json={"prompt": "a lamp", "width": 256, "height": 256, "steps": 1},
        headers=account.headers,
    ).json()["data"]
    params = app_client.get(f"/api/jobs/{job['jobId']}/params", headers=account.headers).json()["data"]
    assert params["type"] == "image" and params["params"]["prompt"] == "a lamp" and params["params"]["width"] == 256
    other = add_account(app_client.services.db, settings, "eve@example.com")
    assert app_client.get(f"/api/jobs/{job['jobId']}/params", headers=other.headers).status_code == 404
    app_client.delete(f"/api/jobs/{job['jobId']}", headers=account.headers)  # no model run needed


def test_model_read_remove_and_pull_of_an_installed_model(app_client, admin, monkeypatch):
    from apexlocal.errors import ModelError

    store = app_client.services.models
    assert app_client.get("/api/models/no-such-model", headers=admin).status_code == 404
    listed = app_client.get("/api/models", headers=admin).json()["data"]
    assert all("pull" in m for m in listed)
    assert all(m["autoPull"] for m in listed)  # tiny stand-ins are built here, never downloaded
    one = app_client.get("/api/models/flux2-klein-4b", headers=admin).json()["data"]
    assert one["id"] == "flux2-klein-4b" and one["pull"] is None and one["license"]
    monkeypatch.setattr(store, "is_installed", lambda model: True)
    r = app_client.post("/api/models/flux2-klein-4b/pull", headers=admin)
    assert r.status_code == 200 and r.json()["data"]["installed"] is True
    monkeypatch.setattr(store, "remove", lambda model: 123)
    removed = app_client.delete("/api/models/flux2-klein-4b", headers=admin)
    assert removed.status_code == 200 and removed.json()["data"]["freedBytes"] == 123

    def shipped(model):
        raise ModelError("flux2-klein-4b ships inside the Python package x; remove it with `pip uninstall x`")

    monkeypatch.setattr(store, "remove", shipped)
    refused = app_client.delete("/api/models/flux2-klein-4b", headers=admin)
    assert refused.status_code == 409 and "pip uninstall" in refused.json()["error"]


def test_model_pull_runs_on_the_io_queue_and_reports_progress(app_client, admin, monkeypatch):
    store = app_client.services.models
    entry = app_client.services.manifest.by_id()["flux2-klein-4b"]
    installed = {"done": False}
    gate = {"go": False}

    def fake_pull(model, progress=None):
        for done in (0, 512, 1024):
            while not gate["go"] and done == 1024:
                time.sleep(0.01)
            progress(done, 1024, "transformer/model.safetensors")
        installed["done"] = True
        return store.path(model)

    monkeypatch.setattr(store, "pull", fake_pull)
    monkeypatch.setattr(store, "is_installed", lambda model: installed["done"] if model is entry else False)
    monkeypatch.setattr(store, "status", lambda model: {"size_bytes": 1024})
    started = app_client.post("/api/models/flux2-klein-4b/pull", headers=admin)
    assert started.status_code == 202 and started.json()["data"]["pull"]["status"] in ("queued", "running")
    again = app_client.post("/api/models/flux2-klein-4b/pull", headers=admin)
    assert again.status_code == 202  # one pull at a time; the second call reports the first
    busy = app_client.delete("/api/models/flux2-klein-4b", headers=admin)
    assert busy.status_code == 409
    gate["go"] = True
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        pull = app_client.get("/api/models/flux2-klein-4b", headers=admin).json()["data"]["pull"]
        if pull["status"] == "completed":
            break
        time.sleep(0.05)
    assert pull["status"] == "completed" and pull["downloaded"] == 1024 and pull["progress"] == 1.0
    with app_client.stream("GET", "/api/models/flux2-klein-4b/events", headers=admin) as stream:
        body = "".join(stream.iter_text())
    event = msgspec.json.decode(body.split("data: ", 1)[1].split("\n", 1)[0])
    assert "event: pull" in body and event["status"] == "completed"


def test_model_pull_failure_is_reported(app_client, admin, monkeypatch):
    from apexlocal.errors import ModelError

    def broken(model, progress=None):
        raise ModelError("z-image-turbo: downloading failed; run `apexlocal models pull z-image-turbo` to resume")

    monkeypatch.setattr(app_client.services.models, "pull", broken)
    assert app_client.post("/api/models/z-image-turbo/pull", headers=admin).status_code == 202
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        pull = app_client.get("/api/models/z-image-turbo", headers=admin).json()["data"]["pull"]
        if pull["status"] == "failed":
            break
        time.sleep(0.05)
    assert pull["status"] == "failed" and "apexlocal models pull z-image-turbo" in pull["error"]
