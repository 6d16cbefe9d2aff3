"""Fixtures of the EchoMimicV3 tests: the tiny stand-ins (built once per session, on first use),
one warm runtime, and the talking-head tests' photos and job contexts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from apexlocal.models.manifest import Manifest, ModelEntry, load_manifest
from tests.engines.talking_head.conftest import make_context, skimage_data


@pytest.fixture(scope="session")
def em_manifest() -> Manifest:
    return load_manifest()


@pytest.fixture(scope="session")
def em_models(tmp_path_factory: pytest.TempPathFactory) -> Callable[[ModelEntry], Path]:
    from apexlocal.models import tiny
    from apexlocal.models.packaged import check_package

    root = tmp_path_factory.mktemp("echomimic-models")
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
def em_runtime() -> Any:
    from apexlocal.engines.runtime import ModelRuntime

    return ModelRuntime("cpu", budget_bytes=None)


@pytest.fixture(scope="session")
def em_photos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from PIL import Image

    root = tmp_path_factory.mktemp("em-photos")
    data = skimage_data()
    out = {}
    for name, rgb in {"astronaut": data.astronaut(), "coffee": data.coffee()}.items():
        out[name] = root / f"{name}.png"
        Image.fromarray(rgb).save(out[name])
    return out


@pytest.fixture
def em_ctx(
    tmp_path: Path, em_models: Any, em_runtime: Any, em_manifest: Manifest, em_photos: Any
) -> Callable[..., Any]:
    counter = iter(range(1_000_000))

    def make(cancel_when: Any = None, inputs: dict[str, Path] | None = None) -> Any:
        return make_context(
            tmp_path / f"job-{next(counter)}", em_models, em_runtime, em_manifest, {**em_photos, **(inputs or {})},
            cancel_when,
        )  # fmt: skip

    return make
