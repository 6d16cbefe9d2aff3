"""A real photo of an object on a plain background, made for the tests: the coffee photograph of
scikit-image's data cut to a bottle's outline (a rounded body and a neck) and set on a plain
off-white backdrop, so the object's exact shape is known."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

BACKDROP = (236, 236, 232)


@dataclass(frozen=True)
class ProductPhoto:
    rgb: np.ndarray  # HxWx3 uint8
    shape: np.ndarray  # HxW bool: where the object is

    def png(self) -> bytes:
        buffer = io.BytesIO()
        Image.fromarray(self.rgb).save(buffer, format="PNG")
        return buffer.getvalue()


def product_photo(width: int = 512, height: int = 384) -> ProductPhoto:
    import skimage.data

    texture = np.asarray(Image.fromarray(skimage.data.coffee()).resize((width, height), Image.Resampling.BILINEAR))
    outline = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(outline)
    sx, sy = width / 512, height / 384
    draw.rounded_rectangle((190 * sx, 70 * sy, 330 * sx, 330 * sy), radius=30 * sx, fill=255)
    draw.rectangle((235 * sx, 30 * sy, 285 * sx, 80 * sy), fill=255)
    shape = np.asarray(outline) > 127
    rgb = np.where(shape[..., None], texture, np.array(BACKDROP, np.uint8)).astype(np.uint8)
    return ProductPhoto(rgb=rgb, shape=shape)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())
