"""Small helpers for the files apexlocal keeps about models: JSON written atomically, folder sizes,
and a lock that keeps two processes from installing one model at once."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def load_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.replace(tmp, path)  # atomic: the file is either whole or absent


def tree_size(path: Path) -> int:
    """Bytes of a file, or of every file under a folder (0 when absent)."""
    if path.is_file():
        return path.stat().st_size
    if not path.is_dir():
        return 0
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


@contextlib.contextmanager
def model_lock(folder: Path, model_id: str) -> Iterator[None]:
    """Held while one model is installed or removed, by whichever process does it."""
    # The library's file lock: filelock, falling back to a soft lock where flock is missing.
    from huggingface_hub.utils import WeakFileLock

    lock_path = folder / ".locks" / f"{model_id}.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with WeakFileLock(lock_path):
        yield
