"""The multilingual Whisper base (joined from its two packages) hears Spanish as Spanish: espeak-ng's
Spanish speech, with the language detected, segments and their words timed; `transcribe` is the
entry point the translate job uses."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from apexlocal.engines.speech_to_text.whisper import transcribe
from apexlocal.errors import JobError
from tests.api.voice_helpers import word_error_rate

SPANISH = "Buenos días. Hoy vamos a hablar del tiempo en la ciudad. Mañana va a llover por la tarde."


@pytest.fixture(scope="module")
def spanish_clip(tmp_path_factory) -> Path:
    exe = shutil.which("espeak-ng")
    assert exe, "espeak-ng is missing; install it: `sudo apt-get install espeak-ng`"
    out = tmp_path_factory.mktemp("spanish") / "es.wav"
    subprocess.run([exe, "-v", "es", "-s", "150", "-w", str(out), SPANISH], check=True)
    return out


def test_spanish_speech_is_detected_and_transcribed_with_word_times(voice_manifest, voice_ctx, spanish_clip):
    events: list[tuple[str, float]] = []
    ctx = voice_ctx(events=events)

    transcript = transcribe(ctx, voice_manifest.by_id()["whisper-base"], spanish_clip)

    assert transcript.language == "es"
    assert word_error_rate(_plain(SPANISH), _plain(transcript.text)) <= 0.5
    words = [w for s in transcript.segments for w in s.words]
    assert len(words) >= 10 and [w.text for w in words] == [w.text for w in transcript.words]
    assert all(s.start <= w.start <= w.end <= s.end + 0.05 for s in transcript.segments for w in s.words)
    starts = [w.start for w in words]
    assert starts == sorted(starts) and words[-1].end <= transcript.duration + 0.1
    assert events[-1] == ("transcribing", 1.0)


def test_a_language_given_is_used(voice_manifest, voice_ctx, spanish_clip):
    transcript = transcribe(voice_ctx(), voice_manifest.by_id()["whisper-base"], spanish_clip, language="es")
    assert transcript.language == "es" and "hablar del tiempo" in transcript.text.lower()


def test_the_english_only_model_refuses_spanish(voice_manifest, voice_ctx, spanish_clip):
    with pytest.raises(JobError, match="does not transcribe 'es'"):
        transcribe(voice_ctx(), voice_manifest.by_id()["whisper-tiny-en"], spanish_clip, language="es")


def _plain(text: str) -> str:
    """Lower case without accents: the error rate counts words, not spelling of accents."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
