"""The audio mix: every track placed on the timeline, summed block by block, with the music bed
ducked under the narration.

Three kinds of track go in: the clips' own sound (placed with their segments; a crossfade between
clips is an equal-power crossfade of their sound over the same seconds, and a hard cut gets a 5 ms
fade each side so it does not click), narration (the key that ducks the bed, never ducked itself),
and music or effects added by the caller. Sources are opened when the playhead reaches them and
closed when it has passed, so the mix holds one block per open track, however long it is. The
same mix can be read any number of times (`blocks()` starts over), which the loudness pass needs.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from apexlocal.engines.compose.audio_sources import CHANNELS, SAMPLE_RATE, AudioSource, Reader
from apexlocal.engines.compose.ducking import Ducker, Ducking
from apexlocal.engines.compose.timeline import Placement
from apexlocal.errors import JobError

if TYPE_CHECKING:
    import numpy as np

BLOCK = 4800  # 100 ms: a whole number of ducking windows and of limiter knots
CUT_FADE = 0.005
ROLES = ("narration", "music", "effects")
# How a placed track mixes: a key (narration) ducks the beds under it; a plain track neither ducks nor is ducked.
Kind = Literal["key", "bed", "plain"]


@dataclass
class AudioTrack:
    """A sound placed on the output timeline."""

    source: AudioSource
    start: float = 0.0  # where it begins on the timeline, seconds
    offset: float = 0.0  # where to begin inside the source, seconds
    duration: float | None = None  # seconds to play; None: to the source's (or timeline's) end
    role: Literal["narration", "music", "effects"] = "music"
    gain_db: float = 0.0
    fade_in: float = 0.0  # seconds (equal-power curve)
    fade_out: float = 0.0  # seconds before the track's end, or the timeline's end if that is earlier
    loop: bool = False  # start the source over (from `offset`) when it ends, e.g. a short music bed
    duck: bool | None = None  # None: music ducks under narration, effects do not


@dataclass(frozen=True)
class _Placed:
    source: AudioSource
    start: int  # samples on the timeline
    end: int  # exclusive
    offset: float  # seconds into the source
    gain: float
    fade_in: int
    fade_out: int
    loop: bool
    kind: Kind


def place_tracks(placements: Sequence[Placement], tracks: Sequence[AudioTrack], total_samples: int) -> list[_Placed]:
    """The clips' sound and the caller's tracks, in samples; raises JobError for a bad track."""
    placed = []
    for p in placements:
        clip_audio = p.segment.clip.audio
        if not p.segment.audio or clip_audio is None:
            continue
        start, end = _samples(p.begin), min(_samples(p.end), total_samples)
        placed.append(
            _Placed(
                clip_audio,
                start,
                end,
                p.segment.start,
                _gain(p.segment.volume_db),
                max(_samples(p.fade_in), _samples(CUT_FADE) if p.index else 0),
                max(_samples(p.fade_out), _samples(CUT_FADE)),
                False,
                "bed",
            )
        )
    for i, track in enumerate(tracks):
        _check_track(i, track)
        start = _samples(track.start)
        length = track.duration
        if length is None and not track.loop and track.source.duration is not None:
            length = max(0.0, track.source.duration - track.offset)
        end = total_samples if length is None else min(start + _samples(length), total_samples)
        if end <= start:
            continue
        duck = track.role == "music" if track.duck is None else track.duck
        kind: Kind = "key" if track.role == "narration" else "bed" if duck else "plain"
        placed.append(
            _Placed(
                track.source,
                start,
                end,
                float(track.offset),
                _gain(track.gain_db),
                _samples(track.fade_in),
                _samples(track.fade_out),
                track.loop,
                kind,
            )
        )
    return placed


def _check_track(index: int, track: AudioTrack) -> None:
    name = f"audio_tracks[{index}]"
    if track.role not in ROLES:
        raise JobError(f"{name}: role must be one of {', '.join(ROLES)}")
    for field in ("start", "offset", "fade_in", "fade_out"):
        value = getattr(track, field)
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or value < 0:
            raise JobError(f"{name}: {field} must be a number of seconds >= 0")
    if track.duration is not None and not (isinstance(track.duration, numbers.Real) and track.duration > 0):
        raise JobError(f"{name}: duration must be a positive number of seconds")
    if not isinstance(track.gain_db, numbers.Real) or not -60 <= track.gain_db <= 24:
        raise JobError(f"{name}: gain_db must be from -60 to 24")


def _samples(seconds: float) -> int:
    return int(round(seconds * SAMPLE_RATE))


def _gain(db: float) -> float:
    return 10 ** (db / 20)


class Mix:
    """blocks() -> the mix as (BLOCK, 2) float32 blocks; the last is padded with silence."""

    def __init__(self, tracks: list[_Placed], total_samples: int, ducking: Ducking | None) -> None:
        self.tracks, self.total_samples, self.ducking = tracks, total_samples, ducking

    @property
    def block_count(self) -> int:
        return max(1, math.ceil(self.total_samples / BLOCK))

    def blocks(self) -> Iterator[np.ndarray]:
        import numpy as np

        ducker = Ducker(self.ducking) if self.ducking is not None else None
        has_key = any(t.kind == "key" for t in self.tracks)
        readers: dict[int, Reader] = {}
        try:
            for b in range(self.block_count):
                b0, b1 = b * BLOCK, (b + 1) * BLOCK
                sums = {kind: np.zeros((BLOCK, CHANNELS), np.float32) for kind in ("key", "bed", "plain")}
                for i, track in enumerate(self.tracks):
                    if b0 >= track.end:
                        if i in readers:
                            readers.pop(i).close()
                        continue
                    lo, hi = max(b0, track.start), min(b1, track.end)
                    if lo >= hi:
                        continue
                    if i not in readers:
                        readers[i] = Reader(_chunks(track, (lo - track.start) / SAMPLE_RATE))
                    piece = readers[i].read(hi - lo)
                    piece *= _envelope(track, lo - track.start, hi - lo)[:, None]
                    sums[track.kind][lo - b0 : hi - b0] += piece
                out = sums["key"] + sums["plain"]
                if ducker is not None and has_key:
                    out += sums["bed"] * ducker.gains(sums["key"])[:, None]
                else:
                    out += sums["bed"]
                yield out
        finally:
            for reader in readers.values():
                reader.close()


def _chunks(track: _Placed, skip: float) -> Iterator[np.ndarray]:
    return track.source.chunks(track.offset + skip, loop=track.loop)


def _envelope(track: _Placed, first: int, n: int) -> np.ndarray:
    """Gain per sample for track samples first .. first + n: the track's gain times its fades
    (sin rising over the fade-in, cos falling over the fade-out: equal power across a crossfade)."""
    import numpy as np

    gain = np.full(n, track.gain, dtype=np.float32)
    length = track.end - track.start
    if track.fade_in and first < track.fade_in:
        idx = np.arange(first, first + n)
        ramp = np.sin(np.pi / 2 * np.minimum((idx + 0.5) / track.fade_in, 1.0))
        gain *= ramp.astype(np.float32)
    if track.fade_out and first + n > length - track.fade_out:
        idx = np.arange(first, first + n)
        remaining = (length - idx - 0.5) / track.fade_out
        ramp = np.sin(np.pi / 2 * np.clip(remaining, 0.0, 1.0))
        gain *= ramp.astype(np.float32)
    return gain
