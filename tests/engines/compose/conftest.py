"""Fixtures of the composition tests: small media files made with PyAV, FFmpeg's own loudness
meter (the `imageio-ffmpeg` binary) as an independent check, and decoding helpers."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest


@pytest.fixture(scope="session")
def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


@pytest.fixture(scope="session")
def ebur128(ffmpeg_exe: str) -> Callable[[Path], dict[str, float]]:
    """FFmpeg's EBU R128 meter on a file: integrated loudness (LUFS) and true peak (dBTP)."""

    def measure(path: Path) -> dict[str, float]:
        out = subprocess.run(
            [
                ffmpeg_exe,
                "-hide_banner",
                "-nostats",
                "-i",
                str(path),
                "-vn",
                "-af",
                "ebur128=peak=true",
                "-f",
                "null",
                "-",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stderr
        summary = out[out.rindex("Summary:") :]
        loudness = re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary)
        peak = re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary)
        assert loudness and peak, summary
        return {"I": float(loudness.group(1)), "peak": float(peak.group(1))}

    return measure


def frame_color(index: int) -> tuple[int, int, int]:
    """A colour that names a frame index (0-255) and survives lossy coding (steps of 8 levels)."""
    return (index % 32) * 8 + 4, (index // 32) * 32 + 16, 128


def index_of(frame: np.ndarray) -> int:
    low = int(float(frame[..., 0].mean()) // 8)
    high = int(float(frame[..., 1].mean()) // 32)
    return high * 32 + low


@pytest.fixture
def write_video(tmp_path: Path) -> Callable[..., Path]:
    """write_video(name, size=(w, h), fps, seconds, tone_hz=None, rotation=None) -> a real MP4
    whose frame i is flat `frame_color(i)`, with a stereo tone when `tone_hz`."""
    import av

    def write(
        name: str = "in.mp4",
        size: tuple[int, int] = (160, 90),
        fps: int = 25,
        seconds: float = 2.0,
        tone_hz: float | None = None,
        rotation: int | None = None,
        amplitude: float = 0.3,
    ) -> Path:
        path = tmp_path / name
        with av.open(str(path), "w") as container:
            video = container.add_stream("libx264", rate=fps, options={"crf": "10", "preset": "ultrafast"})
            video.width, video.height, video.pix_fmt = size[0], size[1], "yuv420p"
            if rotation is not None:
                video.set_display_rotation(rotation)
            audio = container.add_stream("aac", rate=48000, layout="stereo") if tone_hz else None
            for i in range(round(seconds * fps)):
                rgb = np.empty((size[1], size[0], 3), np.uint8)
                rgb[:] = frame_color(i)
                if rotation is not None:
                    rgb[: size[1] // 4, : size[0] // 4] = 255  # a white top-left corner marks the orientation
                for packet in video.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                    container.mux(packet)
            for packet in video.encode():
                container.mux(packet)
            if audio is not None and tone_hz:
                t = np.arange(round(seconds * 48000)) / 48000
                tone = (amplitude * np.sin(2 * np.pi * tone_hz * t)).astype(np.float32)
                for start in range(0, tone.size, 1024):
                    piece = np.ascontiguousarray(np.stack([tone[start : start + 1024]] * 2))
                    frame = av.AudioFrame.from_ndarray(piece, format="fltp", layout="stereo")
                    frame.sample_rate, frame.pts = 48000, start
                    for packet in audio.encode(frame):
                        container.mux(packet)
                for packet in audio.encode():
                    container.mux(packet)
        return path

    return write


def decode_frames(path: Path) -> list[np.ndarray]:
    import av

    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def decode_audio(path: Path) -> np.ndarray:
    """The file's audio as (n, 2) float32 at 48 kHz."""
    import av

    with av.open(str(path)) as container:
        resampler = av.AudioResampler(format="flt", layout="stereo", rate=48000)
        pieces = [
            f.to_ndarray().reshape(-1, 2) for frame in container.decode(audio=0) for f in resampler.resample(frame)
        ]
        pieces += [f.to_ndarray().reshape(-1, 2) for f in resampler.resample(None)]
    return np.concatenate(pieces)


@pytest.fixture
def helpers() -> Any:
    class Helpers:
        frame_color = staticmethod(frame_color)
        index_of = staticmethod(index_of)
        decode_frames = staticmethod(decode_frames)
        decode_audio = staticmethod(decode_audio)

    return Helpers
