"""WebVTT subtitles of the translated speech: one cue per line, shown exactly while its speech is
heard (from the fitted line's start to its end).

Cue text is escaped as WebVTT requires (`&`, `<` and `>` as character references) and kept on one
line per cue (a blank line would end the cue); a cue never runs into the next one.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

Cue = tuple[str, float, float]  # (text, start s, end s)


def timestamp(seconds: float) -> str:
    """HH:MM:SS.mmm"""
    ms = max(0, int(round(seconds * 1000)))
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def escape(text: str) -> str:
    text = " ".join(text.split())
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cue_times(cues: Sequence[Cue]) -> list[tuple[float, float]]:
    """Each cue's (start, end) as written: never into the next cue, never empty."""
    times = []
    for i, (_, start, end) in enumerate(cues):
        if i + 1 < len(cues):
            end = min(end, cues[i + 1][1])
        times.append((start, max(end, start + 0.001)))
    return times


def render_vtt(cues: Sequence[Cue], language: str = "") -> str:
    cues = sorted((c for c in cues if c[0].strip()), key=lambda c: c[1])
    header = "WEBVTT" + (f"\nLanguage: {language}" if language else "")
    blocks = [header]
    for i, ((text, _, _), (start, end)) in enumerate(zip(cues, cue_times(cues), strict=True), start=1):
        blocks.append(f"{i}\n{timestamp(start)} --> {timestamp(end)}\n{escape(text)}")
    return "\n\n".join(blocks) + "\n"


def write_vtt(path: Path, cues: Sequence[Cue], language: str = "") -> Path:
    path.write_text(render_vtt(cues, language), encoding="utf-8")
    return path
