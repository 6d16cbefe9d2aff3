"""Encoding a stream chunk by chunk, and preparing a voice-clone sample (trim, normalise, measure)."""

from __future__ import annotations

import io
import struct

import pytest

RATE = 22_050


def tone(seconds: float, rate: int = RATE, level: float = 0.3):
    import numpy as np

    t = np.arange(int(seconds * rate)) / rate
    return (level * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


@pytest.mark.parametrize("fmt", ["wav", "mp3", "opus", "aac", "flac"])
def test_each_format_streams_and_decodes_to_the_same_length(fmt):
    import av
    import numpy as np

    from apexlocal.engines.voice.encode import make_encoder

    encoder = make_encoder(fmt, RATE)
    pieces = [encoder.push(chunk) for chunk in np.array_split(tone(3.0), 10)]
    data = b"".join(pieces) + encoder.finish()
    assert sum(1 for p in pieces[:5] if p) >= 2  # bytes come out before the end
    with av.open(io.BytesIO(data), "r") as container:
        stream = container.streams.audio[0]
        seconds = sum(f.samples for f in container.decode(stream)) / stream.rate
    assert seconds == pytest.approx(3.0, abs=0.1)


def test_wav_header_says_unknown_length_and_pcm_is_raw():
    from apexlocal.engines.voice.encode import UNKNOWN_SIZE, make_encoder

    wav = make_encoder("wav", RATE)
    head = wav.push(tone(0.1))
    assert head[:4] == b"RIFF" and struct.unpack("<I", head[4:8])[0] == UNKNOWN_SIZE
    assert struct.unpack("<I", head[24:28])[0] == RATE and struct.unpack("<I", head[40:44])[0] == UNKNOWN_SIZE
    pcm = make_encoder("pcm", RATE)
    assert len(pcm.push(tone(0.1))) == int(0.1 * RATE) * 2 and pcm.finish() == b""
    assert make_encoder("wav", RATE).finish()[:4] == b"RIFF"  # an empty stream is still a file


def test_a_sample_is_trimmed_normalised_and_measured(tmp_path):
    import numpy as np

    from apexlocal.engines.voice.audio import read_wav, write_wav
    from apexlocal.engines.voice.sample import KEEP_SECONDS, prepare_sample

    quiet = np.concatenate([np.zeros(2 * RATE, np.float32), tone(5.0, level=0.02), np.zeros(RATE, np.float32)])
    src = tmp_path / "in.wav"
    write_wav(src, quiet, RATE)
    sample = prepare_sample(src, tmp_path / "out.wav")
    assert sample.raw_seconds == pytest.approx(8.0, abs=0.05)
    assert sample.seconds == pytest.approx(5.0 + 2 * KEEP_SECONDS, abs=0.05)
    out, rate = read_wav(sample.path)
    assert rate == 24_000 and out.size / rate == pytest.approx(sample.seconds, abs=0.01)
    rms_db = 20 * np.log10(np.sqrt(np.mean(out[int(0.2 * rate) : -int(0.2 * rate)] ** 2)))
    assert rms_db == pytest.approx(-20.0, abs=0.5) and np.max(np.abs(out)) <= 10 ** (-1 / 20) + 1e-3


def test_long_files_are_measured_without_decoding_them_whole(tmp_path):
    from apexlocal.engines.voice.audio import write_wav
    from apexlocal.engines.voice.sample import decode_capped

    src = tmp_path / "long.wav"
    write_wav(src, tone(12.0), RATE)
    audio, seconds = decode_capped(src, 24_000, cap_seconds=5.0)
    assert audio.size == 5 * 24_000 and seconds == pytest.approx(12.0, abs=0.1)


def test_what_is_not_audio_is_refused(tmp_path):
    from apexlocal.engines.voice.sample import prepare_sample
    from apexlocal.errors import JobError

    src = tmp_path / "x.wav"
    src.write_bytes(b"RIFF\0\0\0\0WAVEjunkjunkjunk")
    with pytest.raises(JobError):
        prepare_sample(src, tmp_path / "out.wav")
