"""Where MuseTalk looks in a frame, and how its new mouth goes back in.

Upstream finds 68 face landmarks with DWPose and crops from the nose down: the crop spans the jaw
landmarks across, and from the nose (landmark 29) minus the nose-to-chin distance down to the chin,
plus 10 px (`extra_margin`); the crop is resized to 256x256 whatever its aspect. Here the five
RetinaFace landmarks and box stand in: across, the face box; the nose tip for landmark 29; the
box's bottom for the chin; the margin 4% of the face's height instead of a fixed 10 px.

Upstream blends the new face back through a face-parsing network (BiSeNet) restricted to the lower
half of a 1.5x square around the crop. This engine uses no parsing network: the mask is the lower
half of an ellipse from the nose down to the chin, 92% of the face's width across, feathered over
6% of the face's width, inside that same 1.5x square. The nose, eyes and forehead are never
touched; the jaw and cheeks are replaced where the ellipse covers them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from apexlocal.engines.faces import Face
from apexlocal.engines.faces.crop import Box, blur_mask, cut, paste, resize, square_box

if TYPE_CHECKING:
    import numpy as np

CHIN_MARGIN = 0.04  # of the face's height, below the chin
MOUTH_WIDTH = 0.92  # the blend ellipse's width, of the face's
FEATHER = 0.06  # of the face's width
PASTE_MARGIN = 0.5  # upstream's expand = 1.5


@dataclass(frozen=True)
class MouthRegion:
    crop: Box  # what MuseTalk sees, resized to 256x256
    paste_box: Box  # the square the new face is blended into
    mask: np.ndarray  # float32 0..1 of paste_box's size

    def cut(self, frame: np.ndarray, side: int) -> np.ndarray:
        return cut(frame, self.crop, (side, side))

    def paste(self, frame: np.ndarray, face: np.ndarray) -> np.ndarray:
        """`frame` (changed in place) with the generated `face` crop blended in."""
        x0, y0, x1, y1 = self.crop
        patch = cut(frame, self.paste_box)
        px, py = x0 - self.paste_box[0], y0 - self.paste_box[1]
        patch[py : py + y1 - y0, px : px + x1 - x0] = resize(face, (x1 - x0, y1 - y0))
        return paste(frame, patch, self.paste_box, self.mask)


def mouth_region(face: Face, frame_size: tuple[int, int]) -> MouthRegion:
    import cv2
    import numpy as np

    width, height = frame_size
    x0, _, x1, chin = face.box
    nose_y = face.landmarks[2][1]
    nose_y = min(nose_y, chin - 2)
    top = max(0, round(nose_y - (chin - nose_y)))
    bottom = min(height, round(chin + CHIN_MARGIN * face.height))
    crop = (max(0, x0), top, min(width, x1), max(bottom, top + 2))
    paste_box = square_box(crop, PASTE_MARGIN)
    side = paste_box[2] - paste_box[0]
    mask = np.zeros((side, side), np.float32)
    centre = (round((crop[0] + crop[2]) / 2 - paste_box[0]), round(nose_y - paste_box[1]))
    axes = (max(1, round(MOUTH_WIDTH * (crop[2] - crop[0]) / 2)), max(1, round(crop[3] - nose_y)))
    cv2.ellipse(mask, centre, axes, 0, 0, 180, 1.0, -1)  # 0..180 degrees: the lower half
    mask[: max(0, centre[1]), :] = 0.0
    mask = blur_mask(mask, max(1, round(FEATHER * face.width)))
    return MouthRegion(crop=crop, paste_box=paste_box, mask=mask)
