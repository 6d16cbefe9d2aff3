"""Full-set models from the Hugging Face hub: installing, checking and removing them.

The weights live in the Hugging Face cache (`hub.cache_dir`), shared with other tools. What makes
them an install is apexlocal's own record, `MODELS_DIR/full/<id>.json`, written once a pull has
checked every selected file: the repo, the commit, the selection it was made with, and each file's
size and digest. The cache itself holds nothing but huggingface_hub's layout.

A pull lists the repo at the pinned commit, selects the files (`selection`), refuses up front when the
disk is too small, fetches each file (`Hub.fetch`: the library downloads only what the cache lacks),
then hashes every selected file against its digest; a damaged file is deleted from the cache, so the
next pull fetches it again.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apexlocal.errors import ModelError
from apexlocal.models.checksums import check_cached, delete_cached
from apexlocal.models.files import load_json, write_json
from apexlocal.models.hub import (
    Hub,
    Progress,
    RemoteFile,
    cache_dir,
    delete_revision,
    snapshot_dir,
)
from apexlocal.models.manifest import ModelEntry
from apexlocal.models.selection import select
from apexlocal.settings import Settings


def records_dir(settings: Settings) -> Path:
    return settings.resolved_models_dir / "full"


def snapshot(settings: Settings, entry: ModelEntry) -> Path:
    """The folder the model loads from: the cache's snapshot of the pinned commit."""
    return snapshot_dir(cache_dir(settings), entry.source.repo, entry.source.revision)


def record(settings: Settings, entry: ModelEntry) -> dict[str, Any] | None:
    """The install record, when it is for the manifest's current repo, commit and selection."""
    data = load_json(records_dir(settings) / f"{entry.id}.json")
    if data is None or (data.get("repo"), data.get("revision"), data.get("selection")) != (
        entry.source.repo,
        entry.source.revision,
        entry.source.selection(),
    ):
        return None
    return data


def is_installed(settings: Settings, entry: ModelEntry) -> bool:
    """Recorded, and every recorded file still in the cache (cheap: no hashing, no network)."""
    data = record(settings, entry)
    folder = snapshot(settings, entry)
    return data is not None and all((folder / f["path"]).is_file() for f in data["files"])


def install(settings: Settings, entry: ModelEntry, progress: Progress | None) -> Path:
    hub = Hub(settings, entry)
    files = plan(hub, entry, progress)
    _check_space(hub, files)
    for remote in files:
        hub.fetch(remote.path, progress)
    _reject_damaged(hub, entry, files)
    write_json(
        records_dir(settings) / f"{entry.id}.json",
        {
            "id": entry.id,
            "repo": hub.repo,
            "revision": hub.commit,
            "selection": entry.source.selection(),
            "files": [{"path": f.path, "size": f.size, "sha256": f.sha256, "git_oid": f.git_oid} for f in files],
            "installed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        },
    )
    return hub.snapshot


def plan(hub: Hub, entry: ModelEntry, progress: Progress | None = None) -> list[RemoteFile]:
    """The files a pull takes, with the sizes and digests to check them against."""
    source, listing = entry.source, hub.listing()
    if source.files:
        missing = [f.path for f in source.files if f.path not in listing]
        if missing:
            raise ModelError(
                f"{entry.id}: {hub.repo} has no {', '.join(missing)} at {hub.commit}; fix "
                f"models_manifest.toml, then run `apexlocal models pull {entry.id}`"
            )
        # The manifest's sha256 is checked rather than the hub's: only one digest is compared.
        return [
            RemoteFile(
                f.path,
                f.size or listing[f.path].size,
                f.sha256.lower() or listing[f.path].sha256,
                "" if f.sha256 else listing[f.path].git_oid,
            )
            for f in source.files
        ]
    paths = select(listing, source, hub.model_index(progress) if source.pipeline_files else None)
    if not paths:
        raise ModelError(
            f"{entry.id}: the manifest's selection matches no file of {hub.repo} at "
            f"{hub.commit}; fix models_manifest.toml"
        )
    return [listing[p] for p in paths]


def verify(settings: Settings, entry: ModelEntry) -> list[str]:
    """Problems found (empty: every recorded file is there and hashes to its digest)."""
    data = load_json(records_dir(settings) / f"{entry.id}.json")
    if data is None:
        return [f"{entry.id} is not installed (run `apexlocal models pull {entry.id}`)"]
    if record(settings, entry) is None:
        installed = f"{data.get('repo')}@{data.get('revision')}"
        return [
            (
                f"{entry.id} was installed from {installed} with another selection of files than the "
                f"manifest now names (run `apexlocal models pull {entry.id}`)"
            )
        ]
    folder = snapshot(settings, entry)
    damaged = [
        p
        for f in data["files"]
        for p in check_cached(folder, f["path"], f["size"], f.get("sha256", ""), f.get("git_oid", ""))
    ]
    if damaged:
        damaged.append(f"to repair: `apexlocal models rm {entry.id}` then `apexlocal models pull {entry.id}`")
    return damaged


def remove(settings: Settings, entry: ModelEntry) -> int:
    """Delete the commit's snapshot from the cache, and the record; return the bytes freed."""
    freed = delete_revision(cache_dir(settings), entry.source.repo, entry.source.revision)
    (records_dir(settings) / f"{entry.id}.json").unlink(missing_ok=True)
    return freed


def size_on_disk(settings: Settings, entry: ModelEntry) -> int:
    data, folder = record(settings, entry), snapshot(settings, entry)
    if data is None:
        return 0
    return sum((folder / f["path"]).stat().st_size for f in data["files"] if (folder / f["path"]).is_file())


def _reject_damaged(hub: Hub, entry: ModelEntry, files: list[RemoteFile]) -> None:
    problems = []
    for remote in files:
        found = check_cached(hub.snapshot, remote.path, remote.size, remote.sha256, remote.git_oid)
        if found:
            delete_cached(hub.snapshot, remote.path)
            problems += found
    if problems:
        raise ModelError(
            f"{entry.id}: damaged download ({'; '.join(problems)}); the damaged files were "
            f"deleted, run `apexlocal models pull {entry.id}` to download them again"
        )


def _check_space(hub: Hub, files: list[RemoteFile]) -> None:
    # Counts only what the cache lacks, so a pull that continues is not refused for what it has.
    needed = sum(f.size for f in files if not (hub.snapshot / f.path).is_file())
    hub.cache.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(hub.cache).free
    if needed > free:
        raise ModelError(
            f"{hub.entry.id}: not enough disk space in {hub.cache}: {needed / 1e9:.1f} GB "
            f"needed, {free / 1e9:.1f} GB free; free some space or set APEXLOCAL_HF_CACHE_DIR, "
            f"then run `apexlocal models pull {hub.entry.id}`"
        )
