"""Which languages the catalogue's voices speak, and the stock voice picked for one: a neural voice
of the language first, espeak-ng where none speaks it, real voices before stand-ins in the tiny set."""

from __future__ import annotations

import shutil

import pytest

from apexlocal.engines.voice.kokoro_voice import LANGUAGES
from apexlocal.engines.voice.languages import spoken_languages, stock_voice_for

EVERYTHING = staticmethod(lambda entry: True)


@pytest.fixture(scope="module", autouse=True)
def _espeak_installed() -> None:
    assert shutil.which("espeak-ng"), "espeak-ng is missing; install it: `sudo apt-get install espeak-ng`"


def _voices(manifest, *ids):
    by_id = manifest.by_id()
    return [by_id[i] for i in ids]


def test_spoken_languages_name_codes_and_their_iso_languages(voice_manifest) -> None:
    assert spoken_languages(_voices(voice_manifest, "piper-joe-medium")) == {"en-us", "en"}
    kokoro = spoken_languages(_voices(voice_manifest, "kokoro-82m"))
    assert kokoro == set(LANGUAGES) | {"en", "pt"}
    everything = spoken_languages(voice_manifest.model)
    assert {"en", "es", "fr", "de", "pt", "pt-br", "zh", "ja", "ru", "ar", "hi", "sw"} <= everything
    assert "tlh" not in everything
    assert spoken_languages(_voices(voice_manifest, "whisper-base", "apertium")) == set()


def test_kokoro_declares_the_languages_its_engine_speaks(voice_manifest) -> None:
    assert voice_manifest.by_id()["kokoro-82m"].defaults["languages"] == list(LANGUAGES)


def test_a_neural_voice_of_the_language_comes_first(voice_manifest) -> None:
    def pick(language, usable=lambda entry: True, **kw):
        found = stock_voice_for(voice_manifest, usable, language, **kw)
        return (found[0].id, found[1]) if found else None

    assert pick("en") == ("piper-joe-medium", "en_US-joe-medium")  # the voice task's default
    assert pick("es") == ("kokoro-82m", "ef_dora")
    assert pick("pt") == ("kokoro-82m", "pf_dora")
    assert pick("de") == ("espeak-ng", "espeak-de")  # no neural voice speaks German
    assert pick("es-MX") == ("kokoro-82m", "ef_dora")
    # The tiny set's Kokoro is a random-weight stand-in: noise, so espeak-ng speaks Spanish there.
    assert pick("es", model_set="tiny") == ("espeak-ng", "espeak-es")
    assert pick("en", model_set="tiny") == ("piper-joe-medium", "en_US-joe-medium")
    # Only what the server can run.
    no_kokoro = lambda entry: entry.id != "kokoro-82m"  # noqa: E731
    assert pick("es", no_kokoro) == ("espeak-ng", "espeak-es")
    assert pick("de", lambda entry: entry.engine != "espeak-voice") is None
    assert pick("tlh") is None
