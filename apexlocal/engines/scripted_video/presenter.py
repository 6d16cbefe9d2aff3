"""The narrated video's presenter (`avatarImage`): the face in that photo speaks the narration in a
picture-in-picture over the scenes.

What it looks like: a square in the top-right corner (the captions keep the bottom), its side 36%
of the frame's height, inset by 4% of the height from the top and right edges, with a 2 px white
frame, over the scenes for the whole video, lead-in and pauses included. Inside it, the photo
cropped to a square around the largest face (three face heights tall, the face a little above
the centre, so the shoulders show), lip-synced to the whole narration track by the avatar model
(`avatarModel`, decided at submit: the manifest's default for task `avatar`) with the talking
head's own blinks and head motion (engines/talking_head).

When: the photo is fetched and checked for a face before anything is narrated or denoised (no
face: the job fails with "avatarImage: no face found"); the presenter is rendered once the
narration is laid out (stages "presenter: lip-sync", "presenter: encoding"), before the scenes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexlocal.engines import compose as c
from apexlocal.engines.base import EngineContext
from apexlocal.engines.faces import Face
from apexlocal.engines.faces.crop import cut, square_box
from apexlocal.engines.talking_head.engine import check_photo
from apexlocal.engines.talking_head.render import render_talking_head
from apexlocal.engines.talking_head.source import read_picture
from apexlocal.errors import JobError, ModelError
from apexlocal.models.manifest import ModelEntry

if TYPE_CHECKING:
    import numpy as np

FIELD = "avatarImage"
SIDE = 0.36  # of the frame's height
INSET = 0.04  # of the frame's height
BORDER_PX = 2
POSITION = "top-right"


@dataclass(frozen=True)
class Presenter:
    model: ModelEntry
    photo: Path  # the square crop around the face, in the scratch dir
    faces_found: int


def prepare_presenter(spec: dict[str, Any], ctx: EngineContext) -> Presenter | None:
    """The checked presenter of a spec with `avatarImage`; None without one."""
    url = spec.get(FIELD)
    if url is None:
        return None
    if ctx.fetch_input is None:
        raise ModelError("a presenter needs an input fetcher")
    photo = ctx.fetch_input(str(url), FIELD)
    faces = check_photo(photo, FIELD)
    picture = read_picture(photo)
    assert picture is not None  # check_photo read it
    crop = ctx.scratch_dir / "presenter-photo.png"
    _save(cut(picture, _portrait_box(faces[0], picture)), crop)
    return Presenter(_avatar_model(spec, ctx), crop, len(faces))


def render_presenter(
    presenter: Presenter, samples: np.ndarray, rate: int, frame: tuple[int, int], ctx: EngineContext
) -> Path:
    """The presenter speaking the narration (`samples` at `rate`), a square MP4 in the scratch dir."""
    from apexlocal.engines.voice.audio import write_wav

    speech = ctx.scratch_dir / "presenter-narration.wav"
    write_wav(speech, samples, rate)
    side = pip_side(frame)
    out = ctx.scratch_dir / "presenter.mp4"
    staged = replace(ctx, progress=lambda fraction, stage: ctx.progress(fraction, f"presenter: {stage}"))
    render_talking_head(staged, presenter.model, presenter.photo, speech, out, (side, side), field=FIELD)
    return out


def pip_side(frame: tuple[int, int]) -> int:
    return max(64, round(frame[1] * SIDE / 2) * 2)


class PresenterOverlay:
    """compose's `overlay`: draws the presenter's frame of time t into each output frame. Frames
    are read forward only, as the compositor asks for them in order."""

    def __init__(self, video: Path, frame: tuple[int, int]) -> None:
        self.clip = c.open_video(video, audio=False)
        self.side = pip_side(frame)
        inset = round(frame[1] * INSET)
        self.x, self.y = frame[0] - inset - self.side, inset
        self._frames: Iterator[np.ndarray] | None = None
        self._index = -1
        self._current: np.ndarray | None = None

    def __call__(self, frame: np.ndarray, t: float) -> np.ndarray:
        picture = self._at(t)
        if picture is None:
            return frame
        out = frame.copy()
        b, x, y, side = BORDER_PX, self.x, self.y, self.side
        out[y - b : y + side + b, x - b : x + side + b] = 255
        out[y : y + side, x : x + side] = picture
        return out

    def _at(self, t: float) -> np.ndarray | None:
        if self._frames is None:
            self._frames = self.clip.frames()
        wanted = min(int(t * self.clip.fps + 1e-6), max(0, round(self.clip.duration * self.clip.fps) - 1))
        while self._index < wanted:
            nxt = next(self._frames, None)
            if nxt is None:
                break  # past its end: hold the last frame
            self._current, self._index = nxt, self._index + 1
        return self._current

    def close(self) -> None:
        frames = self._frames
        if frames is not None and hasattr(frames, "close"):
            frames.close()


def _portrait_box(face: Face, picture: np.ndarray) -> tuple[int, int, int, int]:
    """A square three face-heights tall, the face in its upper middle, kept inside the photo."""
    height, width = picture.shape[:2]
    x0, y0, x1, y1 = face.box
    shifted = (x0, round(y0 + 0.45 * face.height), x1, round(y1 + 0.45 * face.height))
    return square_box(shifted, margin=3 * face.height / max(face.width, face.height) - 1, frame=(width, height))


def _save(rgb: np.ndarray, path: Path) -> None:
    from PIL import Image

    Image.fromarray(rgb).save(path)


def _avatar_model(spec: dict[str, Any], ctx: EngineContext) -> ModelEntry:
    name = spec.get("avatarModel")
    if name is None:
        return ctx.manifest.default_for("avatar")
    entry = ctx.manifest.by_id().get(str(name))
    if entry is None or "avatar" not in entry.tasks:
        raise JobError(f"avatarModel: {name!r} is not an avatar model in models_manifest.toml")
    return entry
