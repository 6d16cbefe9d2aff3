"""Building a model folder atomically, shared by every family of tiny stand-ins: the files are
written into a hidden sibling folder that is renamed into place, so a reader never sees a
half-built model and an existing one is replaced whole."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from apexlocal.errors import ModelError

DEFAULT_SEED = 0


def seed_option(builder: str, options: dict[str, Any] | None) -> int:
    """The one option a builder takes: `seed`, a non-negative integer."""
    options = options or {}
    unknown = set(options) - {"seed"}
    if unknown:
        raise ModelError(f"tiny builder {builder!r}: unknown options {', '.join(sorted(unknown))}")
    seed = options.get("seed", DEFAULT_SEED)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ModelError(f"tiny builder {builder!r}: seed must be a non-negative integer")
    return seed


def build_atomically(out_dir: Path, write: Callable[[Path], None]) -> None:
    """Calls `write(staging_dir)` and moves the result to `out_dir`."""
    import torch

    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.building-new-", dir=out_dir.parent))
    try:
        # Leave the process's global random state as it was: builds may run inside a serving worker.
        with torch.random.fork_rng(devices=[]):
            write(staging)
        move_into_place(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def move_into_place(staging: Path, out_dir: Path) -> None:
    staging.chmod(0o755)  # mkdtemp makes it private; a models dir is read by other users
    if not out_dir.exists():
        os.replace(staging, out_dir)
        return
    # Same prefix as the staging folder: whoever cleans up after a crash finds both by it.
    retired = out_dir.with_name(f".{out_dir.name}.building-old-{os.getpid()}")
    shutil.rmtree(retired, ignore_errors=True)
    os.replace(out_dir, retired)
    os.replace(staging, out_dir)
    shutil.rmtree(retired, ignore_errors=True)
