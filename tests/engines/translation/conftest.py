"""Apertium must be installed for these tests: a missing program fails them, saying how to install it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

APT_FIX = "sudo apt-get install apertium apertium-eng-spa"


@pytest.fixture(scope="session")
def apertium_installed() -> None:
    assert shutil.which("apertium"), f"the apertium program is missing; install it: `{APT_FIX}`"
    assert Path("/usr/share/apertium/modes/eng-spa.mode").is_file(), (
        f"the English-Spanish Apertium pair is missing; install it: `{APT_FIX}`"
    )
