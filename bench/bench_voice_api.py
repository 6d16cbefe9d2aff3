"""Benchmark of the default CPU voice through the API against the engine called directly.

    PYTHONPATH=. python bench/bench_voice_api.py [--chars 1000] [--reps 3]

Measures, on the same text, with warm models on both sides:
  - the engine called in this process: real-time factor (compute s / audio s);
  - POST /api/generate/voice on a real server: job time (from the POST until the job reads
    `completed`) / audio s, and its ratio to the engine's;
  - POST /v1/audio/speech (streamed WAV): time to the first audio byte, and to the last.
Prints medians of `--reps` runs measured in this one run; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
TEXT = (
    "The studio renders narration on the machine it runs on. Each sentence is spoken, joined to "
    "the next without a click, and written as a plain WAV file. "
)


def direct_engine() -> Callable[[str], tuple[float, float]]:
    """A function text -> (compute s, audio s) running the default voice model in this process."""
    from apexlocal.engines.base import EngineContext
    from apexlocal.engines.registry import get_engine
    from apexlocal.engines.runtime import ModelRuntime
    from apexlocal.models.manifest import load_manifest
    from apexlocal.models.packaged import check_package

    model = load_manifest().default_for("voice")
    engine = get_engine(model.engine)
    runtime, scratch = ModelRuntime("cpu"), Path(tempfile.mkdtemp(prefix="bench-voice-api-"))

    def run(text: str) -> tuple[float, float]:
        ctx = EngineContext(
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
        started = time.perf_counter()
        seconds = engine.run({"text": text}, model, ctx).metadata["durationSeconds"]
        return time.perf_counter() - started, seconds

    run("Warm up.")
    return run


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data_dir: Path, port: int) -> tuple[subprocess.Popen[str], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("APEXLOCAL_")}
    env.update(
        {
            "APEXLOCAL_MODEL_SET": "tiny",
            "APEXLOCAL_MODELS_DIR": str(data_dir / "models"),
            "APEXLOCAL_RATE_LIMITS": "generation=1000/10,read=100000/10",
            "PYTHONUNBUFFERED": "1",
            "APEXLOCAL_QUEUE_MAX_IDLE_WAIT": "0.5",
        }
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "apexlocal", "serve", "--port", str(port), "--data-dir", str(data_dir)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    key = ""
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("sk_live_"):
            key = line.strip()
            break
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return proc, key
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start")


def api_job(base: str, headers: dict[str, str], text: str) -> tuple[float, float, float]:
    """(seconds from the POST until its SSE stream says `completed`, audio seconds, the engine's
    own seconds inside the server) of one voice job."""
    started = time.perf_counter()
    r = httpx.post(f"{base}/api/generate/voice", json={"text": text}, headers=headers, timeout=30)
    r.raise_for_status()
    job_id = r.json()["data"]["jobId"]
    with httpx.stream("GET", f"{base}/api/jobs/{job_id}/events", headers=headers, timeout=600) as events:
        for line in events.iter_lines():
            if not line.startswith("data:"):
                continue
            job = json.loads(line[5:])
            if job["status"] == "completed":
                meta = job["metadata"]
                return time.perf_counter() - started, meta["durationSeconds"], meta["durationMs"] / 1000
            if job["status"] in ("failed", "canceled"):
                raise SystemExit(f"job {job_id} {job['status']}: {job['error']}")
    raise SystemExit(f"the events of job {job_id} ended early")


def stream_speech(base: str, headers: dict[str, str], text: str, fmt: str) -> tuple[float, float, int]:
    """(time to the first byte, time to the last, bytes) of one streamed answer."""
    body = {"model": "tts-1", "voice": "alloy", "input": text, "response_format": fmt}
    started = time.perf_counter()
    first, size = None, 0
    with httpx.stream("POST", f"{base}/v1/audio/speech", json=body, headers=headers, timeout=300) as r:
        r.raise_for_status()
        for chunk in r.iter_bytes():
            if first is None and chunk:
                first = time.perf_counter() - started
            size += len(chunk)
    return first or 0.0, time.perf_counter() - started, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=1000, help="length of the text to speak")
    parser.add_argument("--reps", type=int, default=3, help="runs of each measurement (medians are printed)")
    args = parser.parse_args()
    text = (TEXT * (args.chars // len(TEXT) + 1))[: args.chars]

    engine = direct_engine()
    data_dir = Path(tempfile.mkdtemp(prefix="bench-voice-api-srv-"))
    port = free_port()
    proc, key = start_server(data_dir, port)
    base, headers = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {key}"}
    direct: list[tuple[float, float]] = []
    jobs: list[tuple[float, float, float]] = []
    streams: dict[str, list[tuple[float, float, int]]] = {"wav": [], "mp3": []}
    try:
        api_job(base, headers, "Warm up.")
        stream_speech(base, headers, "Warm up.", "wav")
        for _ in range(args.reps):  # interleaved, so a change in the machine's load hits every kind alike
            direct.append(engine(text))
            jobs.append(api_job(base, headers, text))
            for fmt in streams:
                streams[fmt].append(stream_speech(base, headers, text, fmt))
    finally:
        proc.terminate()
        proc.wait(30)

    audio = direct[0][1]
    rtf_engine = statistics.median(t / s for t, s in direct)
    rtf_api = statistics.median(t / s for t, s, _ in jobs)
    rtf_inside = statistics.median(e / s for _, s, e in jobs)
    print(f"default CPU voice, {len(text)} characters -> {audio:.1f} s of audio, medians of {args.reps}")
    print(f"engine called directly:   real-time factor {rtf_engine:.4f}")
    print(
        f"POST /api/generate/voice: real-time factor {rtf_api:.4f} (POST to completed / audio s), "
        f"ratio to the engine {rtf_api / rtf_engine:.2f}; the engine inside the server {rtf_inside:.4f}"
    )
    for fmt, runs in streams.items():
        first, total = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
        print(
            f"POST /v1/audio/speech ({fmt}): first audio byte {first * 1000:.0f} ms, last {total * 1000:.0f} ms "
            f"(first / last {first / total:.3f}; real-time factor {total / audio:.4f}, "
            f"ratio to the engine {total / audio / rtf_engine:.2f})"
        )


if __name__ == "__main__":
    main()
