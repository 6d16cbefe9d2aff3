"""Where each scene's picture sits on the timeline, around its narration.

A scene's picture takes over at the middle of the pause before its first word (the first scene at
0) and hands over at the middle of the pause after its last word (the last scene at the end); a
crossfade centred on each handover blends the two pictures. A picture therefore runs its span plus
half a crossfade at each inner end, and the segments, overlapped by their crossfades, add up to
exactly the narration's length.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from apexlocal.errors import JobError

CROSSFADE_S = 0.5


@dataclass(frozen=True)
class Shot:
    index: int  # 1-based
    start: float  # when the picture takes over (the middle of the crossfade into it)
    end: float  # when it hands over
    length: float  # seconds of picture, the crossfades' overlap included


def plan_shots(
    spans: list[tuple[float, float]], total: float, crossfade: float = CROSSFADE_S
) -> tuple[list[Shot], float]:
    """The shots of scenes whose voices span `spans`, in a video of `total` seconds, and the
    crossfade between them (shortened to half the shortest shot)."""
    if not spans:
        raise JobError("script: has no scenes")
    cuts = [0.0] + [(spans[i - 1][1] + spans[i][0]) / 2 for i in range(1, len(spans))] + [total]
    widths = [b - a for a, b in itertools.pairwise(cuts)]
    if min(widths) <= 0:
        raise JobError("script: a scene has no speech")
    fade = min(crossfade, min(widths) / 2) if len(spans) > 1 else 0.0
    last = len(spans) - 1
    overlaps = [(fade / 2 if i else 0.0) + (fade / 2 if i < last else 0.0) for i in range(len(spans))]
    return [Shot(i + 1, cuts[i], cuts[i + 1], widths[i] + overlaps[i]) for i in range(len(spans))], fade
