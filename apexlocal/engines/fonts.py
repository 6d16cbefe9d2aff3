"""The bundled fonts a brand profile may name, and where their files are.

The set is the free families that Debian's `fonts-dejavu-core`, `fonts-dejavu-extra` and
`fonts-liberation` install (the same DejaVu Sans Bold the captions use): no font is downloaded and
none is shipped inside apexlocal. Each name maps to a regular and a bold file, looked up in the
usual font folders of Debian/Ubuntu, Arch and Fedora. Names are stable wire values; a machine
missing a family falls back to the first one that is installed, then to Pillow's built-in font.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import ImageFont

DEFAULT_FONT = "dejavu-sans"
# name -> (regular file, bold file)
FONTS: dict[str, tuple[str, str]] = {
    "dejavu-sans": ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    "dejavu-sans-condensed": ("DejaVuSansCondensed.ttf", "DejaVuSansCondensed-Bold.ttf"),
    "dejavu-serif": ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"),
    "dejavu-sans-mono": ("DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf"),
    "liberation-sans": ("LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf"),
    "liberation-sans-narrow": ("LiberationSansNarrow-Regular.ttf", "LiberationSansNarrow-Bold.ttf"),
    "liberation-serif": ("LiberationSerif-Regular.ttf", "LiberationSerif-Bold.ttf"),
    "liberation-mono": ("LiberationMono-Regular.ttf", "LiberationMono-Bold.ttf"),
}
FONT_NAMES: tuple[str, ...] = tuple(FONTS)
FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/truetype/liberation"),
    Path("/usr/share/fonts/truetype/liberation2"),
    Path("/usr/share/fonts/TTF"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/share/fonts/dejavu-sans-fonts"),
    Path("/usr/share/fonts/dejavu-serif-fonts"),
    Path("/usr/share/fonts/liberation-sans"),
    Path("/usr/share/fonts/liberation-serif"),
    Path("/usr/share/fonts/liberation-mono"),
)


@lru_cache(maxsize=64)
def font_file(name: str, bold: bool = False) -> Path | None:
    """The file of a bundled font, or of the first installed one when `name` is missing here."""
    for candidate in (name, *FONT_NAMES):
        files = FONTS.get(candidate)
        if files is None:
            continue
        wanted = files[1] if bold else files[0]
        for folder in FONT_DIRS:
            path = folder / wanted
            if path.is_file():
                return path
    return None


def installed_fonts() -> list[str]:
    """The names of the set whose files are on this machine."""
    return [name for name in FONT_NAMES if font_file(name) is not None and _exact(name)]


def _exact(name: str) -> bool:
    path = font_file(name)
    return path is not None and path.name == FONTS[name][0]


def load_font(name: str, size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A Pillow font of `name` at `size` pixels (Pillow's default font when none is installed)."""
    from PIL import ImageFont

    path = font_file(name, bold)
    if path is None:
        return ImageFont.load_default(size)
    return ImageFont.truetype(str(path), size)
