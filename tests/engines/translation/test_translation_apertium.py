"""Apertium through `translate_texts`: English lines to Spanish, one output per line in order, in
one run of the program, with punctuation, markup characters and empty lines kept in place."""

from __future__ import annotations

import json

import pytest

from apexlocal.engines.registry import get_engine
from apexlocal.engines.translation.apertium import ApertiumEngine, from_document, to_document
from apexlocal.engines.translation.translate import translate_texts
from apexlocal.errors import JobError

pytestmark = pytest.mark.usefixtures("apertium_installed")

LINES = [
    "Good morning, my friends.",
    "",
    "The red car is fast.",
    "Where is the train station?",
    "I like apples & pears!",
    "It's 5 < 6, isn't it?",
]


@pytest.fixture
def apertium(voice_manifest):
    return voice_manifest.by_id()["apertium"]


def test_english_lines_become_spanish_lines_in_order(voice_ctx, apertium) -> None:
    out = translate_texts(voice_ctx(), apertium, LINES, "en", "es")
    assert len(out) == len(LINES)
    assert out[1] == ""
    assert out[0].startswith("Buenos días") and out[0].endswith(".")
    assert "coche rojo" in out[2]
    assert out[3].startswith("Dónde") and "tren" in out[3] and out[3].endswith("?")
    assert "&" in out[4] and "manzanas" in out[4] and out[4].endswith("!")
    assert "5 < 6" in out[5]


def test_words_do_not_move_between_lines(voice_ctx, apertium) -> None:
    # Plain text mode reorders across a line break ("El coche\nrojo ..."); each line stays whole here.
    out = translate_texts(voice_ctx(), apertium, ["The red", "car is fast"], "en", "es")
    assert "rojo" in out[0] and "coche" not in out[0]
    assert "rojo" not in out[1]


def test_all_lines_go_through_one_run_of_the_program(voice_ctx, apertium, monkeypatch) -> None:
    runs = []
    real = ApertiumEngine._run

    def counted(command, document, ctx):
        runs.append(command)
        return real(command, document, ctx)

    monkeypatch.setattr(ApertiumEngine, "_run", staticmethod(counted))
    out = translate_texts(voice_ctx(), apertium, ["One.", "Two.", "Three.", "Four."], "en", "es")
    assert len(runs) == 1 and runs[0][-1] == "eng-spa"
    assert len(out) == 4 and all(out)


def test_spanish_to_english(voice_ctx, apertium) -> None:
    assert translate_texts(voice_ctx(), apertium, ["El gato come pescado."], "es", "en")[0].startswith("The cat")


def test_a_pair_not_installed_is_refused_naming_what_is(voice_ctx, apertium) -> None:
    with pytest.raises(JobError, match=r"does not translate en to fr.*en->es"):
        translate_texts(voice_ctx(), apertium, ["Hello."], "en", "fr")


def test_a_lost_line_is_an_error_not_a_shift() -> None:
    assert from_document(to_document(["a < b", "c & d"]), 2) == ["a < b", "c & d"]
    with pytest.raises(JobError, match="2 lines for 3"):
        from_document(to_document(["a", "b"]), 3)


def test_the_job_form_writes_translation_json(voice_ctx, apertium) -> None:
    ctx = voice_ctx()
    spec = {"texts": ["Hello.", "Thank you."], "sourceLanguage": "en", "targetLanguage": "es"}
    out = get_engine("apertium").run(spec, apertium, ctx)
    assert json.loads(out.files[0].path.read_text())["texts"] == ["Hola.", "Gracias."]
    assert out.metadata["targetLanguage"] == "es" and out.metadata["lines"] == 2


def test_a_cancel_stops_the_running_program(voice_ctx, apertium, monkeypatch) -> None:
    from apexlocal.engines.translation import apertium as module
    from apexlocal.errors import JobCancelled

    monkeypatch.setattr(module, "POLL_S", 0.001)  # look at the cancel flag before the program can finish
    ctx = voice_ctx(cancelled=lambda: True)
    with pytest.raises(JobCancelled):
        translate_texts(ctx, apertium, ["A long line to translate."] * 200, "en", "es")
