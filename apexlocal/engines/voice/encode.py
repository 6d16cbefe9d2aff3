"""Encoding a voice stream as it is made: WAV, raw PCM, MP3, Opus (in Ogg), FLAC and AAC (ADTS).

Each encoder takes float32 mono chunks (`push`) and returns the bytes that are ready to send, then
the rest (`finish`). WAV is written the way OpenAI's speech route streams it: a header whose sizes
say "unknown" (0xFFFFFFFF), then 16-bit PCM. The compressed formats go through PyAV (FFmpeg's
encoders) into a sink that refuses to seek, so each muxer writes forwards only: a FLAC stream info
block and an MP3 Xing header are not patched afterwards, which every decoder accepts (their totals
read as unknown), and packets are flushed to the sink as soon as they are muxed.
"""

from __future__ import annotations

import contextlib
import struct
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Protocol

from apexlocal.engines.voice.audio import to_pcm16

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class AudioFormat:
    name: str
    content_type: str
    container: str | None = None  # PyAV output format; None: written here, no encoder
    codec: str | None = None
    rate: int | None = None  # fixed output rate of the codec; None: the model's own rate
    options: tuple[tuple[str, str], ...] = ()


FORMATS: dict[str, AudioFormat] = {
    "wav": AudioFormat("wav", "audio/wav"),
    "pcm": AudioFormat("pcm", "audio/pcm"),
    "mp3": AudioFormat("mp3", "audio/mpeg", "mp3", "libmp3lame"),
    # Ogg pages every 100 ms instead of every second: the first audio leaves sooner.
    "opus": AudioFormat("opus", "audio/ogg; codecs=opus", "ogg", "libopus", 48_000, (("page_duration", "100000"),)),
    "flac": AudioFormat("flac", "audio/flac", "flac", "flac"),
    "aac": AudioFormat("aac", "audio/aac", "adts", "aac"),
}
UNKNOWN_SIZE = 0xFFFFFFFF


class StreamEncoder(Protocol):
    def push(self, samples: np.ndarray) -> bytes: ...

    def finish(self) -> bytes: ...

    def close(self) -> None: ...  # releases the encoder when a stream is abandoned


def make_encoder(name: str, sample_rate: int) -> StreamEncoder:
    fmt = FORMATS[name]
    if name == "pcm":
        return PcmEncoder()
    if name == "wav":
        return WavEncoder(sample_rate)
    return AvEncoder(fmt, sample_rate)


def wav_header(sample_rate: int, data_size: int = UNKNOWN_SIZE) -> bytes:
    """A 44-byte RIFF/WAVE header for 16-bit mono PCM; UNKNOWN_SIZE for a stream of unknown length."""
    riff_size = UNKNOWN_SIZE if data_size == UNKNOWN_SIZE else 36 + data_size
    return (
        b"RIFF"
        + struct.pack("<I", riff_size)
        + b"WAVE"
        + b"fmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, sample_rate, sample_rate * 2, 2, 16)
        + b"data"
        + struct.pack("<I", data_size)
    )


class PcmEncoder:
    """Raw 16-bit little-endian mono at the model's rate, as OpenAI's `pcm`."""

    def push(self, samples: np.ndarray) -> bytes:
        return to_pcm16(samples)

    def finish(self) -> bytes:
        return b""

    def close(self) -> None:
        pass


class WavEncoder(PcmEncoder):
    def __init__(self, sample_rate: int) -> None:
        self.header: bytes | None = wav_header(sample_rate)

    def push(self, samples: np.ndarray) -> bytes:
        head, self.header = self.header or b"", None
        return head + to_pcm16(samples)

    def finish(self) -> bytes:
        head, self.header = self.header or b"", None  # an empty stream is still a valid file
        return head


class _Sink:
    """A forward-only file for PyAV: collects what the muxer writes until it is taken."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def write(self, data: Any) -> int:
        self.buffer += bytes(data)
        return len(data)

    def seekable(self) -> bool:
        return False

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self.buffer = bytes(self.buffer), bytearray()
        return data


class AvEncoder:
    """An FFmpeg encoder and muxer fed chunk by chunk."""

    def __init__(self, fmt: AudioFormat, sample_rate: int) -> None:
        import av

        if fmt.codec is None:  # wav and pcm are written here, without an encoder
            raise ValueError(f"{fmt.name} has no encoder")
        self.sample_rate = sample_rate
        self.sink = _Sink()
        options = {"flush_packets": "1", **dict(fmt.options)}
        self.container = av.open(self.sink, "w", format=fmt.container, container_options=options)
        out_rate = fmt.rate or sample_rate
        stream = self.container.add_stream(fmt.codec, rate=out_rate, layout="mono")
        if not isinstance(stream, av.AudioStream):
            raise ValueError(f"{fmt.codec} is not an audio encoder")
        self.stream = stream
        codec = self.stream.codec_context
        # Encoders such as Opus and AAC take frames of exactly their frame size; the resampler
        # hands them over in that size, in the encoder's sample format and rate.
        self.resampler = av.AudioResampler(
            format=codec.format.name, layout="mono", rate=out_rate, frame_size=codec.frame_size or None
        )
        self.pts = 0

    def push(self, samples: np.ndarray) -> bytes:
        import av
        import numpy as np

        data = np.ascontiguousarray(samples, dtype=np.float32).reshape(1, -1)
        if data.size == 0:
            return b""
        frame = av.AudioFrame.from_ndarray(data, format="flt", layout="mono")
        frame.sample_rate = self.sample_rate
        frame.pts, frame.time_base = self.pts, Fraction(1, self.sample_rate)
        self.pts += data.shape[1]
        self._encode(self.resampler.resample(frame))
        return self.sink.take()

    def finish(self) -> bytes:
        self._encode(self.resampler.resample(None))
        for packet in self.stream.encode(None):
            self.container.mux(packet)
        self.container.close()
        return self.sink.take()

    def close(self) -> None:
        with contextlib.suppress(Exception):  # an encoder abandoned half way may refuse to write its trailer
            self.container.close()

    def _encode(self, frames: list[Any]) -> None:
        for frame in frames:
            for packet in self.stream.encode(frame):
                self.container.mux(packet)
