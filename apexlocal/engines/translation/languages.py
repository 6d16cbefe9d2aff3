"""Which languages the translation models of a catalogue translate between, and which model to use
for one pair. Light: no model is loaded and nothing heavy is imported, so routes call it at submit.

Apertium translates the pairs installed on this machine (its mode files); a neural model the
languages its manifest entry lists (`defaults.languages`), from any of them to any other. Codes are
ISO 639-1, lower case; a tag such as "pt-br" counts as its language ("pt").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from apexlocal.engines.translation.apertium_pairs import installed_pairs
from apexlocal.engines.translation.codes import base
from apexlocal.models.manifest import Manifest, ModelEntry

TASK = "translation"
APERTIUM = "apertium"


def pairs(entry: ModelEntry) -> set[tuple[str, str]]:
    """(source, target) pairs one translation model does here."""
    if TASK not in entry.tasks:
        return set()
    if entry.engine == APERTIUM:
        return set(installed_pairs(entry))
    languages = {base(code) for code in entry.defaults.get("languages", ())}
    return {(s, t) for s in languages for t in languages if s != t}


def translation_targets(entries: Iterable[ModelEntry]) -> dict[str, set[str]]:
    """Source language -> the languages the given entries can translate it into."""
    targets: dict[str, set[str]] = {}
    for entry in entries:
        for source, target in pairs(entry):
            targets.setdefault(source, set()).add(target)
    return targets


def pick_translation_model(
    manifest: Manifest, usable: Callable[[ModelEntry], bool], source: str, target: str
) -> ModelEntry | None:
    """The model to translate `source` into `target` with: the task's default model first (the
    neural one, better where it can run), then the others in catalogue order, each only when
    `usable` (installed, or one this server may pull). None when none can, or when the two are one
    language (nothing to translate)."""
    pair = (base(source), base(target))
    if pair[0] == pair[1]:
        return None
    candidates = sorted((m for m in manifest.model if TASK in m.tasks), key=lambda m: TASK not in m.default_for)
    return next((m for m in candidates if pair in pairs(m) and usable(m)), None)
