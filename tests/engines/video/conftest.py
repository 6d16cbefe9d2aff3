"""Fixtures of the video engine tests: tiny stand-ins built once per session (each on first use),
one warm runtime shared by the tests, an EngineContext built directly (no jobs, no DB), and a
spy on the pipelines' calls."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from apexlocal.engines.base import EngineContext
from apexlocal.models.manifest import Manifest, ModelEntry, load_manifest


@pytest.fixture(scope="session")
def video_manifest() -> Manifest:
    return load_manifest()


@pytest.fixture(scope="session")
def video_models(tmp_path_factory: pytest.TempPathFactory) -> Callable[[ModelEntry], Path]:
    """model entry -> its tiny stand-in's folder, built the first time it is asked for."""
    from apexlocal.models import tiny

    root = tmp_path_factory.mktemp("video-tiny-models")
    built: dict[str, Path] = {}

    def model_dir(entry: ModelEntry) -> Path:
        if entry.id not in built:
            assert entry.tiny is not None, entry.id
            tiny.build(entry.tiny.builder, root / entry.id, dict(entry.tiny.options))
            built[entry.id] = root / entry.id
        return built[entry.id]

    return model_dir


@pytest.fixture(scope="session")
def video_runtime() -> Any:
    from apexlocal.engines.runtime import ModelRuntime

    return ModelRuntime("cpu", budget_bytes=None)


@dataclass
class Events:
    """Progress events; `cancel_when(events)` decides what `cancelled()` answers."""

    items: list[tuple[str, float]] = field(default_factory=list)
    cancel_when: Callable[[list[tuple[str, float]]], bool] = lambda items: False
    models_asked: list[str] = field(default_factory=list)

    def progress(self, fraction: float, stage: str) -> None:
        self.items.append((stage, fraction))

    def cancelled(self) -> bool:
        return self.cancel_when(self.items)

    def stages(self) -> list[str]:
        return list(dict.fromkeys(stage for stage, _ in self.items))


@pytest.fixture
def video_ctx(
    tmp_path: Path, video_models: Callable[[ModelEntry], Path], video_runtime: Any, video_manifest: Manifest
) -> Callable[..., tuple[EngineContext, Events]]:
    counter = iter(range(1_000_000))

    def make(
        cancel_when: Callable[[list[tuple[str, float]]], bool] | None = None,
    ) -> tuple[EngineContext, Events]:
        events = Events(cancel_when=cancel_when) if cancel_when else Events()
        scratch = tmp_path / f"job-{next(counter)}"
        scratch.mkdir()

        def model_dir(entry: ModelEntry) -> Path:
            events.models_asked.append(entry.id)
            return video_models(entry)

        ctx = EngineContext(
            job_id=scratch.name,
            device="cpu",
            scratch_dir=scratch,
            model_set="tiny",
            progress=events.progress,
            cancelled=events.cancelled,
            model_dir=model_dir,
            runtime=video_runtime,
            manifest=video_manifest,
        )
        return ctx, events

    return make


@dataclass
class Call:
    pipeline: str
    image: Any  # the `image` argument (PIL) of an image-to-video call, else None
    image_encoder: bool  # whether the pipeline that ran has a CLIP image encoder
    last_frame: Any  # uint8 (H, W, 3): the last frame the call made, as the engine rounds it


@pytest.fixture
def pipeline_calls(monkeypatch: pytest.MonkeyPatch) -> list[Call]:
    """Every call of the video pipeline classes during the test, in order."""
    import diffusers
    import numpy as np

    calls: list[Call] = []

    def spy(cls: type) -> None:
        original = cls.__call__

        @functools.wraps(original)
        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            result = original(self, *args, **kwargs)
            last = np.asarray(result.frames[0][-1], dtype=np.float32)
            last = (np.clip(last, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
            calls.append(
                Call(cls.__name__, kwargs.get("image"), getattr(self, "image_encoder", None) is not None, last)
            )
            return result

        monkeypatch.setattr(cls, "__call__", call)

    for name in ("WanPipeline", "WanImageToVideoPipeline", "LTX2Pipeline", "LTX2ImageToVideoPipeline"):
        spy(getattr(diffusers, name))
    return calls
