"""The photoshoot engine tests: tiny stand-ins of an editing model (FLUX.2 [klein]) and a text-only
one (Z-Image, which inpaints), and U2-Net-p's real weights from its package."""

from __future__ import annotations

from pathlib import Path

import pytest

from apexlocal.models import packaged
from apexlocal.models.manifest import Manifest

MODELS = ("flux2-klein-4b", "z-image-turbo")


@pytest.fixture(scope="session")
def tiny_dirs(manifest: Manifest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from apexlocal.models import tiny

    root = tmp_path_factory.mktemp("photoshoot-tiny-models")
    dirs = {"u2netp": packaged.check_package(manifest.by_id()["u2netp"])}
    for model_id in MODELS:
        entry = manifest.by_id()[model_id]
        assert entry.tiny is not None
        tiny.build(entry.tiny.builder, root / model_id, dict(entry.tiny.options))
        dirs[model_id] = root / model_id
    return dirs
