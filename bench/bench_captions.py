"""Benchmark of caption word timing in a narrated video's narration (the default Piper voice on
the CPU): what timing words from the speech adds to narrating a script of about 30 s of speech.

    PYTHONPATH=. python bench/bench_captions.py [--repeats 3]

Three ways of narrating the same script, in this one process, models warm:
  none     no word timing (captions off): the baseline
  speech   what a narrated video with captions does: the voice's own durations (Piper's alignments)
  whisper  forced alignment with Whisper tiny.en, as for a voice without durations
the Whisper alignment step on its own, and the one-off cost of loading the voice with its
alignment output. Prints medians and ratios against the baseline; nothing is asserted.

Then how far the voice's word times are from Whisper's, against how far two Whisper models are
from each other (tiny.en and the multilingual base) on the same narration: the share of word starts
and ends within 0.15 s, and the median gap.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SCRIPT = (
    "The harbor wakes before the town. Fishing boats slide out past the lighthouse into the fog. "
    "By noon the market is full of voices and the smell of salt. Traders call out their prices "
    "while children weave between the stalls. A baker sets out bread that is still warm from the "
    "oven. In the afternoon the wind turns and the boats come home, low in the water. Gulls follow "
    "them in, crying over the nets. In the evening the lights come on one by one, and the water "
    "turns gold. Somewhere a radio plays an old song, and the harbor settles down to sleep. "
    "Tomorrow the fog will come again, and the boats will go out before the sun is up."
)


BOUND_S = 0.15


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="narrations per way (the median is shown)")
    args = parser.parse_args()

    from dataclasses import replace

    from apexlocal.engines.base import EngineContext
    from apexlocal.engines.runtime import ModelRuntime
    from apexlocal.engines.scripted_video.narration import narrate
    from apexlocal.engines.scripted_video.scenes import split_scenes, words_per_minute
    from apexlocal.engines.scripted_video.word_timing import time_captions
    from apexlocal.models.manifest import load_manifest
    from apexlocal.models.packaged import check_package

    manifest = load_manifest()
    voice = manifest.default_for("voice")
    from apexlocal.models.store import ModelStore
    from apexlocal.settings import Settings

    work = Path(tempfile.mkdtemp(prefix="bench-captions-"))
    store = ModelStore(Settings(data_dir=work / "data", model_set="tiny"), manifest)
    ctx = EngineContext(
        "bench",
        "cpu",
        work,
        "tiny",
        lambda f, s: None,
        lambda: False,
        lambda entry: store.pull(entry) if entry.source.join is not None else check_package(entry),
        ModelRuntime("cpu"),
        manifest=manifest,
    )
    scenes = split_scenes(SCRIPT, words_per_minute(voice))
    ways = ("none", "speech", "whisper")

    def once(timing: str) -> tuple[float, float]:
        return _timed(lambda: narrate(scenes, voice, {"voiceId": None}, 60, ctx, timing=timing))

    for timing in ways:
        once(timing)  # load every model once: a server keeps them warm
    # Rounds alternate the ways, so a machine busy for a while slows each of them alike.
    runs: dict[str, list[tuple[float, float]]] = {timing: [] for timing in ways}
    for _ in range(args.repeats):
        for timing in ways:
            runs[timing].append(once(timing))
    narration = narrate(scenes, voice, {"voiceId": None}, 60, ctx)
    untimed = [replace(s, words=None) for s in narration.sentences]
    steps = [
        _timed(lambda: time_captions(untimed, narration.samples, narration.sample_rate, "en-us", ctx))
        for _ in range(args.repeats)
    ]
    print(
        f"script: {len(SCRIPT.split())} words, {narration.duration:.1f} s of narration "
        f"({sum(s.span[1] - s.span[0] for s in narration.sentences):.1f} s of speech); "
        f"medians of {args.repeats}, wall and CPU (all threads) seconds"
    )
    base = _medians(runs["none"])
    for timing in ways:
        wall, cpu = _medians(runs[timing])
        print(f"{timing:8s} wall {wall:6.2f} s  x{wall / base[0]:.2f}   cpu {cpu:6.2f} s  x{cpu / base[1]:.2f}")
    wall, cpu = _medians(steps)
    print(f"the Whisper alignment step alone (transcribe + align, model warm): wall {wall:.2f} s, cpu {cpu:.2f} s")
    print(
        f"loading the voice: {_load_seconds(check_package(voice), True):.2f} s with its alignment output, "
        f"{_load_seconds(check_package(voice), False):.2f} s without"
    )
    _agreement(narration, manifest, ctx)


def _agreement(narration: Any, manifest: Any, ctx: Any) -> None:
    """The voice's word times against each Whisper's, and the two Whispers against each other."""
    from apexlocal.engines.speech_to_text.whisper import FasterWhisperEngine, transcribe_samples

    voice = [w for s in narration.sentences for w in s.words]
    heard = {}
    for model_id in ("whisper-tiny-en", "whisper-base"):
        whisper = FasterWhisperEngine.load(manifest.by_id()[model_id], ctx)
        words = transcribe_samples(whisper, narration.samples, narration.sample_rate, "en").words
        heard[model_id] = [(w, a, b) for w, a, b, _ in words]
    print(f"word starts and ends within {BOUND_S} s, median gap (words paired by spelling):")
    for name, one, other in (
        ("voice vs whisper-tiny-en", voice, heard["whisper-tiny-en"]),
        ("voice vs whisper-base", voice, heard["whisper-base"]),
        ("whisper-tiny-en vs whisper-base", heard["whisper-tiny-en"], heard["whisper-base"]),
    ):
        gaps = _gaps(one, other)
        share = sum(g <= BOUND_S for g in gaps) / len(gaps)
        print(f"  {name:32s} {share:5.0%}  median {statistics.median(gaps):.3f} s  ({len(gaps) // 2} words)")


def _gaps(words: list[Any], heard: list[Any]) -> list[float]:
    from apexlocal.engines.speech_to_text.align import match, word_key

    pairs = match([word_key(w) for w, _, _ in words], [word_key(h[0]) for h in heard])
    return [
        abs(x - y)
        for (_, a, b), p in zip(words, pairs, strict=True)
        if p is not None
        for x, y in ((a, heard[p][1]), (b, heard[p][2]))
    ]


def _timed(call: Callable[[], object]) -> tuple[float, float]:
    """(wall, CPU) seconds of `call`: the CPU time is less at the mercy of a busy machine."""
    wall, cpu = time.perf_counter(), time.process_time()
    call()
    return time.perf_counter() - wall, time.process_time() - cpu


def _medians(runs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def _load_seconds(model_dir: Path, aligned: bool) -> float:
    from piper import PiperVoice

    from apexlocal.engines.voice.piper_voice import voice_files

    onnx, config = voice_files(model_dir)
    started = time.perf_counter()
    extra: dict[str, Any] = {"include_alignments": True} if aligned else {}
    PiperVoice.load(onnx, config_path=config, **extra)
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
