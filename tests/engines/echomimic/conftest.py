"""Fixtures of the EchoMimicV3 tests: the talking-head tests' tiny models, warm runtime, photos and
job contexts, shared with them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from apexlocal.models.manifest import Manifest
from tests.engines.talking_head.conftest import make_context, photos, th_manifest, th_models, th_runtime

__all__ = ["photos", "th_manifest", "th_models", "th_runtime"]  # the talking-head tests' fixtures, shared


@pytest.fixture
def em_ctx(tmp_path: Path, th_models: Any, th_runtime: Any, th_manifest: Manifest, photos: Any) -> Callable[..., Any]:
    counter = iter(range(1_000_000))

    def make(cancel_when: Any = None, inputs: dict[str, Path] | None = None) -> Any:
        return make_context(
            tmp_path / f"job-{next(counter)}", th_models, th_runtime, th_manifest, {**photos, **(inputs or {})},
            cancel_when,
        )  # fmt: skip

    return make
