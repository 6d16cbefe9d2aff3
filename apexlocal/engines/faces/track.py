"""Following one face through a video: detect every few frames, smooth in between.

    tracker = FaceTracker(detect_every=5)
    for frame in frames:
        face = tracker.update(frame)       # None where no face has been seen lately

Detection runs on every `detect_every`-th frame (RetinaFace costs far more than a frame's other
work); the frames between reuse the last detection. The face followed is the one nearest the
previous one (the largest at the start, or after the face was lost), so a second person walking
past does not steal the track. Box and landmarks are smoothed with an exponential moving average
(`smoothing` is the weight of the past) so the crop does not jitter; a detection far from the last
(a cut) resets the average. A face missing from `lost_after` detections in a row ends the track.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from apexlocal.engines.faces import Face, find_faces

if TYPE_CHECKING:
    import numpy as np

JUMP = 0.5  # a detection whose centre moved more than this share of the face's width is a new shot


class FaceTracker:
    def __init__(self, detect_every: int = 5, smoothing: float = 0.6, lost_after: int = 2) -> None:
        if detect_every < 1 or not 0 <= smoothing < 1 or lost_after < 1:
            raise ValueError("detect_every >= 1, 0 <= smoothing < 1, lost_after >= 1")
        self.detect_every, self.smoothing, self.lost_after = detect_every, smoothing, lost_after
        self.face: Face | None = None
        self.faces_seen = 0  # the most faces one detection found
        self._frame = 0
        self._misses = 0

    def update(self, rgb: np.ndarray) -> Face | None:
        """The tracked face in this frame (the caller passes every frame, in order)."""
        if self._frame % self.detect_every == 0:
            self._detect(rgb)
        self._frame += 1
        return self.face

    def _detect(self, rgb: np.ndarray) -> None:
        faces = find_faces(rgb)
        self.faces_seen = max(self.faces_seen, len(faces))
        if not faces:
            self._misses += 1
            if self._misses >= self.lost_after:
                self.face = None
            return
        self._misses = 0
        previous = self.face
        if previous is None:
            self.face = faces[0]
            return
        nearest = min(faces, key=lambda f: _distance(f, previous))
        if _distance(nearest, previous) > JUMP * previous.width:
            self.face = nearest
        else:
            self.face = smooth(previous, nearest, self.smoothing)


def _distance(a: Face, b: Face) -> float:
    (ax, ay), (bx, by) = a.center, b.center
    return float(((ax - bx) ** 2 + (ay - by) ** 2) ** 0.5)


def smooth(previous: Face, current: Face, weight: float) -> Face:
    """`current` pulled towards `previous` by `weight` (0: current as is)."""

    def mix(p: float, c: float) -> float:
        return weight * p + (1 - weight) * c

    box = tuple(round(mix(p, c)) for p, c in zip(previous.box, current.box, strict=True))
    landmarks = tuple(
        (mix(px, cx), mix(py, cy)) for (px, py), (cx, cy) in zip(previous.landmarks, current.landmarks, strict=True)
    )
    return Face(box=(box[0], box[1], box[2], box[3]), score=current.score, landmarks=landmarks)
