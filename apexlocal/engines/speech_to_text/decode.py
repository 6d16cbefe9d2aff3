"""Any audio or video container to 16 kHz mono float32, with PyAV (FFmpeg's decoders in a wheel)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from apexlocal.errors import JobError

if TYPE_CHECKING:
    import numpy as np

SAMPLE_RATE = 16_000


def decode_audio(path: Path, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """The first audio stream of `path`, resampled to `sample_rate`, mono, float32 in -1..1.
    Raises JobError for a file with no decodable audio."""
    import av
    import numpy as np

    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise JobError(f"{Path(path).name}: the file holds no audio stream")
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
            pieces = []
            for frame in container.decode(stream):
                pieces += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
            pieces += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]  # flush
    except av.FFmpegError as exc:
        raise JobError(f"{Path(path).name}: cannot decode the audio ({exc})") from exc
    return np.concatenate(pieces).astype(np.float32) if pieces else np.zeros(0, np.float32)


def encode_audio(path: Path, samples: np.ndarray, sample_rate: int, codec: str) -> None:
    """Mono float32 samples into the container `path`'s suffix names (mp3, ogg, m4a, flac, wav)."""
    import av
    import numpy as np

    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=sample_rate, layout="mono")
        if not isinstance(stream, av.AudioStream):
            raise ValueError(f"{codec} is not an audio encoder")
        # Encoders such as Opus take frames of exactly their frame size; a resampler to the
        # encoder's sample format hands them over in that size.
        resampler = av.AudioResampler(
            format=stream.codec_context.format.name,
            layout="mono",
            rate=sample_rate,
            frame_size=stream.codec_context.frame_size or None,
        )
        frame = av.AudioFrame.from_ndarray(np.asarray(samples, np.float32).reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = sample_rate
        for out in [*resampler.resample(frame), *resampler.resample(None)]:
            for packet in stream.encode(out):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
