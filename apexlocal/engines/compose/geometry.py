"""Fitting a frame to the output size: scale, then crop or pad, so every clip matches the output.

    crop     scale to cover the output, cut what overflows (around `anchor`, the centre by default)
    pad      scale to fit inside the output, fill the rest with `color` (letterbox / pillarbox)
    stretch  scale to the output size, ignoring the aspect ratio

A `box` (x, y, w, h in source pixels) is cut from the source first; the mode then fits that box.
The arithmetic (`plan_fit`) is separate from the pixels (`apply_fit`), so a plan is made once per
clip and applied to each of its frames. A frame may be a numpy array or a decoded `av.VideoFrame`;
a decoded frame is scaled by FFmpeg's swscale straight into RGB, skipping a full-size copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from apexlocal.errors import JobError

if TYPE_CHECKING:
    import numpy as np

FitMode = Literal["crop", "pad", "stretch"]
FIT_MODES: tuple[str, ...] = ("crop", "pad", "stretch")
Color = tuple[int, int, int]


@dataclass(frozen=True)
class FitPlan:
    """How one source size maps onto the output: cut `box` from the source, scale it to `scaled`,
    place its top-left corner at `offset` in the output (negative: that much is cropped away)."""

    source: tuple[int, int]
    box: tuple[int, int, int, int] | None
    scaled: tuple[int, int]
    offset: tuple[int, int]
    size: tuple[int, int]
    color: Color = (0, 0, 0)

    @property
    def identity(self) -> bool:
        return self.box is None and self.scaled == self.source == self.size and self.offset == (0, 0)

    @property
    def content_box(self) -> tuple[int, int, int, int]:
        """The part of the output covered by the picture (x, y, w, h); the rest is padding."""
        x, y = max(0, self.offset[0]), max(0, self.offset[1])
        right = min(self.size[0], self.offset[0] + self.scaled[0])
        bottom = min(self.size[1], self.offset[1] + self.scaled[1])
        return x, y, right - x, bottom - y


def plan_fit(
    source: tuple[int, int],
    size: tuple[int, int],
    mode: str = "crop",
    box: tuple[int, int, int, int] | None = None,
    color: Color = (0, 0, 0),
    anchor: tuple[float, float] = (0.5, 0.5),
) -> FitPlan:
    """The plan that fits a `source` (w, h) frame to `size` (w, h); raises JobError for bad input."""
    if mode not in FIT_MODES:
        raise JobError(f"fit: must be one of {', '.join(FIT_MODES)}")
    if box is not None:
        box = _check_box(box, source)
    src_w, src_h = (box[2], box[3]) if box else source
    out_w, out_h = size
    if mode == "stretch":
        scaled = (out_w, out_h)
    else:
        pick = max if mode == "crop" else min
        scale = pick(out_w / src_w, out_h / src_h)
        scaled = _scaled_dim(src_w, scale, out_w, mode), _scaled_dim(src_h, scale, out_h, mode)
    ax, ay = (min(max(float(a), 0.0), 1.0) for a in anchor)
    offset = round((out_w - scaled[0]) * ax), round((out_h - scaled[1]) * ay)
    return FitPlan((source[0], source[1]), box, scaled, offset, (out_w, out_h), _check_color(color))


def _scaled_dim(src: int, scale: float, out: int, mode: str) -> int:
    value = max(1, round(src * scale))
    # Rounding must never leave a one-pixel gap (crop) or overflow (pad).
    return max(value, out) if mode == "crop" else min(value, out)


def _check_box(box: tuple[int, int, int, int], source: tuple[int, int]) -> tuple[int, int, int, int]:
    try:
        x, y, w, h = (int(v) for v in box)
    except (TypeError, ValueError):
        raise JobError("crop box: must be four integers (x, y, width, height)") from None
    if w < 1 or h < 1 or x < 0 or y < 0 or x + w > source[0] or y + h > source[1]:
        raise JobError(f"crop box: {box} lies outside the {source[0]}x{source[1]} source")
    return x, y, w, h


def _check_color(color: Color) -> Color:
    try:
        r, g, b = (int(c) for c in color)
    except (TypeError, ValueError):
        raise JobError("color: must be three integers 0-255") from None
    if not all(0 <= c <= 255 for c in (r, g, b)):
        raise JobError("color: must be three integers 0-255")
    return r, g, b


def frame_size(frame: Any) -> tuple[int, int]:
    """(width, height) of a numpy frame or an av.VideoFrame."""
    if hasattr(frame, "shape"):
        return int(frame.shape[1]), int(frame.shape[0])
    return int(frame.width), int(frame.height)


def as_rgb(frame: Any) -> np.ndarray:
    """A numpy uint8 HxWx3 array from a numpy frame (gray, RGB or RGBA), a PIL image or an
    av.VideoFrame."""
    import numpy as np

    if hasattr(frame, "to_ndarray"):
        return np.ascontiguousarray(frame.to_ndarray(format="rgb24"))
    if hasattr(frame, "convert") and not hasattr(frame, "shape"):  # a PIL image
        return np.asarray(frame.convert("RGB"))
    array = np.asarray(frame)
    if array.dtype != np.uint8:
        raise JobError(f"frames must be uint8, got {array.dtype}")
    if array.ndim == 2:
        return np.repeat(array[:, :, None], 3, axis=2)
    if array.ndim == 3 and array.shape[2] == 4:
        return np.ascontiguousarray(array[:, :, :3])
    if array.ndim != 3 or array.shape[2] != 3:
        raise JobError(f"frames must be HxWx3 RGB arrays, got shape {array.shape}")
    return array


def apply_fit(frame: Any, plan: FitPlan, reformatter: Any = None) -> np.ndarray:
    """The frame fitted to `plan.size`, as a new (or, for an identity plan, the same) RGB array.
    A `av.video.reformatter.VideoReformatter` kept by the caller saves setting up FFmpeg's scaler
    for every decoded frame."""
    if plan.identity:
        return as_rgb(frame)
    if hasattr(frame, "reformat") and plan.box is None:
        if reformatter is None:
            import av

            reformatter = av.video.reformatter.VideoReformatter()
        scaled = reformatter.reformat(
            frame, width=plan.scaled[0], height=plan.scaled[1], format="rgb24", interpolation="BICUBIC"
        ).to_ndarray()
        return _place(scaled[_visible_rows(plan), _visible_columns(plan)], plan)
    return _place(_resize_visible(_cut(as_rgb(frame), plan.box), plan), plan)


def _visible_rows(plan: FitPlan) -> slice:
    _, y, _, h = plan.content_box
    return slice(y - plan.offset[1], y - plan.offset[1] + h)


def _visible_columns(plan: FitPlan) -> slice:
    x, _, w, _ = plan.content_box
    return slice(x - plan.offset[0], x - plan.offset[0] + w)


def _place(content: np.ndarray, plan: FitPlan) -> np.ndarray:
    """The output frame: `content` (the visible picture) on the padding colour where it is smaller."""
    import numpy as np

    x, y, w, h = plan.content_box
    if (w, h) == plan.size:
        return np.ascontiguousarray(content)
    canvas = np.empty((plan.size[1], plan.size[0], 3), dtype=np.uint8)
    canvas[:] = plan.color
    canvas[y : y + h, x : x + w] = content
    return canvas


def fit_frame(
    frame: Any,
    size: tuple[int, int],
    mode: str = "crop",
    box: tuple[int, int, int, int] | None = None,
    color: Color = (0, 0, 0),
    anchor: tuple[float, float] = (0.5, 0.5),
) -> np.ndarray:
    """One frame fitted to `size`: `plan_fit` and `apply_fit` in one call."""
    return apply_fit(frame, plan_fit(frame_size(frame), size, mode, box, color, anchor))


def _cut(array: np.ndarray, box: tuple[int, int, int, int] | None) -> np.ndarray:
    if box is None:
        return array
    x, y, w, h = box
    return array[y : y + h, x : x + w]


def _resize_visible(array: np.ndarray, plan: FitPlan) -> np.ndarray:
    """The part of `array` scaled to `plan.scaled` that the output shows, scaled straight from its
    source region: a crop never scales the pixels it then cuts away (a 160x96 frame filling
    1080x1920 is 1080 columns wide, not 3200). The pixels are those of scaling it all and cutting,
    within one level of rounding."""
    import numpy as np
    from PIL import Image

    if (array.shape[1], array.shape[0]) == plan.scaled:
        return array[_visible_rows(plan), _visible_columns(plan)]
    x, y, w, h = plan.content_box
    fx, fy = array.shape[1] / plan.scaled[0], array.shape[0] / plan.scaled[1]
    left, top = x - plan.offset[0], y - plan.offset[1]
    region = (left * fx, top * fy, (left + w) * fx, (top + h) * fy)
    image = Image.fromarray(np.ascontiguousarray(array))
    return np.asarray(image.resize((w, h), Image.Resampling.BICUBIC, box=region))
