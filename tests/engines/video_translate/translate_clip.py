"""Source videos for the translation tests, made in the test: real English speech (the packaged
Piper voice) over a real face (skimage's astronaut), its lines placed at known times; their
reference translation by Apertium; and the measures the outputs are judged by."""

from __future__ import annotations

import re
import subprocess
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tests.speech import fixed_voice

# (text, where the line's speech is placed, seconds). Plain words without numbers: the Spanish
# stand-in voice of the tiny set is espeak-ng, which Whisper base hears with some mistakes of its
# own (about 0-0.2 word error on each of these lines alone, measured when they were chosen).
LINES = [
    ("Good morning, everyone.", 0.6),
    ("Welcome to our city.", 2.9),
    ("The children play in the park every day.", 5.2),
]
TAIL_S = 1.2
SIZE = (256, 256)
FPS = 12  # frames are lip-synced one by one: a low rate keeps the tests short
SILENCE_RATIO = 0.1


@dataclass(frozen=True)
class SourceClip:
    path: Path
    duration: float
    starts: list[float]  # where each line's voice is first heard, seconds
    english: list[str]
    spanish: list[str]  # Apertium's translation of each line: the reference


def speak(text: str) -> tuple[np.ndarray, int]:
    piper = fixed_voice()
    return piper.synthesize(text, 1.0), piper.sample_rate


def apertium(texts: list[str], pair: str = "eng-spa") -> list[str]:
    out = []
    for text in texts:
        done = subprocess.run(["apertium", "-u", pair], input=text, capture_output=True, text=True, check=True)
        out.append(done.stdout.strip())
    return out


def onset(samples: np.ndarray, rate: int, start: float = 0.0, end: float | None = None) -> float | None:
    """The first 10 ms in [start, end) louder than SILENCE_RATIO of that stretch's loudest."""
    frame = rate // 100
    a, b = int(start * rate), int((end if end is not None else samples.shape[0] / rate) * rate)
    piece = samples[a:b]
    count = piece.shape[0] // frame
    if count == 0:
        return None
    rms = np.sqrt(np.mean(piece[: count * frame].reshape(count, frame) ** 2, axis=1))
    loud = np.flatnonzero(rms > max(float(rms.max()) * SILENCE_RATIO, 1e-4))
    return start + int(loud[0]) * frame / rate if loud.size else None


def face_picture() -> np.ndarray:
    from PIL import Image
    from skimage import data

    return np.asarray(Image.fromarray(data.astronaut()).resize(SIZE, Image.Resampling.LANCZOS))


def make_clip(
    dest: Path, speech: bool = True, lines: list[tuple[str, float]] | None = None, face: bool = True
) -> SourceClip:
    """An H.264 + AAC MP4 of the astronaut (or, without `face`, a plain grey picture) saying `lines`
    (default LINES), or, without `speech`, only faint noise."""
    from apexlocal.engines import compose as c

    lines = LINES if lines is None else lines
    english = [text for text, _ in lines]
    rate = 22_050
    parts = [(speak(text)[0], at) for text, at in lines] if speech else []
    end = max((at + audio.shape[0] / rate for audio, at in parts), default=6.0) + TAIL_S
    track = np.random.default_rng(1).normal(0, 0.0005, int(end * rate)).astype(np.float32)
    starts = []
    for audio, at in parts:
        offset = int(at * rate)
        track[offset : offset + audio.shape[0]] += audio
        heard = onset(audio, rate)
        assert heard is not None
        starts.append(at + heard)
    picture = face_picture() if face else np.full((SIZE[1], SIZE[0], 3), 128, np.uint8)
    result = c.compose(
        [c.Segment(c.still(picture, end))],
        dest,
        SIZE,
        fps=FPS,
        audio_tracks=[c.AudioTrack(c.AudioArray(track, rate), role="effects")],
        audio=c.AudioSettings(loudness_lufs=None, true_peak_db=None, ducking=None),
    )
    return SourceClip(dest, result.duration, starts, english, apertium(english) if speech else [])


def audio_of(path: Path, rate: int = 16_000) -> np.ndarray:
    from apexlocal.engines.speech_to_text.decode import decode_audio

    return decode_audio(path, rate)


def words(text: str) -> list[str]:
    """Lower case words without accents or punctuation: 'Buenos días, ¿qué?' -> buenos dias que."""
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(ch))
    return re.findall(r"[a-z0-9]+", plain)


def word_error_rate(reference: str, hypothesis: str) -> float:
    ref, hyp = words(reference), words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1] / max(len(ref), 1)


def parse_vtt(text: str) -> list[tuple[str, float, float]]:
    """(text, start, end) of each cue."""

    def seconds(stamp: str) -> float:
        h, m, s = stamp.split(":")
        return int(h) * 3600 + int(m) * 60 + float(s)

    cues = []
    assert text.startswith("WEBVTT")
    for block in text.strip().split("\n\n")[1:]:
        rows = block.split("\n")
        timing = next(i for i, row in enumerate(rows) if "-->" in row)
        start, end = (part.strip() for part in rows[timing].split("-->"))
        cues.append((" ".join(rows[timing + 1 :]), seconds(start), seconds(end)))
    return cues
