"""Where each part of a commercial gets its picture, and the pictures as clips for the timeline.

Sources (`sceneClips[].source` in the metadata):
- "spokesperson": with `spokespersonImage`, the hook and the call to action are that face
  speaking the narration, lip-synced by the avatar model (engines/talking_head), full frame;
- "product-image": with `productImages`, the call to action and every other scene show a
  product photo, animated by a slow zoom (in on even scenes, out on odd ones), cropped to the
  frame;
- "video": every other part is a clip of the video model from the part's picture description,
  the product and the tone's wording.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apexlocal.engines import compose as c
from apexlocal.errors import JobError

ZOOM = 0.12  # how much a product photo's zoom grows (or shrinks) over its scene


@dataclass(frozen=True)
class Visual:
    source: str  # "video" | "product-image" | "spokesperson"
    image: int | None = None  # index in productImages


def assign(roles: list[str], images: int, spokesperson: bool) -> list[Visual]:
    """The picture of each part (roles: "hook", "scene"..., "cta"), by the rules above."""
    visuals = []
    scene = 0
    for role in roles:
        if spokesperson and role in ("hook", "cta"):
            visuals.append(Visual("spokesperson"))
        elif images and role == "cta":
            visuals.append(Visual("product-image", 0))
        elif images and role == "scene" and scene % 2 == 0:
            visuals.append(Visual("product-image", (scene // 2 + 1) % images))
        else:
            visuals.append(Visual("video"))
        scene += role == "scene"
    return visuals


def read_photo(path: Path, field: str) -> Any:
    """An input image as an RGB PIL image; JobError naming the field when it is not one."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return image.convert("RGB")
    except (UnidentifiedImageError, OSError) as exc:
        raise JobError(f"{field}: is not an image that can be read ({type(exc).__name__})") from None


def zooming_photo(photo: Any, size: tuple[int, int], fps: float, duration: float, zoom_in: bool, name: str) -> c.Clip:
    """`photo` (a PIL image) cropped to the frame's aspect, zooming over `duration` seconds."""
    count = max(1, round(duration * fps))
    base = _cover_box(photo.size, size)

    def frames() -> Iterator[Any]:
        import numpy as np
        from PIL import Image

        for i in range(count):
            progress = i / (count - 1) if count > 1 else 0.0
            scale = 1 + ZOOM * (progress if zoom_in else 1 - progress)
            yield np.asarray(photo.resize(size, Image.Resampling.BILINEAR, box=_shrunk(base, scale)))

    factory: Callable[[], Iterator[Any]] = frames
    return c.from_frames(factory, fps, duration=count / fps, size=size, name=name)


def _cover_box(image: tuple[int, int], frame: tuple[int, int]) -> tuple[float, float, float, float]:
    """The largest box of the image's centre with the frame's aspect."""
    iw, ih = image
    fw, fh = frame
    if iw * fh > ih * fw:  # wider than the frame: cut the sides
        w = ih * fw / fh
        return ((iw - w) / 2, 0.0, (iw + w) / 2, float(ih))
    h = iw * fh / fw
    return (0.0, (ih - h) / 2, float(iw), (ih + h) / 2)


def _shrunk(box: tuple[float, float, float, float], scale: float) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = box
    cx, cy, hw, hh = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / (2 * scale), (y1 - y0) / (2 * scale)
    return (cx - hw, cy - hh, cx + hw, cy + hh)
