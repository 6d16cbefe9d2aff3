"""Cutting a face region out of a frame and pasting a processed one back at full resolution.

    box = square_box(face.box, margin=0.5, frame=(w, h))   # a square around the face, 50% wider
    crop = cut(frame, box, (256, 256))                      # that square at 256x256
    ...                                                     # a model edits `crop`
    mask = feather_mask((box[2] - box[0], box[3] - box[1]), feather=0.1)
    out = paste(frame, edited, box, mask)                   # blended back, the seam feathered

Boxes are (x0, y0, x1, y1) in the frame's pixels and may reach past its edges: what lies outside
is cut as black and never pasted. Heavy libraries (numpy, PIL, cv2) are imported inside functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

Box = tuple[int, int, int, int]


def square_box(box: Box, margin: float = 0.0, frame: tuple[int, int] | None = None) -> Box:
    """The square centred on `box` whose side is its longer side times (1 + margin); shifted to lie
    inside `frame` (w, h) where it fits, shrunk to the frame where it does not."""
    x0, y0, x1, y1 = box
    side = round(max(x1 - x0, y1 - y0) * (1 + margin))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    left, top = round(cx - side / 2), round(cy - side / 2)
    if frame is not None:
        side = min(side, frame[0], frame[1])
        left = min(max(0, left), frame[0] - side)
        top = min(max(0, top), frame[1] - side)
    return left, top, left + side, top + side


def cut(frame: np.ndarray, box: Box, size: tuple[int, int] | None = None) -> np.ndarray:
    """The pixels of `box` (black where it leaves the frame), resized to `size` (w, h) if given."""
    import numpy as np

    x0, y0, x1, y1 = box
    height, width = frame.shape[:2]
    out = np.zeros((y1 - y0, x1 - x0, frame.shape[2]), dtype=frame.dtype)
    sx0, sy0, sx1, sy1 = max(0, x0), max(0, y0), min(width, x1), min(height, y1)
    if sx1 > sx0 and sy1 > sy0:
        out[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = frame[sy0:sy1, sx0:sx1]
    return resize(out, size) if size is not None else out


def resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """`image` at `size` (w, h): area averaging when it shrinks, bicubic when it grows."""
    import cv2

    if (image.shape[1], image.shape[0]) == size:
        return image
    shrinking = size[0] < image.shape[1] and size[1] < image.shape[0]
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC)


def feather_mask(size: tuple[int, int], feather: float = 0.1, ellipse: bool = False) -> np.ndarray:
    """A float32 (h, w) mask in 0..1: 1 inside, falling to 0 at the edges over `feather` of the
    shorter side (a rectangle, or the inscribed ellipse)."""
    import cv2
    import numpy as np

    width, height = size
    border = max(1, round(min(width, height) * feather))
    mask = np.zeros((height, width), np.float32)
    if ellipse:
        axes = (max(1, width // 2 - border), max(1, height // 2 - border))
        cv2.ellipse(mask, (width // 2, height // 2), axes, 0, 0, 360, 1.0, -1)
    else:
        mask[border : height - border, border : width - border] = 1.0
    return blur_mask(mask, border)


def blur_mask(mask: np.ndarray, radius: int) -> np.ndarray:
    """A mask's edges softened over about `radius` pixels (a Gaussian blur)."""
    import cv2

    kernel = 2 * max(1, radius) + 1
    return cv2.GaussianBlur(mask, (kernel, kernel), 0)


def paste(frame: np.ndarray, patch: np.ndarray, box: Box, mask: np.ndarray | None = None) -> np.ndarray:
    """`frame` with `patch` (resized to the box) blended into `box` by `mask` (float 0..1 of the
    box's size; None: pasted whole). Only the part of the box inside the frame is written; the
    frame is changed in place and returned."""
    import numpy as np

    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    patch = resize(patch, (w, h))
    height, width = frame.shape[:2]
    sx0, sy0, sx1, sy1 = max(0, x0), max(0, y0), min(width, x1), min(height, y1)
    if sx1 <= sx0 or sy1 <= sy0:
        return frame
    inner = (slice(sy0 - y0, sy1 - y0), slice(sx0 - x0, sx1 - x0))
    region = frame[sy0:sy1, sx0:sx1]
    if mask is None:
        region[:] = patch[inner]
        return frame
    alpha = resize(mask.astype(np.float32), (w, h))[inner][..., None]
    blended = region.astype(np.float32) * (1 - alpha) + patch[inner].astype(np.float32) * alpha
    region[:] = np.clip(blended + 0.5, 0, 255).astype(frame.dtype)
    return frame
