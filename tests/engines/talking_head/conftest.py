"""Fixtures of the talking-head tests: MuseTalk's tiny stand-ins (built once per session, on first
use), the packaged Piper voice and Whisper tiny.en, one warm runtime, photos from scikit-image's
bundled data, and an EngineContext built directly (no jobs, no DB) whose fetcher hands out local
files by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from apexlocal.engines.base import EngineContext
from apexlocal.models.manifest import Manifest, ModelEntry, load_manifest

SKIMAGE_MISSING = "scikit-image is missing: pip install -e '.[test]' (its bundled photos are the test faces)"


def skimage_data() -> Any:
    try:
        import skimage.data
    except ImportError:  # a missing test dependency is a failure, never a skip
        pytest.fail(SKIMAGE_MISSING)
    return skimage.data


@dataclass
class Events:
    items: list[tuple[str, float]] = field(default_factory=list)
    cancel_when: Callable[[list[tuple[str, float]]], bool] = lambda items: False

    def progress(self, fraction: float, stage: str) -> None:
        self.items.append((stage, fraction))

    def cancelled(self) -> bool:
        return self.cancel_when(self.items)

    def stages(self) -> list[str]:
        return list(dict.fromkeys(stage for stage, _ in self.items))


@pytest.fixture(scope="session")
def th_manifest() -> Manifest:
    return load_manifest()


@pytest.fixture(scope="session")
def th_models(tmp_path_factory: pytest.TempPathFactory) -> Callable[[ModelEntry], Path]:
    """model entry -> its files: the package's for a real small model, else the built stand-in."""
    from apexlocal.models import tiny
    from apexlocal.models.packaged import check_package

    root = tmp_path_factory.mktemp("talking-head-models")
    built: dict[str, Path] = {}

    def model_dir(entry: ModelEntry) -> Path:
        if entry.source.kind == "pypi":
            return check_package(entry)
        if entry.id not in built:
            assert entry.tiny is not None, entry.id
            tiny.build(entry.tiny.builder, root / entry.id, dict(entry.tiny.options))
            built[entry.id] = root / entry.id
        return built[entry.id]

    return model_dir


@pytest.fixture(scope="session")
def th_runtime() -> Any:
    from apexlocal.engines.runtime import ModelRuntime

    return ModelRuntime("cpu", budget_bytes=None)


@pytest.fixture(scope="session")
def photos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Real photos: the astronaut (one face), coffee (none), and the astronaut twice, once smaller."""
    import numpy as np
    from PIL import Image

    data = skimage_data()
    root = tmp_path_factory.mktemp("photos")
    astronaut = data.astronaut()
    small = np.asarray(Image.fromarray(astronaut).resize((256, 256)))
    pair = np.zeros((512, 768, 3), np.uint8)
    pair[:, :512], pair[128:384, 512:] = astronaut, small
    out = {}
    for name, rgb in {"astronaut": astronaut, "coffee": data.coffee(), "pair": pair}.items():
        out[name] = root / f"{name}.png"
        Image.fromarray(rgb).save(out[name])
    return out


def make_context(
    scratch: Path,
    models: Callable[[ModelEntry], Path],
    runtime: Any,
    manifest: Manifest,
    inputs: dict[str, Path],
    cancel_when: Callable[[list[tuple[str, float]]], bool] | None = None,
) -> tuple[EngineContext, Events]:
    """A job's context; `fetch_input(url, field)` answers the file `inputs[url]`."""
    events = Events(cancel_when=cancel_when) if cancel_when else Events()
    scratch.mkdir(parents=True, exist_ok=True)
    ctx = EngineContext(
        job_id=scratch.name,
        device="cpu",
        scratch_dir=scratch,
        model_set="tiny",
        progress=events.progress,
        cancelled=events.cancelled,
        model_dir=models,
        runtime=runtime,
        fetch_input=lambda url, _field: inputs[url],
        manifest=manifest,
    )
    return ctx, events


@pytest.fixture
def th_ctx(
    tmp_path: Path, th_models: Any, th_runtime: Any, th_manifest: Manifest, photos: dict[str, Path]
) -> Callable[..., tuple[EngineContext, Events]]:
    counter = iter(range(1_000_000))

    def make(
        cancel_when: Callable[[list[tuple[str, float]]], bool] | None = None, inputs: dict[str, Path] | None = None
    ) -> tuple[EngineContext, Events]:
        return make_context(
            tmp_path / f"job-{next(counter)}",
            th_models,
            th_runtime,
            th_manifest,
            {**photos, **(inputs or {})},
            cancel_when,
        )

    return make
