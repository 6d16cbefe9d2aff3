"""Benchmarks of the composition engine (`apexlocal.engines.compose`), measured in one run, as ratios
against a baseline run on the same machine in the same run (these machines are noisy; absolute
numbers travel badly).

    python bench/bench_compose.py            # both
    python bench/bench_compose.py speed      # one of: speed, memory

1. speed: 720p30 encode rate (frames per second) of `compose()` against the `imageio-ffmpeg` ffmpeg
   binary encoding the same RGB frames piped as rawvideo rgb24, with the same settings (libx264,
   same preset and CRF, keyframe every 2 s, yuv420p, BT.709 limited range, +faststart). The frames
   are made by the same generator for both (a textured picture panning, with a moving block), and
   the runs alternate. Goal: ratio >= 0.8.
2. memory: peak RSS of a whole 720p30 composition (generated clips joined by crossfades, narration
   read from a file, a looping music bed ducked under it, loudness normalisation, captions) of 10 s
   and of 60 s, each in a fresh process. Goal: flat in the length of the video.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WIDTH, HEIGHT, FPS = 1280, 720, 30
PRESET, CRF = "veryfast", 20


def make_frames(count: int, seed: int = 0) -> Any:
    """A factory of `count` 720p RGB frames: a smooth texture panning, a block moving across it."""

    def frames() -> Any:
        from PIL import Image

        # Made when the stream is opened, not before: a clip waiting its turn holds nothing.
        rng = np.random.default_rng(seed)
        coarse = (rng.random((HEIGHT // 16 + 8, WIDTH // 16 + 8, 3)) * 255).astype(np.uint8)
        texture = np.asarray(
            Image.fromarray(coarse).resize((coarse.shape[1] * 16, coarse.shape[0] * 16), Image.Resampling.BICUBIC)
        )
        for i in range(count):
            x, y = (i * 3) % 120, (i * 2) % 120
            frame = np.ascontiguousarray(texture[y : y + HEIGHT, x : x + WIDTH])
            bx = (i * 11) % (WIDTH - 160)
            frame[300:420, bx : bx + 160] = (240, 240, 240)
            yield frame

    return frames


# 1. Encode speed ------------------------------------------------------------------------------


def run_compose(frames: Any, count: int, out: Path) -> tuple[float, float]:
    """(frames per second, CPU milliseconds per frame) of compose() in this process."""
    from apexlocal.engines import compose as c

    clip = c.from_frames(frames, FPS, duration=count / FPS, size=(WIDTH, HEIGHT))
    cpu, started = time.process_time(), time.perf_counter()
    c.compose([c.Segment(clip)], out, (WIDTH, HEIGHT), FPS, encoding=c.EncodeSettings(crf=CRF, preset=PRESET))
    return count / (time.perf_counter() - started), (time.process_time() - cpu) * 1000 / count


def run_ffmpeg(frames: Any, count: int, out: Path) -> tuple[float, float]:
    """(frames per second, CPU milliseconds per frame: ffmpeg's and the writing loop's)."""
    import imageio_ffmpeg

    command = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        "-y",
        "-loglevel",
        "error",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-s",
        f"{WIDTH}x{HEIGHT}",
        "-r",
        str(FPS),
        "-i",
        "-",
        "-vf",
        "scale=out_color_matrix=bt709:out_range=tv",
        "-c:v",
        "libx264",
        "-preset",
        PRESET,
        "-crf",
        str(CRF),
        "-g",
        str(2 * FPS),
        "-pix_fmt",
        "yuv420p",
        "-colorspace",
        "bt709",
        "-color_primaries",
        "bt709",
        "-color_trc",
        "bt709",
        "-color_range",
        "tv",
        "-movflags",
        "+faststart",
        str(out),
    ]
    cpu, children, started = time.process_time(), _children_cpu(), time.perf_counter()
    process = subprocess.Popen(command, stdin=subprocess.PIPE)
    assert process.stdin is not None
    for frame in frames():
        process.stdin.write(frame.data)
    process.stdin.close()
    if process.wait() != 0:
        raise RuntimeError("ffmpeg failed")
    elapsed = time.perf_counter() - started
    used = time.process_time() - cpu + _children_cpu() - children
    return count / elapsed, used * 1000 / count


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bench_speed(seconds: int = 10, rounds: int = 5) -> dict[str, Any]:
    count = seconds * FPS
    frames = make_frames(count)
    started = time.perf_counter()
    for _ in frames():
        pass
    generator_fps = count / (time.perf_counter() - started)
    ours: list[tuple[float, float]] = []
    theirs: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(rounds):
            pair = [(ours, run_compose), (theirs, run_ffmpeg)]
            for results, run in pair if i % 2 == 0 else pair[::-1]:
                results.append(run(frames, count, Path(tmp) / f"{run.__name__}.mp4"))
        sizes = {p.name: p.stat().st_size for p in Path(tmp).iterdir()}
    fps_ours, fps_theirs = [r[0] for r in ours], [r[0] for r in theirs]
    cpu_ours, cpu_theirs = [r[1] for r in ours], [r[1] for r in theirs]
    ratio = statistics.median(fps_ours) / statistics.median(fps_theirs)
    cpu_ratio = statistics.median(cpu_theirs) / statistics.median(cpu_ours)
    print(f"speed: 720p30, {count} frames, libx264 preset={PRESET} crf={CRF}, {rounds} alternating rounds")
    print(f"  frame generator alone        {generator_fps:8.1f} fps")
    print(
        f"  compose() (PyAV)             {statistics.median(fps_ours):8.1f} fps  runs {_fmt(fps_ours)}"
        f"   CPU {statistics.median(cpu_ours):5.1f} ms/frame"
    )
    print(
        f"  ffmpeg rawvideo pipe         {statistics.median(fps_theirs):8.1f} fps  runs {_fmt(fps_theirs)}"
        f"   CPU {statistics.median(cpu_theirs):5.1f} ms/frame"
    )
    print(f"  ratio compose / ffmpeg       {ratio:8.2f}     (goal >= 0.8; medians of wall-clock fps)")
    print(f"  CPU efficiency ratio         {cpu_ratio:8.2f}     (ffmpeg CPU per frame / ours; steadier under load)")
    print(f"  output sizes                 {sizes}")
    return {"ours": ours, "ffmpeg": theirs, "ratio": ratio, "cpu_ratio": cpu_ratio}


def _fmt(values: list[float]) -> str:
    return "[" + ", ".join(f"{v:.1f}" for v in values) + "]"


# 2. Memory ------------------------------------------------------------------------------------


def _write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1 if samples.ndim == 1 else samples.shape[1])
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())


def _speechlike(seconds: float, rate: int) -> np.ndarray:
    """A tone switched on and off in word- and sentence-sized bursts: something to duck under."""
    t = np.arange(round(seconds * rate)) / rate
    words = (np.sin(2 * np.pi * 2.5 * t) > -0.3) & (np.sin(2 * np.pi * 0.2 * t) > -0.6)
    return (0.25 * np.sin(2 * np.pi * 180 * t) * np.sin(2 * np.pi * 3 * t) ** 2 * words).astype(np.float32)


def child_memory(seconds: int, workdir: Path) -> dict[str, Any]:
    """One composition in this (fresh) process: peak RSS and time."""
    from apexlocal.engines import compose as c

    clip_seconds, fade = 5.0, 0.5
    count = 1
    while clip_seconds + (count - 1) * (clip_seconds - fade) < seconds:
        count += 1
    segments = []
    for i in range(count):
        frames = make_frames(round(clip_seconds * FPS), seed=i)
        clip = c.from_frames(frames, FPS, duration=clip_seconds, size=(WIDTH, HEIGHT))
        segments.append(c.Segment(clip, transition=c.crossfade(fade) if i else c.CUT))
    overshoot = clip_seconds + (count - 1) * (clip_seconds - fade) - seconds
    segments[-1].duration = clip_seconds - overshoot  # the timeline is exactly `seconds` long
    words = [(f"word{i}", i * 0.35, i * 0.35 + 0.3) for i in range(int(seconds / 0.35))]
    tracks = [
        c.AudioTrack(c.AudioFile(workdir / f"narration-{seconds}.wav"), role="narration"),
        c.AudioTrack(c.AudioFile(workdir / "music.wav"), role="music", loop=True, fade_out=1.0),
    ]
    baseline = _rss_now_kib()
    started = time.perf_counter()
    result = c.compose(
        segments,
        workdir / f"out-{seconds}.mp4",
        (WIDTH, HEIGHT),
        FPS,
        tracks,
        words,
        encoding=c.EncodeSettings(crf=CRF, preset=PRESET),
    )
    elapsed = time.perf_counter() - started
    info = c.probe(result.path)
    return {
        "seconds": seconds,
        "duration": info.duration,
        "frames": result.frames,
        "elapsed": elapsed,
        "rss_before_kib": baseline,
        "peak_rss_kib": _status_kib("VmHWM:"),
    }


def _rss_now_kib() -> int:
    return _status_kib("VmRSS:")


def _status_kib(field: str) -> int:
    """A memory figure of this process from /proc (Linux). VmHWM is the process's own peak;
    ru_maxrss would also count the parent's pages at exec time."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss if field == "VmHWM:" else 0


