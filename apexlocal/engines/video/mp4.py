"""Frames (and a sound track) to an MP4 that browsers play while it downloads: H.264 in yuv420p,
AAC, the index at the front. Written under a temporary name and renamed when complete, so a
failed or cancelled run leaves no file behind.

Kept apart from generation on purpose: `write_mp4` is the one call the engine makes to encode,
so the composition module can take its place. Sound whose samples arrive after the frames is
written after them: players read it through the index at the front, but the file is not
interleaved for playback while downloading beyond the muxer's 10 s interleaving window.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from apexlocal.engines.video.frames import AudioTrack

X264_OPTIONS = {"crf": "18", "preset": "veryfast"}
AAC_BIT_RATE = 128_000
AUDIO_CHUNK = 16 * 1024  # samples per frame handed to the encoder, which regroups them


def write_mp4(
    frames: Iterable[np.ndarray], fps: int | Fraction, size: tuple[int, int], audio: AudioTrack | None, path: Path
) -> int:
    """Encode RGB uint8 frames of `size` (width, height; both even) at `fps`; returns the frame
    count. `frames` may be a generator that makes them as it goes: an exception from it (a
    cancel) propagates after the partial file is removed."""
    import av

    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".partial.mp4", dir=path.parent)
    os.close(fd)
    try:
        with av.open(tmp, mode="w", format="mp4", options={"movflags": "+faststart"}) as container:
            video = _video_stream(container, Fraction(fps), size)
            sound = _audio_stream(container, audio) if audio is not None else None
            count = _encode_video(container, video, frames, size)
            if sound is not None and audio is not None:
                _encode_audio(container, sound, audio)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count


def _video_stream(container: Any, fps: Fraction, size: tuple[int, int]) -> Any:
    width, height = size
    if width % 2 or height % 2:
        raise ValueError(f"H.264 in yuv420p needs even sizes, got {width}x{height}")
    stream = container.add_stream("libx264", rate=fps, options=dict(X264_OPTIONS))
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    stream.codec_context.time_base = 1 / fps
    return stream


def _audio_stream(container: Any, audio: AudioTrack) -> Any:
    # Every stream must exist before the first packet: the header is written then.
    from apexlocal.engines.compose.encode import aac_options

    stream = container.add_stream("aac", rate=audio.sample_rate, options=aac_options(AAC_BIT_RATE))
    stream.layout = _layout(audio.channels)
    stream.bit_rate = AAC_BIT_RATE
    return stream


def _layout(channels: int) -> str:
    return "mono" if channels == 1 else "stereo"


def _encode_video(container: Any, stream: Any, frames: Iterable[np.ndarray], size: tuple[int, int]) -> int:
    import av

    count = 0
    for frame in frames:
        if (frame.shape[1], frame.shape[0]) != size:
            raise ValueError(f"frame {count} is {frame.shape[1]}x{frame.shape[0]}, not {size[0]}x{size[1]}")
        video_frame = av.VideoFrame.from_ndarray(frame, format="rgb24")
        video_frame.pts = count
        video_frame.time_base = stream.codec_context.time_base
        container.mux(stream.encode(video_frame))
        count += 1
    container.mux(stream.encode(None))
    return count


def _encode_audio(container: Any, stream: Any, audio: AudioTrack) -> None:
    import av
    import numpy as np

    samples = np.clip(audio.resolve(), -1.0, 1.0).astype(np.float32)
    if samples.shape[0] != audio.channels:
        samples = np.repeat(samples.mean(axis=0, keepdims=True), audio.channels, axis=0)
    layout = _layout(audio.channels)
    samples = samples[:2]
    for start in range(0, samples.shape[1], AUDIO_CHUNK):
        chunk = np.ascontiguousarray(samples[:, start : start + AUDIO_CHUNK])
        frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=layout)
        frame.sample_rate, frame.pts = audio.sample_rate, start
        frame.time_base = Fraction(1, audio.sample_rate)
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))
