"""The reference clip of the video's own voice, for preserveOriginalVoice: the original lines' audio
cut out of the sound track and joined with short pauses, so the cloning model hears the voice and
not the silence or background between lines."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from apexlocal.errors import JobError

REFERENCE_RATE = 24_000
MAX_REFERENCE_S = 20.0  # Chatterbox conditions on the first 10 s; a little more costs nothing
PAUSE_S = 0.15
MIN_REFERENCE_S = 3.0

Span = tuple[float, float]


def reference_clip(video: Path, lines: Sequence[Span], out: Path) -> tuple[Path, float]:
    """Writes the clip (16-bit mono WAV) and returns it with its length in seconds. JobError when
    the video holds less than MIN_REFERENCE_S of speech."""
    import numpy as np

    from apexlocal.engines.speech_to_text.decode import decode_audio
    from apexlocal.engines.voice.audio import write_wav

    audio = decode_audio(video, REFERENCE_RATE)
    pause = np.zeros(int(PAUSE_S * REFERENCE_RATE), np.float32)
    pieces: list[np.ndarray] = []
    length = 0
    for start, end in lines:
        piece = audio[int(start * REFERENCE_RATE) : int(end * REFERENCE_RATE)]
        if piece.size == 0:
            continue
        pieces += [piece, pause]
        length += piece.size + pause.size
        if length >= MAX_REFERENCE_S * REFERENCE_RATE:
            break
    clip = np.concatenate(pieces)[: int(MAX_REFERENCE_S * REFERENCE_RATE)] if pieces else np.zeros(0, np.float32)
    seconds = clip.size / REFERENCE_RATE
    if seconds < MIN_REFERENCE_S:
        raise JobError(
            f"preserveOriginalVoice: the video holds {seconds:.1f} s of speech; cloning its voice needs at "
            f"least {MIN_REFERENCE_S:g} s"
        )
    write_wav(out, clip, REFERENCE_RATE)
    return out, seconds
