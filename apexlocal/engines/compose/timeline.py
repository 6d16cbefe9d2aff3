"""A timeline: clip segments one after another, joined by cuts or crossfades, and the arithmetic
that places them in time.

A crossfade of d seconds into segment i overlaps the last d seconds of segment i-1 with the first
d seconds of segment i, so the timeline is d seconds shorter than the sum of its segments. A
crossfade longer than half of either neighbour is shortened to that half, so no more than two
segments ever overlap.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Literal

from apexlocal.engines.compose.clips import Clip
from apexlocal.engines.compose.geometry import FIT_MODES, Color
from apexlocal.errors import JobError


@dataclass(frozen=True)
class Transition:
    """How a segment begins after the one before it: a hard cut, or a crossfade of `duration`."""

    kind: Literal["cut", "crossfade"] = "cut"
    duration: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in ("cut", "crossfade"):
            raise JobError("transition: must be 'cut' or 'crossfade'")
        if not isinstance(self.duration, numbers.Real) or self.duration < 0:
            raise JobError("transition: duration must be a number of seconds >= 0")


CUT = Transition()


def crossfade(seconds: float) -> Transition:
    return Transition("crossfade", seconds)


@dataclass
class Segment:
    """A stretch of one clip on the timeline."""

    clip: Clip
    start: float = 0.0  # in-point inside the clip, seconds
    duration: float | None = None  # seconds used; None: to the clip's end
    transition: Transition = CUT  # into this segment, from the previous one (ignored on the first)
    fit: str = "crop"  # crop | pad | stretch, see geometry
    box: tuple[int, int, int, int] | None = None  # cut from the source before fitting
    anchor: tuple[float, float] = (0.5, 0.5)  # what a crop keeps: (0, 0) top-left .. (1, 1)
    pad_color: Color = (0, 0, 0)
    audio: bool = True  # keep the clip's own sound
    volume_db: float = 0.0


@dataclass(frozen=True)
class Placement:
    """A segment placed in time: it shows from `begin` for `length` seconds, fading in over the
    first `fade_in` seconds and out over the last `fade_out` (crossfades, shared with neighbours)."""

    segment: Segment
    index: int
    begin: float
    length: float
    fade_in: float
    fade_out: float

    @property
    def end(self) -> float:
        return self.begin + self.length


def layout(segments: list[Segment]) -> tuple[list[Placement], float]:
    """Placements of the segments and the timeline's total length in seconds; raises JobError
    for an empty timeline, a bad segment or an in-point past a clip's end."""
    if not segments:
        raise JobError("timeline: needs at least one segment")
    lengths = [_length(i, segment) for i, segment in enumerate(segments)]
    fades = [0.0]
    for i in range(1, len(segments)):
        transition = segments[i].transition
        wanted = transition.duration if transition.kind == "crossfade" else 0.0
        fades.append(min(wanted, lengths[i - 1] / 2, lengths[i] / 2))
    fades.append(0.0)
    placements, begin = [], 0.0
    for i, segment in enumerate(segments):
        begin -= fades[i]
        placements.append(Placement(segment, i, begin, lengths[i], fades[i], fades[i + 1]))
        begin += lengths[i]
    return placements, begin


def _length(index: int, segment: Segment) -> float:
    name = f"timeline[{index}]"
    if segment.fit not in FIT_MODES:
        raise JobError(f"{name}: fit must be one of {', '.join(FIT_MODES)}")
    if (
        isinstance(segment.volume_db, bool)
        or not isinstance(segment.volume_db, numbers.Real)
        or not -60 <= segment.volume_db <= 24
    ):
        raise JobError(f"{name}: volume_db must be from -60 to 24")
    clip = segment.clip
    if not isinstance(segment.start, numbers.Real) or not 0 <= segment.start < clip.duration:
        raise JobError(f"{name}: start must lie inside the clip (0 to {clip.duration:.3f} s)")
    if segment.duration is None:
        return clip.duration - segment.start
    if not isinstance(segment.duration, numbers.Real) or segment.duration <= 0:
        raise JobError(f"{name}: duration must be a positive number of seconds")
    # A clip may be asked to run past its end: its last frame is held (stills, generated clips
    # a frame short of the narration they illustrate).
    return float(segment.duration)
