"""Frame-rate normalisation: the source frame nearest to each output time, so a 24 fps clip in a
30 fps output repeats some frames and a 60 fps clip drops every other one. Works on timestamps,
so variable-frame-rate phone video comes out evenly timed too."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from apexlocal.errors import JobError

TimedFrame = tuple[float, Any]


class Retimer:
    """frame_at(t) for increasing t: the frame whose timestamp is nearest t (the earlier one on a
    tie). Reads the stream only as far as needed; holds two frames at most."""

    def __init__(self, frames: Iterator[TimedFrame], name: str = "clip") -> None:
        self._frames: Iterator[TimedFrame] | None = frames
        self._current: TimedFrame | None = None
        self._next: TimedFrame | None = None
        self._name = name

    def frame_at(self, t: float) -> Any:
        if self._current is None:
            self._current = self._pull()
            if self._current is None:
                raise JobError(f"{self._name}: no frames to show")
        while True:
            upcoming = self._peek()
            if upcoming is None or upcoming[0] - t >= t - self._current[0]:
                return self._current[1]
            self._current, self._next = upcoming, None

    def _peek(self) -> TimedFrame | None:
        if self._next is None:
            self._next = self._pull()
        return self._next

    def _pull(self) -> TimedFrame | None:
        if self._frames is None:
            return None
        item = next(self._frames, None)
        if item is None:
            self.close()
        return item

    def close(self) -> None:
        frames, self._frames = self._frames, None
        close = getattr(frames, "close", None)
        if close is not None:
            close()
