"""Audio as re-openable streams: 48 kHz stereo float32 chunks, shape (n, 2), values in -1..1.

Every source, whatever its rate and channels, comes out at the output's rate and layout, resampled
by FFmpeg's libswresample (through PyAV). A mono source is copied to both channels at full level
(no -3 dB pan law), so a voice keeps its level whether it was recorded mono or stereo. Sources are
opened as often as needed (the mix is read twice: once to measure its loudness, once to encode it),
and none keeps more than a chunk in memory beyond what its owner passed in.

    AudioArray(samples, rate)   samples already in memory (synthesised speech, generated tones)
    AudioFile(path)             the first audio stream of any container FFmpeg reads
    Reader(chunks)              pull exactly n samples at a time, silence after the end
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from apexlocal.errors import JobError

if TYPE_CHECKING:
    import numpy as np

SAMPLE_RATE = 48_000
CHANNELS = 2
_CHUNK = 16_384  # input samples handed to the resampler at a time


class AudioSource(Protocol):
    """Anything that can stream itself as 48 kHz stereo float32 chunks from a point in time."""

    @property
    def duration(self) -> float | None: ...  # seconds, None when unknown

    def chunks(self, start: float = 0.0, loop: bool = False) -> Iterator[np.ndarray]:
        """From `start` seconds to the end; with `loop`, from `start` again each time it ends."""
        ...


class AudioArray:
    """Samples in memory: shape (n,) or (n, 1) for mono, (n, 2) for stereo, any rate."""

    def __init__(self, samples: Any, sample_rate: int) -> None:
        import numpy as np

        array = np.asarray(samples, dtype=np.float32)
        if array.ndim == 2 and array.shape[1] == 1:
            array = array[:, 0]
        if array.ndim not in (1, 2) or (array.ndim == 2 and array.shape[1] != 2):
            raise JobError(f"audio: samples must be shaped (n,) or (n, 2), got {array.shape}")
        if not isinstance(sample_rate, int) or isinstance(sample_rate, bool) or sample_rate < 1000:
            raise JobError(f"audio: sample rate must be an integer >= 1000, got {sample_rate!r}")
        self.samples, self.sample_rate = array, sample_rate

    @property
    def duration(self) -> float:
        return self.samples.shape[0] / self.sample_rate

    def chunks(self, start: float = 0.0, loop: bool = False) -> Iterator[np.ndarray]:
        first = max(0, int(round(start * self.sample_rate)))
        if first >= self.samples.shape[0]:
            return
        if self.sample_rate == SAMPLE_RATE:
            for piece in self._pieces(first, loop):
                yield to_stereo(piece)
            return
        # One resampler across loop turns: the seam is as smooth as the material allows.
        for _, chunk in _resampled(self._frames(first, loop), mono=self.samples.ndim == 1):
            yield chunk

    def _pieces(self, first: int, loop: bool) -> Iterator[np.ndarray]:
        while True:
            for i in range(first, self.samples.shape[0], _CHUNK):
                yield self.samples[i : i + _CHUNK]
            if not loop:
                return

    def _frames(self, first: int, loop: bool) -> Iterator[Any]:
        import av
        import numpy as np

        layout = "mono" if self.samples.ndim == 1 else "stereo"
        for piece in self._pieces(first, loop):
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(piece).reshape(1, -1), format="flt", layout=layout)
            frame.sample_rate = self.sample_rate
            yield frame


class AudioFile:
    """The first audio stream of a file, decoded lazily from a point in time."""

    def __init__(self, path: Path | str) -> None:
        import av

        self.path = Path(path)
        try:
            with av.open(str(self.path)) as container:
                if not container.streams.audio:
                    raise JobError(f"{self.path.name}: the file holds no audio stream")
                stream = container.streams.audio[0]
                self.mono = stream.codec_context.channels == 1
                self._duration = _stream_duration(stream, container)
        except av.FFmpegError as exc:
            raise JobError(f"{self.path.name}: cannot read the audio ({exc})") from exc

    @property
    def duration(self) -> float | None:
        return self._duration

    def chunks(self, start: float = 0.0, loop: bool = False) -> Iterator[np.ndarray]:
        import av

        try:
            with av.open(str(self.path)) as container:
                stream = container.streams.audio[0]
                time_base = stream.time_base
                if time_base is None:
                    raise JobError(f"{self.path.name}: the audio stream has no time base")
                origin = float(stream.start_time * time_base) if stream.start_time is not None else 0.0
                turn = 0
                while True:
                    if start > 0 or turn:  # a loop seeks back in the open file rather than reopening it
                        container.seek(int((start + origin) / time_base), stream=stream, backward=True)
                    produced = False
                    for chunk in _trim_before(_resampled(container.decode(stream), self.mono, origin), start):
                        produced = True
                        yield chunk
                    if not loop or not produced:
                        return
                    turn += 1
        except av.FFmpegError as exc:
            raise JobError(f"{self.path.name}: cannot decode the audio ({exc})") from exc


def _stream_duration(stream: Any, container: Any) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return None


def _resampled(frames: Iterator[Any], mono: bool, origin: float = 0.0) -> Iterator[tuple[float | None, np.ndarray]]:
    """Frames resampled to 48 kHz float32 stereo chunks, as (start time in seconds from `origin`
    or None when the frame has no timestamp, chunk) pairs."""
    import av

    resampler = av.AudioResampler(format="flt", layout="mono" if mono else "stereo", rate=SAMPLE_RATE)
    for frame in frames:
        for out in resampler.resample(frame):
            yield _timed(out, mono, origin)
    for out in resampler.resample(None):
        yield _timed(out, mono, origin)


def _timed(frame: Any, mono: bool, origin: float) -> tuple[float | None, np.ndarray]:
    time = frame.time - origin if frame.time is not None else None
    return time, to_stereo(frame.to_ndarray().reshape(-1, 1 if mono else 2))


def _trim_before(chunks: Iterator[Any], start: float) -> Iterator[np.ndarray]:
    """Drop what lies before `start` (a seek lands on an earlier packet); chunks without a
    timestamp continue from the previous one."""
    position: float | None = None
    for time, chunk in chunks:
        if time is not None and (position is None or abs(time - position) > 0.5):
            position = time
        if position is None:
            position = 0.0
        skip = int(round((start - position) * SAMPLE_RATE))
        position += chunk.shape[0] / SAMPLE_RATE
        if skip >= chunk.shape[0]:
            continue
        yield chunk[max(0, skip) :]


def to_stereo(x: np.ndarray) -> np.ndarray:
    """(n,) or (n, 1) -> (n, 2) by copying the channel; (n, 2) float32 passes through."""
    import numpy as np

    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 1:
        x = x[:, None]
    if x.shape[1] == 1:
        return np.repeat(x, 2, axis=1)
    return x


class Reader:
    """Pulls exactly n stereo samples at a time from a chunk iterator, silence after its end."""

    def __init__(self, chunks: Iterator[np.ndarray]) -> None:
        self._chunks: Iterator[np.ndarray] | None = chunks
        self._queue: deque[np.ndarray] = deque()
        self._queued = 0

    @property
    def exhausted(self) -> bool:
        return self._chunks is None and self._queued == 0

    def read(self, n: int) -> np.ndarray:
        import numpy as np

        while self._queued < n and self._chunks is not None:
            chunk = next(self._chunks, None)
            if chunk is None:
                self.close()
            elif chunk.shape[0]:
                self._queue.append(chunk)
                self._queued += chunk.shape[0]
        out = np.zeros((n, CHANNELS), dtype=np.float32)
        filled = 0
        while filled < n and self._queue:
            head = self._queue[0]
            take = min(n - filled, head.shape[0])
            out[filled : filled + take] = head[:take]
            filled += take
            if take == head.shape[0]:
                self._queue.popleft()
            else:
                self._queue[0] = head[take:]
        self._queued -= filled
        return out

    def close(self) -> None:
        chunks, self._chunks = self._chunks, None
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
