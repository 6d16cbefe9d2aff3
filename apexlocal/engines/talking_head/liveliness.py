"""Blinks and a little head motion for a talking still photo, made by the engine, not the model.

MuseTalk only redraws the lower face; from a still photo alone the rest would stay frozen. So for
a still source this module adds, after the mouth is pasted:

- Blinks: the first 1-2 s in, then every 2.5-5.5 s (random, from a seed), each 0.25 s long
  (closing in 0.08 s, closed for 0.04 s, opening in 0.13 s). Each eye's region (around its
  landmark, half the eye distance wide) is covered from the top down by an eyelid: the skin just
  above and below the eye box, interpolated down each column, with a darker lash line at its edge,
  blended in through a feathered ellipse.
- Head motion: a slow rotation (at most about 1.2 degrees) about the neck and a drift of at most
  2% of the face's width sideways and 1.2% up and down, each a sum of two sine waves of 0.1-0.35 Hz
  with random phases. Only the head region (an ellipse about 2.6 face widths across, from above
  the hair to below the chin) is warped, blended into the still background through a wide
  feather, so the background does not move.

Sources that are videos get none of this: they move on their own.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from apexlocal.engines.faces import Face
from apexlocal.engines.faces.crop import Box, cut, feather_mask, paste

if TYPE_CHECKING:
    import numpy as np

BLINK_S = 0.25
CLOSE_S, HOLD_S = 0.08, 0.04
MAX_ANGLE_DEG = 1.2
MAX_SHIFT_X, MAX_SHIFT_Y = 0.02, 0.012  # of the face's width
LASH_DARKEN = 0.55


@dataclass(frozen=True)
class Pose:
    angle_deg: float
    dx: float  # pixels
    dy: float
    blink: float  # 0 open .. 1 closed


class Liveliness:
    """Per-frame blink and head pose for one face in a still picture."""

    def __init__(self, face: Face, frame_size: tuple[int, int], fps: float, duration_s: float, seed: int = 0) -> None:
        self.face, self.fps, self.frame_size = face, fps, frame_size
        rng = random.Random(seed)
        self.phases = [rng.uniform(0, 2 * math.pi) for _ in range(6)]
        self.blinks = _blink_times(rng, duration_s)
        self.head_box, self.head_mask = _head_region(face, frame_size)

    def pose(self, index: int) -> Pose:
        t = index / self.fps
        p = self.phases

        def wave(f1: float, f2: float, a: float, b: float) -> float:
            return 0.6 * math.sin(2 * math.pi * f1 * t + a) + 0.4 * math.sin(2 * math.pi * f2 * t + b)

        width = self.face.width
        return Pose(
            angle_deg=MAX_ANGLE_DEG * wave(0.13, 0.31, p[0], p[1]),
            dx=MAX_SHIFT_X * width * wave(0.11, 0.27, p[2], p[3]),
            dy=MAX_SHIFT_Y * width * wave(0.17, 0.35, p[4], p[5]),
            blink=max((_closure(t - start) for start in self.blinks), default=0.0),
        )

    def apply(self, frame: np.ndarray, index: int) -> np.ndarray:
        """The frame (changed in place) with this frame's blink and head pose."""
        pose = self.pose(index)
        if pose.blink > 0.01:
            for eye in self.face.landmarks[:2]:
                _close_eye(frame, eye, self.face, pose.blink)
        return self._move_head(frame, pose)

    def _move_head(self, frame: np.ndarray, pose: Pose) -> np.ndarray:
        import cv2

        box = self.head_box
        region = cut(frame, box)
        x0, y0 = box[0], box[1]
        pivot = ((self.face.box[0] + self.face.box[2]) / 2 - x0, self.face.box[3] + 0.3 * self.face.height - y0)
        matrix = cv2.getRotationMatrix2D(pivot, pose.angle_deg, 1.0)
        matrix[0, 2] += pose.dx
        matrix[1, 2] += pose.dy
        size = (region.shape[1], region.shape[0])
        moved = cv2.warpAffine(region, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        return paste(frame, moved, box, self.head_mask)


def _blink_times(rng: random.Random, duration_s: float) -> list[float]:
    times, t = [], rng.uniform(1.0, 2.0)
    while t < duration_s:
        times.append(t)
        t += rng.uniform(2.5, 5.5)
    return times


def _closure(t: float) -> float:
    """How closed the eye is `t` seconds after a blink began."""
    if t < 0 or t > BLINK_S:
        return 0.0
    if t < CLOSE_S:
        return t / CLOSE_S
    if t < CLOSE_S + HOLD_S:
        return 1.0
    return max(0.0, 1.0 - (t - CLOSE_S - HOLD_S) / (BLINK_S - CLOSE_S - HOLD_S))


def _head_region(face: Face, frame_size: tuple[int, int]) -> tuple[Box, np.ndarray]:
    cx = (face.box[0] + face.box[2]) / 2
    half = 1.3 * face.width
    box = (
        round(cx - half),
        round(face.box[1] - 0.9 * face.height),
        round(cx + half),
        round(face.box[3] + 0.6 * face.height),
    )
    size = (box[2] - box[0], box[3] - box[1])
    return box, feather_mask(size, feather=0.22, ellipse=True)


def _eye_box(eye: tuple[float, float], face: Face) -> Box:
    left, right = face.landmarks[0], face.landmarks[1]
    distance = max(4.0, math.dist(left, right))
    w, h = 0.55 * distance, 0.32 * distance
    x, y = eye
    return round(x - w / 2), round(y - h * 0.55), round(x + w / 2), round(y + h * 0.45)


def _close_eye(frame: np.ndarray, eye: tuple[float, float], face: Face, closure: float) -> None:
    """Draws the upper eyelid `closure` of the way down over the eye, in place."""
    import numpy as np

    box = _eye_box(eye, face)
    x0, y0, x1, y1 = box
    height, width = frame.shape[:2]
    if x0 < 0 or y0 < 1 or x1 > width or y1 >= height or x1 - x0 < 4 or y1 - y0 < 4:
        return
    h = y1 - y0
    above = frame[y0 - 1, x0:x1].astype(np.float32)
    below = frame[y1, x0:x1].astype(np.float32)
    ramp = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
    lid = above[None] * (1 - ramp) + below[None] * ramp  # skin interpolated down each column
    edge = closure * 0.8 * h  # the lid's edge, in rows from the box's top
    rows = np.arange(h, dtype=np.float32)[:, None, None]
    lash = np.clip(1.0 - np.abs(rows - edge) / max(1.0, 0.08 * h), 0.0, 1.0)
    lid *= 1.0 - (1.0 - LASH_DARKEN) * lash
    cover = np.clip(edge - rows + 1.0, 0.0, 1.0) * feather_mask((x1 - x0, h), feather=0.2, ellipse=True)[..., None]
    region = frame[y0:y1, x0:x1].astype(np.float32)
    frame[y0:y1, x0:x1] = np.clip(region * (1 - cover) + lid * cover + 0.5, 0, 255).astype(np.uint8)
