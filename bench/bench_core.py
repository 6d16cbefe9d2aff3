"""Benchmarks of the platform core, measured in one run, as ratios against a baseline run in the same
process or command (these machines are noisy; absolute numbers travel badly).

    python bench/bench_core.py            # all three
    python bench/bench_core.py pickup     # one of: pickup, e2e, reads

1. pickup: idle queue pickup latency (enqueue -> task starts) of apexlocal's woken consumer, against
   huey's stock polling consumer with its default back-off, same machine, same SQLite queue file.
2. e2e: one image job through the API of a real `apexlocal serve` (tiny set, 512x512, 8 steps), POST
   to completed event, against the same pipeline called directly in this process. Goal <= 1.05.
   Every run is printed, with figures that other load moves less: the job's wall time minus the
   engine's own time in the server, the engine's time against the direct call, CPU time per job.
   `e2e-unniced` runs it with the server's model thread at this process's priority
   (model_worker_nice = 0), for comparison: the engine's priority is then no part of the difference.
3. reads: authenticated `GET /api/jobs?id=` against a bare route (`/healthz`) of the same server,
   requests per second over keep-alive connections, and requests per second of the server's CPU
   time (robust to other load on the machine). Goal >= 0.8.
4. busy: `GET /api/jobs?id=` latency (p50, p99) and throughput with 50 SSE streams open on a running
   job, against the same server idle. Goal: p99 at most 2x idle. `busy-unniced` runs it with the
   model threads at the server's own priority (model_worker_nice = 0), for comparison.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


# 1. Idle pickup ---------------------------------------------------------------------------------


def _pickup_run(consumer_factory: Any, huey: Any, idles: list[float]) -> list[float]:
    """Enqueue after each idle period; the same idle periods for every consumer measured."""
    started: dict[int, float] = {}
    done = threading.Event()

    @huey.task(name="probe")
    def probe(i: int, enqueued_at: float) -> None:
        started[i] = time.perf_counter() - enqueued_at
        done.set()

    consumer = consumer_factory(huey)
    consumer.start()
    try:
        for i, idle in enumerate(idles):
            time.sleep(idle)  # let the worker go idle (and back off, for the stock consumer)
            done.clear()
            probe(i, time.perf_counter())
            done.wait(30)
    finally:
        consumer.stop_flag.set()
        getattr(huey, "wake", threading.Event()).set()
        consumer.stop(graceful=True)
    return [started[i] * 1000 for i in sorted(started)]


def bench_pickup(samples: int = 40) -> dict[str, float]:
    from huey import SqliteHuey
    from huey.consumer import Consumer

    from apexlocal.jobs.queue import InProcessConsumer, WakeableHuey

    class StockConsumer(Consumer):
        def _set_signal_handlers(self) -> None:  # threads of this process, as in the server
            pass

    # Random idle gaps: a fixed gap can line up with the stock back-off schedule and flatter it.
    rng = random.Random(7)
    idles = [rng.uniform(0.05, 1.5) for _ in range(samples)]
    with tempfile.TemporaryDirectory() as tmp:
        ours = _pickup_run(lambda h: InProcessConsumer(h, 1, 1.0), WakeableHuey("gpu", Path(tmp) / "a.db"), idles)
        stock = _pickup_run(
            lambda h: StockConsumer(h, workers=1, periodic=False),
            SqliteHuey(name="gpu", filename=str(Path(tmp) / "b.db"), results=False),
            idles,
        )
    result = {
        "pickup_p50_ms": statistics.median(ours),
        "pickup_p99_ms": percentile(ours, 99),
        "stock_huey_p50_ms": statistics.median(stock),
        "stock_huey_p99_ms": percentile(stock, 99),
    }
    result["speedup_p50"] = result["stock_huey_p50_ms"] / max(result["pickup_p50_ms"], 1e-6)
    return result


# A real server ---------------------------------------------------------------------------------


class Server:
    def __init__(self, data_dir: Path, models_dir: Path, port: int, extra_env: dict[str, str] | None = None) -> None:
        self.port, self.data_dir = port, data_dir
        env = {k: v for k, v in os.environ.items() if not k.startswith("APEXLOCAL_")}
        env.update(
            APEXLOCAL_MODEL_SET="tiny",
            APEXLOCAL_MODELS_DIR=str(models_dir),
            PYTHONUNBUFFERED="1",
            APEXLOCAL_RATE_LIMITS="generation=100000/10,read=100000000/10",
            APEXLOCAL_LOG_LEVEL="warning",
        )
        env.update(extra_env or {})
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "apexlocal", "serve", "--port", str(port), "--data-dir", str(data_dir)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.key = ""
        for line in self.proc.stdout:  # type: ignore[union-attr]
            if line.startswith("sk_live_"):
                self.key = line.strip()
                break
        self._wait_ready()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _wait_ready(self) -> None:
        import httpx

        for _ in range(600):
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# 2. End-to-end job time ------------------------------------------------------------------------

SPEC = {"prompt": "a lighthouse at dusk", "width": 512, "height": 512, "steps": 8, "seed": 1}


def _thread_cpu_seconds(pid: int) -> float:
    """CPU time of a process's threads to the nanosecond (Linux schedstat; /proc/stat counts ticks)."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError):  # a thread that ended meanwhile
            total += int(Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()[0])
    return total / 1e9


