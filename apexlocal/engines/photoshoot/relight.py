"""The product's colour and light matched to the scene without repainting it: each pixel is
multiplied by a per-channel gain (the scene's colour temperature around the product) and by a
gentle ramp across the product (brighter on the side the scene is lit from). Both are bounded,
so the label, logo and texture stay the photo's own:

    every channel of every product pixel changes by at most
    (1 + MAX_TINT) x (1 + MAX_RAMP) - 1 = 12.4 % of its value (about 32 of 255 levels at most).

With a neutral, evenly lit scene the gains are 1 and nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from apexlocal.engines.photoshoot.layout import Placed

if TYPE_CHECKING:
    import numpy as np

MAX_TINT = 0.06  # per-channel gain stays within 1 +- this
MAX_RAMP = 0.06  # the light ramp's multiplier stays within 1 +- this (both axes together)
TINT_STRENGTH = 0.5  # how much of the scene's tint the product takes (a square root of the ratio)
RING = 0.15  # the scene measured around the product: this share of its height beyond its edge
MAX_CHANGE = (1 + MAX_TINT) * (1 + MAX_RAMP) - 1


@dataclass(frozen=True)
class Relight:
    gains: tuple[float, float, float]  # R, G, B
    ramp: tuple[float, float]  # multiplier slope left->right and top->bottom across the product

    @property
    def light_from_left(self) -> bool:
        return self.ramp[0] <= 0

    def as_metadata(self) -> dict[str, object]:
        return {"gains": [round(g, 4) for g in self.gains], "ramp": [round(r, 4) for r in self.ramp]}


def measure(scene: np.ndarray, placed: Placed) -> Relight:
    """The scene's tint around the product and which side it is lit from."""
    import numpy as np

    x0, y0, x1, y1 = placed.box
    reach = max(2, round((y1 - y0) * RING))
    height, width = placed.alpha.shape
    ring = np.zeros((height, width), bool)
    ring[max(0, y0 - reach) : y1 + reach, max(0, x0 - reach) : x1 + reach] = True
    ring &= placed.alpha < 0.02
    around = scene[ring].astype(np.float64).mean(axis=0) if ring.any() else np.full(3, 128.0)
    tint = (around + 1) / (around.mean() + 1)
    gains = np.clip(tint**TINT_STRENGTH, 1 - MAX_TINT, 1 + MAX_TINT)
    luminance = scene.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    outside = placed.alpha < 0.02
    third_w, third_h = width // 3, height // 3

    def contrast(a: np.ndarray, a_mask: np.ndarray, b: np.ndarray, b_mask: np.ndarray) -> float:
        la, lb = a[a_mask].mean() if a_mask.any() else 0.0, b[b_mask].mean() if b_mask.any() else 0.0
        return float((lb - la) / (la + lb + 1e-6))

    horizontal = contrast(luminance[:, :third_w], outside[:, :third_w], luminance[:, -third_w:], outside[:, -third_w:])
    vertical = contrast(luminance[:third_h], outside[:third_h], luminance[-third_h:], outside[-third_h:])
    half = MAX_RAMP / 2
    return Relight(
        gains=(float(gains[0]), float(gains[1]), float(gains[2])),
        ramp=(float(np.clip(horizontal, -half, half)), float(np.clip(vertical, -half, half))),
    )


def apply(placed: Placed, light: Relight) -> np.ndarray:
    """The product's pixels (canvas-sized float32 RGB) with the gains and the ramp applied."""
    import numpy as np

    x0, y0, x1, y1 = placed.box
    height, width = placed.alpha.shape
    xs = np.zeros(width, np.float32)
    ys = np.zeros(height, np.float32)
    xs[x0:x1] = np.linspace(-1, 1, x1 - x0, dtype=np.float32)
    ys[y0:y1] = np.linspace(-1, 1, y1 - y0, dtype=np.float32)
    ramp = 1 + light.ramp[0] * xs[None, :] + light.ramp[1] * ys[:, None]
    gains = np.array(light.gains, np.float32)
    return np.clip(placed.rgb * gains * ramp[..., None], 0, 255)
