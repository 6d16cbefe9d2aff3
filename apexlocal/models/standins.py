"""The tiny set's random-weight stand-ins on disk: `MODELS_DIR/tiny/<id>/`, built by
`apexlocal.models.tiny`. `.apexlocal-installed.json`, written last, marks a complete build and records
each file's size and sha256, so `is_built` is cheap and `verify` has something to check against."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apexlocal.errors import ModelError
from apexlocal.models.checksums import check_file, sha256_file
from apexlocal.models.files import load_json, tree_size, write_json
from apexlocal.models.manifest import ModelEntry
from apexlocal.settings import Settings

MARKER = ".apexlocal-installed.json"


def set_dir(settings: Settings) -> Path:
    return settings.resolved_models_dir / "tiny"


def folder(settings: Settings, entry: ModelEntry) -> Path:
    return set_dir(settings) / entry.id


def marker(settings: Settings, entry: ModelEntry) -> dict[str, Any] | None:
    """The build's marker, when it was built by the builder the manifest names now."""
    data = load_json(folder(settings, entry) / MARKER)
    if data is None or entry.tiny is None or data.get("builder") != entry.tiny.builder:
        return None
    return data


def is_built(settings: Settings, entry: ModelEntry) -> bool:
    return marker(settings, entry) is not None


def build(settings: Settings, entry: ModelEntry) -> Path:
    # Heavy (torch, diffusers): imported only when a build is needed.
    from apexlocal.models import tiny

    assert entry.tiny is not None
    final = folder(settings, entry)
    (final / MARKER).unlink(missing_ok=True)
    final.parent.mkdir(parents=True, exist_ok=True)
    try:
        # build() saves into a sibling folder and swaps it in, replacing what was there.
        tiny.build(entry.tiny.builder, final, dict(entry.tiny.options))
    except Exception as exc:
        raise ModelError(
            f"building the tiny stand-in of {entry.id} (tiny.{entry.tiny.builder}) "
            f"failed: {exc}; fix that, then run `apexlocal models pull {entry.id}`"
        ) from exc
    files = [
        {"path": p.relative_to(final).as_posix(), "size": p.stat().st_size, "sha256": sha256_file(p)}
        for p in _files_under(final)
    ]
    write_json(
        final / MARKER,
        {
            "id": entry.id,
            "model_set": "tiny",
            "source": "tiny",
            "builder": entry.tiny.builder,
            "revision": f"tiny:{entry.tiny.builder}",
            "files": files,
            "installed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        },
    )
    return final


def verify(settings: Settings, entry: ModelEntry) -> list[str]:
    data = marker(settings, entry)
    if data is None:
        return [f"{entry.id} is not installed (run `apexlocal models pull {entry.id}`)"]
    root = folder(settings, entry)
    damaged = [p for f in data["files"] for p in check_file(root / f["path"], f["path"], f["size"], f["sha256"])]
    if damaged:
        damaged.append(f"to repair: `apexlocal models rm {entry.id}` then `apexlocal models pull {entry.id}`")
    return damaged


def remove(settings: Settings, entry: ModelEntry) -> int:
    """Delete the build (and leftovers of an interrupted one); return the bytes freed."""
    doomed = [folder(settings, entry), *set_dir(settings).glob(f".{entry.id}.building*")]
    freed = sum(tree_size(path) for path in doomed)
    for path in doomed:
        if path.exists():
            shutil.rmtree(path)
    return freed


def _files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name != MARKER)
