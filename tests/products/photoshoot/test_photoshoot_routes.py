"""POST /api/generate/photoshoot and the image route's input pictures, at submit time, through one
real server on loopback (input URLs on private addresses refused, as by default): every refusal is
a 400 naming the field and the rule, charged nothing. No worker runs here: jobs stay queued."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from apexlocal.accounts.api_keys import create_key
from apexlocal.accounts.users import create_user
from tests import loopback
from tests.api.live_server import LiveServer
from tests.conftest import make_settings
from tests.engines.cutout.product_photo import product_photo

SHOOT = {"background": "studio-white", "angle": "front", "lighting": "studio", "count": 4}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, models_dir: Any) -> Iterator[tuple[LiveServer, Any]]:
    from apexlocal.app import create_app

    settings = make_settings(
        tmp_path_factory.mktemp("photoshoot-routes"), models_dir, rate_limits="read=100000/10,generation=100000/10"
    )
    app = create_app(settings, start_workers=False)  # jobs stay queued: nothing runs a model here
    with LiveServer(app) as server:
        yield server, app.state.services


@pytest.fixture(scope="module")
def client(served: tuple[LiveServer, Any]) -> Iterator[httpx.Client]:
    server, services = served
    user = create_user(
        services.db, f"{uuid.uuid4().hex[:8]}@example.com", "enterprise", services.settings.plans, 10_000
    )
    key = create_key(services.db, user.id, "test").key
    with loopback.client(base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def photo_url(client: httpx.Client) -> str:
    r = client.post("/api/upload/image", files={"file": ("bottle.png", product_photo().png(), "image/png")})
    assert r.status_code == 201, r.text
    return str(r.json()["data"]["url"])


def credits(client: httpx.Client) -> int:
    return int(client.get("/api/usage").json()["data"]["credits"])


def refused(client: httpx.Client, path: str, body: dict[str, Any]) -> str:
    before = credits(client)
    r = client.post(f"/api/generate/{path}", json=body)
    assert r.status_code == 400, r.text
    assert credits(client) == before
    payload = r.json()
    assert set(payload) >= {"error", "code"}
    return str(payload["error"])


def test_a_photoshoot_is_charged_30_and_queued(client: httpx.Client, photo_url: str) -> None:
    before = credits(client)
    r = client.post("/api/generate/photoshoot", json={"productImage": photo_url, **SHOOT, "model": "flux-2-pro"})
    assert r.status_code == 202, r.text
    assert r.json()["data"]["creditsCharged"] == 30 and credits(client) == before - 30
    job = client.get(f"/api/jobs/{r.json()['data']['jobId']}").json()["data"]
    assert (job["type"], job["status"], job["model"]) == ("photoshoot", "queued", "flux-2-pro")


def test_custom_without_its_description_is_400(client: httpx.Client, photo_url: str) -> None:
    body = {"productImage": photo_url, **SHOOT, "background": "custom"}
    assert refused(client, "photoshoot", body) == (
        "customBackground: required when background is custom (a description of the scene)"
    )
    assert refused(client, "photoshoot", {**body, "customBackground": "   "}).startswith("customBackground: required")
    other = {"productImage": photo_url, **SHOOT, "customBackground": "a beach"}
    assert refused(client, "photoshoot", other) == "customBackground: only with background custom"


def test_a_loopback_product_url_is_400(client: httpx.Client, served: tuple[LiveServer, Any]) -> None:
    loopback = f"{served[0].url}/assets/favicon.svg"
    assert refused(client, "photoshoot", {"productImage": loopback, **SHOOT}) == (
        "productImage: must resolve to a public address (127.0.0.1 is loopback)"
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"count": 5}, "count"),
        ({"count": 0}, "count"),
        ({"background": "beach"}, "background"),
        ({"angle": "side"}, "angle"),
        ({"lighting": "neon"}, "lighting"),
        ({"model": "no-such-model"}, "model"),
    ],
)
def test_out_of_range_fields_are_400_naming_them(
    client: httpx.Client, photo_url: str, change: dict[str, Any], field: str
) -> None:
    assert field in refused(client, "photoshoot", {"productImage": photo_url, **SHOOT, **change})


def test_a_new_view_on_a_text_only_model_is_400_naming_the_editing_models(client: httpx.Client, photo_url: str) -> None:
    body = {"productImage": photo_url, **SHOOT, "angle": "45-degree", "model": "grok-imagine"}
    message = refused(client, "photoshoot", body)
    assert message.startswith("angle: 45-degree needs a new view of the product, which z-image-turbo cannot make")
    assert "flux2-klein-4b (flux-2-pro, flux-kontext-max): up to 4" in message
    body["angle"] = "front"  # the text-only model inpaints around the product instead
    assert client.post("/api/generate/photoshoot", json=body).status_code == 202


def test_an_image_edit_on_a_text_only_model_is_400_naming_those_that_edit(client: httpx.Client, photo_url: str) -> None:
    message = refused(client, "image", {"prompt": "on a beach", "imageUrl": photo_url, "model": "grok-imagine"})
    assert message.startswith("imageUrl: the model z-image-turbo makes images from text only; models that take images:")
    assert "flux2-klein-4b (flux-2-pro, flux-kontext-max): up to 4" in message


def test_image_edit_inputs_are_checked(client: httpx.Client, photo_url: str, served: tuple[LiveServer, Any]) -> None:
    too_many = {"prompt": "x", "imageUrl": photo_url, "referenceImages": [photo_url] * 4, "model": "flux-kontext-max"}
    assert refused(client, "image", too_many) == (
        "referenceImages: flux2-klein-4b takes at most 4 input images (imageUrl included), not 5"
    )
    loopback = f"{served[0].url}/assets/favicon.svg"
    assert refused(client, "image", {"prompt": "x", "imageUrl": loopback}) == (
        "imageUrl: must resolve to a public address (127.0.0.1 is loopback)"
    )
    r = client.post("/api/generate/image", json={"prompt": "x", "imageUrl": photo_url, "referenceImages": [photo_url]})
    assert r.status_code == 202, r.text
    assert r.json()["data"]["creditsCharged"] == 10
