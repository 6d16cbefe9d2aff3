"""The timeline's pictures, frame by frame: each output frame is the fitted frame of the segment
on screen, or during a crossfade a blend of the outgoing and incoming segments' frames.

A segment's stream is opened when the playhead first reaches it and closed as soon as it is past,
so however long the timeline, at most two sources are open and two frames held.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from apexlocal.engines.compose.geometry import FitPlan, apply_fit, frame_size, plan_fit
from apexlocal.engines.compose.retime import Retimer
from apexlocal.engines.compose.timeline import Placement

if TYPE_CHECKING:
    import numpy as np


class _Cursor:
    """One placed segment being read: fitted frames for increasing timeline times."""

    def __init__(self, placement: Placement, size: tuple[int, int]) -> None:
        segment = placement.segment
        clip = segment.clip
        self.placement = placement
        self.plan: FitPlan = plan_fit(
            (clip.width, clip.height), size, segment.fit, segment.box, segment.pad_color, segment.anchor
        )
        self._retimer = Retimer(clip.timed_frames(segment.start), clip.name)
        self._source: Any = None
        self._fitted: np.ndarray | None = None
        self._reformatter: Any = None

    def frame_at(self, t: float) -> np.ndarray:
        source = self._retimer.frame_at(self.placement.segment.start + t - self.placement.begin)
        if source is not self._source:  # a repeated frame is fitted once
            self._source, self._fitted = source, None
            if frame_size(source) != self.plan.source:  # a source that changes size mid-stream
                segment = self.placement.segment
                self.plan = plan_fit(
                    frame_size(source), self.plan.size, segment.fit, segment.box, segment.pad_color, segment.anchor
                )
            if self._reformatter is None and hasattr(source, "reformat"):
                import av

                self._reformatter = av.video.reformatter.VideoReformatter()
            self._fitted = apply_fit(source, self.plan, self._reformatter)
        assert self._fitted is not None
        return self._fitted

    def close(self) -> None:
        self._retimer.close()
        self._source = self._fitted = None


def frame_count(total_seconds: float, fps: float) -> int:
    return max(1, round(total_seconds * fps))


def timeline_frames(
    placements: list[Placement], size: tuple[int, int], fps: float, count: int | None = None
) -> Iterator[np.ndarray]:
    """`count` frames (default: the timeline's length at `fps`) of the joined timeline, each
    `size` (w, h). Frames may be shared with the sources: treat them as read-only."""
    total = placements[-1].end
    count = frame_count(total, fps) if count is None else count
    cursors: dict[int, _Cursor] = {}
    try:
        for n in range(count):
            t = n / fps
            active = [p for p in placements if p.begin <= t < p.end] or [_nearest(placements, t)]
            showing = {p.index for p in active}
            for index in [i for i in cursors if i not in showing]:
                cursors.pop(index).close()
            frames = []
            for placement in active:
                if placement.index not in cursors:
                    cursors[placement.index] = _Cursor(placement, size)
                frames.append(cursors[placement.index].frame_at(t))
            if len(frames) == 1:
                yield frames[0]
            else:
                incoming = active[-1]
                weight = (t + 0.5 / fps - incoming.begin) / incoming.fade_in
                yield blend(frames[0], frames[-1], weight)
    finally:
        for cursor in cursors.values():
            cursor.close()


def _nearest(placements: list[Placement], t: float) -> Placement:
    # Rounding the frame count up may ask for a frame just past the end: the last one holds.
    return placements[-1] if t >= placements[-1].begin else placements[0]


def blend(a: np.ndarray, b: np.ndarray, weight: float) -> np.ndarray:
    """(1 - weight) * a + weight * b, rounded, weight clipped to 0..1 (in 1/256 steps)."""
    import numpy as np

    w = int(round(min(max(weight, 0.0), 1.0) * 256))
    if w == 0:
        return a
    if w == 256:
        return b
    mixed = a.astype(np.uint16) * (256 - w)
    mixed += b.astype(np.uint16) * w
    mixed += 128
    mixed >>= 8
    return mixed.astype(np.uint8)
