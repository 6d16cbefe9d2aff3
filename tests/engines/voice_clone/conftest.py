"""Fixtures of the voice-clone tests: Chatterbox's tiny stand-in built once, a reference clip
spoken by the packaged Piper voice, and an EngineContext built directly (no jobs, no DB)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from apexlocal.engines.base import EngineContext
from apexlocal.models.manifest import Manifest

REFERENCE_TEXT = (
    "The quick brown fox jumps over the lazy dog. A reference clip gives the cloning model the sound of a voice."
)


@pytest.fixture(scope="session")
def clone_manifest(voice_manifest: Manifest) -> Manifest:
    return voice_manifest


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread() -> Iterator[None]:
    """The stand-in's layers are a few channels wide, so its time goes to per-operation overhead;
    one thread spares it the OpenMP hand-offs that dominate on a busy two-core machine."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def clone_ctx(voice_ctx: Callable[..., EngineContext]) -> Callable[..., EngineContext]:
    """The shared voice-engine context (tests/engines/conftest.py) builds the cloning stand-in too."""
    return voice_ctx


@pytest.fixture(scope="session")
def piper_reference(clone_manifest: Manifest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 6 s of real English speech from the Piper voice, as a WAV (22,050 Hz)."""
    from apexlocal.engines.registry import get_engine
    from apexlocal.engines.runtime import ModelRuntime
    from apexlocal.models.packaged import check_package

    piper = clone_manifest.default_for("voice")
    assert piper.source.kind == "pypi"
    ctx = EngineContext(
        job_id="reference",
        device="cpu",
        scratch_dir=tmp_path_factory.mktemp("piper-reference"),
        model_set="tiny",
        progress=lambda fraction, stage: None,
        cancelled=lambda: False,
        model_dir=check_package,
        runtime=ModelRuntime("cpu", budget_bytes=None),
        manifest=clone_manifest,
    )
    out = get_engine(piper.engine).run({"text": REFERENCE_TEXT}, piper, ctx)
    return out.files[0].path
