"""Drawing caption lines onto frames with Pillow: white text with a dark outline on a translucent
dark box (readable on any background), inside the frame's safe area, the spoken word highlighted.

Safe areas keep text clear of the edges and of the buttons and descriptions that platforms lay
over vertical video: 9:16 keeps 22% of the height free at the bottom and 12% at the top. Each
(line, spoken word) is rendered once as a small RGBA patch and then blended into every frame that
shows it, touching only the patch's pixels.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from apexlocal.engines.compose.captions import CaptionLine, CaptionStyle
from apexlocal.engines.compose.sizes import aspect_of
from apexlocal.errors import JobError

if TYPE_CHECKING:
    import numpy as np

# (side margin / width, top margin / height, bottom margin / height)
SAFE_MARGINS: dict[str, tuple[float, float, float]] = {
    "16:9": (0.05, 0.05, 0.08),
    "9:16": (0.10, 0.12, 0.22),
    "1:1": (0.06, 0.06, 0.10),
    "4:5": (0.06, 0.07, 0.14),
}
OTHER_MARGINS = (0.06, 0.06, 0.10)
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf",
    "/usr/share/fonts/noto/NotoSans-Bold.ttf",
    "/System/Library/Fonts/Supplemental/Arial Bold.ttf",
    "/Library/Fonts/Arial Bold.ttf",
    os.path.join(os.environ.get("WINDIR", r"C:\Windows"), "Fonts", "arialbd.ttf"),
)
AVERAGE_CHAR_WIDTH = 0.58  # of the font size, bold sans, for sizing lines before drawing them
MAX_LINE_CHARS = 32


@dataclass(frozen=True)
class SafeArea:
    left: int
    top: int
    right: int  # exclusive
    bottom: int  # exclusive

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top


def safe_area(size: tuple[int, int]) -> SafeArea:
    """Where captions may be drawn in a frame of `size` (w, h)."""
    width, height = size
    side, top, bottom = SAFE_MARGINS.get(aspect_of(width, height) or "", OTHER_MARGINS)
    return SafeArea(
        round(width * side), round(height * top), width - round(width * side), height - round(height * bottom)
    )


def font_px(size: tuple[int, int], style: CaptionStyle) -> int:
    width, height = size
    scale = style.font_scale or (0.065 if height > width else 0.055)
    return max(10, round(min(width, height) * scale))


def default_max_chars(size: tuple[int, int], style: CaptionStyle) -> int:
    """How many characters fit a line across the safe area at the style's font size, at most
    MAX_LINE_CHARS: short lines read at a glance."""
    box = safe_area(size)
    return max(8, min(MAX_LINE_CHARS, int(box.width * 0.92 / (font_px(size, style) * AVERAGE_CHAR_WIDTH))))


def find_font_path() -> str | None:
    for candidate in FONT_CANDIDATES:
        if os.path.isfile(candidate):
            return candidate
    return None


@lru_cache(maxsize=32)
def load_font(path: str | None, size: int) -> Any:
    """A TrueType font at `size` px: `path`, else a system bold sans, else Pillow's own scalable
    font (Pillow >= 10.1)."""
    from PIL import ImageFont

    path = path or find_font_path()
    if path is not None:
        try:
            return ImageFont.truetype(path, size)
        except OSError as exc:
            raise JobError(f"captions: cannot load the font {path} ({exc})") from exc
    return ImageFont.load_default(size=size)


@dataclass
class _Patch:
    x: int
    y: int
    inverse_alpha: np.ndarray  # (h, w, 1) uint16: 255 - alpha
    premultiplied: np.ndarray  # (h, w, 3) uint16: rgb * alpha


class CaptionRenderer:
    """draw(frame, t) -> the frame with the caption line on screen at `t`; the same array when
    none is, else a new one (frames may be shared with their sources)."""

    def __init__(self, lines: Sequence[CaptionLine], size: tuple[int, int], style: CaptionStyle) -> None:
        if style.position not in ("bottom", "center", "top"):
            raise JobError("captions: position must be bottom, center or top")
        self.lines, self.size, self.style = list(lines), size, style
        self.area = safe_area(size)
        self._base_px = font_px(size, style)
        self._cursor = 0
        self._key: tuple[int, int | None] | None = None
        self._patch: _Patch | None = None

    def draw(self, frame: np.ndarray, t: float) -> np.ndarray:
        index = self._line_index(t)
        if index is None:
            return frame
        line = self.lines[index]
        word = line.active_word(t) if self.style.highlight_color is not None else None
        if self._key != (index, word):
            self._key, self._patch = (index, word), self._render(line, word)
        return self._blend(frame, self._patch)

    def _line_index(self, t: float) -> int | None:
        # Times only move forward while composing; a backward jump starts the search over.
        if self._cursor >= len(self.lines) or (self._cursor and self.lines[self._cursor].start > t):
            self._cursor = 0
        while self._cursor + 1 < len(self.lines) and self.lines[self._cursor + 1].start <= t:
            self._cursor += 1
        if self.lines and self.lines[self._cursor].start <= t < self.lines[self._cursor].end:
            return self._cursor
        return None

    def _render(self, line: CaptionLine, active: int | None) -> _Patch | None:
        import numpy as np
        from PIL import Image, ImageDraw

        style, area = self.style, self.area
        words = [w for w, _, _ in line.words]
        px = self._base_px
        font = load_font(style.font_path, px)
        stroke = max(1, round(px * style.outline))
        pad_x, pad_y = round(px * 0.45), round(px * 0.25)
        text_width = _text_width(font, words) + 2 * stroke
        room = area.width - 2 * pad_x
        if text_width > room:  # too long for the line: shrink the font to fit
            px = max(8, int(px * room / text_width))
            font = load_font(style.font_path, px)
            stroke = max(1, round(px * style.outline))
            text_width = _text_width(font, words) + 2 * stroke
        ascent, descent = font.getmetrics()
        width = min(area.width, text_width + 2 * pad_x)
        height = min(area.height, ascent + descent + 2 * stroke + 2 * pad_y)
        layer = Image.new("RGBA", (width, height), (0, 0, 0, 0))
        if style.box_opacity > 0:
            ImageDraw.Draw(layer).rounded_rectangle(
                (0, 0, width - 1, height - 1),
                radius=round(px * 0.3),
                fill=(*style.box_color, round(255 * min(style.box_opacity, 1.0))),
            )
        text = Image.new("RGBA", (width, height), (0, 0, 0, 0))
        draw = ImageDraw.Draw(text)
        x, y = (width - text_width) / 2 + stroke, pad_y + stroke
        space = font.getlength(" ")
        for i, word in enumerate(words):
            color = style.highlight_color if i == active and style.highlight_color else style.text_color
            draw.text(
                (x, y),
                word,
                font=font,
                fill=(*color, 255),
                stroke_width=stroke,
                stroke_fill=(*style.outline_color, 255),
            )
            x += font.getlength(word) + space
        rgba = np.asarray(Image.alpha_composite(layer, text)).astype(np.uint16)
        alpha = rgba[:, :, 3:4]
        left = area.left + (area.width - width) // 2
        top = {"bottom": area.bottom - height, "top": area.top, "center": area.top + (area.height - height) // 2}[
            style.position
        ]
        return _Patch(left, top, 255 - alpha, rgba[:, :, :3] * alpha)

    @staticmethod
    def _blend(frame: np.ndarray, patch: _Patch | None) -> np.ndarray:
        import numpy as np

        if patch is None:
            return frame
        out = np.array(frame, copy=True)
        h, w = patch.inverse_alpha.shape[:2]
        region = out[patch.y : patch.y + h, patch.x : patch.x + w]
        mixed = region.astype(np.uint16) * patch.inverse_alpha
        mixed += patch.premultiplied
        mixed += 127
        region[:] = (mixed // 255).astype(np.uint8)
        return out


def _text_width(font: Any, words: list[str]) -> int:
    return int(round(font.getlength(" ".join(words))))
