"""Where the product stands on the canvas, and the product moved there: its own pixels resized
once (Lanczos) and its soft mask with them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from apexlocal.engines.cutout import Cutout
from apexlocal.engines.photoshoot.scenes import Angle

if TYPE_CHECKING:
    import numpy as np

MARGIN = 0.04  # of the canvas, kept clear on every side


@dataclass(frozen=True)
class Placed:
    rgb: np.ndarray  # canvas-sized RGB, float32 0..255: the product's pixels where alpha > 0
    alpha: np.ndarray  # canvas-sized float32 0..1
    box: tuple[int, int, int, int]  # the product's box on the canvas, x1/y1 exclusive


def product_box(size: tuple[int, int], box: tuple[int, int, int, int], angle: Angle) -> tuple[int, int, int, int]:
    """The product's box on a `size` canvas: its height from the angle, its aspect kept, shrunk to
    fit inside the margins."""
    width, height = size
    bw, bh = box[2] - box[0], box[3] - box[1]
    scale = angle.height * height / bh
    room_w, room_h = width * (1 - 2 * MARGIN), height * (1 - 2 * MARGIN)
    scale = min(scale, room_w / bw, room_h / bh)
    w, h = max(1, round(bw * scale)), max(1, round(bh * scale))
    x0 = round(angle.center_x * width - w / 2)
    y1 = round(angle.base_y * height)
    x0 = min(max(x0, round(MARGIN * width)), width - round(MARGIN * width) - w)
    y1 = min(max(y1, round(MARGIN * height) + h), height - round(MARGIN * height))
    return x0, y1 - h, x0 + w, y1


def place(cut: Cutout, size: tuple[int, int], angle: Angle) -> Placed:
    import numpy as np
    from PIL import Image

    bx0, by0, bx1, by1 = padded(cut)
    x0, y0, x1, y1 = product_box(size, (bx0, by0, bx1, by1), angle)
    w, h = x1 - x0, y1 - y0
    crop = Image.fromarray(cut.rgb[by0:by1, bx0:bx1])
    mask = Image.fromarray(cut.alpha[by0:by1, bx0:bx1])
    rgb = np.zeros((size[1], size[0], 3), np.float32)
    alpha = np.zeros((size[1], size[0]), np.float32)
    rgb[y0:y1, x0:x1] = np.asarray(crop.resize((w, h), Image.Resampling.LANCZOS), np.float32)
    alpha[y0:y1, x0:x1] = np.clip(np.asarray(mask.resize((w, h), Image.Resampling.BILINEAR), np.float32), 0, 1)
    return Placed(rgb=rgb, alpha=alpha, box=(x0, y0, x1, y1))


def padded(cut: Cutout) -> tuple[int, int, int, int]:
    """The product's box grown by a few pixels, so the soft edge outside alpha > 0.5 comes along."""
    x0, y0, x1, y1 = cut.box
    pad = max(2, round(0.02 * max(x1 - x0, y1 - y0)))
    height, width = cut.alpha.shape
    return max(0, x0 - pad), max(0, y0 - pad), min(width, x1 + pad), min(height, y1 + pad)


def on_backdrop(placed: Placed, color: tuple[int, int, int] = (128, 128, 128)) -> np.ndarray:
    """The placed product on a flat backdrop, uint8: what an editing model is shown."""
    import numpy as np

    a = placed.alpha[..., None]
    out = placed.rgb * a + np.array(color, np.float32) * (1 - a)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)
