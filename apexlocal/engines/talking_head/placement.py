"""Putting a source picture into the output frame without stretching it.

A still photo is scaled to fit inside the frame whole (a portrait photo in a 16:9 frame fills the
height, centred) over a backdrop made of the same photo scaled to cover the frame, blurred and
darkened to 60%, so the sides are not flat bars. A video's frames are fitted the same way but over
black (blurring every frame would cost more than the lip-sync); a video of the output's own size
is left as it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

BACKDROP_BLUR = 0.04  # of the frame's width
BACKDROP_LEVEL = 0.6


def place_photo(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """`rgb` (HxWx3 uint8) inside a frame of `size` (w, h), over its own blurred backdrop."""
    import cv2
    import numpy as np

    from apexlocal.engines.compose.geometry import fit_frame

    backdrop = fit_frame(rgb, size, "crop")
    radius = max(1, round(BACKDROP_BLUR * size[0]))
    backdrop = cv2.GaussianBlur(backdrop, (2 * radius + 1, 2 * radius + 1), 0)
    canvas = (backdrop.astype(np.float32) * BACKDROP_LEVEL).astype(np.uint8)
    plan = _plan(rgb, size)
    x, y, w, h = plan.content_box
    fitted = fit_frame(rgb, size, "pad")
    canvas[y : y + h, x : x + w] = fitted[y : y + h, x : x + w]
    return canvas


def fit_video_frame(frame: Any, size: tuple[int, int]) -> np.ndarray:
    """A decoded frame (numpy or av.VideoFrame) fitted inside `size` over black."""
    from apexlocal.engines.compose.geometry import fit_frame

    return fit_frame(frame, size, "pad")


def _plan(rgb: np.ndarray, size: tuple[int, int]) -> Any:
    from apexlocal.engines.compose.geometry import plan_fit

    return plan_fit((rgb.shape[1], rgb.shape[0]), size, "pad")
