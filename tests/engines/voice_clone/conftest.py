"""Fixtures of the voice-clone tests: Chatterbox's tiny stand-in built once, a reference clip
spoken by the packaged Piper voice, and an EngineContext built directly (no jobs, no DB)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from apexlocal.engines.base import EngineContext
from apexlocal.models.manifest import Manifest, ModelEntry, load_manifest

REFERENCE_TEXT = ("The quick brown fox jumps over the lazy dog. "
                  "A reference clip gives the cloning model the sound of a voice.")


@pytest.fixture(scope="session")
def clone_manifest() -> Manifest:
    return load_manifest()


@pytest.fixture(scope="session")
def clone_runtime() -> Any:
    from apexlocal.engines.runtime import ModelRuntime

    return ModelRuntime("cpu", budget_bytes=None)


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread() -> Iterator[None]:
    """The stand-in's layers are a few channels wide, so its time goes to per-operation overhead;
    one thread spares it the OpenMP hand-offs that dominate on a busy two-core machine."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def clone_model_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {"__root__": tmp_path_factory.mktemp("voice-clone-models")}


@pytest.fixture
def clone_ctx(tmp_path: Path, clone_runtime: Any, clone_model_dirs: dict[str, Path]) -> Callable[..., EngineContext]:
    from apexlocal.models import tiny
    from apexlocal.models.packaged import check_package

    counter = iter(range(1_000_000))

    def model_dir(entry: ModelEntry) -> Path:
        if entry.source.kind == "pypi":
            return check_package(entry)
        if entry.id not in clone_model_dirs:
            assert entry.tiny is not None
            out = clone_model_dirs["__root__"] / entry.id
            tiny.build(entry.tiny.builder, out, dict(entry.tiny.options))
            clone_model_dirs[entry.id] = out
        return clone_model_dirs[entry.id]

    def make(cancelled: Callable[[], bool] = lambda: False,
             events: list[tuple[str, float]] | None = None) -> EngineContext:
        scratch = tmp_path / f"job-{next(counter)}"
        scratch.mkdir()
        sink = events if events is not None else []
        return EngineContext(
            job_id=scratch.name, device="cpu", scratch_dir=scratch, model_set="tiny",
            progress=lambda fraction, stage: sink.append((stage, fraction)), cancelled=cancelled,
            model_dir=model_dir, runtime=clone_runtime,
        )

    return make


@pytest.fixture(scope="session")
def piper_reference(clone_manifest: Manifest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 6 s of real English speech from the Piper voice, as a WAV (22,050 Hz)."""
    from apexlocal.engines.registry import get_engine
    from apexlocal.engines.runtime import ModelRuntime
    from apexlocal.models.packaged import check_package

    piper = clone_manifest.default_for("voice")
    assert piper.source.kind == "pypi"
    ctx = EngineContext(job_id="reference", device="cpu", scratch_dir=tmp_path_factory.mktemp("piper-reference"),
                        model_set="tiny", progress=lambda fraction, stage: None, cancelled=lambda: False,
                        model_dir=check_package, runtime=ModelRuntime("cpu", budget_bytes=None))
    out = get_engine(piper.engine).run({"text": REFERENCE_TEXT}, piper, ctx)
    return out.files[0].path
