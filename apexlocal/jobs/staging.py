"""Carrying what a job's `prepare` step made to a worker on another machine.

`prepare` (jobs/types.py) runs where the database is: it writes files into a folder and names them
in the spec (a cloned voice's clip as `clonedVoice.clipPath`). For a remote worker that folder is
the API process's own, so each file it named is put in storage under `staging/<job>/<attempt>/`,
with the place in the spec that named it; the worker copies them into its scratch folder and
writes its own paths into those places. Only files the spec names travel.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from apexlocal.jobs.remote_protocol import PreparedFile
from apexlocal.storage.base import Storage


def staging_prefix(job_id: str) -> str:
    return f"staging/{job_id}/"


def _paths_in(value: Any, root: str, pointer: list[str | int]) -> list[tuple[list[str | int], str]]:
    if isinstance(value, str):
        return [(pointer, value)] if value.startswith(root) else []
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in _paths_in(item, root, [*pointer, key])]
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in _paths_in(item, root, [*pointer, index])]
    return []


def stage(storage: Storage, folder: Path, spec: dict[str, Any], job_id: str, attempt: int) -> list[PreparedFile]:
    """Stores each file of `folder` (the path `prepare` was given) that `spec` names; returns where
    they went and who named them."""
    root = str(folder) + "/"
    staged = []
    for pointer, text in _paths_in(spec, root, []):
        path = Path(text)
        if not path.is_file() or not path.resolve().is_relative_to(folder.resolve()):
            continue  # a spec's own text that only looks like a path here
        name = path.resolve().relative_to(folder.resolve()).as_posix()
        key = f"{staging_prefix(job_id)}{attempt}/{name}"
        storage.put_file(key, path, "application/octet-stream")
        staged.append(PreparedFile(key=key, name=name, pointer=pointer))
    return staged


def unstage(storage: Storage, prepared: list[PreparedFile], spec: dict[str, Any], scratch: Path) -> None:
    """Copies the staged files into `scratch` and points the spec at the copies."""
    for item in prepared:
        dest = (scratch / item.name).resolve()
        if not dest.is_relative_to(scratch.resolve()):
            raise ValueError(f"a staged file's name leaves the scratch folder: {item.name!r}")
        dest.parent.mkdir(parents=True, exist_ok=True)
        storage.read_to(item.key, dest)
        _set_at(spec, item.pointer, str(dest))


def _set_at(spec: Any, pointer: list[str | int], value: str) -> None:
    target = spec
    for step in pointer[:-1]:
        target = target[step]
    target[pointer[-1]] = value
