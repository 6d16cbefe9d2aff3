"""Benchmark of auto-clip (the `clip` engine) on the tiny set, the CPU: processing speed in
source-seconds per wall-second against decoding the same source with PyAV alone (the floor), and
peak memory (RSS) for a 10-minute and a 2-hour source (flat memory: the scan streams).

    PYTHONPATH=. python bench/bench_clip.py [--minutes 10] [--hours 2] [--no-long]

The 10-minute source is made here as the tests make theirs (tests/engines/clip/source_video.py:
the packaged Piper voice on distinct topics, one shot per topic, a face moving across a 320x180
frame at 8 fps); the 2-hour one is that file repeated (FFmpeg's concat, streams copied). Each clip
job runs in a child process of its own (so its peak RSS is its own): Whisper tiny.en, maxClips 5,
15-60 s, 9:16 with captions, scored by the features alone (the writer's time is its own benchmark,
bench/bench_writer.py). The floor decodes every video frame and audio frame of the same file with
PyAV and does nothing else. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the short source")
    parser.add_argument("--hours", type=float, default=2.0, help="length of the long source")
    parser.add_argument("--no-long", action="store_true", help="skip the long source")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_job(Path(args.child))))
        return
    with tempfile.TemporaryDirectory(prefix="bench-clip-") as tmp:
        root = Path(tmp)
        short, sentences = make_short(root / "short.mp4", args.minutes)
        floor = decode_floor(short)
        job = child(short)
        report("short", short, floor, job)
        check_edges(job, sentences)
        if not args.no_long:
            long_source = repeat(short, root / "long.mp4", round(args.hours * 3600 / duration_of(short)))
            report("long", long_source, decode_floor(long_source), child(long_source))


def make_short(dest: Path, minutes: float) -> tuple[Path, list[tuple[str, float, float]]]:
    from tests.engines.clip.source_video import TOPICS, make_source

    started = time.perf_counter()
    one_round = make_source(dest, topics=len(TOPICS), rounds=1).duration
    rounds = max(1, round(minutes * 60 / one_round))
    made = make_source(dest, topics=len(TOPICS), rounds=rounds)
    print(f"source: {made.duration:.0f} s made in {time.perf_counter() - started:.0f} s", flush=True)
    return dest, made.sentences


def check_edges(job: dict[str, Any], sentences: list[tuple[str, float, float]], slack: float = 0.12) -> None:
    """The 10-minute video's clips against where the voice really is: no edge inside a sentence,
    lengths within 15-60 s, overlaps of at most 1 s."""
    problems = []
    spans = [(c["start"], c["end"]) for c in job["clip_spans"]]
    for start, end in spans:
        if not 15 <= end - start <= 60:
            problems.append(f"{start}-{end}: {end - start:.1f} s")
        for text, a, b in sentences:
            if a + slack < start < b - slack or a + slack < end < b - slack:
                problems.append(f"{start}-{end} cuts {text!r} ({a}-{b})")
    for i, (a0, a1) in enumerate(spans):
        for b0, b1 in spans[i + 1 :]:
            if min(a1, b1) - max(a0, b0) > 1.0:
                problems.append(f"{a0}-{a1} overlaps {b0}-{b1}")
    print(f"  checks on {len(spans)} clips: {'; '.join(problems) or 'edges in silence, lengths and overlaps ok'}")


def repeat(source: Path, dest: Path, times: int) -> Path:
    listing = dest.with_suffix(".txt")
    listing.write_text("".join(f"file '{source}'\n" for _ in range(times)))
    import shutil

    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        import imageio_ffmpeg  # the test extra's FFmpeg binary

        ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    subprocess.run(
        [ffmpeg, "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy", str(dest)],
        check=True,
    )
    return dest


def duration_of(path: Path) -> float:
    from apexlocal.engines.compose.probe import probe

    return probe(path).duration


def decode_floor(path: Path) -> float:
    """Seconds PyAV alone takes to decode every frame of `path` (video threads on, as the scan)."""
    import av

    started = time.perf_counter()
    with av.open(str(path)) as container:
        container.streams.video[0].thread_type = "AUTO"
        for _frame in container.decode(*container.streams.video, *container.streams.audio):
            pass
    return time.perf_counter() - started


def child(path: Path) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--child", str(path)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_job(source: Path) -> dict[str, Any]:
    from apexlocal.engines.base import EngineContext
    from apexlocal.engines.clip import engine, judge
    from apexlocal.engines.runtime import ModelRuntime
    from apexlocal.models.manifest import load_manifest
    from apexlocal.models.packaged import check_package

    engine.open_judge = lambda ctx: (judge.features_only, None)  # type: ignore[assignment]
    manifest = load_manifest()
    with tempfile.TemporaryDirectory(prefix="bench-clip-job-") as scratch:
        ctx = EngineContext(
            job_id="bench",
            device="cpu",
            scratch_dir=Path(scratch),
            model_set="tiny",
            progress=lambda fraction, stage: None,
            cancelled=lambda: False,
            model_dir=check_package,
            runtime=ModelRuntime("cpu", budget_bytes=None),
            fetch_input=lambda url, field: Path(url),
            manifest=manifest,
        )
        spec = {"sourceVideoUrl": str(source), "maxClips": 5, "minDuration": 15, "maxDuration": 60}
        started = time.perf_counter()
        out = engine.ClipEngine().run(spec, manifest.by_id()["whisper-tiny-en"], ctx)
        wall = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    meta = out.metadata
    return {
        "wall": wall,
        "stages": meta["stageSeconds"],
        "clips": meta["clipCount"],
        "scores": meta["viralScores"],
        "words": meta["wordCount"],
        "scenes": meta["sceneCount"],
        "peak_rss_mib": round(peak_kib / 1024, 1),
        "clip_spans": [{"start": c["start"], "end": c["end"]} for c in meta["clips"]],
    }


def report(name: str, path: Path, floor: float, job: dict[str, Any]) -> None:
    seconds = duration_of(path)
    speed, floor_speed = seconds / job["wall"], seconds / floor
    print(
        f"{name}: {seconds:.0f} s source; clip job {job['wall']:.1f} s = {speed:.1f} source-s per wall-s; "
        f"PyAV decode alone {floor:.1f} s = {floor_speed:.1f} source-s per wall-s; "
        f"ratio (job / decode) {job['wall'] / floor:.1f}x; peak RSS {job['peak_rss_mib']} MiB",
        flush=True,
    )
    print(
        f"  stages {job['stages']}; {job['clips']} clips {job['scores']}; {job['words']} words, {job['scenes']} scenes",
        flush=True,
    )


if __name__ == "__main__":
    main()
