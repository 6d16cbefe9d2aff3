"""Which Apertium pairs this machine has: the `.mode` files that Debian's `apertium-*` data
packages install (`/usr/share/apertium/modes/eng-spa.mode` translates English to Spanish). Reading
the folder is cheap and imports nothing, so the API can answer from it at submit time.

A mode is named `src-tgt` with Apertium's three-letter codes, either side possibly with a variant
(`spa-eng_US`, `spa-cat_valencia`); the plain pair is taken where there is one, a variant only for
a pair that has nothing else.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

from apexlocal.engines.translation.codes import to_iso1
from apexlocal.models.manifest import ModelEntry

MODES_DIRS = ("/usr/share/apertium/modes", "/usr/local/share/apertium/modes")
PROGRAM = "apertium"
INSTALL_HINT = "install it with `sudo apt-get install apertium apertium-eng-spa` (Debian, Ubuntu)"


def modes_dirs(entry: ModelEntry | None = None) -> list[Path]:
    """Where the mode files are looked for: the manifest entry's `source.paths`, else the usual places."""
    listed = (entry.source.paths if entry is not None else ()) or MODES_DIRS
    return [Path(p) for p in listed]


def program() -> str | None:
    """The `apertium` program's path, or None when it is not installed."""
    return shutil.which(PROGRAM)


def modes_dir(entry: ModelEntry | None = None) -> Path | None:
    """The first of the mode folders that exists (its parent is Apertium's `-d` data folder)."""
    return next((folder for folder in modes_dirs(entry) if folder.is_dir()), None)


def installed_modes(folder: Path | None) -> list[str]:
    """The mode names (`eng-spa`) in `folder`, sorted."""
    return sorted(p.stem for p in folder.glob("*.mode")) if folder is not None else []


def pairs_of(modes: Iterable[str]) -> dict[tuple[str, str], str]:
    """(source, target) in ISO 639-1 -> the mode that translates it; modes of languages without a
    two-letter code are left out."""
    pairs: dict[tuple[str, str], str] = {}
    for mode in modes:
        sides = mode.split("-")
        if len(sides) != 2:
            continue  # not a translation direction (a debugging mode such as eng-spa-tagger)
        source, target = (to_iso1(side.split("_", 1)[0]) for side in sides)
        if source is None or target is None or source == target:
            continue
        plain = "_" not in mode
        if plain or (source, target) not in pairs:
            pairs[(source, target)] = mode
    return pairs


def installed_pairs(entry: ModelEntry | None = None) -> dict[tuple[str, str], str]:
    """The pairs this machine translates with Apertium (empty when the program is missing)."""
    if program() is None:
        return {}
    return pairs_of(installed_modes(modes_dir(entry)))
