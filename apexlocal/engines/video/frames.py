"""Frames and sound between the pipeline and the encoder: scaling to the output size, and the
sound of several clips joined into one track of exactly the video's length."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    import numpy as np

Samples = Union["np.ndarray", Callable[[], "np.ndarray"]]


@dataclass
class AudioTrack:
    """Sound for `write_mp4`. Its format must be known before the first frame is written; the
    samples themselves may come from a callable, called once every frame is written, when they
    are made clip by clip alongside the frames."""

    sample_rate: int
    channels: int
    samples: Samples  # float32 in [-1, 1], (channels, samples)

    def resolve(self) -> np.ndarray:
        return self.samples() if callable(self.samples) else self.samples


def cover_box(src: tuple[int, int], dst: tuple[int, int]) -> tuple[float, float, float, float]:
    """The centred region of a `src` frame with the aspect ratio of `dst`: scaling it fills the
    output with no bars, cropping the least."""
    (sw, sh), (dw, dh) = src, dst
    if sw * dh > dw * sh:  # source wider than the output: crop the sides
        width = sh * dw / dh
        return ((sw - width) / 2, 0.0, (sw + width) / 2, float(sh))
    height = sw * dh / dw
    return (0.0, (sh - height) / 2, float(sw), (sh + height) / 2)


def scaled(frames: Iterable[np.ndarray], size: tuple[int, int]) -> Iterator[np.ndarray]:
    """Each RGB frame scaled (Lanczos) and centre-cropped to `size`; frames of that size already
    pass through untouched."""
    import numpy as np
    from PIL import Image

    for frame in frames:
        height, width = frame.shape[:2]
        if (width, height) == size:
            yield frame
            continue
        box = cover_box((width, height), size)
        yield np.asarray(Image.fromarray(frame).resize(size, Image.Resampling.LANCZOS, box=box))


def join_audio(
    parts: list[tuple[np.ndarray, float, float]], sample_rate: int, channels: int, duration_s: float
) -> np.ndarray:
    """One track from (samples, start s, length s) slices of each clip's sound, cut or padded
    with silence to `duration_s`, so sound and picture end together."""
    import numpy as np

    pieces = []
    for samples, start, length in parts:
        first = int(round(start * sample_rate))
        piece = samples[:, first : first + int(round(length * sample_rate))]
        if piece.shape[0] != channels:  # mono sound for a stereo track, or the other way round
            piece = np.repeat(piece.mean(axis=0, keepdims=True), channels, axis=0)
        pieces.append(piece)
    joined = np.concatenate(pieces, axis=1) if pieces else np.zeros((channels, 0), np.float32)
    total = int(round(duration_s * sample_rate))
    if joined.shape[1] < total:
        joined = np.pad(joined, ((0, 0), (0, total - joined.shape[1])))
    return np.ascontiguousarray(joined[:, :total], dtype=np.float32)
