"""The frame-stream model: a clip is a re-openable stream of RGB frames at a frame rate, with
optional sound.

A `Clip` knows its size, frame rate and duration up front (the timeline is laid out before any
frame is read) and opens a fresh iterator of `(time, frame)` pairs each time it is read, from any
point. Nothing is decoded before it is needed and at most a frame or two is held at once, so a clip
may be hours long. `frames()` gives plain numpy uint8 HxWx3 arrays; inside the compositor the
decoded `av.VideoFrame`s travel untouched until the frame is picked and scaled (a dropped frame is
never converted).

    open_video(path)                 any container PyAV decodes; its audio comes along
    from_frames(frames, fps, ...)    a list / 4-D array of frames, or a factory of an iterable
    still(image, duration)           one picture held for a duration
    solid(color, size, duration)     a flat colour, e.g. a leader or a gap
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apexlocal.engines.compose.audio_sources import AudioFile, AudioSource
from apexlocal.engines.compose.geometry import as_rgb, frame_size
from apexlocal.engines.compose.retime import Retimer
from apexlocal.errors import JobError

if TYPE_CHECKING:
    import numpy as np

TimedFrame = tuple[float, Any]  # (seconds from the clip's start, numpy frame or av.VideoFrame)
Opener = Callable[[float], Iterator[TimedFrame]]


@dataclass
class Clip:
    """A stream of frames: `open(start)` yields (time, frame) in order, times counted from the
    clip's own start. The stream may begin before `start` (a decoder resumes at the keyframe
    before it, a generator at its first frame); readers pass over what they do not need."""

    width: int
    height: int
    fps: float
    duration: float
    open: Opener
    audio: AudioSource | None = None
    name: str = "clip"

    def timed_frames(self, start: float = 0.0) -> Iterator[TimedFrame]:
        return self.open(start)

    def frames(self, start: float = 0.0, fps: float | None = None) -> Generator[np.ndarray, None, None]:
        """RGB arrays from `start`: every frame of the clip, or with `fps` resampled to that rate
        (frames dropped or repeated) up to the clip's end."""
        if fps is None:
            for time, frame in self.open(start):
                if time >= start - 0.5 / self.fps:
                    yield as_rgb(frame)
            return
        retimer = Retimer(self.open(start), self.name)
        try:
            for n in range(round((self.duration - start) * fps)):
                yield as_rgb(retimer.frame_at(start + n / fps))
        finally:
            retimer.close()


def open_video(path: Path | str, audio: bool = True) -> Clip:
    """A video file as a clip; its first audio stream, if any and `audio`, as the clip's sound.
    Rotation metadata (phones) is applied. Raises JobError for a file PyAV cannot decode."""
    import av

    path = Path(path)
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise JobError(f"{path.name}: the file holds no video stream")
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate or stream.base_rate
            fps = float(rate) if rate else 25.0
            first = next(container.decode(stream), None)
            if first is None:
                raise JobError(f"{path.name}: the video stream holds no frames")
            width, height = frame_size(_upright(first))
            duration = _duration(stream, container, fps)
            has_audio = bool(container.streams.audio)
    except av.FFmpegError as exc:
        raise JobError(f"{path.name}: cannot read the video ({exc})") from exc
    sound = AudioFile(path) if audio and has_audio else None
    return Clip(width, height, fps, duration, lambda start: _decode(path, start), sound, path.name)


def _duration(stream: Any, container: Any, fps: float) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    if stream.frames:
        return stream.frames / fps
    raise JobError("the video's duration is unknown")


def _decode(path: Path, start: float) -> Iterator[TimedFrame]:
    import av

    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            time_base = stream.time_base
            if time_base is None:
                raise JobError(f"{path.name}: the video stream has no time base")
            origin = float(stream.start_time * time_base) if stream.start_time is not None else 0.0
            if start > 0:
                container.seek(int((start + origin) / time_base), stream=stream, backward=True)
            step = 1 / float(stream.average_rate or 25)
            for index, frame in enumerate(container.decode(stream)):
                time = frame.time - origin if frame.time is not None else index * step
                yield time, _upright(frame)
    except av.FFmpegError as exc:
        raise JobError(f"{path.name}: cannot decode the video ({exc})") from exc


