"""What the scan measured over the whole source, and the look-ups the scoring makes on it."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

from apexlocal.engines.clip.laughter import Laugh
from apexlocal.engines.clip.sentences import Timed

BLOCK_S = 0.25  # loudness is measured in blocks of this length
SILENCE_DB = -50.0
FaceAt = tuple[float, tuple[float, float, float] | None]  # (time s, (centre x, centre y, width) / frame, or None)


@dataclass
class Signals:
    duration: float
    width: int
    height: int
    fps: float
    language: str = ""
    words: list[Timed] = field(default_factory=list)
    loudness: Any = None  # numpy float32 dBFS per BLOCK_S; None: no sound track
    cuts: list[float] = field(default_factory=list)  # scene cuts, seconds, ascending
    faces: list[FaceAt] = field(default_factory=list)  # samples, ascending by time
    envelope: Any = None  # numpy float32 dBFS per laughter.ENVELOPE_S; None: no sound track
    laughs: list[Laugh] = field(default_factory=list)  # ascending by time (laughter.find_laughs)
    _face_times: list[float] = field(default_factory=list, repr=False)

    def loudness_db(self, start: float, end: float) -> float | None:
        """Mean loudness of the voiced blocks in [start, end) (None: silent or no sound)."""
        if self.loudness is None:
            return None
        piece = self.loudness[int(start / BLOCK_S) : max(int(start / BLOCK_S) + 1, int(end / BLOCK_S))]
        voiced = piece[piece > SILENCE_DB]
        return float(voiced.mean()) if voiced.size else None

    def median_loudness_db(self) -> float | None:
        import numpy as np

        if self.loudness is None:
            return None
        voiced = self.loudness[self.loudness > SILENCE_DB]
        return float(np.median(voiced)) if voiced.size else None

    def face_samples(self, start: float, end: float) -> list[FaceAt]:
        if len(self._face_times) != len(self.faces):  # made once: thousands of windows look here
            self._face_times = [t for t, _ in self.faces]
        times = self._face_times
        return self.faces[bisect.bisect_left(times, start) : bisect.bisect_left(times, end)]

    def face_share(self, start: float, end: float) -> float | None:
        samples = self.face_samples(start, end)
        return sum(1 for _, f in samples if f is not None) / len(samples) if samples else None

    def laughs_in(self, start: float, end: float) -> list[Laugh]:
        times = [x.time for x in self.laughs]
        return self.laughs[bisect.bisect_left(times, start) : bisect.bisect_left(times, end)]

    def cuts_in(self, start: float, end: float) -> list[float]:
        return self.cuts[bisect.bisect_right(self.cuts, start) : bisect.bisect_left(self.cuts, end)]
