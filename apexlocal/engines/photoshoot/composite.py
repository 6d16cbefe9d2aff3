"""The product's own pixels over the generated scene, with the shadows that seat it there: a
contact shadow under its base always, then a mirror reflection on a glossy studio floor or a
cast shadow thrown away from the light elsewhere. Shadows only darken the scene; the product's
pixels are never painted over."""

from __future__ import annotations

from typing import TYPE_CHECKING

from apexlocal.engines.photoshoot.layout import Placed
from apexlocal.engines.photoshoot.scenes import Lighting

if TYPE_CHECKING:
    import numpy as np

REFLECTION_OPACITY = 0.28  # at the product's base, fading to 0
REFLECTION_DEPTH = 0.35  # of the product's height
CONTACT_HEIGHT = 0.06  # of the product's height: the flattened ellipse under its base


def _blur(mask: np.ndarray, radius: float) -> np.ndarray:
    import numpy as np
    from PIL import Image, ImageFilter

    if radius < 0.5:
        return mask
    image = Image.fromarray(np.clip(mask * 255, 0, 255).astype(np.uint8))
    return np.asarray(image.filter(ImageFilter.GaussianBlur(radius)), np.float32) / 255.0


def contact_shadow(placed: Placed, lighting: Lighting) -> np.ndarray:
    """0..1 darkness: a soft ellipse under the product's base."""
    import numpy as np

    height, width = placed.alpha.shape
    x0, y0, x1, y1 = placed.box
    ph = y1 - y0
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    cx, rx, ry = (x0 + x1) / 2, max((x1 - x0) * 0.48, 1.0), max(ph * CONTACT_HEIGHT, 1.0)
    ellipse = (((xx - cx) / rx) ** 2 + ((yy - y1 + ry * 0.3) / ry) ** 2 <= 1).astype(np.float32)
    return _blur(ellipse, ph * lighting.shadow_blur * 0.5 + 1) * lighting.shadow_strength


def cast_shadow(placed: Placed, lighting: Lighting, light_from_left: bool) -> np.ndarray:
    """0..1 darkness: the product's silhouette squashed onto the floor behind it, away from the light."""
    import numpy as np
    from PIL import Image

    x0, y0, x1, y1 = placed.box
    ph = y1 - y0
    silhouette = placed.alpha[y0:y1, x0:x1]
    squashed_h = max(1, round(ph * 0.25))
    flat = np.asarray(Image.fromarray(silhouette).resize((x1 - x0, squashed_h), Image.Resampling.BILINEAR), np.float32)
    shadow = np.zeros_like(placed.alpha)
    dx = round(ph * lighting.cast[0]) * (1 if light_from_left else -1)
    top = y1 - squashed_h + round(ph * lighting.cast[1])
    _paste(shadow, flat, x0 + dx, top)
    return _blur(shadow, ph * lighting.shadow_blur + 1) * lighting.shadow_strength * 0.8


def reflection(placed: Placed) -> tuple[np.ndarray, np.ndarray]:
    """The product mirrored under its base (RGB, and its 0..1 opacity fading with distance)."""
    import numpy as np

    x0, y0, x1, y1 = placed.box
    depth = max(1, round((y1 - y0) * REFLECTION_DEPTH))
    rgb = np.zeros_like(placed.rgb)
    opacity = np.zeros_like(placed.alpha)
    mirrored_rgb = placed.rgb[y0:y1, x0:x1][::-1][:depth]
    fade = np.linspace(REFLECTION_OPACITY, 0, depth, dtype=np.float32)[:, None]
    mirrored_alpha = placed.alpha[y0:y1, x0:x1][::-1][:depth] * fade
    _paste(rgb, mirrored_rgb, x0, y1)
    _paste(opacity, mirrored_alpha, x0, y1)
    return rgb, opacity


def _paste(dest: np.ndarray, patch: np.ndarray, x: int, y: int) -> None:
    """`patch` into `dest` at (x, y), clipped to `dest`."""
    height, width = dest.shape[:2]
    ph, pw = patch.shape[:2]
    sx0, sy0 = max(0, -x), max(0, -y)
    dx0, dy0 = max(0, x), max(0, y)
    w, h = min(pw - sx0, width - dx0), min(ph - sy0, height - dy0)
    if w > 0 and h > 0:
        dest[dy0 : dy0 + h, dx0 : dx0 + w] = patch[sy0 : sy0 + h, sx0 : sx0 + w]


def seat(scene: np.ndarray, placed: Placed, lighting: Lighting, style: str, light_from_left: bool) -> np.ndarray:
    """The scene (float32 RGB 0..255) with the product's shadows (and reflection) on it; the product
    itself is not yet drawn."""
    import numpy as np

    out = scene.astype(np.float32)
    dark = contact_shadow(placed, lighting)
    if style == "reflection":
        mirrored, opacity = reflection(placed)
        out = out * (1 - opacity[..., None]) + mirrored * opacity[..., None]
    else:
        dark = np.maximum(dark, cast_shadow(placed, lighting, light_from_left))
    return out * (1 - dark[..., None] * (1 - placed.alpha[..., None]))


def over(scene: np.ndarray, product_rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """The product (its soft mask as coverage) over the scene, uint8."""
    import numpy as np

    a = alpha[..., None]
    return np.clip(product_rgb * a + scene * (1 - a) + 0.5, 0, 255).astype(np.uint8)
