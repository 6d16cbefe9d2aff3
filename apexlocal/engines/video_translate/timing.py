"""Line times checked against where the voice is heard.

Whisper's word times can be a second off around pauses (the first word of a line is often placed
in the silence before it, a word stretched over the pause after it), and a translated line is
placed where the original one starts. So the lines' edges are moved to the edges of the speech
that Silero's voice activity detector (shipped with faster-whisper) hears; where it hears no edge
near a line (two lines spoken without a pause), Whisper's time stays.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import TYPE_CHECKING

from apexlocal.engines.video_translate.lines import Line

if TYPE_CHECKING:
    import numpy as np

RATE = 16_000
EARLIEST_S = 0.3  # how far before a start inside speech a speech start is looked for
END_WINDOW_S = 0.5
MIN_LINE_S = 0.1

Span = tuple[float, float]


def speech_spans(audio: np.ndarray) -> list[Span]:
    """Where speech is heard in 16 kHz mono `audio`, in seconds (Silero VAD, tight padding)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(min_silence_duration_ms=200, speech_pad_ms=30, min_speech_duration_ms=100)
    return [(c["start"] / RATE, c["end"] / RATE) for c in get_speech_timestamps(audio, options)]


def silences(spans: list[Span]) -> list[Span]:
    """The gaps between heard speech."""
    return [(a[1], b[0]) for a, b in itertools.pairwise(spans) if b[0] > a[1]]


def snap_lines(lines: list[Line], spans: list[Span]) -> list[Line]:
    """`lines` with their edges moved to where speech is heard, kept in order and apart:
    - a start that lies in silence moves to where the speech after it begins (Whisper often starts
      a line in the pause before it), else to a speech start at most EARLIEST_S before it;
    - an end that lies in silence moves back to where the speech before it ends, else to a speech
      end at most END_WINDOW_S after it (and before the next line).
    Without heard speech near an edge, Whisper's time stays."""
    gaps = _gaps(spans)
    starts, ends = [a for a, _ in spans], [b for _, b in spans]
    out: list[Line] = []
    for i, line in enumerate(lines):
        floor = out[-1].end if out else 0.0
        ceiling = lines[i + 1].start if i + 1 < len(lines) else line.end + END_WINDOW_S
        gap = _gap_at(gaps, line.start)
        if gap is not None and gap[1] < line.end:
            start = gap[1]
        else:
            start = _nearest(starts, line.start, max(floor, line.start - EARLIEST_S), line.start)
        gap = _gap_at(gaps, line.end)
        if gap is not None and gap[0] > start + MIN_LINE_S:
            end = gap[0]
        else:
            end = _nearest(ends, line.end, line.end, min(max(ceiling, line.end), line.end + END_WINDOW_S))
        start = max(start, floor)
        out.append(replace(line, start=round(start, 3), end=round(max(end, start + MIN_LINE_S), 3)))
    return out


def _gaps(spans: list[Span]) -> list[Span]:
    """The silences around and between heard speech, the one before the first and after the last."""
    if not spans:
        return []
    return [(0.0, spans[0][0]), *silences(spans), (spans[-1][1], float("inf"))]


def _gap_at(gaps: list[Span], at: float) -> Span | None:
    return next((g for g in gaps if g[0] <= at < g[1]), None)


def _nearest(edges: list[float], at: float, low: float, high: float) -> float:
    """The edge in [low, high] closest to `at`; `at` when there is none."""
    found = [e for e in edges if low <= e <= high]
    return min(found, key=lambda e: abs(e - at)) if found else at
