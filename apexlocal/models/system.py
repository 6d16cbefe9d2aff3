"""Models that are programs of the operating system (`kind = "system"` in the manifest): Apertium's
translation pairs and espeak-ng's voices come from Debian packages, not from a model hub or PyPI.
Nothing is downloaded or built: the model is there when its program is on PATH (and its data folder,
where the manifest names candidates, exists); otherwise the fix is the package manager's."""

from __future__ import annotations

import shutil
from pathlib import Path

from apexlocal.errors import ModelError
from apexlocal.models.manifest import ModelEntry


def program_path(entry: ModelEntry) -> Path | None:
    found = shutil.which(entry.source.program)
    return Path(found) if found else None


def data_dir(entry: ModelEntry) -> Path | None:
    """The first of the manifest's `paths` that exists."""
    return next((Path(p) for p in entry.source.paths if Path(p).is_dir()), None)


def is_installed(entry: ModelEntry) -> bool:
    return program_path(entry) is not None and (not entry.source.paths or data_dir(entry) is not None)


def path(entry: ModelEntry) -> Path:
    """Where the model's data is (the program's folder for a program without data paths)."""
    if entry.source.paths:
        return data_dir(entry) or Path(entry.source.paths[0])
    program = program_path(entry)
    return program.parent if program is not None else Path(entry.source.program)


def install_hint(entry: ModelEntry) -> str:
    return f"`sudo apt-get install {entry.source.package}` (Debian, Ubuntu; other systems: their package of it)"


def check(entry: ModelEntry) -> Path:
    """The model's folder; raises ModelError naming the package to install."""
    if program_path(entry) is None:
        raise ModelError(
            f"{entry.id} runs the program {entry.source.program}, which is not installed: {install_hint(entry)}"
        )
    if not is_installed(entry):
        raise ModelError(
            f"{entry.id}: none of {', '.join(entry.source.paths)} exists; install its data: {install_hint(entry)}"
        )
    return path(entry)


def verify(entry: ModelEntry) -> list[str]:
    try:
        check(entry)
    except ModelError as exc:
        return [str(exc)]
    return []
