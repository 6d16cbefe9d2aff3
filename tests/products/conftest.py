"""The product modules' end-to-end server: one `apexlocal serve` on the tiny set (tests/products/live.py's
tiny_server, its settings unchanged) for the whole session, so that each model loads once rather than
once per module. A module that needs other settings (a writer endpoint, SIP, one torch thread) defines a
`server` of its own, which takes precedence. Each module on this one waits for all its jobs before it
ends and checks only its own jobs and credits (the balance it read before submitting them)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ServerProcess
from tests.products.live import tiny_server


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Iterator[ServerProcess]:
    with tiny_server(tmp_path_factory, models_dir, "products-e2e") as srv:
        yield srv
