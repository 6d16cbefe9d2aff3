"""The MP4 writer: H.264 yuv420p + AAC, index at the front, no partial file on failure."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from apexlocal.engines.video.frames import AudioTrack
from apexlocal.engines.video.mp4 import write_mp4


def frames(count: int, size: tuple[int, int] = (64, 48)) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8) for _ in range(count)]


def test_writes_video_and_late_audio(tmp_path: Path) -> None:
    import av

    path = tmp_path / "out.mp4"
    asked: list[bool] = []

    def samples() -> np.ndarray:
        asked.append(True)
        return np.zeros((2, 16000 * 2), np.float32)

    count = write_mp4(iter(frames(48)), 24, (64, 48), AudioTrack(16000, 2, samples), path)
    assert count == 48 and asked == [True]
    with av.open(str(path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert (video.codec_context.name, video.codec_context.pix_fmt) == ("h264", "yuv420p")
        assert (video.width, video.height, video.frames) == (64, 48, 48)
        assert audio.codec_context.name == "aac" and audio.codec_context.sample_rate == 16000
        assert container.duration is not None and container.duration / 1e6 == pytest.approx(2.0, abs=0.05)
    data = path.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat")
    assert [p.name for p in tmp_path.iterdir()] == ["out.mp4"]


def test_an_error_midway_leaves_no_file(tmp_path: Path) -> None:
    def failing():
        yield from frames(5)
        raise RuntimeError("stopped")

    with pytest.raises(RuntimeError, match="stopped"):
        write_mp4(failing(), 8, (64, 48), None, tmp_path / "out.mp4")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("size", "frame_size", "message"),
    [((63, 48), (63, 48), "needs even sizes, got 63x48"), ((64, 48), (32, 48), "frame 0 is 32x48, not 64x48")],
)
def test_bad_sizes_are_refused(
    tmp_path: Path, size: tuple[int, int], frame_size: tuple[int, int], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        write_mp4(iter(frames(2, frame_size)), 8, size, None, tmp_path / "out.mp4")
    assert list(tmp_path.iterdir()) == []
