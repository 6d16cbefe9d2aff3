"""What an engine is, what it gets, and what it gives back.

An engine turns a validated job spec into files. It never touches the database, the queue or HTTP:
everything it may do to the outside world comes through its `EngineContext`. That boundary is what
lets a worker on another machine run the same code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from apexlocal.errors import JobCancelled, ModelError
from apexlocal.models.manifest import Manifest, ModelEntry

if TYPE_CHECKING:
    from apexlocal.engines.writer.endpoint import WriterEndpoint

ProgressFn = Callable[[float, str], None]


@dataclass
class EngineContext:
    """The engine's whole view of the world for one job."""

    job_id: str
    device: str  # "cuda", "cuda:1", "mps" or "cpu"
    scratch_dir: Path  # private to this job, removed after it
    model_set: str  # "full" or "tiny"
    progress: ProgressFn  # progress(fraction 0..1 of the current stage, stage name)
    cancelled: Callable[[], bool]
    # Makes sure a model's files are on disk (pulling them as a stage if allowed) and returns its dir.
    model_dir: Callable[[ModelEntry], Path]
    # Loaded pipelines kept warm between jobs: runtime.get(key, loader, size_bytes) -> object.
    runtime: Any
    # fetch_input(url, field) -> a local file in scratch_dir: this server's own file URLs come from
    # storage, others through the SSRF-safe fetcher; `field` names the input (errors name it) and
    # decides the media type it must have. Failures raise JobError.
    fetch_input: Callable[[str, str], Path] | None = None
    # The server's catalogue (the `models_manifest` setting): engines that drive a second model
    # (a narration voice, an image-to-video companion) look it up here.
    manifest: Manifest = field(kw_only=True)
    # The external OpenAI-compatible writer (the `writer_*` settings), or None for the embedded
    # model: engines get a writer with engines.writer.open_writer(ctx), never from this directly.
    writer: WriterEndpoint | None = field(default=None, kw_only=True)
    # Where engines keep forms of model files derived once and shared between processes (a GGUF
    # dequantized to safetensors); None: nothing is kept, each process derives them again.
    cache_dir: Path | None = field(default=None, kw_only=True)

    def check_cancelled(self) -> None:
        if self.cancelled():
            raise JobCancelled()


@dataclass
class OutputFile:
    path: Path  # a finished file inside scratch_dir
    content_type: str  # "image/png", "video/mp4", "audio/wav"
    name: str  # file name in storage, e.g. "output.png"
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class EngineOutput:
    files: list[OutputFile]
    metadata: dict[str, Any]


class Engine(Protocol):
    """One job type's model runner. `run` may raise JobError (message shown to the user),
    JobCancelled (via ctx.check_cancelled) or anything else (shown as a generic failure)."""

    def run(self, spec: dict[str, Any], model: ModelEntry, ctx: EngineContext) -> EngineOutput: ...


def model_parts(model: ModelEntry, manifest: Manifest, roles: tuple[str, ...]) -> dict[str, ModelEntry]:
    """The manifest entries a model names for each of `roles` in its `defaults.parts` (models it
    loads beside its own files: a VAE, an audio encoder, ...)."""
    named = model.defaults.get("parts") or {}
    by_id = manifest.by_id()
    out = {}
    for role in roles:
        entry = by_id.get(str(named.get(role, "")))
        if entry is None:
            raise ModelError(f"{model.id}: models_manifest.toml names no {role} part in defaults.parts")
        out[role] = entry
    return out
