"""Benchmark of the default CPU voice (Piper) called directly: real-time factor (seconds of compute
per second of audio) and time to the first audio chunk through the streaming generator.

    PYTHONPATH=. python bench/bench_voice.py [--chars 2000]

Prints ratios measured in this one run; nothing is asserted.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

TEXT = (
    "The studio renders narration on the machine it runs on. Each sentence is spoken, joined to "
    "the next without a click, and written as a plain WAV file. "
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=2000, help="length of the text to speak")
    args = parser.parse_args()

    from apexlocal.engines.base import EngineContext
    from apexlocal.engines.registry import get_engine
    from apexlocal.engines.runtime import ModelRuntime
    from apexlocal.engines.voice.synth import VoiceEngineBase
    from apexlocal.models.manifest import load_manifest
    from apexlocal.models.packaged import check_package

    model = load_manifest().default_for("voice")
    engine = get_engine(model.engine)
    assert isinstance(engine, VoiceEngineBase)
    text = (TEXT * (args.chars // len(TEXT) + 1))[: args.chars]
    runtime = ModelRuntime("cpu")
    scratch = Path(tempfile.mkdtemp(prefix="bench-voice-"))

    def ctx() -> EngineContext:
        return EngineContext(
            "bench",
            "cpu",
            scratch,
            "tiny",
            lambda f, s: None,
            lambda: False,
            check_package,
            runtime,
            manifest=load_manifest(),
        )

    engine.run({"text": "Warm up."}, model, ctx())  # load once: a server keeps it warm
    started = time.perf_counter()
    meta = engine.run({"text": text}, model, ctx()).metadata
    compute = time.perf_counter() - started
    started = time.perf_counter()
    stream = engine.stream({"text": text}, model, ctx())
    next(iter(stream))
    first = time.perf_counter() - started
    print(f"model {model.id}: {len(text)} characters -> {meta['durationSeconds']:.1f} s of audio")
    print(f"real-time factor (compute s / audio s): {compute / meta['durationSeconds']:.4f}")
    print(f"time to first audio chunk (stream): {first * 1000:.0f} ms")


if __name__ == "__main__":
    main()
