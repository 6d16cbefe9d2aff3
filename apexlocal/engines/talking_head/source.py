"""What a talking head starts from: a still picture (any format Pillow reads; EXIF rotation
applied) or a video file (any container PyAV decodes)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from apexlocal.engines import compose as c
from apexlocal.errors import JobError

if TYPE_CHECKING:
    import numpy as np

MAX_VIDEO_FPS = 60.0


@dataclass
class Source:
    still: np.ndarray | None  # RGB uint8, for a picture
    clip: c.Clip | None  # for a video
    fps: float
    count: int  # frames of the output


def open_source(path: Path, field: str, still_fps: float, speech_s: float) -> Source:
    """A picture gives ceil(speech_s x still_fps) frames; a video its own length at its own rate
    (at most MAX_VIDEO_FPS). Raises JobError naming `field` for a file that is neither."""
    picture = read_picture(path)
    if picture is not None:
        return Source(picture, None, still_fps, max(1, math.ceil(speech_s * still_fps)))
    try:
        clip = c.open_video(path, audio=False)
    except JobError as exc:
        raise JobError(f"{field}: not a picture or a video this server can read ({exc})") from exc
    fps = min(clip.fps, MAX_VIDEO_FPS)
    return Source(None, clip, fps, max(1, round(clip.duration * fps)))


def read_picture(path: Path) -> np.ndarray | None:
    """The picture as RGB uint8, upright; None when Pillow cannot read it as one (a video)."""
    import numpy as np
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(path) as opened:
            if getattr(opened, "n_frames", 1) > 1:
                opened.seek(0)  # an animated picture: its first frame
            return np.asarray(ImageOps.exif_transpose(opened).convert("RGB"))
    except (UnidentifiedImageError, OSError):
        return None
