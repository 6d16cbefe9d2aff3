"""Instant ads end to end with the tiny set, through one real `apexlocal serve` process (its
writer the packaged SmolLM2-135M, its backgrounds the tiny image model, its product cut-out
U2-Net-p, its music the packaged library) and one product site served by the test on loopback
(input URLs on loopback are allowed on this server: `inputs_allow_private`).

The site: a product page with a JSON-LD Product (name, price, image) and OpenGraph tags, the
product's PNG, a page that answers 404, a JSON document, and an HTML page with nothing in it.
What is checked: `count: 3, outputFormat: both` gives three PNGs at TikTok's 1080x1920 whose drawn
text, read back by Tesseract OCR, holds the product's name, and three MP4s (720x1280, 6 s, H.264
+ AAC), with the brand profile's logo drawn and its banned words kept out of the copy; the
metadata's variationCount, platform, format and copy; and every page that cannot make
an ad fails with its reason, refunded, leaving nothing. The refusal of a loopback URL when private
inputs are off is at submit (tests/products/instant_ad/test_instant_ad_routes.py)."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests import loopback
from tests.conftest import ServerProcess
from tests.e2e.helpers import ledger_balanced, wait_job
from tests.products.live import Stages, api, assert_stages, tiny_server, upload

# The jobs run back to back on one worker; on a CPU shared with other work the writer is slow.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]

PRODUCT = "Aurora Steel Bottle"
BANNED = ["cheap", "buy"]  # the brand's banned words; the small model likes "buy"
COSTS = {"image": 500, "video": 1000, "both": 1250}


def bottle_png() -> bytes:
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (360, 540), (236, 238, 242))
    draw = ImageDraw.Draw(picture)
    draw.rounded_rectangle((120, 90, 240, 500), radius=45, fill=(28, 96, 160))
    draw.rectangle((150, 40, 210, 95), fill=(35, 35, 35))
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


def red_square_png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 64), (220, 0, 0)).save(out, format="PNG")
    return out.getvalue()


def product_page() -> bytes:
    ld = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": PRODUCT,
        "image": "/img/bottle.png",
        "description": "A double-walled steel bottle that keeps water cold for 24 hours.",
        "brand": {"@type": "Brand", "name": "Aurora"},
        "offers": {"@type": "Offer", "price": "29.00", "priceCurrency": "USD"},
    }
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Aurora Steel Bottle | Aurora</title>"
        f"<meta property='og:title' content='{PRODUCT}'><meta property='og:image' content='/img/bottle.png'>"
        f"<script type='application/ld+json'>{json.dumps(ld)}</script></head><body><h1>{PRODUCT}</h1>"
        "<p>Our double-walled steel bottle keeps water cold for 24 hours and hot for 12. It is made from "
        "recycled steel, fits every cup holder and never leaks in a bag.</p></body></html>"
    ).encode()


class Site(BaseHTTPRequestHandler):
    pages: ClassVar[dict[str, tuple[int, str, bytes]]] = {}

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        status, kind, body = self.pages.get(self.path, (404, "text/html", b"<h1>Not found</h1>"))
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    Site.pages = {
        "/product": (200, "text/html; charset=utf-8", product_page()),
        "/img/bottle.png": (200, "image/png", bottle_png()),
        "/data.json": (200, "application/json", b'{"name": "Aurora Steel Bottle"}'),
        "/empty": (200, "text/html", b"<html><head></head><body>  </body></html>"),
    }
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Iterator[ServerProcess]:
    # One torch thread in the server: on a CPU shared with other work, two threads spin against each
    # other and the writer's one-token steps slow down many times over (the tiny models lose nothing).
    with pytest.MonkeyPatch.context() as env:
        env.setenv("OMP_NUM_THREADS", "1")
        with tiny_server(tmp_path_factory, models_dir, "instant-ad-e2e") as srv:
            yield srv


@pytest.fixture(scope="module")
def submitted(server: ServerProcess, site: str) -> dict[str, Any]:
    bodies = {
        "missing": {"websiteUrl": f"{site}/gone", "platform": "instagram", "count": 1, "style": "bold"},
        "json": {
            "websiteUrl": f"{site}/data.json",
            "platform": "youtube",
            "count": 2,
            "style": "minimal",
            "outputFormat": "video",
        },
        "empty": {"websiteUrl": f"{site}/empty", "platform": "linkedin", "count": 1, "style": "luxury"},
        "both": {
            "websiteUrl": f"{site}/product",
            "platform": "tiktok",
            "count": 3,
            "style": "modern",
            "outputFormat": "both",
        },
    }
    ids, stages = {}, {}  # the pages that fail go first: their answers come while the ad is made
    with api(server) as client:
        logo = upload(client, "image", "logo.png", red_square_png(), "image/png")
        brand = {"name": "Aurora", "colors": ["#0a7cff", "#ffffff"], "logoUrl": logo, "bannedWords": BANNED}
        r = client.post("/api/brand-profiles", json=brand)
        assert r.status_code == 201, r.text
        bodies["both"]["brandProfileId"] = r.json()["data"]["id"]
        before = client.get("/api/usage").json()["data"]["credits"]
        for name, body in bodies.items():
            r = client.post("/api/generate/instant-ad", json=body)
            assert r.status_code == 202, r.text
            assert r.json()["data"]["creditsCharged"] == COSTS[body.get("outputFormat", "image")]
            ids[name] = r.json()["data"]["jobId"]
            stages[name] = Stages(server, ids[name])
            stages[name].start()
    return {"ids": ids, "stages": stages, "credits": before, "brand": bodies["both"]["brandProfileId"]}


def ended(server: ServerProcess, submitted: dict[str, Any], name: str) -> dict[str, Any]:
    job = wait_job(server.url, server.owner_key, submitted["ids"][name], timeout=1700)
    submitted["stages"][name].join(30)
    return job


def ocr(path: Path) -> str:
    tesseract = shutil.which("tesseract")
    assert tesseract, "install Debian's tesseract-ocr (listed in .ci/run) to read the drawn text back"
    # Tesseract's page layout (the default) can pass over a large bold headline on a busy
    # background that its sparse-text mode reads (seen on a clean run): the text is both readings.
    readings = [
        subprocess.run([tesseract, str(path), "stdout", *mode], capture_output=True, text=True, timeout=120, check=True)
        for mode in ([], ["--psm", "11"])
    ]
    return " ".join(re.sub(r"[^\w\s]", " ", " ".join(r.stdout for r in readings)).split()).casefold()


def reads_in_order(words: str, read: str) -> bool:
    """Whether the words were read back in their order, stray marks between them aside (Tesseract
    once read an "i" between two words of a headline)."""
    remaining = iter(read.split())
    return all(word in remaining for word in words.casefold().split())


def fetch(url: str, dest: Path) -> Path:
    r = loopback.get(url, timeout=30)
    assert r.status_code == 200
    dest.write_bytes(r.content)
    return dest


def test_three_variations_as_images_and_videos(server, submitted, tmp_path):
    import av
    from PIL import Image

    job = ended(server, submitted, "both")
    assert job["status"] == "completed", job
    meta = job["metadata"]
    assert (meta["variationCount"], meta["platform"], meta["format"]) == (3, "tiktok", "both")
    assert meta["product"]["name"] == PRODUCT and meta["product"]["price"] == "29.00 USD"
    assert meta["product"]["image"].endswith("/img/bottle.png") and meta["product"]["placement"].startswith("cutout:")
    assert meta["background"].startswith("generated:") and meta["music"]["source"] == "library"
    assert len(meta["variations"]) == 3 and meta["brandProfileId"] == submitted["brand"]
    for variation in meta["variations"]:
        assert set(variation) == {"headline", "body", "callToAction", "angle"}
        assert PRODUCT.casefold() in variation["headline"].casefold() and variation["callToAction"]
        words = re.findall(r"\w+", " ".join(variation.values()).casefold())
        assert not set(BANNED) & set(words), variation

    images = [o for o in job["outputs"] if o["type"] == "image/png"]
    videos = [o for o in job["outputs"] if o["type"] == "video/mp4"]
    assert [o["variation"] for o in images] == [1, 2, 3] and [o["variation"] for o in videos] == [1, 2, 3]
    for i, out in enumerate(images, start=1):
        path = fetch(out["url"], tmp_path / f"ad-{i}.png")
        picture = Image.open(path).convert("RGB")
        assert picture.size == (1080, 1920)
        red = picture.getpixel((100, 100))  # inside the brand's logo, in the top-left corner
        assert abs(red[0] - 220) <= 3 and red[1] <= 3 and red[2] <= 3, red
        read = ocr(path)
        assert reads_in_order(PRODUCT, read), (i, read)
    for i, out in enumerate(videos, start=1):
        path = fetch(out["url"], tmp_path / f"ad-{i}.mp4")
        with av.open(str(path)) as container:
            video, audio = container.streams.video[0], container.streams.audio[0]
            assert (video.width, video.height) == (720, 1280)
            assert (video.codec_context.name, audio.codec_context.name) == ("h264", "aac")
            assert container.duration is not None and abs(container.duration / 1e6 - 6.0) <= 0.1
    assert_stages(submitted["stages"]["both"].seen, ["reading page", "writing", "drawing"], brief=("reading page",))


def assert_refunded(server: ServerProcess, job: dict[str, Any]) -> None:
    assert job["creditsRefunded"] == job["creditsCharged"] > 0 and job["outputs"] == []
    assert not (server.data_dir / "scratch" / job["jobId"]).exists()


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("missing", "websiteUrl: could not be fetched (HTTP 404)"),
        ("json", "websiteUrl: expected text/html, application/xhtml+xml, got application/json"),
        ("empty", "websiteUrl: the page has no usable content (no product name, title or readable text found)"),
    ],
)
def test_a_page_that_cannot_make_an_ad_fails_with_the_reason_refunded(server, submitted, name, error):
    job = ended(server, submitted, name)
    assert (job["status"], job["error"]) == ("failed", error), job
    assert_refunded(server, job)


def test_only_the_completed_ad_is_paid_for(server, submitted):
    for name in submitted["ids"]:
        ended(server, submitted, name)
    with api(server) as client:
        assert client.get("/api/usage").json()["data"]["credits"] == submitted["credits"] - COSTS["both"]
    ledger_balanced(server.data_dir / "app.db")
