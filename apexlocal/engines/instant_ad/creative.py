"""Drawing a creative with Pillow, as three layers the video animates too: the background, the
product picture, and the copy (headline, body, call-to-action button) on its panel with the logo.

Layout by shape: a tall frame has the product above and the copy below (clear of the bottom 8%,
where TikTok lays its caption and buttons); a square one the same, tighter; a wide one the copy
on the left and the product on the right. Text is wrapped to its box and shrunk until it fits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from apexlocal.engines.fonts import load_font
from apexlocal.engines.instant_ad.copywriting import Variation
from apexlocal.engines.instant_ad.look import Look

if TYPE_CHECKING:
    from PIL import Image

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive)


@dataclass(frozen=True)
class Layout:
    product: Box  # where the product picture goes
    panel: Box  # the copy's panel
    logo: Box


@dataclass
class Parts:
    background: Image.Image  # RGB, the creative's size
    product: Image.Image | None  # RGBA, already scaled to fit `product_at`
    product_at: tuple[int, int]  # its top-left corner
    copy: Image.Image  # RGBA, the creative's size: panel, copy, button, logo


def layout(size: tuple[int, int]) -> Layout:
    w, h = size
    m = round(min(w, h) * 0.05)
    logo_side = round(min(w, h) * 0.12)
    logo = (m, m, m + logo_side * 2, m + logo_side)
    if w > h * 1.2:  # wide: copy left, product right
        return Layout((round(w * 0.55), m, w - m, h - m), (m, round(h * 0.22), round(w * 0.52), h - m), logo)
    if h > w * 1.2:  # tall
        return Layout((m, round(h * 0.1), w - m, round(h * 0.55)), (m, round(h * 0.58), w - m, round(h * 0.9)), logo)
    return Layout((m * 2, round(h * 0.1), w - m * 2, round(h * 0.52)), (m, round(h * 0.55), w - m, h - m), logo)


def fit_inside(picture: Image.Image, box: Box) -> tuple[Image.Image, tuple[int, int]]:
    """`picture` scaled to fit `box` (keeping its shape), and where it goes to sit centred."""
    from PIL import Image

    bw, bh = box[2] - box[0], box[3] - box[1]
    scale = min(bw / picture.width, bh / picture.height)
    size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
    fitted = picture.resize(size, Image.Resampling.LANCZOS)
    return fitted, (box[0] + (bw - size[0]) // 2, box[1] + (bh - size[1]) // 2)


def _wrap(draw: Any, text: str, font: Any, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def fit_text(draw: Any, text: str, font_name: str, bold: bool, width: int, height: int, start: int, max_lines: int):
    """The largest font (from `start` px down) at which `text` wraps into `width` x `height` in at
    most `max_lines` lines: (font, lines, line height)."""
    size = start
    while True:
        font = load_font(font_name, size, bold)
        lines = _wrap(draw, text, font, width)
        line_h = round(size * 1.2)
        widest = max((draw.textlength(line, font=font) for line in lines), default=0)
        if (len(lines) <= max_lines and len(lines) * line_h <= height and widest <= width) or size <= 12:
            return font, lines, line_h
        size = max(12, round(size * 0.9))


def _copy_layer(size: tuple[int, int], box: Box, look: Look, variation: Variation) -> Image.Image:
    from PIL import Image, ImageDraw

    layer = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    short = min(size)
    radius = round(short * look.radius)
    draw.rounded_rectangle(box, radius=radius, fill=(*look.panel, look.panel_alpha))
    pad = round(short * 0.04)
    x0, y0, x1, y1 = box[0] + pad, box[1] + pad, box[2] - pad, box[3] - pad
    width, height = x1 - x0, y1 - y0
    headline = variation.headline.upper() if look.uppercase else variation.headline
    h_font, h_lines, h_step = fit_text(
        draw, headline, look.font, True, width, round(height * 0.45), round(short * look.headline_scale), 3
    )
    y = y0
    for line in h_lines:
        draw.text((x0, y), line, font=h_font, fill=look.text)
        y += h_step
    cta_h = round(short * 0.075)
    body_room = y1 - cta_h - pad // 2 - (y + pad // 2)
    if body_room > short * 0.03 and variation.body:
        b_font, b_lines, b_step = fit_text(
            draw, variation.body, look.font, False, width, body_room, round(short * 0.042), 4
        )
        y += pad // 2
        for line in b_lines:
            draw.text((x0, y), line, font=b_font, fill=look.text)
            y += b_step
    _button(draw, (x0, y1 - cta_h), cta_h, width, look, variation.call_to_action, radius)
    return layer


def _button(draw: Any, at: tuple[int, int], height: int, max_width: int, look: Look, label: str, radius: int) -> None:
    font, lines, _ = fit_text(draw, label, look.font, True, max_width - height, height, round(height * 0.5), 1)
    text = lines[0] if lines else label
    text_w = draw.textlength(text, font=font)
    width = min(max_width, round(text_w + height))
    x, y = at
    draw.rounded_rectangle((x, y, x + width, y + height), radius=max(radius, height // 4), fill=look.accent)
    top = y + (height - font.size) // 2 - round(font.size * 0.1)
    draw.text((x + (width - text_w) / 2, top), text, font=font, fill=look.accent_text)


def render_parts(
    size: tuple[int, int],
    look: Look,
    variation: Variation,
    background: Image.Image,
    product: Image.Image | None,
    logo: Image.Image | None,
) -> Parts:
    """The creative's layers at `size`; `background` is fitted (cropped) to it and tinted."""
    from PIL import Image, ImageOps

    plan = layout(size)
    base = ImageOps.fit(background.convert("RGB"), size, Image.Resampling.LANCZOS)
    base = Image.blend(base, Image.new("RGB", size, look.tint), 0.25)
    fitted, at = (None, (0, 0)) if product is None else fit_inside(product.convert("RGBA"), plan.product)
    copy = _copy_layer(size, plan.panel, look, variation)
    if logo is not None:
        mark, mark_at = fit_inside(logo.convert("RGBA"), plan.logo)
        copy.alpha_composite(mark, (plan.logo[0], mark_at[1]))  # left-aligned in its corner
    return Parts(base, fitted, at, copy)


def flatten(parts: Parts) -> Image.Image:
    """The still creative: background, product, copy."""
    frame = parts.background.convert("RGBA")
    if parts.product is not None:
        frame.alpha_composite(parts.product, parts.product_at)
    frame.alpha_composite(parts.copy)
    return frame.convert("RGB")
