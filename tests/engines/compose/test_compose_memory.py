"""Memory does not grow with the length of the video: a 60 s composition peaks where a 10 s one
does (small frames, so the test stays fast; bench/bench_compose.py measures it at 720p)."""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from apexlocal.engines import compose as c

SIZE, FPS = (160, 90), 10


def _write_wav(path: Path, samples: np.ndarray, rate: int = 48_000) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())


def prepare(workdir: Path, seconds: int) -> None:
    t = np.arange(seconds * 48_000, dtype=np.float32) / 48_000
    _write_wav(workdir / f"narration-{seconds}.wav", 0.2 * np.sin(2 * np.pi * 200 * t) * (np.sin(t) > 0))
    if not (workdir / "music.wav").exists():
        _write_wav(workdir / "music.wav", 0.2 * np.sin(2 * np.pi * 440 * t[: 3 * 48_000]))


def scenario(workdir: Path, seconds: int) -> Any:
    """A long composition: 4 s generated clips crossfaded, narration and a looping music bed read
    from files, loudness normalisation, captions every 0.4 s."""

    def clip(seed: int) -> c.Clip:
        def frames() -> Any:
            for i in range(40):
                yield np.full((90, 160, 3), (seed * 40 + i) % 256, np.uint8)

        return c.from_frames(frames, FPS, duration=4.0, size=SIZE)

    count = 1
    while 4.0 + (count - 1) * 3.5 < seconds:
        count += 1
    segments = [c.Segment(clip(i), transition=c.crossfade(0.5) if i else c.CUT) for i in range(count)]
    segments[-1].duration = 4.0 - (4.0 + (count - 1) * 3.5 - seconds)  # exactly `seconds` in all
    words = [(f"w{i}", i * 0.4, i * 0.4 + 0.3) for i in range(int(seconds / 0.4))]
    tracks = [
        c.AudioTrack(c.AudioFile(workdir / f"narration-{seconds}.wav"), role="narration"),
        c.AudioTrack(c.AudioFile(workdir / "music.wav"), role="music", loop=True),
    ]
    return c.compose(
        segments,
        workdir / f"out-{seconds}.mp4",
        SIZE,
        FPS,
        tracks,
        words,
        encoding=c.EncodeSettings(preset="ultrafast"),
    )


def _traced_peak(workdir: Path, seconds: int) -> int:
    tracemalloc.start()
    try:
        result = scenario(workdir, seconds)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.duration == seconds
    return peak


def test_python_allocations_do_not_grow_with_the_length(tmp_path: Path) -> None:
    for seconds in (2, 10, 60):
        prepare(tmp_path, seconds)
    scenario(tmp_path, 2)  # warm up: imports, fonts and caches are not the video's memory
    short, long = _traced_peak(tmp_path, 10), _traced_peak(tmp_path, 60)
    assert c.probe(tmp_path / "out-60.mp4").duration == pytest.approx(60, abs=0.1)
    assert long < short * 1.25 + 512 * 1024, (short, long)


def peak_rss_kib() -> int:
    """This process's peak resident set. VmHWM is the process's own; ru_maxrss (elsewhere) also
    counts the parent's pages at exec time."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


def test_peak_rss_does_not_grow_with_the_length(tmp_path: Path) -> None:
    peaks = {}
    for seconds in (10, 60):
        prepare(tmp_path, seconds)
        code = (
            f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
            f"import test_compose_memory as m; from pathlib import Path; "
            f"m.scenario(Path({str(tmp_path)!r}), {seconds}); print(m.peak_rss_kib())"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        peaks[seconds] = json.loads(out.stdout.strip().splitlines()[-1])
    assert peaks[60] < peaks[10] * 1.15 + 8 * 1024, peaks  # KiB: loosely flat
