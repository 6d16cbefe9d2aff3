"""On-screen text: each part's few words drawn large in the upper part of the frame while its
picture shows (the captions of the narration keep the bottom).

White bold text with a dark outline on a translucent box (the brand's first colour when a brand
profile gives one), centred in the top of the platform's safe area, wrapped onto at most two
lines and shrunk until it fits the safe width. Each text is rendered once as an RGBA patch and
blended into every frame of its window, touching only the patch's pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from apexlocal.engines.compose.caption_render import load_font, safe_area

if TYPE_CHECKING:
    import numpy as np

FONT_SCALE = 0.075  # of the frame's short side
MIN_FONT_SCALE = 0.04
MAX_LINES = 2
BOX_OPACITY = 0.6
TOP_OFFSET = 0.04  # of the frame's height, below the safe area's top


@dataclass(frozen=True)
class Card:
    text: str
    start: float
    end: float


class OnScreenText:
    """overlay(frame, t) for compose: the card whose window holds `t`, drawn over the frame."""

    def __init__(self, cards: Sequence[Card], size: tuple[int, int], box_color: tuple[int, int, int] = (0, 0, 0)):
        self.cards, self.size, self.box_color = list(cards), size, box_color
        self._patches: dict[int, tuple[Any, int, int]] = {}

    def __call__(self, frame: np.ndarray, t: float) -> np.ndarray:
        import numpy as np

        index = next((i for i, card in enumerate(self.cards) if card.start <= t < card.end), None)
        if index is None:
            return frame
        if index not in self._patches:
            self._patches[index] = self._render(self.cards[index].text)
        patch, x, y = self._patches[index]
        h, w = patch.shape[:2]
        out = frame.copy()
        region = out[y : y + h, x : x + w].astype(np.float32)
        alpha = patch[:, :, 3:4].astype(np.float32) / 255.0
        out[y : y + h, x : x + w] = (patch[:, :, :3] * alpha + region * (1 - alpha)).astype(np.uint8)
        return out

    def _render(self, text: str) -> tuple[Any, int, int]:
        import numpy as np
        from PIL import Image, ImageDraw

        width, height = self.size
        area = safe_area(self.size)
        px = round(min(width, height) * FONT_SCALE)
        lines, font = _wrap(text, px, area.width, min(width, height))
        pad = max(4, px // 4)
        boxes = [font.getbbox(line) for line in lines]
        line_h = round(font.size * 1.2)
        text_w = max(b[2] - b[0] for b in boxes)
        w, h = text_w + 2 * pad, line_h * len(lines) + 2 * pad
        image = Image.new("RGBA", (w, h), (*self.box_color, round(255 * BOX_OPACITY)))
        draw = ImageDraw.Draw(image)
        stroke = max(1, font.size // 14)
        for i, line in enumerate(lines):
            line_w = boxes[i][2] - boxes[i][0]
            xy = ((w - line_w) // 2 - boxes[i][0], pad + i * line_h)
            draw.text(xy, line, font=font, fill=(255, 255, 255, 255), stroke_width=stroke, stroke_fill=(0, 0, 0, 255))
        x = area.left + (area.width - w) // 2
        y = min(area.top + round(height * TOP_OFFSET), height - h)
        return np.asarray(image), max(0, x), max(0, y)


def _wrap(text: str, px: int, max_width: int, short_side: int) -> tuple[list[str], Any]:
    """At most MAX_LINES lines of `text` no wider than `max_width`, and the font that fits them."""
    minimum = max(10, round(short_side * MIN_FONT_SCALE))
    while True:
        font = load_font(None, px)
        lines: list[str] = []
        for word in text.split():
            candidate = f"{lines[-1]} {word}" if lines else word
            if lines and font.getlength(candidate) <= max_width:
                lines[-1] = candidate
            else:
                lines.append(word)
        fits = len(lines) <= MAX_LINES and all(font.getlength(line) <= max_width for line in lines)
        if fits or px <= minimum:
            return lines[:MAX_LINES], font
        px = max(minimum, round(px * 0.85))
