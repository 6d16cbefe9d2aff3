"""Which manifest entry writes: the one asked for, else the default of the model set.

The full set's default is the entry whose `default_for` names the task; the tiny set's is the entry
whose `defaults.tiny_default_for` names it (a model small enough to run for real on any CPU, since
the full default has no random-weight stand-in).
"""

from __future__ import annotations

from apexlocal.errors import ModelError
from apexlocal.models.manifest import Manifest, ModelEntry

TASK = "writer"


def writer_entries(manifest: Manifest) -> list[ModelEntry]:
    return [m for m in manifest.model if TASK in m.tasks]


def default_writer(manifest: Manifest, model_set: str) -> ModelEntry:
    if model_set == "tiny":
        for entry in writer_entries(manifest):
            if TASK in entry.defaults.get("tiny_default_for", ()):
                return entry
    for entry in writer_entries(manifest):
        if TASK in entry.default_for:
            return entry
    raise ModelError("the model manifest names no writer model")


def writer_entry(manifest: Manifest, model_set: str, model_id: str | None = None) -> ModelEntry:
    """The entry for `model_id` (an id or alias of a writer model), or the set's default."""
    if not model_id:
        return default_writer(manifest, model_set)
    entry = manifest.resolve(model_id, TASK)
    if entry is None:
        names = ", ".join(manifest.names_for(TASK))
        raise ModelError(f"{model_id!r} is not a writer model; the catalogue has: {names}")
    return entry
