"""From a model's foreground probability to the product's alpha mask and box, and the check that
there is a product at all."""

from __future__ import annotations

from typing import TYPE_CHECKING

from apexlocal.errors import JobError

if TYPE_CHECKING:
    import numpy as np

# A model's raw probability peaks near 1 on a salient object; on a blank or featureless photo it
# stays near 0 everywhere (U2-Net-p: under 0.01 on a plain grey frame).
MIN_PEAK = 0.5
# The product must cover at least this share of the photo: smaller is a speck, not a product.
MIN_AREA = 0.002


def to_alpha(raw: np.ndarray, width: int, height: int) -> np.ndarray:
    """The probability scaled to the photo with bilinear filtering, so edges stay soft."""
    import numpy as np
    from PIL import Image

    prob = np.clip(raw.astype(np.float32), 0.0, 1.0)
    scaled = Image.fromarray(prob).resize((width, height), Image.Resampling.BILINEAR)
    return np.clip(np.asarray(scaled, dtype=np.float32), 0.0, 1.0)


def object_box(raw: np.ndarray, alpha: np.ndarray, field: str) -> tuple[int, int, int, int]:
    """The box of alpha > 0.5; JobError naming `field` when nothing is found."""
    import numpy as np

    peak = float(np.max(raw)) if raw.size else 0.0
    solid = alpha > 0.5
    if peak < MIN_PEAK or solid.mean() < MIN_AREA:
        raise JobError(
            f"{field}: no object found in the photo (nothing stands out from the background); "
            "use a photo of the product on a plain background"
        )
    ys, xs = np.nonzero(solid)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1
