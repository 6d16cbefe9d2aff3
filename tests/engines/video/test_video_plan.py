"""Pure parts of the video engine: clip plans, request parsing, scaling boxes, sound joining."""

from __future__ import annotations

import numpy as np
import pytest

from apexlocal.engines.video.frames import cover_box, join_audio, scaled
from apexlocal.engines.video.plan import native_geometry, plan_clips, valid_frames
from apexlocal.engines.video.request import RESOLUTIONS, parse_request
from apexlocal.errors import ModelError
from apexlocal.models.manifest import Manifest


@pytest.mark.parametrize(
    ("total", "clip_frames", "step"),
    [
        (1, 41, 4),
        (32, 41, 4),
        (41, 41, 4),
        (42, 41, 4),
        (160, 41, 4),
        (82, 81, 4),
        (480, 121, 4),
        (2880, 121, 4),
        (96, 41, 8),
        (2880, 121, 8),
        (50, 9, 8),
        (121, 80, 4),
    ],
)
def test_plans_give_exactly_the_frames_and_continue_from_real_frames(total: int, clip_frames: int, step: int) -> None:
    plans = plan_clips(total, clip_frames, step)
    assert sum(p.keep for p in plans) == total
    assert [p.index for p in plans] == list(range(1, len(plans) + 1))
    assert all(p.count == len(plans) for p in plans)
    for plan in plans:
        assert (plan.generate - 1) % step == 0 and plan.generate <= max(clip_frames, step + 1)
        assert plan.keep >= 1 and plan.keep_from + plan.keep <= plan.generate
        assert plan.keep_from == (1 if plan.continues else 0)
    # Every clip but the last keeps all it made: the next one starts from its real last frame.
    assert all(p.keep_from + p.keep == p.generate for p in plans[:-1])


def test_valid_frames() -> None:
    assert [valid_frames(n, 4) for n in (1, 2, 5, 6, 81, 82)] == [5, 5, 5, 9, 81, 85]
    assert valid_frames(121, 8) == 121 and valid_frames(122, 8) == 129


def test_resolutions_are_16_9_and_even() -> None:
    assert RESOLUTIONS == {"480p": (854, 480), "720p": (1280, 720), "1080p": (1920, 1080)}
    assert all(w % 2 == 0 and h % 2 == 0 for w, h in RESOLUTIONS.values())


def test_request_defaults_and_style(video_manifest: Manifest) -> None:
    model = video_manifest.resolve("wan-2.6")
    assert model is not None
    request = parse_request({"prompt": "  a  cat  ", "style": "aerial"}, model)
    assert request.prompt.startswith("a cat, aerial drone shot") and "ground level" in request.negative_prompt
    assert (request.duration_s, request.resolution, request.model_name) == (5.0, "720p", model.id)
    assert 0 <= request.seed < 2**32
    assert parse_request({"script": "x", "duration": 2.5}, model).frame_count(24) == 60


def test_native_geometry_of_each_set(video_manifest: Manifest) -> None:
    model = video_manifest.by_id()["wan2.2-ti2v-5b"]
    full, tiny = native_geometry(model, "full"), native_geometry(model, "tiny")
    assert (full.width, full.height, full.fps, full.frames) == (1280, 704, 24, 121)
    assert (tiny.width, tiny.height, tiny.fps) == (160, 96, 8)
    with pytest.raises(ModelError, match=r"defaults\.width"):
        native_geometry(video_manifest.by_id()["flux2-klein-4b"], "full")


def test_cover_box_crops_the_least() -> None:
    assert cover_box((160, 96), (1280, 720)) == pytest.approx((0.0, 3.0, 160.0, 93.0))
    assert cover_box((768, 512), (854, 480)) == pytest.approx((0.0, 40.16, 768.0, 471.84), abs=0.01)
    assert cover_box((1280, 720), (1280, 720)) == (0.0, 0.0, 1280.0, 720.0)


def test_scaled_frames_have_the_output_size() -> None:
    frames = [np.full((96, 160, 3), i, np.uint8) for i in (10, 200)]
    out = list(scaled(frames, (854, 480)))
    assert [f.shape for f in out] == [(480, 854, 3)] * 2 and out[1].mean() == pytest.approx(200, abs=1)
    same = np.zeros((480, 854, 3), np.uint8)
    assert next(scaled([same], (854, 480))) is same


def test_join_audio_slices_pads_and_cuts() -> None:
    rate = 100
    a = np.ones((2, 300), np.float32)
    b = np.full((1, 300), 0.5, np.float32)
    joined = join_audio([(a, 0.0, 2.0), (b, 1.0, 1.5)], rate, 2, 4.0)
    assert joined.shape == (2, 400)
    assert (joined[:, :200] == 1).all() and (joined[:, 200:350] == 0.5).all() and (joined[:, 350:] == 0).all()
    assert join_audio([(a, 0.0, 3.0)], rate, 2, 1.0).shape == (2, 100)
