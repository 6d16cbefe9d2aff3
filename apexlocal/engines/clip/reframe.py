"""The crop that turns the source's frame into the clip's aspect ratio, following the face.

The crop is the largest box of the target aspect inside the source frame; only its position moves.
Within one shot (between two scene cuts) it follows the face samples of the scan (the largest face,
one sample a second): their centres are averaged over SMOOTH_S (a centred moving average, so a
steady movement is followed without lag and detection noise is ironed out), joined by straight
lines between samples, and held still when the face moves less than STILL_SHARE of the crop's
width in the whole shot (a seated speaker gives a locked-off frame, not a wobble). The position
jumps only at a scene cut, where the next shot starts its own path. A shot with no face keeps the
centre of the frame.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from apexlocal.engines.clip.signals import FaceAt

ASPECT_RATIOS = {"9:16": 9 / 16, "1:1": 1.0, "16:9": 16 / 9}
OUTPUT_SIZES = {"9:16": (720, 1280), "1:1": (720, 720), "16:9": (1280, 720)}
SMOOTH_S = 1.5
STILL_SHARE = 0.08


def crop_size(width: int, height: int, aspect: str) -> tuple[int, int]:
    ratio = ASPECT_RATIOS[aspect]
    if width / height > ratio:
        return max(2, int(height * ratio) // 2 * 2), height // 2 * 2
    return width // 2 * 2, max(2, int(width / ratio) // 2 * 2)


@dataclass(frozen=True)
class _Shot:
    start: float
    times: tuple[float, ...]
    xs: tuple[float, ...]  # crop centres, pixels
    ys: tuple[float, ...]


class CropPath:
    """`box_at(t)`: the crop (x0, y0, x1, y1) at `t` seconds of the source."""

    def __init__(
        self,
        frame: tuple[int, int],
        aspect: str,
        start: float,
        end: float,
        cuts: Sequence[float],
        faces: Sequence[FaceAt],
    ) -> None:
        self.frame = frame
        self.size = crop_size(frame[0], frame[1], aspect)
        edges = [start, *[c for c in cuts if start < c < end], end]
        self.shots = [self._shot(a, b, faces) for a, b in itertools.pairwise(edges)]
        self._starts = [s.start for s in self.shots]

    def _shot(self, a: float, b: float, faces: Sequence[FaceAt]) -> _Shot:
        width, height = self.frame
        seen = [(t, f) for t, f in faces if a <= t < b and f is not None]
        if not seen:
            return _Shot(a, (a,), (width / 2,), (height / 2,))
        times = tuple(t for t, _ in seen)
        xs = _smooth(times, [f[0] * width for _, f in seen])
        ys = _smooth(times, [f[1] * height for _, f in seen])
        if max(xs) - min(xs) <= STILL_SHARE * self.size[0] and max(ys) - min(ys) <= STILL_SHARE * self.size[1]:
            return _Shot(a, (a,), (sorted(xs)[len(xs) // 2],), (sorted(ys)[len(ys) // 2],))
        return _Shot(a, times, tuple(xs), tuple(ys))

    def centre_at(self, t: float) -> tuple[float, float]:
        shot = self.shots[max(0, bisect.bisect_right(self._starts, t) - 1)]
        return _interpolate(shot.times, shot.xs, t), _interpolate(shot.times, shot.ys, t)

    def box_at(self, t: float) -> tuple[int, int, int, int]:
        (cx, cy), (w, h) = self.centre_at(t), self.size
        x0 = min(max(0, round(cx - w / 2)), self.frame[0] - w)
        y0 = min(max(0, round(cy - h / 2)), self.frame[1] - h)
        return x0, y0, x0 + w, y0 + h

    @property
    def cuts(self) -> list[float]:
        return self._starts[1:]


def _smooth(times: Sequence[float], values: Sequence[float]) -> list[float]:
    out = []
    for t in times:
        near = [v for s, v in zip(times, values, strict=True) if abs(s - t) <= SMOOTH_S / 2 + 1e-9]
        out.append(sum(near) / len(near))
    return out


def _interpolate(times: Sequence[float], values: Sequence[float], t: float) -> float:
    k = bisect.bisect_right(times, t)
    if k == 0:
        return values[0]
    if k == len(times):
        return values[-1]
    a, b = times[k - 1], times[k]
    w = (t - a) / (b - a) if b > a else 0.0
    return values[k - 1] + w * (values[k] - values[k - 1])
