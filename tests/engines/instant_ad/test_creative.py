"""Drawing the creatives: every platform's size, the product's name readable in the drawn text
(Tesseract OCR reads it back), a brand's colours laid over the style with readable text on them,
the video's frames ending on the still creative, and a loopback page refused by the fetcher when
private inputs are off."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from apexlocal.engines.instant_ad import pictures
from apexlocal.engines.instant_ad.copywriting import Variation
from apexlocal.engines.instant_ad.creative import flatten, render_parts
from apexlocal.engines.instant_ad.look import STYLES, look_for, readable_on
from apexlocal.engines.instant_ad.request import IMAGE_SIZES, VIDEO_FPS, VIDEO_SECONDS
from apexlocal.engines.instant_ad.video import frames
from apexlocal.errors import BadRequest
from apexlocal.jobs.inputs import fetch_remote
from tests.conftest import make_settings

AD = Variation("Aurora Steel Bottle: cold all day", "Double-walled steel keeps water cold.", "Shop now", "benefit")


def ocr(picture: Image.Image, tmp_path: Path) -> str:
    tesseract = shutil.which("tesseract")
    assert tesseract, "install Debian's tesseract-ocr (listed in .ci/run) to read the drawn text back"
    path = tmp_path / "ocr.png"
    picture.save(path)
    done = subprocess.run([tesseract, str(path), "stdout"], capture_output=True, text=True, timeout=120, check=True)
    return " ".join(re.sub(r"[^\w\s]", " ", done.stdout).split()).casefold()


def product() -> Image.Image:
    photo = Image.new("RGB", (300, 450), (230, 230, 235))
    photo.paste((30, 90, 150), (110, 60, 190, 420))
    return pictures.on_card(photo)


@pytest.mark.parametrize(
    ("platform", "style"),
    [
        ("tiktok", "bold"),
        ("linkedin", "luxury"),
        ("instagram", "playful"),
        ("youtube", "minimal"),
        ("facebook", "modern"),
    ],
)
def test_the_product_name_is_drawn_readably_at_the_platforms_size(platform, style, tmp_path):
    size = IMAGE_SIZES[platform]
    backdrop = pictures.gradient(size, (200, 30, 30), (20, 20, 120))
    picture = flatten(render_parts(size, look_for(style, None), AD, backdrop, product(), None))
    assert picture.size == size
    assert "aurora steel bottle" in ocr(picture, tmp_path)


def test_a_brands_colours_and_font_replace_the_styles():
    brand = {"colors": ["#ffee00", "#101010"], "font": "liberation-serif"}
    look = look_for("modern", brand)
    assert (look.accent, look.panel, look.font) == ((255, 238, 0), (16, 16, 16), "liberation-serif")
    assert look.accent_text == (17, 17, 17) and look.text == (255, 255, 255)  # readable on each
    assert readable_on((255, 255, 255)) == (17, 17, 17) and look_for("modern", None) == STYLES["modern"]


def test_the_logo_goes_in_the_top_left_corner():
    size = IMAGE_SIZES["instagram"]
    logo = Image.new("RGBA", (200, 100), (255, 0, 0, 255))
    picture = flatten(render_parts(size, STYLES["minimal"], AD, Image.new("RGB", size, "white"), None, logo))
    pixels = np.asarray(picture)
    assert (pixels[60:100, 60:100] == (255, 0, 0)).all()


def test_the_videos_last_frame_is_the_still_creative():
    size = (360, 640)
    parts = render_parts(size, STYLES["bold"], AD, pictures.gradient(size, (0, 0, 0), (90, 90, 90)), product(), None)
    made = list(frames(parts, VIDEO_SECONDS, VIDEO_FPS))
    assert len(made) == VIDEO_SECONDS * VIDEO_FPS and made[0].shape == (640, 360, 3)
    still = np.asarray(flatten(parts)).astype(int)
    # The backdrop has zoomed by 8% by the end; the copy panel and the product are where the still has them.
    assert np.abs(made[-1].astype(int) - still)[380:600, 40:320].mean() < 4
    assert np.abs(made[0].astype(int) - still)[380:600, 40:320].mean() > 20  # the copy fades in


def test_a_loopback_page_is_refused_by_the_fetcher_when_private_inputs_are_off(tmp_path, models_dir):
    settings = make_settings(tmp_path / "data", models_dir)
    assert not settings.inputs_allow_private
    with pytest.raises(BadRequest, match=r"^websiteUrl: "):
        fetch_remote(settings, "http://127.0.0.1:9/product", "websiteUrl", ("text/html",), tmp_path)
