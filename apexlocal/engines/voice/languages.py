"""Which languages the voice models of a catalogue speak, and the stock voice to speak one with.
Light: no model is loaded and nothing heavy is imported, so routes call it at submit.

A model's languages are what its engine says (Piper: its voice's config; Kokoro: the languages it
has G2P and voices for; espeak-ng: the languages the installed program lists), or, where the
engine cannot say, the manifest's `defaults.languages`. Codes are as the models name them ("en-us",
"pt-br", "es") and, for each, its ISO 639-1 language ("en", "pt"), so either form is found.

`stock_voice_for` prefers a neural voice of the language and falls back to espeak-ng (formant
synthesis: clear but robotic) only where no neural voice speaks it. In the `tiny` set a random-weight
stand-in makes noise, not speech, so there every real voice (Piper, espeak-ng) comes before one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from apexlocal.engines.registry import get_engine
from apexlocal.engines.translation.codes import to_iso1
from apexlocal.engines.voice.text import normalise_language
from apexlocal.errors import ApexError
from apexlocal.models.manifest import Manifest, ModelEntry

TASK = "voice"
LAST_RESORT_ENGINES = ("espeak-voice",)


def languages_of(entry: ModelEntry) -> list[str]:
    """The language codes one voice model speaks, as it names them."""
    try:
        engine: Any = get_engine(entry.engine)
        found = list(engine.languages(entry))
    except (ApexError, AttributeError, OSError):
        found = []
    return [normalise_language(c) for c in found or entry.defaults.get("languages", ())]


def with_bases(codes: Iterable[str]) -> set[str]:
    """Each code and its ISO 639-1 language: "pt-br" gives "pt-br" and "pt", "cmn" gives "zh"."""
    out: set[str] = set()
    for code in codes:
        out.add(code)
        iso1 = to_iso1(code)
        if iso1:
            out.add(iso1)
    return out


def spoken_languages(entries: Iterable[ModelEntry]) -> set[str]:
    """Every language the given voice models speak (codes as the models name them, and their ISO
    639-1 languages)."""
    return with_bases(code for entry in entries if TASK in entry.tasks for code in languages_of(entry))


def speaks(entry: ModelEntry, language: str) -> bool:
    """Whether the model speaks `language`: that code, or a code of the same language where one of
    the two names no region ("es-mx" is spoken by an "es" voice, "pt" by a "pt-br" one; "en-gb" is
    not spoken by an "en-us" one)."""
    if TASK not in entry.tasks:
        return False
    language = normalise_language(language)
    for code in languages_of(entry):
        same = _iso(code) == _iso(language)
        if code == language or (same and ("-" not in code or "-" not in language)):
            return True
    return False


def _iso(code: str) -> str:
    return to_iso1(code) or code.split("-", 1)[0]


def is_standin(entry: ModelEntry, model_set: str | None) -> bool:
    """Whether the model runs as a random-weight stand-in in this model set."""
    return model_set == "tiny" and (entry.tiny is None or entry.tiny.builder != "real")


def stock_voice_for(
    manifest: Manifest,
    usable: Callable[[ModelEntry], bool],
    language: str,
    *,
    model_set: str | None = None,
) -> tuple[ModelEntry, str] | None:
    """(model, voiceId) of a stock voice that speaks `language` ("es", "pt-br"): a neural model's
    (the voice task's default first) before espeak-ng's; with `model_set="tiny"`, real voices before
    random-weight stand-ins. Only models `usable` says this server can run. None when none speaks it."""
    language = normalise_language(language)
    candidates = [m for m in manifest.model if speaks(m, language) and usable(m)]
    candidates.sort(
        key=lambda m: (
            is_standin(m, model_set),
            m.engine in LAST_RESORT_ENGINES,
            TASK not in m.default_for,
        )
    )
    for entry in candidates:
        voice = _stock_voice(entry, language)
        if voice:
            return entry, voice
    return None


def _stock_voice(entry: ModelEntry, language: str) -> str | None:
    try:
        engine: Any = get_engine(entry.engine)
        return engine.stock_voice(entry, language)
    except (ApexError, AttributeError, OSError):
        return None
