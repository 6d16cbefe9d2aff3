"""Which voice model speaks a request, with which stock voice, in which language: decided when a
voice job is submitted, so a request the model cannot serve is refused (400) before it is charged.

The default voice model depends on the machine: the manifest's `default_for = ["voice"]` model
(Piper, fast on any CPU), or on a CUDA machine the model whose `defaults.gpu_default_for` names
`voice` (Kokoro). The device is told without importing torch where that is possible (see
`voice_device`).
"""

from __future__ import annotations

import ctypes.util
import importlib.metadata
import importlib.util
import os
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

from apexlocal.db import jobs as records
from apexlocal.engines.registry import get_engine
from apexlocal.errors import ApexError, BadRequest, JobError
from apexlocal.jobs.services import Services
from apexlocal.models.manifest import ModelEntry

TASK = "voice"
CLONE_TASK = "voice-clone"


def voice_models(services: Services) -> list[ModelEntry]:
    return [m for m in services.manifest.model if TASK in m.tasks]


def cloning_models(services: Services) -> list[ModelEntry]:
    return [m for m in services.manifest.model if CLONE_TASK in m.tasks]


def available(services: Services, entry: ModelEntry) -> bool:
    """Installed, or one that the job needing it may download (`auto_pull_models`)."""
    return services.models.is_installed(entry) or services.models.may_auto_pull(entry)


# The device, and the default model ---------------------------------------------------------------


def voice_device(services: Services) -> str:
    """The device voices run on, "cuda", "mps" or "cpu": the warm runtime's device once there is one,
    the `device` setting when it names one, else a probe that imports torch only on a machine with an
    NVIDIA driver."""
    if services.runtime.loaded is not None:
        return str(services.runtime.loaded.device)
    if services.settings.device != "auto":
        return services.settings.device
    if not _may_have_cuda():
        return "cpu"
    return str(services.runtime.get().device)


@lru_cache(maxsize=1)
def _may_have_cuda() -> bool:
    if importlib.util.find_spec("torch") is None:
        return False
    try:
        if "+cpu" in importlib.metadata.version("torch"):
            return False
    except importlib.metadata.PackageNotFoundError:
        return False
    if sys.platform == "darwin":
        return False
    return (
        os.path.exists("/proc/driver/nvidia/version")
        or ctypes.util.find_library("cuda") is not None
        or ctypes.util.find_library("nvcuda") is not None
    )


def default_voice_model(services: Services) -> ModelEntry:
    if voice_device(services).startswith("cuda"):
        for entry in voice_models(services):
            if TASK in entry.defaults.get("gpu_default_for", ()) and available(services, entry):
                return entry
    return services.manifest.default_for(TASK)


# Stock voices and languages --------------------------------------------------------------------


def stock_voices(services: Services, entry: ModelEntry, exact: bool = False) -> list[str]:
    """The voice ids of a model: what is installed, or what the manifest says it will install.
    `exact`: an empty list where that is not known for sure (a tiny stand-in not built yet has
    only some of the real model's voices), so nothing is refused or picked on a guess."""
    engine: Any = get_engine(entry.engine)
    if services.models.is_installed(entry):
        try:
            return list(engine.voices(entry, model_dir=services.models.path(entry)))
        except (ApexError, OSError):
            return []
    if exact and services.settings.model_set == "tiny" and entry.tiny is not None and entry.tiny.builder != "real":
        return []
    listed = [Path(f.path).stem for f in entry.source.files if f.path.startswith("voices/")]
    return listed or list(engine.voices(entry))


def voice_details(entry: ModelEntry, voice: str, languages: list[str]) -> tuple[str | None, str | None]:
    """(language, gender) of a stock voice, where known."""
    if entry.engine == "kokoro-voice":
        from apexlocal.engines.voice.kokoro_voice import voice_language

        return voice_language(voice), {"f": "female", "m": "male"}.get(voice[1:2])
    if entry.engine == "espeak-voice":
        return voice.removeprefix("espeak-"), None  # a voice per language: espeak-es speaks es
    gender = entry.defaults.get("genders", {}).get(voice)
    return (languages[0] if len(languages) == 1 else None), gender


