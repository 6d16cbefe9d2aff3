"""Which languages this server can translate a video into: decided from the models it has or may
download, before a translate job is charged.

A target language works when a usable translation model translates into it from a language the
speech-to-text model hears, and a voice speaks it: a stock voice, or, for preserveOriginalVoice,
a voice-cloning model that speaks it (`clone_for`): the English Chatterbox speaks English, the
multilingual one 23 languages. "Usable" (`usable`) is the rule submit applies to every job's model,
installed or one a job may install (`auto_pull_models`), narrowed to what can be installed here.
The video's own language is known only once its speech is transcribed, so a video in a language
no usable model translates from fails then (and is refunded); `sources` says which languages
those are.
"""

from __future__ import annotations

from dataclasses import dataclass

from apexlocal.engines.translation.languages import translation_targets
from apexlocal.engines.voice.languages import stock_voice_for
from apexlocal.errors import BadRequest, ModelUnavailable
from apexlocal.jobs.services import Services
from apexlocal.models.manifest import ModelEntry
from apexlocal.models.packaged import package_files_present
from apexlocal.products.translate.names import language_name
from apexlocal.products.voice import voice_models

TRANSLATION_TASK = "translation"
SPEECH_TASK = "speech-to-text"
FIELD = "outputLanguage"
VOICE_FIELD = "preserveOriginalVoice"


@dataclass(frozen=True)
class Target:
    code: str  # ISO 639-1
    sources: tuple[str, ...]  # languages a video may speak to be translated into it
    voice: tuple[ModelEntry, str] | None  # the stock voice that speaks it: (model, voiceId)
    clone: ModelEntry | None  # the voice-cloning model that speaks it in the video's own voice


@dataclass(frozen=True)
class Catalogue:
    speech: ModelEntry | None  # the speech-to-text model that hears the video
    translators: tuple[ModelEntry, ...]  # usable translation models
    targets: dict[str, Target]  # code -> what speaks and translates into it


def base_language(code: str) -> str:
    """ "en-us" and "pt_BR" -> "en" and "pt": ISO 639-1, lower case."""
    return code.replace("_", "-").split("-", 1)[0].lower()


def hears(entry: ModelEntry) -> set[str] | None:
    """The languages a speech-to-text model transcribes; None for any: a multilingual Whisper
    (`defaults.multilingual`), or one that lists none. An English-only Whisper (`*.en`) says so
    in its id or aliases."""
    listed = entry.defaults.get("languages")
    if listed:
        return {base_language(code) for code in listed}
    if entry.defaults.get("multilingual") is not None:
        return None if entry.defaults["multilingual"] else {"en"}
    names = (entry.id, *entry.aliases)
    if any(name.endswith((".en", "-en")) for name in names):
        return {"en"}
    return None


def usable(services: Services, entry: ModelEntry) -> bool:
    """Installed, or one a job may install as its first stage and that can be installed here: not
    a stand-in the tiny set lacks, a system program (the package manager installs it) or a model
    of a Python package that is not installed."""
    store = services.models
    if store.is_installed(entry):
        return True
    if not store.may_auto_pull(entry):
        return False
    if services.settings.model_set == "tiny" and entry.tiny is None:
        return False
    if entry.source.kind == "system":
        return False
    return entry.source.kind != "pypi" or package_files_present(entry)


def speech_model(services: Services) -> ModelEntry | None:
    """The usable speech-to-text model that hears the most languages: a multilingual one first,
    then an installed one before one a job would download, then the larger (the more accurate)."""
    models = services.models
    found = [m for m in services.manifest.model if SPEECH_TASK in m.tasks and usable(services, m)]
    found.sort(key=lambda m: (hears(m) is not None, not models.is_installed(m), -m.size_gb))
    return found[0] if found else None


def catalogue(services: Services) -> Catalogue:
    """Reads which models are installed (files on disk): call it off the event loop."""
    manifest = services.manifest

    def runs(entry: ModelEntry) -> bool:
        return usable(services, entry)

    speech = speech_model(services)
    translators = tuple(m for m in manifest.model if TRANSLATION_TASK in m.tasks and runs(m))
    heard = hears(speech) if speech is not None else set()
    by_target: dict[str, set[str]] = {}
    for source, targets in translation_targets(translators).items():
        source = base_language(source)
        if heard is None or source in heard:
            for target in targets:
                by_target.setdefault(base_language(target), set()).add(source)
    clones = [m for m in voice_models.cloning_models(services) if runs(m)]
    found: dict[str, Target] = {}
    for code, sources in sorted(by_target.items()):
        voice = stock_voice_for(manifest, runs, code, model_set=services.settings.model_set)
        clone = clone_for(services, clones, code)
        if voice is not None or clone is not None:
            found[code] = Target(code, tuple(sorted(sources)), voice, clone)
    return Catalogue(speech, translators, found)


def clone_for(services: Services, clones: list[ModelEntry], code: str) -> ModelEntry | None:
    """The cloning model that speaks `code` in a video's own voice: an installed one before one a
    job would download, then the manifest's order, which puts the English Chatterbox before the
    multilingual one. So English is spoken by the model made for English alone, where it is here
    (the model voice clones are made with), and every other language by the multilingual one."""
    speaking = [m for m in clones if code in _spoken(m)]
    speaking.sort(key=lambda m: not services.models.is_installed(m))
    return speaking[0] if speaking else None


def _spoken(entry: ModelEntry) -> set[str]:
    return {base_language(code) for code in voice_models.languages_of(entry)}


def _clone_hint(services: Services, code: str) -> str:
    """For a language that a cloning model of the manifest speaks but this server cannot run now:
    how an admin makes it work."""
    absent = [m.id for m in voice_models.cloning_models(services) if code in _spoken(m) and not usable(services, m)]
    if not absent:
        return ""
    return (
        f" ({' or '.join(absent)} speaks it once installed: apexlocal models pull {absent[0]}, or name it in "
        "auto_pull_models)"
    )


def named(code: str) -> str:
    """ "es (Spanish)"; an unknown code as itself."""
    name = language_name(code)
    return f"{code} ({name})" if name != code else code


def described(codes: list[str]) -> str:
    return ", ".join(named(code) for code in codes) or "none"


def check_target(services: Services, language: str, preserve_voice: bool) -> tuple[Catalogue, Target]:
    """The target of a request; 400 naming the languages that work here when it is not one."""
    found = catalogue(services)
    code = language.lower()
    if found.speech is None:
        raise ModelUnavailable(
            "videoUrl: translating a video needs a speech-to-text model, and none is installed on this server"
        )
    target = found.targets.get(code)
    if target is None:
        raise BadRequest(
            f"{FIELD}: this server cannot translate a video into {named(code)}: no model here translates into it "
            f"and speaks it; languages that work on this server: {described(sorted(found.targets))}"
        )
    if preserve_voice and target.clone is None:
        keeps = sorted(c for c, t in found.targets.items() if t.clone is not None)
        raise BadRequest(
            f"{VOICE_FIELD}: the original voice cannot speak {named(code)} on this server"
            f"{_clone_hint(services, code)}; it can in: {described(keeps)}. Set {VOICE_FIELD} to false for "
            f"a stock {language_name(code)} voice"
        )
    if not preserve_voice and target.voice is None:
        raise BadRequest(
            f"{FIELD}: no stock voice speaks {named(code)} on this server; set {VOICE_FIELD} to true to speak it "
            "in the video's own voice"
        )
    return found, target