def bench_memory(lengths: tuple[int, ...] = (10, 60)) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        rate = 22_050
        t = np.arange(7 * rate) / rate
        music = 0.2 * np.stack([np.sin(2 * np.pi * 220 * t), np.sin(2 * np.pi * 330 * t)], axis=1)
        _write_wav(workdir / "music.wav", music, rate)
        runs = []
        for seconds in lengths:
            _write_wav(workdir / f"narration-{seconds}.wav", _speechlike(seconds, rate), rate)
            out = subprocess.run(
                [sys.executable, __file__, "_child", str(seconds), str(workdir)],
                capture_output=True,
                text=True,
                check=True,
            )
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(
        "memory: 720p30 compositions (crossfaded generated clips, narration + ducked looping music "
        "from files, loudness normalisation, captions), each in a fresh process"
    )
    for run in runs:
        before, peak = run["rss_before_kib"] / 1024, run["peak_rss_kib"] / 1024
        print(
            f"  {run['seconds']:3d} s  ({run['frames']} frames, file {run['duration']:.2f} s, "
            f"{run['frames'] / run['elapsed']:.1f} fps)  RSS before compose {before:6.1f} MiB"
            f"  peak {peak:6.1f} MiB  growth {peak - before:6.1f} MiB"
        )
    first, last = runs[0], runs[-1]
    print(
        f"  peak {last['seconds']} s / {first['seconds']} s = {last['peak_rss_kib'] / first['peak_rss_kib']:.3f}"
        f"  (difference {(last['peak_rss_kib'] - first['peak_rss_kib']) / 1024:+.1f} MiB; goal: flat)"
    )
    return {"runs": runs}


def main(argv: list[str]) -> None:
    if argv[:1] == ["_child"]:
        print(json.dumps(child_memory(int(argv[1]), Path(argv[2]))))
        return
    which = argv[0] if argv else "all"
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    if which in ("all", "speed"):
        bench_speed()
    if which in ("all", "memory"):
        bench_memory()


if __name__ == "__main__":
    main(sys.argv[1:])