def _api_job(client: Any, server: Server) -> tuple[float, float, float]:
    """(wall seconds POST to `completed`, the server's CPU seconds meanwhile, the engine's own
    `durationMs` in seconds)."""
    headers = {"Authorization": f"Bearer {server.key}"}
    cpu = _thread_cpu_seconds(server.proc.pid)
    start = time.perf_counter()
    job_id = client.post(f"{server.url}/api/generate/image", json=SPEC, headers=headers).json()["data"]["jobId"]
    with client.stream("GET", f"{server.url}/api/jobs/{job_id}/events", headers=headers) as events:
        for line in events.iter_lines():
            if line.startswith("data:") and '"status":"completed"' in line:
                wall = time.perf_counter() - start
                engine = json.loads(line.removeprefix("data:"))["metadata"]["durationMs"] / 1000
                # The job's ending (the worker's own bookkeeping after the event) belongs to its CPU.
                time.sleep(0.05)
                return wall, _thread_cpu_seconds(server.proc.pid) - cpu, engine
    raise RuntimeError("job did not complete")


def _direct_call(models_dir: Path) -> Any:
    from apexlocal.engines.diffusers_loading import load_pipeline
    from apexlocal.engines.image.diffusers_image import generate, parse_request
    from apexlocal.engines.runtime import resolve_device
    from apexlocal.models.manifest import load_manifest

    entry = load_manifest().default_for("image")
    device = resolve_device("auto")
    pipe = load_pipeline(entry, models_dir / "tiny" / entry.id, device)
    request = parse_request({**SPEC, "model": entry.id}, entry)

    def call() -> tuple[float, float]:
        """(wall seconds, this process's CPU seconds)."""
        start, cpu = time.perf_counter(), time.process_time()
        generate(pipe, request, device).save(Path(tempfile.gettempdir()) / "bench-direct.png")
        return time.perf_counter() - start, time.process_time() - cpu

    return call


def bench_e2e(rounds: int = 16, model_nice: int | None = None) -> dict[str, float]:
    """Besides the wall-time ratio (what a user sees; other load on the machine moves it, the more
    so as the server's model thread runs at a lower priority than this process), figures that
    load hardly moves: the job's wall time minus the engine's own time in the server (the API's
    share: POST, queue, storing, ending, event), the engine's time in the server against the direct
    call, and the server's CPU time per job against the direct call's. `model_nice`: the server's
    `model_worker_nice` (None: its default)."""
    import httpx

    load_before = os.getloadavg()
    env = {} if model_nice is None else {"APEXLOCAL_MODEL_WORKER_NICE": str(model_nice)}
    with tempfile.TemporaryDirectory() as tmp:
        models_dir = Path(tmp) / "models"
        server = Server(Path(tmp) / "data", models_dir, _free_port(), env)
        try:
            with httpx.Client(timeout=300) as client:
                _api_job(client, server)  # builds the tiny model and warms the server's cache
                direct = _direct_call(models_dir)
                direct()  # warm
                api_runs, direct_runs = [], []
                for _ in range(rounds):  # alternate, so drift hits both alike
                    api_runs.append(_api_job(client, server))
                    direct_runs.append(direct())
        finally:
            server.stop()
    load_after = os.getloadavg()
    print(f"e2e, load average before {load_before[0]:.2f}, after {load_after[0]:.2f}")
    print("  run   api_ms  direct_ms  ratio  engine_ms  api-engine_ms  server_cpu_ms  direct_cpu_ms")
    for i, ((wall, cpu, engine), (d_wall, d_cpu)) in enumerate(zip(api_runs, direct_runs, strict=True)):
        print(
            f"  {i + 1:3d} {wall * 1e3:8.1f} {d_wall * 1e3:10.1f} {wall / d_wall:6.3f} {engine * 1e3:10.1f}"
            f" {(wall - engine) * 1e3:14.1f} {cpu * 1e3:14.1f} {d_cpu * 1e3:14.1f}"
        )
    med = statistics.median
    api_s, direct_s = med(r[0] for r in api_runs), med(r[0] for r in direct_runs)
    engine_s = med(r[2] for r in api_runs)
    return {
        "api_job_s": api_s,
        "direct_pipeline_s": direct_s,
        "ratio_api_over_direct": api_s / direct_s,
        "api_minus_engine_ms": med(r[0] - r[2] for r in api_runs) * 1e3,
        "engine_over_direct": engine_s / direct_s,
        "cpu_api_over_direct": med(r[1] for r in api_runs) / med(r[1] for r in direct_runs),
    }


