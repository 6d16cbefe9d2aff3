"""Fixtures of the engine tests: tiny models built once per session, a warm runtime shared by the
tests (so each pipeline loads once), and an EngineContext built directly, without jobs or a DB."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from apexlocal.engines.base import EngineContext
from apexlocal.models.manifest import Manifest, ModelEntry, load_manifest

# Only the models these tests run; each build takes a second or two.
ENGINE_TEST_MODELS = ("flux2-klein-4b", "qwen-image")


@pytest.fixture(scope="session")
def manifest() -> Manifest:
    return load_manifest()


@pytest.fixture(scope="session")
def tiny_dirs(manifest: Manifest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from apexlocal.models import tiny

    root = tmp_path_factory.mktemp("engine-tiny-models")
    dirs: dict[str, Path] = {}
    for model_id in ENGINE_TEST_MODELS:
        entry = manifest.by_id()[model_id]
        assert entry.tiny is not None
        tiny.build(entry.tiny.builder, root / model_id, dict(entry.tiny.options))
        dirs[model_id] = root / model_id
    return dirs


@pytest.fixture(scope="session")
def runtime() -> Any:
    from apexlocal.engines.runtime import ModelRuntime

    return ModelRuntime("cpu", budget_bytes=None)


@dataclass
class Recorder:
    """Collects progress events; `cancel_when(events)` decides what `cancelled()` answers."""

    events: list[tuple[str, float]] = field(default_factory=list)
    cancel_when: Callable[[list[tuple[str, float]]], bool] = lambda events: False

    def progress(self, fraction: float, stage: str) -> None:
        self.events.append((stage, fraction))

    def cancelled(self) -> bool:
        return self.cancel_when(self.events)

    def stage(self, name: str) -> list[float]:
        return [f for s, f in self.events if s == name]


@pytest.fixture
def make_ctx(
    tmp_path: Path, tiny_dirs: dict[str, Path], runtime: Any, manifest: Manifest
) -> Callable[..., tuple[EngineContext, Recorder]]:
    counter = iter(range(1_000_000))

    def make(
        cancel_when: Callable[[list[tuple[str, float]]], bool] | None = None, runtime_: Any = None
    ) -> tuple[EngineContext, Recorder]:
        recorder = Recorder(cancel_when=cancel_when) if cancel_when else Recorder()
        scratch = tmp_path / f"job-{next(counter)}"
        scratch.mkdir()

        def model_dir(entry: ModelEntry) -> Path:
            return tiny_dirs[entry.id]

        ctx = EngineContext(
            job_id=scratch.name,
            device="cpu",
            scratch_dir=scratch,
            model_set="tiny",
            progress=recorder.progress,
            cancelled=recorder.cancelled,
            model_dir=model_dir,
            runtime=runtime_ or runtime,
            manifest=manifest,
        )
        return ctx, recorder

    return make


# Voice and speech-to-text engines: the packaged Piper voice, a shared warm runtime, and an
# EngineContext built directly (no jobs, no DB).
@pytest.fixture(scope="session")
def voice_manifest() -> Manifest:
    return load_manifest()


@pytest.fixture(scope="session")
def voice_runtime() -> Any:
    from apexlocal.engines.runtime import ModelRuntime

    return ModelRuntime("cpu", budget_bytes=None)


@pytest.fixture(scope="session")
def voice_model_dirs(voice_manifest: Manifest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Where each voice model's files are: packages for the real ones, built stand-ins otherwise."""
    return {"__root__": tmp_path_factory.mktemp("voice-tiny-models")}


@pytest.fixture(scope="session")
def model_store(voice_manifest: Manifest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The tiny set's store, for models it installs without a build: package parts joined once
    (the multilingual Whisper base), system programs (apertium, espeak-ng)."""
    from apexlocal.models.store import ModelStore
    from apexlocal.settings import Settings

    return ModelStore(Settings(data_dir=tmp_path_factory.mktemp("engine-store"), model_set="tiny"), voice_manifest)


@pytest.fixture
def voice_ctx(
    tmp_path: Path, voice_runtime: Any, voice_model_dirs: dict[str, Path], voice_manifest: Manifest, model_store: Any
) -> Callable[..., EngineContext]:
    from apexlocal.models import tiny
    from apexlocal.models.packaged import check_package

    counter = iter(range(1_000_000))

    def model_dir(entry: ModelEntry) -> Path:
        if entry.source.join is not None or entry.source.kind == "system":
            return model_store.pull(entry)
        if entry.source.kind == "pypi":
            return check_package(entry)
        if entry.id not in voice_model_dirs:
            assert entry.tiny is not None
            out = voice_model_dirs["__root__"] / entry.id
            tiny.build(entry.tiny.builder, out, dict(entry.tiny.options))
            voice_model_dirs[entry.id] = out
        return voice_model_dirs[entry.id]

    def make(
        cancelled: Callable[[], bool] = lambda: False, events: list[tuple[str, float]] | None = None
    ) -> EngineContext:
        scratch = tmp_path / f"job-{next(counter)}"
        scratch.mkdir()
        sink = events if events is not None else []
        return EngineContext(
            job_id=scratch.name,
            device="cpu",
            scratch_dir=scratch,
            model_set="tiny",
            progress=lambda fraction, stage: sink.append((stage, fraction)),
            cancelled=cancelled,
            model_dir=model_dir,
            runtime=voice_runtime,
            manifest=voice_manifest,
        )

    return make
