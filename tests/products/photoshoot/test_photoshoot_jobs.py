"""Photoshoot and image-edit jobs end to end with the tiny set, through one real `apexlocal serve`:
a real photo of an object on a plain background (tests/engines/cutout/product_photo.py) uploaded,
four shots made, each keeping the product's own pixels where the cut-out found it and a scene of
the model's around it; the inputs that must fail and refund (a 1x1 picture, a truncated PNG, a
photo with no object, a 404 URL); and an edit through FLUX.2 [klein]'s editing pipeline.

The jobs are submitted together at the start, so the worker runs them back to back while the
tests read their results in turn.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from PIL import Image

from apexlocal.engines.photoshoot.relight import MAX_CHANGE
from tests import loopback
from tests.conftest import ServerProcess
from tests.e2e.helpers import ledger_balanced, wait_job
from tests.engines.cutout.product_photo import BACKDROP, product_photo
from tests.engines.photoshoot.test_photoshoot_engine import BEFORE_RELIGHT_BOUND, expected_product, relight_of
from tests.products.live import Stages, api, assert_stages, not_found_url, upload

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

COST, IMAGE_COST = 30, 10
SHOOT = {"background": "studio-white", "angle": "front", "lighting": "studio"}


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def missing_url() -> Iterator[str]:
    with not_found_url("product.png") as url:
        yield url


@pytest.fixture(scope="module")
def submitted(server: ServerProcess, missing_url: str) -> dict[str, Any]:
    noise = png(Image.effect_noise((160, 160), 80).convert("RGB"))
    with api(server) as client:
        credits = client.get("/api/usage").json()["data"]["credits"]
        photo = upload(client, "image", "bottle.png", product_photo().png(), "image/png")
        urls = {
            "dot": upload(client, "image", "dot.png", png(Image.new("RGB", (1, 1), (255, 0, 0))), "image/png"),
            "truncated": upload(client, "image", "cut.png", noise[: len(noise) // 2], "image/png"),
            "blank": upload(client, "image", "blank.png", png(Image.new("RGB", (320, 240), BACKDROP)), "image/png"),
        }
        bodies = {
            "shoot": ("photoshoot", {"productImage": photo, **SHOOT, "count": 4, "seed": 5}),
            **{name: ("photoshoot", {"productImage": url, **SHOOT, "count": 1}) for name, url in urls.items()},
            "missing": ("photoshoot", {"productImage": missing_url, **SHOOT, "count": 1}),
            "edit": (
                "image",
                {
                    "prompt": "the bottle on a beach",
                    "imageUrl": photo,
                    "model": "flux-kontext-max",
                    "width": 256,
                    "height": 256,
                    "steps": 2,
                    "seed": 3,
                },
            ),
        }
        ids, stages = {}, {}
        for name, (path, body) in bodies.items():
            r = client.post(f"/api/generate/{path}", json=body)
            assert r.status_code == 202, r.text
            ids[name] = r.json()["data"]["jobId"]
            stages[name] = Stages(server, ids[name])
            stages[name].start()
    return {"ids": ids, "stages": stages, "credits": credits}


def ended(server: ServerProcess, submitted: dict[str, Any], name: str) -> dict[str, Any]:
    job = wait_job(server.url, server.owner_key, submitted["ids"][name], timeout=600)
    submitted["stages"][name].join(30)
    return job


def fetch_png(output: dict[str, Any]) -> np.ndarray:
    r = loopback.get(output["url"], timeout=30)
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(r.content)) as image:
        assert (image.format, image.mode) == ("PNG", "RGB")
        return np.asarray(image, np.float64)


def test_four_shots_keep_the_product_and_change_the_scene(server: ServerProcess, submitted: dict[str, Any]) -> None:
    job = ended(server, submitted, "shoot")
    assert job["status"] == "completed", job
    assert (job["type"], job["outputType"], len(job["outputs"])) == ("photoshoot", "image/png", 4)
    meta = job["metadata"]
    assert (meta["photoCount"], meta["background"], meta["lighting"]) == (4, "studio-white", "studio")
    assert meta["seeds"] == [5, 6, 7, 8] and meta["cutoutModel"] == "u2netp"
    photo = product_photo()
    for output, seed in zip(job["outputs"], meta["seeds"], strict=True):
        assert (output["seed"], output["background"], output["angle"], output["lighting"]) == (
            seed,
            "studio-white",
            "front",
            "studio",
        )
        assert output["newView"] is False and output["productPixels"] == "original"
        shot = fetch_png(output)
        assert shot.shape == (512, 512, 3) == (output["height"], output["width"], 3)
        x0, y0, x1, y1 = output["productBox"]
        expected, inside = expected_product(photo, output)
        got = shot[y0:y1, x0:x1]
        # Before relighting: the photo's own pixels; the relighting's change stays within its bound.
        unlit = got / relight_of(output, (x1 - x0, y1 - y0))
        assert np.abs(unlit - expected)[inside].mean() < BEFORE_RELIGHT_BOUND
        assert np.abs(got - expected)[inside].mean() <= MAX_CHANGE * expected[inside].mean() + BEFORE_RELIGHT_BOUND
        # Outside the product (and its shadows) the scene is not the photo's plain backdrop.
        outside = np.ones(shot.shape[:2], bool)
        outside[max(0, y0 - 10) : y1 + 80, max(0, x0 - 10) : x1 + 10] = False
        assert np.abs(shot - np.array(BACKDROP))[outside].mean() > 20
    assert_stages(submitted["stages"]["shoot"].seen, ["cut-out", "generating", "compositing"], brief=("compositing",))


def assert_failed_and_refunded(server: ServerProcess, job: dict[str, Any], error: str) -> None:
    assert job["status"] == "failed", job
    assert job["error"].startswith(error), job
    assert job["creditsRefunded"] == job["creditsCharged"] == COST and job["outputs"] == []
    assert not [p for p in (server.data_dir / "files").rglob("*") if job["jobId"] in str(p)]


def test_a_1x1_picture_fails_and_is_refunded(server: ServerProcess, submitted: dict[str, Any]) -> None:
    job = ended(server, submitted, "dot")
    assert_failed_and_refunded(server, job, "productImage: the picture is 1x1 pixels; at least 64x64 is needed")


def test_a_truncated_png_fails_and_is_refunded(server: ServerProcess, submitted: dict[str, Any]) -> None:
    job = ended(server, submitted, "truncated")
    assert_failed_and_refunded(server, job, "productImage: not a readable picture (truncated or corrupt file")


def test_a_photo_with_no_object_fails_and_is_refunded(server: ServerProcess, submitted: dict[str, Any]) -> None:
    job = ended(server, submitted, "blank")
    assert_failed_and_refunded(server, job, "productImage: no object found in the photo")


def test_a_404_product_url_fails_and_is_refunded(server: ServerProcess, submitted: dict[str, Any]) -> None:
    job = ended(server, submitted, "missing")
    assert_failed_and_refunded(server, job, "productImage: could not be fetched (HTTP 404)")


def test_an_edit_goes_through_the_editing_pipeline(server: ServerProcess, submitted: dict[str, Any]) -> None:
    job = ended(server, submitted, "edit")
    assert job["status"] == "completed", job
    meta = job["metadata"]
    assert (meta["pipeline"], meta["inputImages"], meta["modelId"]) == ("Flux2KleinPipeline", 1, "flux2-klein-4b")
    assert fetch_png(job["outputs"][0]).shape == (256, 256, 3)


def test_credits_stay_balanced(server: ServerProcess, submitted: dict[str, Any]) -> None:
    for name in submitted["ids"]:
        ended(server, submitted, name)
    with api(server) as client:
        assert client.get("/api/usage").json()["data"]["credits"] == submitted["credits"] - COST - IMAGE_COST
    ledger_balanced(server.data_dir / "app.db")
