"""Line times checked against where the voice is heard.

Whisper's word times are a few hundred milliseconds off at the start of an utterance (the first
word is often placed in the silence before it), and a translated line is placed where the
original one starts. So each line's start is moved to the start of the speech that Silero's voice
activity detector (shipped with faster-whisper) finds near it, and its end likewise; where the
detector finds no edge near a line (two lines spoken without a pause), Whisper's time stays.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from apexlocal.engines.video_translate.lines import Line

if TYPE_CHECKING:
    import numpy as np

RATE = 16_000
EARLIEST_S = 0.3  # how far before Whisper's start a speech edge is looked for
LATEST_S = 1.0  # and after it
END_WINDOW_S = 0.5
MIN_LINE_S = 0.1

Span = tuple[float, float]


def speech_spans(audio: np.ndarray) -> list[Span]:
    """Where speech is heard in 16 kHz mono `audio`, in seconds (Silero VAD, tight padding)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(min_silence_duration_ms=200, speech_pad_ms=30, min_speech_duration_ms=100)
    return [(c["start"] / RATE, c["end"] / RATE) for c in get_speech_timestamps(audio, options)]


def snap_lines(lines: list[Line], spans: list[Span]) -> list[Line]:
    """`lines` with each start (and end) moved to the nearest edge of heard speech within reach,
    keeping them in order and apart. A line that begins inside speech heard since well before it
    (no pause before it) keeps Whisper's start."""
    starts, ends = [a for a, _ in spans], [b for _, b in spans]
    out: list[Line] = []
    for i, line in enumerate(lines):
        floor = out[-1].end if out else 0.0
        ceiling = lines[i + 1].start if i + 1 < len(lines) else line.end + END_WINDOW_S
        start = line.start
        if not any(a < line.start - EARLIEST_S and line.start < b for a, b in spans):
            low, high = max(floor, line.start - EARLIEST_S), min(line.end, line.start + LATEST_S)
            start = _nearest(starts, line.start, low, high)
        low, high = max(start + MIN_LINE_S, line.end - END_WINDOW_S), min(ceiling, line.end + END_WINDOW_S)
        end = _nearest(ends, line.end, low, high)
        out.append(replace(line, start=round(start, 3), end=round(max(end, start + MIN_LINE_S), 3)))
    return out


def _nearest(edges: list[float], at: float, low: float, high: float) -> float:
    """The edge in [low, high] closest to `at`; `at` when there is none."""
    found = [e for e in edges if low <= e <= high]
    return min(found, key=lambda e: abs(e - at)) if found else at