def languages_of(entry: ModelEntry) -> list[str]:
    try:
        return list(get_engine(entry.engine).languages(entry))  # type: ignore[attr-defined]
    except (ApexError, AttributeError):
        return list(entry.defaults.get("languages", []))


def speaks(entry: ModelEntry, language: str) -> bool:
    from apexlocal.engines.voice.text import normalise_language, pick_language

    try:
        pick_language(normalise_language(language), languages_of(entry), "")
    except JobError:
        return False
    return True


def check_language(services: Services, entry: ModelEntry, language: str | None, suggest: bool = True) -> None:
    """400 naming what the model speaks, and (`suggest`) which other models speak the language."""
    if language is None or speaks(entry, language):
        return
    others = [
        m.id
        for m in voice_models(services)
        if suggest and m.id != entry.id and speaks(m, language) and available(services, m)
    ]
    hint = f"; for {language} use model {' or '.join(others)}" if others else ""
    raise BadRequest(
        f"language: {language!r} is not spoken by {entry.id}; it speaks {', '.join(languages_of(entry))}{hint}"
    )


def check_voice(services: Services, entry: ModelEntry, voice_id: str | None) -> None:
    if voice_id is None:
        return
    known = stock_voices(services, entry, exact=True)
    if known and voice_id not in known:
        raise BadRequest(
            f"voiceId: {voice_id!r} is not a voice of {entry.id}; it has {', '.join(known)} "
            "(GET /api/voices lists every voice)"
        )


def model_for(services: Services, voice_id: str | None, language: str | None) -> ModelEntry:
    """No model asked for: the default, unless only another model has the voice or speaks the
    language asked for."""
    default = default_voice_model(services)
    candidates = [default, *(m for m in voice_models(services) if m.id != default.id and available(services, m))]
    for entry in candidates:
        if (voice_id is None or voice_id in stock_voices(services, entry)) and (
            language is None or speaks(entry, language)
        ):
            return entry
    return default


# Time --------------------------------------------------------------------------------------------

CHARS_PER_SECOND = 15.0  # English speech at speed 1, about; the measured figure is used once known
# Compute seconds per second of audio, by engine and device kind, until this server has measured its own.
REAL_TIME_FACTORS = {("piper-voice", "cpu"): 0.15, ("kokoro-voice", "cuda"): 0.03, ("kokoro-voice", "cpu"): 0.5}
LOAD_SECONDS = 10.0
HISTORY = 20


def estimated_seconds(services: Services, entry: ModelEntry, chars: int, speed: float) -> float:
    """This job's own run time: its audio length (from the text) times the model's real-time
    factor, both measured on this server's recent jobs of that model where there are any."""
    measured = _measured(services, entry.id)
    rtf, per_char = measured if measured else (_default_rtf(services, entry), 1 / CHARS_PER_SECOND)
    audio_seconds = chars * per_char / speed
    return audio_seconds * rtf + LOAD_SECONDS


def _default_rtf(services: Services, entry: ModelEntry) -> float:
    kind = voice_device(services).split(":", 1)[0]
    return REAL_TIME_FACTORS.get((entry.engine, kind), REAL_TIME_FACTORS.get((entry.engine, "cpu"), 0.5))


def _measured(services: Services, model_id: str) -> tuple[float, float] | None:
    """(median real-time factor, median audio seconds per character at speed 1) of recent jobs."""
    import json

    rows = records.recent_completed(services.db, "voice", model_id, HISTORY)
    rtfs, per_chars = [], []
    for row in rows:
        meta, params = json.loads(row["metadata"] or "{}"), json.loads(row["params"])
        seconds, ms = meta.get("durationSeconds"), meta.get("durationMs")
        chars, speed = len(params.get("text") or ""), params.get("speed") or 1.0
        if seconds and ms and chars:
            rtfs.append(ms / 1000 / seconds)
            per_chars.append(seconds * speed / chars)
    if not rtfs:
        return None
    return sorted(rtfs)[len(rtfs) // 2], sorted(per_chars)[len(per_chars) // 2]
