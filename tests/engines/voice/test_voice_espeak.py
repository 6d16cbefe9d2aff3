"""espeak-ng as a voice engine (`espeak-voice`): Spanish speech of a plausible length through the
same chunk loop every voice engine runs, its voices and languages from the installed program, and
clear errors for a voice or language it does not have."""

from __future__ import annotations

import shutil
import wave

import numpy as np
import pytest

from apexlocal.engines.registry import get_engine
from apexlocal.errors import JobError

SPANISH = "Buenos días a todos. Hoy hablamos del tiempo en la ciudad, y mañana va a llover por la tarde."


@pytest.fixture(scope="module")
def espeak(voice_manifest):
    assert shutil.which("espeak-ng"), "espeak-ng is missing; install it: `sudo apt-get install espeak-ng`"
    return voice_manifest.by_id()["espeak-ng"]


def _samples(path) -> tuple[np.ndarray, int]:
    with wave.open(str(path)) as wav:
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), "<i2").astype(np.float32) / 32768
        return pcm, wav.getframerate()


def test_spanish_text_becomes_spanish_speech_of_a_plausible_length(espeak, voice_ctx) -> None:
    events: list[tuple[str, float]] = []
    out = get_engine("espeak-voice").run({"text": SPANISH, "language": "es"}, espeak, voice_ctx(events=events))

    samples, rate = _samples(out.files[0].path)
    seconds = samples.size / rate
    words = len(SPANISH.split())
    # 175 words a minute at speed 1, plus the pauses at the punctuation.
    assert 0.6 * words / 175 * 60 <= seconds <= 1.8 * words / 175 * 60
    assert float(np.sqrt(np.mean(samples**2))) > 0.02  # speech, not silence
    assert out.metadata | {"durationMs": 0} == {
        "model": "espeak-ng",
        "modelId": "espeak-ng",
        "durationSeconds": round(seconds, 3),
        "language": "es",
        "voiceId": "espeak-es",
        "sampleRate": 22050,
        "durationMs": 0,
    }
    assert ("synthesizing", 1.0) in events


def test_speed_changes_the_pace(espeak, voice_ctx) -> None:
    run = get_engine("espeak-voice").run
    normal = _samples(run({"text": SPANISH, "voiceId": "espeak-es"}, espeak, voice_ctx()).files[0].path)[0]
    fast = _samples(run({"text": SPANISH, "voiceId": "espeak-es", "speed": 2.0}, espeak, voice_ctx()).files[0].path)[0]
    assert fast.size < 0.7 * normal.size


def test_voices_and_languages_come_from_the_installed_program(espeak) -> None:
    engine = get_engine("espeak-voice")
    languages, voices = engine.languages(espeak), engine.voices(espeak)
    assert {"es", "fr", "de", "pt", "pt-br", "en-us", "zh", "cmn"} <= set(languages)
    assert {"espeak-es", "espeak-fr", "espeak-de", "espeak-pt-br"} <= set(voices)
    assert engine.stock_voice(espeak, "es-MX") == "espeak-es"
    assert engine.stock_voice(espeak, "pt-br") == "espeak-pt-br"
    assert engine.stock_voice(espeak, "tlh") is None


def test_a_voice_or_language_it_lacks_is_a_clear_error(espeak, voice_ctx) -> None:
    engine = get_engine("espeak-voice")
    with pytest.raises(JobError, match="voiceId: 'espeak-tlh' is not a voice of espeak-ng"):
        engine.run({"text": "Qapla'", "voiceId": "espeak-tlh"}, espeak, voice_ctx())
    with pytest.raises(JobError, match="language: 'tlh' is not spoken by espeak-ng"):
        engine.run({"text": "Qapla'", "language": "tlh"}, espeak, voice_ctx())
    with pytest.raises(JobError, match="speaks fr, not es"):
        engine.run({"text": "Bonjour", "voiceId": "espeak-fr", "language": "es"}, espeak, voice_ctx())


def test_text_that_looks_like_an_option_is_spoken(espeak, voice_ctx) -> None:
    out = get_engine("espeak-voice").run({"text": "--help me", "voiceId": "espeak-en-us"}, espeak, voice_ctx())
    assert out.metadata["durationSeconds"] > 0.3


def test_a_narration_spoken_by_espeak(espeak, voice_ctx) -> None:
    """The narrated video's path: sentence by sentence through the engine's stream, laid out in time.
    English-only Whisper cannot time Spanish words, so they are spread by length."""
    from apexlocal.engines.scripted_video.narration import narrate
    from apexlocal.engines.scripted_video.scenes import Scene

    scenes = [Scene(1, ("Hola a todos.", "Hoy hablamos del tiempo.")), Scene(2, ("Mañana va a llover.",))]
    narration = narrate(scenes, espeak, {"voiceId": "espeak-es"}, 30.0, voice_ctx())
    assert narration.voice_id == "espeak-es" and narration.sample_rate == 22050
    assert [w for w, _, _ in narration.words] == " ".join(s.text for s in scenes).split()
    assert narration.timing == "length" and 3.0 < narration.duration < 30.0
