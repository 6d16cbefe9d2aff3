"""Jobs download only the models the admin allows (`auto_pull_models`, by default each task's
default model): a creator's image job naming FLUX.2 [dev] is refused before it is charged."""

from __future__ import annotations

import pytest

from apexlocal.accounts import credits
from tests.conftest import add_account, make_settings


@pytest.fixture
def settings(tmp_path, models_dir):
    # The full set with nothing installed; no hub is reached: every answer here comes before a pull.
    return make_settings(tmp_path / "data", models_dir, model_set="full", hf_endpoint="http://127.0.0.1:9")


def test_a_model_jobs_may_not_pull_is_unavailable_and_uncharged(app_client, settings):
    user = add_account(app_client.services.db, settings, "creator@example.com", plan="enterprise")
    r = app_client.post("/api/generate/image", json={"prompt": "a cat", "model": "flux-2-dev"}, headers=user.headers)
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["code"] == "MODEL_UNAVAILABLE"
    assert "apexlocal models pull flux2-dev" in body["error"]
    assert credits.balance(app_client.services.db, user.id) == 1000


def test_the_models_list_says_which_models_jobs_may_pull(app_client, settings):
    admin = add_account(app_client.services.db, settings, "admin@example.com")
    listed = {m["id"]: m for m in app_client.get("/api/models", headers=admin.headers).json()["data"]}
    assert listed["flux2-klein-4b"]["autoPull"] is True and listed["flux2-dev"]["autoPull"] is False


def test_the_default_model_may_still_be_pulled_by_its_job(app_client, settings):
    entry = app_client.services.manifest.default_for("image")
    assert app_client.services.models.may_auto_pull(entry)
    assert not app_client.services.models.may_auto_pull(app_client.services.manifest.by_id()["flux2-dev"])


def test_the_admin_may_allow_more(tmp_path, models_dir):
    from apexlocal.app import build_services

    services = build_services(
        make_settings(tmp_path / "d", models_dir, model_set="full", auto_pull_models="default,flux2-dev")
    )
    try:
        assert services.models.may_auto_pull(services.manifest.by_id()["flux2-dev"])
    finally:
        services.close()