def _upright(frame: Any) -> Any:
    """A decoded frame turned by its display rotation (counter-clockwise degrees), if any."""
    rotation = getattr(frame, "rotation", 0) or 0
    quarter_turns = round(rotation / 90) % 4
    if not quarter_turns:
        return frame
    import numpy as np

    return np.ascontiguousarray(np.rot90(frame.to_ndarray(format="rgb24"), quarter_turns))


def from_frames(
    frames: Sequence[Any] | Callable[[], Iterable[Any]],
    fps: float,
    duration: float | None = None,
    audio: AudioSource | None = None,
    size: tuple[int, int] | None = None,
    name: str = "frames",
) -> Clip:
    """Frames already made: a sequence (list, 4-D array) or a zero-argument factory returning a
    fresh iterable each call (a generator function: nothing is held). A factory needs `duration`;
    a sequence's duration is its length over `fps`. Frames are uint8 RGB (gray and RGBA are
    converted); `size` (w, h) is read from the first frame when not given. A factory's frames are
    copied as they are read, so it may reuse one buffer."""
    import numpy as np

    fps = _check_fps(fps)
    generated = callable(frames)
    if callable(frames):
        if duration is None:
            raise ValueError("from_frames: a frame factory needs a duration")
        factory = frames
    else:
        if len(frames) == 0:
            raise JobError("a clip needs at least one frame")
        sequence = frames
        duration = len(sequence) / fps if duration is None else duration

        def factory() -> Iterable[Any]:
            return iter(sequence)

    if size is None:
        size = _first_size(factory)

    def opener(start: float) -> Iterator[TimedFrame]:
        for index, frame in enumerate(factory()):
            # A generator may refill one buffer for every frame, and frames are read one ahead
            # (to pick the nearest in time): each is copied (about 0.2 ms at 720p).
            yield index / fps, np.array(as_rgb(frame)) if generated else frame

    return Clip(size[0], size[1], fps, _check_duration(duration), opener, audio, name)


def still(image: Any, duration: float, audio: AudioSource | None = None, fps: float = 30.0) -> Clip:
    """One picture (numpy array, PIL image or image file path) held for `duration` seconds. The
    stream holds a single frame (a copy), so fitting it to the output happens once."""
    import numpy as np

    if isinstance(image, (str, Path)):
        from PIL import Image

        with Image.open(image) as opened:
            picture = as_rgb(opened)
    else:
        picture = np.array(as_rgb(image))
    width, height = frame_size(picture)
    return Clip(
        width, height, _check_fps(fps), _check_duration(duration), lambda start: iter([(0.0, picture)]), audio, "still"
    )


def solid(
    color: tuple[int, int, int], size: tuple[int, int], duration: float, audio: AudioSource | None = None
) -> Clip:
    """A flat colour of `size` (w, h) for `duration` seconds."""
    import numpy as np

    picture = np.empty((size[1], size[0], 3), dtype=np.uint8)
    picture[:] = color
    return still(picture, duration, audio)


def _first_size(factory: Callable[[], Iterable[Any]]) -> tuple[int, int]:
    iterator = iter(factory())
    try:
        first = next(iterator, None)
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()
    if first is None:
        raise JobError("a clip needs at least one frame")
    return frame_size(as_rgb(first) if not hasattr(first, "shape") else first)


def _check_fps(fps: float) -> float:
    if isinstance(fps, bool) or not isinstance(fps, numbers.Real) or not 1 <= fps <= 240:
        raise JobError(f"fps: must be a number from 1 to 240, got {fps!r}")
    return float(fps)


def _check_duration(duration: float) -> float:
    if isinstance(duration, bool) or not isinstance(duration, numbers.Real) or not duration > 0:
        raise JobError(f"duration: must be a positive number of seconds, got {duration!r}")
    return float(duration)
