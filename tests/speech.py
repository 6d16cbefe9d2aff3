"""The packaged Piper voice for the speech tests make (a talk to clip, sentences to transcribe, a
caller's question). Piper samples its waveform (the voice's noise scale), so a text came out a
little different on every call, and Whisper tiny.en now and then heard it differently ("Brad" for
"Bread"). With the noise scale at 0 a text is said the same way every time, in every run."""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def fixed_voice() -> Any:
    """A `PiperSynthesizer` that says each text the same way every time."""
    from apexlocal.engines.voice.piper_voice import PiperSynthesizer, load_voice
    from apexlocal.models.manifest import load_manifest
    from apexlocal.models.packaged import check_package

    voice = load_voice(check_package(load_manifest().default_for("voice")))
    voice.config.noise_scale = 0.0
    return PiperSynthesizer(voice, None)
