"""Scratch folders: a job, a voice clone or a preview works on its files in `DATA_DIR/scratch/<id>`
and removes the folder when it ends. A crash ends nothing, so what the previous process left there
(fetched inputs, half-made outputs, the copy of a voice sample whose clone was refunded) and the
uploads it was still receiving are removed at startup, before any job or request can be using them."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from apexlocal.settings import Settings
from apexlocal.uploads.store import remove_leftovers

log = logging.getLogger("apexlocal.jobs")


def scratch_root(settings: Settings) -> Path:
    return settings.data_dir / "scratch"


def clear_leftovers(settings: Settings) -> int:
    """Removes every scratch folder and half-received upload; returns how many. Only safe before
    the workers start and requests are served: nothing of this process may be using them yet."""
    removed = remove_leftovers(settings) + clear_folder(scratch_root(settings))
    if removed:
        log.info("removed %d scratch folders and temporary files left by the previous process", removed)
    return removed


def clear_folder(root: Path) -> int:
    """Removes everything inside `root` (when it exists); returns how many entries went."""
    removed = 0
    for entry in sorted(root.iterdir()) if root.is_dir() else []:
        try:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed += 1
        except OSError as exc:
            log.warning("could not remove the leftover scratch %s: %s", entry, exc)
    return removed