# 3. Authenticated reads against a bare route ----------------------------------------------------


async def _hammer(
    port: int, request: bytes, seconds: float, connections: int, latencies: list[float] | None = None
) -> int:
    count = 0
    deadline = time.perf_counter() + seconds

    async def one() -> None:
        nonlocal count
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.perf_counter() < deadline:
            sent = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(
                next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
            )
            await reader.readexactly(length)
            assert head.startswith(b"HTTP/1.1 200"), head[:40]
            if latencies is not None:
                latencies.append((time.perf_counter() - sent) * 1000)
            count += 1
        writer.close()

    await asyncio.gather(*(one() for _ in range(connections)))
    return count


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _window(server: Server, request: bytes, seconds: float, connections: int) -> tuple[float, float]:
    """Requests per second of wall time, and per second of the server's CPU time."""
    cpu = _cpu_seconds(server.proc.pid)
    count = asyncio.run(_hammer(server.port, request, seconds, connections))
    return count / seconds, count / max(_cpu_seconds(server.proc.pid) - cpu, 1e-9)


def bench_reads(seconds: float = 3.0, connections: int = 8, rounds: int = 6) -> dict[str, float]:
    """Wall-time throughput is what a client sees on a quiet machine; throughput per second of the
    server's CPU time is the same comparison made robust to other load on the machine (the server is
    CPU-bound here, so on a quiet machine the two ratios agree)."""
    import httpx

    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp) / "data", Path(tmp) / "models", _free_port())
        try:
            headers = {"Authorization": f"Bearer {server.key}"}
            job_id = httpx.post(
                f"{server.url}/api/generate/image", json={**SPEC, "width": 256, "height": 256}, headers=headers
            ).json()["data"]["jobId"]
            _wait_done(server, job_id, headers)  # nothing else runs in the server while reads are timed
            host = f"Host: 127.0.0.1:{server.port}\r\n".encode()
            bare = b"GET /healthz HTTP/1.1\r\n" + host + b"\r\n"
            authed = (
                f"GET /api/jobs?id={job_id} HTTP/1.1\r\n".encode()
                + host
                + f"Authorization: Bearer {server.key}\r\n\r\n".encode()
            )
            _window(server, authed, 1.0, connections)  # warm-up: the job is read once from the database
            bare_runs, authed_runs = [], []
            for _ in range(rounds):  # interleaved, so a change in the machine's load hits both alike
                bare_runs.append(_window(server, bare, seconds, connections))
                authed_runs.append(_window(server, authed, seconds, connections))
        finally:
            server.stop()
    b, a = (statistics.median(r[0] for r in runs) for runs in (bare_runs, authed_runs))
    b_cpu, a_cpu = (statistics.median(r[1] for r in runs) for runs in (bare_runs, authed_runs))
    return {
        "bare_route_rps": b,
        "jobs_by_id_rps": a,
        "ratio_jobs_over_bare": a / b,
        "bare_per_cpu_s": b_cpu,
        "jobs_by_id_per_cpu_s": a_cpu,
        "ratio_per_cpu_s": a_cpu / b_cpu,
    }


# 4. Reads while the server is busy ----------------------------------------------------------------

