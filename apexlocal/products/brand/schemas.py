"""Wire schemas of /api/brand-profiles."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import UNSET, Meta, Struct, UnsetType, field

from apexlocal.api.schemas import NO_CONTROL_CHARS, RequestBody

MAX_COLORS = 8
MAX_BANNED_WORDS = 100
# The bundled fonts (apexlocal/engines/fonts.py, FONT_NAMES: a test keeps the two the same).
FontName = Literal[
    "dejavu-sans",
    "dejavu-sans-condensed",
    "dejavu-serif",
    "dejavu-sans-mono",
    "liberation-sans",
    "liberation-sans-narrow",
    "liberation-serif",
    "liberation-mono",
]

Name = Annotated[str, Meta(min_length=1, max_length=100, description="The brand's name"), NO_CONTROL_CHARS]
Colors = Annotated[
    list[str],
    Meta(
        max_length=MAX_COLORS,
        description=f"Up to {MAX_COLORS} hex colours #rrggbb, most important first: the first is the accent "
        "(buttons, the call to action), the second the text panel",
    ),
]
Font = Annotated[FontName, Meta(description="One of the bundled fonts (docs/api.md lists their families)")]
LogoUrl = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=4096,
        description="This server's URL of an image you uploaded (POST /api/upload/image); PNG with transparency "
        "works best",
    ),
]
Tone = Annotated[
    str, Meta(min_length=1, max_length=200, description="How the brand speaks, e.g. warm and witty"), NO_CONTROL_CHARS
]
Tagline = Annotated[str, Meta(min_length=1, max_length=200, description="The brand's tagline"), NO_CONTROL_CHARS]
BannedWords = Annotated[
    list[str],
    Meta(
        max_length=MAX_BANNED_WORDS,
        description=f"Up to {MAX_BANNED_WORDS} words or phrases never written in the brand's ads (1-50 characters "
        "each, matched without regard to case)",
    ),
]


class BrandProfileCreate(RequestBody):
    name: Name
    colors: Colors = field(default_factory=list)
    font: Font = "dejavu-sans"
    logo_url: LogoUrl | None = None
    tone: Tone | None = None
    tagline: Tagline | None = None
    banned_words: BannedWords = field(default_factory=list)


class BrandProfileUpdate(RequestBody):
    """Only the fields given change; null clears logoUrl, tone and tagline."""

    name: Name | UnsetType = UNSET
    colors: Colors | UnsetType = UNSET
    font: Font | UnsetType = UNSET
    logo_url: LogoUrl | UnsetType | None = UNSET
    tone: Tone | UnsetType | None = UNSET
    tagline: Tagline | UnsetType | None = UNSET
    banned_words: BannedWords | UnsetType = UNSET


class BrandProfile(Struct, rename="camel"):
    id: str
    name: str
    colors: list[str]
    font: str
    logo_url: str | None  # signed afresh at every read
    tone: str | None
    tagline: str | None
    banned_words: list[str]
    created_at: str
    updated_at: str


class BrandProfileOut(Struct):
    data: BrandProfile


class BrandProfileList(Struct):
    data: list[BrandProfile]
