"""Joining: cuts, crossfades (frame blending), frame-rate normalisation, reading files lazily."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from apexlocal.engines.compose import (
    Segment,
    blend,
    crossfade,
    from_frames,
    layout,
    open_video,
    solid,
    timeline_frames,
)
from apexlocal.errors import JobError

RED, BLUE = (200, 0, 0), (0, 0, 200)


def _frames(segments: list[Segment], fps: float = 10, size: tuple[int, int] = (32, 18)) -> list[np.ndarray]:
    placements, _ = layout(segments)
    return list(timeline_frames(placements, size, fps))


def test_a_hard_cut_switches_on_the_boundary() -> None:
    frames = _frames([Segment(solid(RED, (32, 18), 1.0)), Segment(solid(BLUE, (32, 18), 1.0))])
    assert len(frames) == 20
    assert all(tuple(f[0, 0]) == RED for f in frames[:10])
    assert all(tuple(f[0, 0]) == BLUE for f in frames[10:])


def test_crossfade_frames_are_blends_and_shorten_the_timeline() -> None:
    segments = [Segment(solid(RED, (32, 18), 2.0)), Segment(solid(BLUE, (32, 18), 2.0), transition=crossfade(1.0))]
    _placements, total = layout(segments)
    assert total == pytest.approx(3.0)
    frames = _frames(segments)
    assert len(frames) == 30
    assert tuple(frames[9][0, 0]) == RED and tuple(frames[20][0, 0]) == BLUE
    for n in range(10, 20):  # the crossfade second: weight by frame centre
        w = (n / 10 + 0.05 - 1.0) / 1.0
        expected = np.array(RED) * (1 - w) + np.array(BLUE) * w
        assert np.abs(frames[n][0, 0].astype(float) - expected).max() <= 1.0, n
    reds = [int(f[0, 0, 0]) for f in frames[10:20]]
    assert reds == sorted(reds, reverse=True) and len(set(reds)) == 10


def test_crossfade_longer_than_half_a_clip_is_shortened() -> None:
    placements, total = layout(
        [Segment(solid(RED, (8, 8), 1.0)), Segment(solid(BLUE, (8, 8), 4.0), transition=crossfade(3.0))]
    )
    assert placements[1].fade_in == pytest.approx(0.5)
    assert total == pytest.approx(4.5)


def test_blend_is_a_weighted_mean() -> None:
    a = np.zeros((2, 2, 3), np.uint8)
    b = np.full((2, 2, 3), 200, np.uint8)
    assert blend(a, b, 0.25)[0, 0, 0] == 50
    assert blend(a, b, 0.0) is a and blend(a, b, 1.0) is b


def _counting_clip(fps: float, seconds: float) -> Any:
    count = round(fps * seconds)

    def frames() -> Any:
        for i in range(count):
            yield np.full((4, 4, 3), i, np.uint8)

    return from_frames(frames, fps, duration=seconds)


@pytest.mark.parametrize(
    ("source_fps", "expected"),
    [
        (24, [0, 1, 2, 2, 3, 4, 5, 6, 6, 7]),  # 24 -> 30: every fourth frame repeats
        (60, [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]),  # 60 -> 30: every other frame dropped
        (30, list(range(10))),
    ],
)
def test_frame_rate_is_normalised_by_nearest_timestamp(source_fps: int, expected: list[int]) -> None:
    clip = _counting_clip(source_fps, 2.0)
    frames = list(timeline_frames(layout([Segment(clip)])[0], (4, 4), 30))
    assert len(frames) == 60
    assert [int(f[0, 0, 0]) for f in frames[:10]] == expected


def test_a_segment_longer_than_its_clip_holds_the_last_frame() -> None:
    clip = _counting_clip(10, 1.0)
    frames = list(timeline_frames(layout([Segment(clip, duration=2.0)])[0], (4, 4), 10))
    assert [int(f[0, 0, 0]) for f in frames[-11:]] == [9] * 11


def test_a_still_is_fitted_once_and_shared() -> None:
    frames = _frames([Segment(solid(RED, (64, 64), 1.0), fit="pad")])
    assert all(f is frames[0] for f in frames)


def test_video_files_are_read_lazily_with_seek(write_video: Callable[..., Path], helpers: Any) -> None:
    path = write_video(fps=25, seconds=4.0)
    clip = open_video(path)
    assert (clip.width, clip.height, clip.fps) == (160, 90, 25.0)
    assert clip.duration == pytest.approx(4.0, abs=0.05)
    stream = clip.frames()
    first = next(stream)
    assert first.shape == (90, 160, 3) and helpers.index_of(first) == 0
    stream.close()
    # seconds 2-3 of the file at the file's own rate
    placements, _ = layout([Segment(clip, start=2.0, duration=1.0)])
    indices = [helpers.index_of(f) for f in timeline_frames(placements, (160, 90), 25)]
    assert indices == list(range(50, 75))


def test_rotated_phone_video_is_upright(write_video: Callable[..., Path]) -> None:
    path = write_video(size=(64, 32), seconds=0.4, rotation=-90)  # shown turned 90 degrees clockwise
    clip = open_video(path)
    assert (clip.width, clip.height) == (32, 64)
    frame = next(clip.frames())
    assert frame.shape == (64, 32, 3)
    assert frame[:8, -8:].min() > 200  # the stored top-left corner is now at the top right


def test_bad_segments_are_refused_before_any_work(tmp_path: Path) -> None:
    clip = solid(RED, (8, 8), 1.0)
    with pytest.raises(JobError, match="timeline"):
        layout([])
    with pytest.raises(JobError, match="start"):
        layout([Segment(clip, start=2.0)])
    with pytest.raises(JobError, match="fit"):
        layout([Segment(clip, fit="zoom")])
    (tmp_path / "junk.mp4").write_bytes(b"not a video")
    with pytest.raises(JobError, match=r"junk\.mp4"):
        open_video(tmp_path / "junk.mp4")


def test_frames_of_another_size_than_declared_are_still_fitted() -> None:
    def frames() -> Any:
        for i in range(10):
            yield np.full((20 + 2 * i, 40, 3), 100, np.uint8)  # grows as it goes

    clip = from_frames(frames, 10, duration=1.0, size=(40, 20))
    out = list(timeline_frames(layout([Segment(clip, fit="pad")])[0], (32, 18), 10))
    assert all(f.shape == (18, 32, 3) for f in out)