LONG_JOB = {"prompt": "a long one", "width": 1536, "height": 1536, "steps": 50, "seed": 3}


async def _streams(port: int, key: str, job_id: str, count: int, stop: asyncio.Event) -> int:
    """`count` SSE streams on the job, each reading every event until `stop`; returns events read."""
    events = 0

    async def one() -> None:
        nonlocal events
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            f"GET /api/jobs/{job_id}/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {key}\r\nAccept: text/event-stream\r\n\r\n".encode()
        )
        while not stop.is_set():
            try:
                line = await asyncio.wait_for(reader.readline(), 0.2)
            except TimeoutError:
                continue
            if not line:
                break
            events += line.startswith(b"data:")
        writer.close()

    await asyncio.gather(*(one() for _ in range(count)))
    return events


async def _reads_beside_streams(
    port: int, key: str, read: bytes, job_id: str, seconds: float, streams: int
) -> tuple[int, list[float], int]:
    stop = asyncio.Event()
    stream_task = asyncio.create_task(_streams(port, key, job_id, streams, stop))
    await asyncio.sleep(1.0)  # every stream connected and subscribed
    latencies: list[float] = []
    count = await _hammer(port, read, seconds, 4, latencies)
    stop.set()
    return count, latencies, await stream_task


def bench_busy(seconds: float = 6.0, streams: int = 50, model_nice: int | None = None) -> dict[str, float]:
    import httpx

    env = {} if model_nice is None else {"APEXLOCAL_MODEL_WORKER_NICE": str(model_nice)}
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp) / "data", Path(tmp) / "models", _free_port(), env)
        try:
            headers = {"Authorization": f"Bearer {server.key}"}
            small = httpx.post(
                f"{server.url}/api/generate/image",
                json={**SPEC, "width": 256, "height": 256},
                headers=headers,
                timeout=60,
            ).json()["data"]["jobId"]
            _wait_done(server, small, headers)  # the model is built and warm before anything is timed
            read = (
                f"GET /api/jobs?id={small} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                f"Authorization: Bearer {server.key}\r\n\r\n"
            ).encode()
            idle: list[float] = []
            idle_count = asyncio.run(_hammer(server.port, read, seconds, 4, idle))
            long_job = httpx.post(
                f"{server.url}/api/generate/image", json=LONG_JOB, headers=headers, timeout=60
            ).json()["data"]["jobId"]
            busy_count, busy, events = asyncio.run(
                _reads_beside_streams(server.port, server.key, read, long_job, seconds, streams)
            )
            status = httpx.get(f"{server.url}/api/jobs?id={long_job}", headers=headers).json()["data"]["status"]
            httpx.delete(f"{server.url}/api/jobs/{long_job}", headers=headers)
        finally:
            server.stop()
    result = {
        "idle_p50_ms": statistics.median(idle),
        "idle_p99_ms": percentile(idle, 99),
        "idle_rps": idle_count / seconds,
        "busy_p50_ms": statistics.median(busy),
        "busy_p99_ms": percentile(busy, 99),
        "busy_rps": busy_count / seconds,
        "sse_events_read": events,
    }
    result["p99_busy_over_idle"] = result["busy_p99_ms"] / result["idle_p99_ms"]
    if status != "processing":
        raise RuntimeError(f"the long job was {status} during the measurement, not processing")
    return result


def _wait_done(server: Server, job_id: str, headers: dict[str, str]) -> None:
    import httpx

    for _ in range(1200):
        status = httpx.get(f"{server.url}/api/jobs?id={job_id}", headers=headers).json()["data"]["status"]
        if status in ("completed", "failed", "canceled"):
            return
        time.sleep(0.1)
    raise RuntimeError("the warm-up job did not end")


def main(which: list[str]) -> None:
    benches = {
        "pickup": bench_pickup,
        "e2e": bench_e2e,
        # The same with the server's model thread at the direct call's priority (model_worker_nice = 0).
        "e2e-unniced": lambda: bench_e2e(model_nice=0),
        "reads": bench_reads,
        "busy": bench_busy,
        # The same with the model threads at the server's own priority (model_worker_nice = 0).
        "busy-unniced": lambda: bench_busy(model_nice=0),
    }
    for name in which or list(benches):
        result = benches[name]()
        print(f"[{name}]")
        for key, value in result.items():
            print(f"  {key:<24} {value:10.3f}")
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
