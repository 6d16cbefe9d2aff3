"""Sizes and fitting: named resolutions per aspect ratio, letterbox / crop / stretch geometry."""

from __future__ import annotations

import numpy as np
import pytest

from apexlocal.engines.compose import fit_frame, plan_fit, resolve_size
from apexlocal.engines.compose.sizes import aspect_of
from apexlocal.errors import JobError

EXPECTED = {
    ("480p", "16:9"): (854, 480),
    ("720p", "16:9"): (1280, 720),
    ("1080p", "16:9"): (1920, 1080),
    ("480p", "9:16"): (480, 854),
    ("720p", "9:16"): (720, 1280),
    ("1080p", "9:16"): (1080, 1920),
    ("480p", "1:1"): (480, 480),
    ("720p", "1:1"): (720, 720),
    ("1080p", "1:1"): (1080, 1080),
    ("480p", "4:5"): (480, 600),
    ("720p", "4:5"): (720, 900),
    ("1080p", "4:5"): (1080, 1350),
}
TARGETS = {"16:9": (320, 180), "9:16": (180, 320), "1:1": (200, 200), "4:5": (200, 250)}


@pytest.mark.parametrize(("name", "aspect"), list(EXPECTED))
def test_named_resolutions_are_even_and_of_their_aspect(name: str, aspect: str) -> None:
    width, height = resolve_size(name, aspect)
    assert (width, height) == EXPECTED[(name, aspect)]
    assert width % 2 == 0 and height % 2 == 0
    assert aspect_of(width, height) == aspect


def test_unknown_names_are_refused() -> None:
    with pytest.raises(JobError, match="resolution"):
        resolve_size("4k", "16:9")
    with pytest.raises(JobError, match="aspect"):
        resolve_size("720p", "21:9")


def _white(width: int, height: int) -> np.ndarray:
    return np.full((height, width, 3), 255, np.uint8)


def _content_rows_and_cols(frame: np.ndarray) -> tuple[int, int]:
    bright = frame.mean(axis=2) > 128
    return int(bright.any(axis=1).sum()), int(bright.any(axis=0).sum())


@pytest.mark.parametrize("aspect", list(TARGETS))
def test_letterbox_keeps_the_whole_picture_inside_colored_bars(aspect: str) -> None:
    target = TARGETS[aspect]
    source = _white(640, 360)  # 16:9
    out = fit_frame(source, target, "pad", color=(10, 20, 30))
    assert out.shape == (target[1], target[0], 3)
    rows, cols = _content_rows_and_cols(out)
    scale = min(target[0] / 640, target[1] / 360)
    assert abs(rows - 360 * scale) <= 1 and abs(cols - 640 * scale) <= 1
    # the bars are the pad colour, and split evenly around the picture
    plan = plan_fit((640, 360), target, "pad", color=(10, 20, 30))
    x, y, w, h = plan.content_box
    assert abs(x - (target[0] - x - w)) <= 1 and abs(y - (target[1] - y - h)) <= 1
    if y > 0:
        assert (out[0, 0] == (10, 20, 30)).all() and (out[-1, -1] == (10, 20, 30)).all()


@pytest.mark.parametrize("aspect", list(TARGETS))
def test_crop_fills_the_frame_and_keeps_the_centre(aspect: str) -> None:
    target = TARGETS[aspect]
    source = np.zeros((360, 640, 3), np.uint8)
    source[:, 310:330] = 255  # a white stripe at the centre
    source[:, :10] = (255, 0, 0)  # red at the far left edge, cut away by any narrower target
    out = fit_frame(source, target, "crop")
    assert out.shape == (target[1], target[0], 3)
    centre = out[:, target[0] // 2]
    assert centre.min() > 200  # the stripe is in the middle, top to bottom
    if target[0] / target[1] < 640 / 360:
        assert out[:, 0, 0].max() < 50  # the red edge was cropped


def test_crop_anchor_and_box_choose_what_is_kept() -> None:
    source = np.zeros((360, 640, 3), np.uint8)
    source[:, :40] = (255, 0, 0)
    left = fit_frame(source, (180, 320), "crop", anchor=(0.0, 0.5))
    assert left[:, 0, 0].min() > 200
    boxed = fit_frame(source, (100, 100), "crop", box=(0, 0, 40, 40))
    assert boxed[..., 0].min() > 200  # the box held only red
    with pytest.raises(JobError, match="crop box"):
        plan_fit((640, 360), (100, 100), "crop", box=(600, 0, 100, 100))


def test_stretch_ignores_the_aspect_ratio() -> None:
    out = fit_frame(_white(640, 360), (100, 100), "stretch")
    assert out.shape == (100, 100, 3) and out.min() == 255


def test_decoded_frames_scale_like_arrays() -> None:
    import av

    source = np.zeros((360, 640, 3), np.uint8)
    source[:, :320] = (200, 40, 40)
    source[:, 320:] = (40, 40, 200)
    decoded = av.VideoFrame.from_ndarray(source, format="rgb24")
    a = fit_frame(source, (180, 320), "pad").astype(int)
    b = fit_frame(decoded, (180, 320), "pad").astype(int)
    assert a.shape == b.shape
    assert np.abs(a - b).mean() < 2


def test_identity_fit_does_not_copy() -> None:
    frame = _white(64, 36)
    assert fit_frame(frame, (64, 36)) is frame


@pytest.mark.parametrize(
    ("size", "mode", "anchor", "box"),
    [
        ((1080, 1920), "crop", (0.5, 0.5), None),
        ((1080, 1920), "crop", (0.2, 0.7), None),
        ((720, 1280), "crop", (1.0, 0.0), (10, 6, 120, 80)),
        ((1080, 1920), "pad", (0.5, 0.5), None),
        ((480, 480), "stretch", (0.5, 0.5), None),
    ],
)
def test_only_the_visible_part_is_scaled_with_the_pixels_of_scaling_it_all(
    size: tuple[int, int], mode: str, anchor: tuple[float, float], box: tuple[int, int, int, int] | None
) -> None:
    from PIL import Image

    source = np.random.default_rng(4).integers(0, 256, (96, 160, 3), dtype=np.uint8)
    plan = plan_fit((160, 96), size, mode, box, (9, 9, 9), anchor)
    cut = source if box is None else source[box[1] : box[1] + box[3], box[0] : box[0] + box[2]]
    whole = np.asarray(Image.fromarray(np.ascontiguousarray(cut)).resize(plan.scaled, Image.Resampling.BICUBIC))
    expected = np.full((size[1], size[0], 3), 9, np.uint8)
    x, y, w, h = plan.content_box
    ox, oy = plan.offset
    expected[y : y + h, x : x + w] = whole[y - oy : y - oy + h, x - ox : x - ox + w]
    fitted = fit_frame(source, size, mode, box, (9, 9, 9), anchor)
    assert fitted.shape == expected.shape
    assert np.abs(fitted.astype(int) - expected).max() <= 1
