"""The cut-out tests run U2-Net-p from its PyPI package: `tiny_dirs` (the engine tests' model
folders) points at the installed package's folder instead of built stand-ins."""

from __future__ import annotations

from pathlib import Path

import pytest

from apexlocal.models import packaged
from apexlocal.models.manifest import Manifest


@pytest.fixture(scope="session")
def tiny_dirs(manifest: Manifest) -> dict[str, Path]:
    return {"u2netp": packaged.check_package(manifest.by_id()["u2netp"])}
