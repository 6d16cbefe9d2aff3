"""How a style looks, and a brand profile's colours and font laid over it.

A brand's first colour becomes the accent (the call-to-action button), its second the text
panel; the text on each is black or white, whichever contrasts more (WCAG relative luminance),
so a brand colour never makes the copy unreadable. The brand's font replaces the style's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from apexlocal.engines.fonts import DEFAULT_FONT, FONTS

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Look:
    panel: RGB  # the box behind the copy
    panel_alpha: int  # 0-255
    text: RGB
    accent: RGB  # the call-to-action button
    accent_text: RGB
    tint: RGB  # laid over the background
    font: str
    uppercase: bool  # headline in capitals
    radius: float  # corner radius, as a fraction of the creative's short side
    headline_scale: float  # the largest headline, as a fraction of the short side
    mood: str  # the music bed's mood for the video ad
    prompt: str  # the background's look, for the image model


STYLES: dict[str, Look] = {
    "modern": Look(
        (255, 255, 255),
        235,
        (17, 24, 39),
        (37, 99, 235),
        (255, 255, 255),
        (30, 41, 59),
        "dejavu-sans",
        False,
        0.025,
        0.085,
        "happy",
        "soft gradient studio backdrop, clean modern surfaces, gentle light",
    ),
    "bold": Look(
        (17, 17, 17),
        245,
        (255, 255, 255),
        (250, 204, 21),
        (17, 17, 17),
        (120, 20, 20),
        "dejavu-sans-condensed",
        True,
        0.0,
        0.1,
        "energetic",
        "vivid saturated colour blocks, strong contrast, dramatic light",
    ),
    "minimal": Look(
        (255, 255, 255),
        255,
        (34, 34, 34),
        (34, 34, 34),
        (255, 255, 255),
        (230, 230, 230),
        "liberation-sans",
        False,
        0.0,
        0.07,
        "calm",
        "plain light neutral backdrop, lots of empty space, soft shadow",
    ),
    "luxury": Look(
        (12, 12, 12),
        235,
        (245, 230, 200),
        (201, 162, 39),
        (12, 12, 12),
        (20, 16, 10),
        "dejavu-serif",
        False,
        0.01,
        0.08,
        "tender",
        "dark marble and velvet backdrop, warm golden rim light, elegant",
    ),
    "playful": Look(
        (255, 247, 237),
        240,
        (124, 45, 18),
        (236, 72, 153),
        (255, 255, 255),
        (251, 191, 36),
        "dejavu-sans",
        False,
        0.05,
        0.085,
        "happy",
        "bright pastel confetti backdrop, cheerful colours, playful shapes",
    ),
}


def hex_rgb(value: str) -> RGB:
    return (int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16))


def luminance(rgb: RGB) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def readable_on(background: RGB) -> RGB:
    """Black or white text, whichever contrasts more with `background`."""
    lum = luminance(background)
    return (17, 17, 17) if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else (255, 255, 255)


def look_for(style: str, brand: dict[str, Any] | None) -> Look:
    look = STYLES[style]
    if not brand:
        return look
    colors = [hex_rgb(c) for c in brand.get("colors") or []]
    if colors:
        look = replace(look, accent=colors[0], accent_text=readable_on(colors[0]))
    if len(colors) > 1:
        look = replace(look, panel=colors[1], text=readable_on(colors[1]), panel_alpha=245)
    font = brand.get("font")
    if font in FONTS:
        look = replace(look, font=font)
    return look


__all__ = ["DEFAULT_FONT", "STYLES", "Look", "look_for", "readable_on"]
