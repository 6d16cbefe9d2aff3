"""POST /api/generate/instant-ad at submit time, through one real server on loopback with the
default address policy (private inputs off): every refusal a 400 (403 for a plan) naming the field,
charged nothing, a loopback page URL among them; accepted requests charged by outputFormat, the
brand profile's snapshot in the spec. No worker runs here: jobs stay queued."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from apexlocal.accounts.api_keys import create_key
from apexlocal.accounts.users import create_user
from apexlocal.db import jobs as records
from tests import loopback
from tests.api.live_server import LiveServer
from tests.conftest import make_settings

# A public address literal: nothing to resolve (there is no DNS in the tests).
BODY = {"websiteUrl": "https://93.184.215.14/bottle", "platform": "tiktok", "count": 2, "style": "bold"}


@dataclass
class Served:
    server: LiveServer
    services: Any
    settings: Any

    def client(self, plan: str = "enterprise", credits: int = 10_000) -> httpx.Client:
        user = create_user(self.services.db, f"{uuid.uuid4().hex[:8]}@example.com", plan, self.settings.plans, credits)
        key = create_key(self.services.db, user.id, "test").key
        client = loopback.client(base_url=self.server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30)
        client.user_id = user.id  # type: ignore[attr-defined]
        return client


@pytest.fixture(scope="module")
def served(tmp_path_factory, models_dir) -> Iterator[Served]:
    from apexlocal.app import create_app

    settings = make_settings(
        tmp_path_factory.mktemp("instant-ad-routes"), models_dir, rate_limits="read=100000/10,generation=100000/10"
    )
    assert not settings.inputs_allow_private
    app = create_app(settings, start_workers=False)
    with LiveServer(app) as server:
        yield Served(server, app.state.services, settings)


@pytest.fixture(scope="module")
def alice(served: Served) -> Iterator[httpx.Client]:
    with served.client() as client:
        yield client


def balance(client: httpx.Client) -> int:
    return int(client.get("/api/usage").json()["data"]["credits"])


def refused(client: httpx.Client, body: dict[str, Any], status: int = 400) -> str:
    before, jobs = balance(client), len(client.get("/api/jobs").json()["data"])
    r = client.post("/api/generate/instant-ad", json=body)
    assert r.status_code == status, r.text
    assert balance(client) == before and len(client.get("/api/jobs").json()["data"]) == jobs
    return str(r.json()["error"])


def test_every_field_is_checked_before_anything_is_charged(alice):
    assert refused(alice, {**BODY, "platform": "myspace"}).startswith("platform: must be one of tiktok, youtube, ")
    assert refused(alice, {**BODY, "count": 5}) == "count: must be an integer between 1 and 4"
    assert refused(alice, {**BODY, "count": 0}) == "count: must be an integer between 1 and 4"
    assert refused(alice, {**BODY, "style": "retro"}).startswith("style: must be one of modern, bold, minimal, ")
    assert refused(alice, {**BODY, "outputFormat": "gif"}) == "outputFormat: must be one of image, video, both"
    assert refused(alice, {k: v for k, v in BODY.items() if k != "websiteUrl"}) == "websiteUrl: is required"
    assert refused(alice, {**BODY, "websiteUrl": "ftp://shop.example.com/x"}).startswith("websiteUrl: ")
    assert refused(alice, {**BODY, "brandProfileId": "bp_nothing"}).startswith("brandProfileId: no brand profile")


def test_a_loopback_page_is_refused_while_private_inputs_are_off(alice):
    message = refused(alice, {**BODY, "websiteUrl": "http://127.0.0.1:9/product"})
    assert message.startswith("websiteUrl: "), message


def test_a_plan_without_instant_ads_is_403(served):
    with served.client(plan="free") as client:
        assert "Instant ad" in refused(client, BODY, status=403)


def test_credits_by_output_format_and_the_brand_snapshot(served, alice):
    profile = alice.post(
        "/api/brand-profiles", json={"name": "Aurora", "colors": ["#0a7cff"], "bannedWords": ["cheap"]}
    ).json()["data"]
    for output_format, cost in (("image", 500), ("video", 1000), ("both", 1250), (None, 500)):
        body = {**BODY, "brandProfileId": profile["id"]}
        if output_format is not None:
            body["outputFormat"] = output_format
        before = balance(alice)
        r = alice.post("/api/generate/instant-ad", json=body)
        assert r.status_code == 202, r.text
        assert r.json()["data"]["creditsCharged"] == cost and balance(alice) == before - cost
        job = records.get(served.services.db, r.json()["data"]["jobId"])
        assert job is not None and job["type"] == "instant-ad"
        spec = json.loads(job["params"])
        assert spec["outputFormat"] == (output_format or "image")
        assert spec["brandProfile"]["id"] == profile["id"] and spec["brandProfile"]["bannedWords"] == ["cheap"]
    # Another user's profile id is no profile at all for the caller.
    with served.client() as bob:
        message = refused(bob, {**BODY, "brandProfileId": profile["id"]})
        assert message.startswith("brandProfileId: no brand profile of yours")
