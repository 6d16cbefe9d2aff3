"""Scale-out benchmarks: `apexlocal worker` processes on a real Redis, measured in one run.

    python bench/bench_scaleout.py               # both
    python bench/bench_scaleout.py throughput    # one of: throughput, latency, hop

Every process runs with one compute thread (OMP_NUM_THREADS=1): a worker stands for one accelerator,
and this machine has 2 cores. The workers share the API process's data dir for storage (a local
folder both see; they never open its database). Jobs are `tiny` image jobs.

1. throughput: tiny image jobs (512x512, 8 steps: long enough that the workers, not the API process
   and this client, are what limits; at 256x256 and 2 steps a job takes about 0.15 s and the API
   process is the limit) per minute with one worker, then two, then one again (the two-worker
   round against the mean of the rounds around it, so drift in the machine's other load hits both
   alike), each worker warm first; the cores the workers and the API process used (their CPU
   seconds over the wall time), and jobs per minute of the workers' CPU time (robust to other
   load: on a shared machine a second worker gets only the cores the others leave).
2. latency: one 256x256, 2-step job at a time, POST to the SSE `completed` event, through a Redis hop (API process
   with no model thread + one worker) against the in-process queue (`queue_backend = sqlite`, the
   API's own model thread), interleaved. The engine's own time (the job's `durationMs`) is taken off
   each, so what is compared is the overhead around the engine: what a Redis hop adds (the median
   of the paired differences).
3. hop: the Redis hop's parts, no model and no HTTP: the keeper in this process, a worker's claim
   (ask -> ticket) and ending (ask -> recorded) round trips through Redis, against the in-process
   runner's own claim and completion calls on the same database.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_core import Server, _cpu_seconds, _free_port  # noqa: E402

SPEC = {"prompt": "a lighthouse at dusk", "width": 256, "height": 256, "steps": 2}
HEAVIER = {**SPEC, "width": 512, "height": 512, "steps": 8}
ONE_THREAD = {"OMP_NUM_THREADS": "1"}


class Redis:
    def __init__(self, folder: Path) -> None:
        self.port = _free_port()
        redis_server = shutil.which("redis-server") or "/usr/bin/redis-server"
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(folder), "--save", ""]
        self.proc = subprocess.Popen([redis_server, *args], stdout=subprocess.DEVNULL)
        import redis

        client = redis.Redis(port=self.port)
        for _ in range(200):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


class Worker:
    def __init__(self, name: str, data_dir: Path, env: dict[str, str]) -> None:
        self.name = name
        cmd = [sys.executable, "-m", "apexlocal", "worker", "--name", name, "--data-dir", str(data_dir)]
        # A session of its own, as on a machine of its own: Linux's autogroup scheduling gives each
        # session an equal share of the CPU, so workers in one session would split one share.
        self.proc = subprocess.Popen(
            cmd,
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        for line in self.proc.stdout:  # type: ignore[union-attr]
            if "takes jobs" in line:
                return
        raise RuntimeError(f"worker {name} did not start")

    def cpu(self) -> float:
        return _cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        self.proc.terminate()  # graceful: the running job ends first
        self.proc.wait(60)


def _env(models_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("APEXLOCAL_")}
    env.update(
        APEXLOCAL_MODEL_SET="tiny",
        APEXLOCAL_MODELS_DIR=str(models_dir),
        APEXLOCAL_LOG_LEVEL="warning",
        PYTHONUNBUFFERED="1",
        **ONE_THREAD,
        **extra,
    )
    return env


def _post(client: Any, server: Server, spec: dict[str, Any] = SPEC) -> str:
    r = client.post(f"{server.url}/api/generate/image", json=spec, headers={"Authorization": f"Bearer {server.key}"})
    r.raise_for_status()
    return str(r.json()["data"]["jobId"])


def _wait_all(client: Any, server: Server, ids: list[str]) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {server.key}"}
    pending, done = set(ids), {}
    while pending:
        for job in client.get(f"{server.url}/api/jobs?limit=100", headers=headers).json()["data"]:
            if job["jobId"] in pending and job["status"] in ("completed", "failed", "canceled"):
                if job["status"] != "completed":
                    raise RuntimeError(f"job {job['jobId']} {job['status']}: {job['error']}")
                pending.discard(job["jobId"])
                done[job["jobId"]] = job
        time.sleep(0.2)
    return [done[i] for i in ids]


def _round(client: Any, server: Server, workers: list[Worker], jobs: int) -> dict[str, Any]:
    cpu = [w.cpu() for w in workers]
    api_cpu = _cpu_seconds(server.proc.pid)
    start = time.perf_counter()
    ids = [_post(client, server, HEAVIER) for _ in range(jobs)]
    finished = _wait_all(client, server, ids)
    wall = time.perf_counter() - start
    used = sum(w.cpu() - c for w, c in zip(workers, cpu, strict=True))
    spread = {w.name: sum(1 for j in finished if j["metadata"]["worker"] == w.name) for w in workers}
    return {
        "jobs_per_min": jobs / wall * 60,
        # Jobs per minute of the workers' CPU time: the same comparison made robust to other load
        # on the machine (flat when adding a worker costs nothing but the cores it gets).
        "jobs_per_worker_cpu_min": jobs / used * 60,
        "worker_cores_used": used / wall,
        "api_cores_used": (_cpu_seconds(server.proc.pid) - api_cpu) / wall,
        "spread": spread,
    }


def _warm(client: Any, server: Server, name: str) -> None:
    """Jobs until one ran on `name` (its model loaded)."""
    for _ in range(12):
        if _wait_all(client, server, [_post(client, server)])[0]["metadata"]["worker"] == name:
            return
    raise RuntimeError(f"worker {name} never took a job")


def bench_throughput(jobs: int = 16) -> dict[str, Any]:
    import httpx

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        redis = Redis(root)
        env = _env(root / "models", APEXLOCAL_QUEUE_BACKEND="redis", APEXLOCAL_REDIS_URL=redis.url)
        data = root / "data"
        server = Server(data, root / "models", _free_port(), {**env, "APEXLOCAL_GPU_WORKERS": "0"})
        first = Worker("w1", data, env)
        second: Worker | None = None
        try:
            with httpx.Client(timeout=300) as client:
                _warm(client, server, "w1")
                one_before = _round(client, server, [first], jobs)
                second = Worker("w2", data, env)
                _warm(client, server, "w2")
                two = _round(client, server, [first, second], jobs)
                second.stop()
                second = None
                one_after = _round(client, server, [first], jobs)
        finally:
            for worker in (first, second):
                if worker is not None:
                    worker.stop()
            server.stop()
            redis.stop()
    one = (one_before["jobs_per_min"] + one_after["jobs_per_min"]) / 2
    return {
        "one_worker_before": one_before,
        "two_workers": two,
        "one_worker_after": one_after,
        "speedup_two_over_one": two["jobs_per_min"] / one,
        "cores_gained_two_over_one": two["worker_cores_used"]
        / ((one_before["worker_cores_used"] + one_after["worker_cores_used"]) / 2),
        "cpu_cores": os.cpu_count(),
    }


def _timed_job(client: Any, server: Server) -> tuple[float, float]:
    """(POST to the `completed` event, the engine's own time), in seconds."""
    headers = {"Authorization": f"Bearer {server.key}"}
    start = time.perf_counter()
    job_id = _post(client, server)
    with client.stream("GET", f"{server.url}/api/jobs/{job_id}/events", headers=headers) as events:
        for line in events.iter_lines():
            if line.startswith("data:") and '"status":"completed"' in line:
                total = time.perf_counter() - start
                break
        else:
            raise RuntimeError("job did not complete")
    job = client.get(f"{server.url}/api/jobs/{job_id}", headers=headers).json()["data"]
    return total, job["metadata"]["durationMs"] / 1000


def bench_latency(rounds: int = 15) -> dict[str, float]:
    import httpx

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        redis = Redis(root)
        models = root / "models"
        local = Server(root / "local", models, _free_port(), _env(models))
        env = _env(models, APEXLOCAL_QUEUE_BACKEND="redis", APEXLOCAL_REDIS_URL=redis.url)
        remote = Server(root / "remote", models, _free_port(), {**env, "APEXLOCAL_GPU_WORKERS": "0"})
        worker = Worker("w1", root / "remote", env)
        try:
            with httpx.Client(timeout=300) as client:
                for server in (local, remote):  # warm: models loaded, caches filled
                    _timed_job(client, server)
                    _timed_job(client, server)
                times: dict[str, list[tuple[float, float]]] = {"local": [], "remote": []}
                for _ in range(rounds):  # interleaved, so drift hits both alike
                    times["local"].append(_timed_job(client, local))
                    times["remote"].append(_timed_job(client, remote))
        finally:
            worker.stop()
            remote.stop()
            local.stop()
            redis.stop()
    over = {k: [(total - engine) * 1000 for total, engine in v] for k, v in times.items()}
    total = {k: [t * 1000 for t, _ in v] for k, v in times.items()}
    return {
        "in_process_job_ms_p50": statistics.median(total["local"]),
        "redis_job_ms_p50": statistics.median(total["remote"]),
        "in_process_overhead_ms_p50": statistics.median(over["local"]),
        "redis_overhead_ms_p50": statistics.median(over["remote"]),
        "added_by_redis_hop_ms_p50": statistics.median(
            [remote - local for remote, local in zip(over["remote"], over["local"], strict=True)]
        ),
    }


def bench_hop(jobs: int = 60) -> dict[str, float]:
    from apexlocal.accounts.users import create_user, get_user
    from apexlocal.app import build_services
    from apexlocal.db import jobs as records
    from apexlocal.jobs.keeper import Keeper
    from apexlocal.jobs.remote_protocol import Ack, Claim, ClaimReply, Ended, ask, new_reply_id
    from apexlocal.jobs.submit import Submission, submit
    from apexlocal.settings import load_settings

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        redis = Redis(root)
        overrides = {"data_dir": root / "data", "models_dir": root / "models", "model_set": "tiny"}
        settings = load_settings(environ={}, overrides={**overrides, "queue_backend": "redis", "redis_url": redis.url})
        services = build_services(settings)
        services.tasks["run_job"] = lambda job_id: None  # no queue: the bench claims the jobs itself
        keeper = Keeper(services)
        keeper.start()
        try:
            made = create_user(services.db, "b@example.com", "enterprise", settings.plans, 10**6)
            user = get_user(services.db, made.id)

            def new_job() -> str:
                sub = Submission("image", {"prompt": "p"}, None, None, "h")
                return str(submit(services, user, sub)[1]["data"]["jobId"])

            leases = services.leases
            assert leases is not None
            claim_ms, end_ms, local_claim_ms, local_end_ms = [], [], [], []
            for _ in range(jobs):  # interleaved
                job_id = new_job()
                start = time.perf_counter()
                reply = ask(leases.redis, leases.keys, Claim(job_id, "w", new_reply_id()), ClaimReply, 10)
                claim_ms.append((time.perf_counter() - start) * 1000)
                ticket = reply.ticket
                ended = Ended(job_id, ticket.token, "w", "completed", new_reply_id())
                start = time.perf_counter()
                assert ask(leases.redis, leases.keys, ended, Ack, 10).accepted
                end_ms.append((time.perf_counter() - start) * 1000)

                job_id = new_job()
                start = time.perf_counter()
                job = records.claim(services.db, job_id)
                services.events.publish(job_id)
                local_claim_ms.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                assert services.bookkeeper.complete(job, [], {})
                local_end_ms.append((time.perf_counter() - start) * 1000)
        finally:
            keeper.stop()
            services.close()
            redis.stop()
    return {
        "claim_through_redis_ms_p50": statistics.median(claim_ms),
        "ending_through_redis_ms_p50": statistics.median(end_ms),
        "claim_in_process_ms_p50": statistics.median(local_claim_ms),
        "completion_in_process_ms_p50": statistics.median(local_end_ms),
        "added_ms_p50": statistics.median(claim_ms)
        + statistics.median(end_ms)
        - statistics.median(local_claim_ms)
        - statistics.median(local_end_ms),
    }


def main() -> None:
    wanted = sys.argv[1:] or ["throughput", "latency", "hop"]
    for name in wanted:
        result = {"throughput": bench_throughput, "latency": bench_latency, "hop": bench_hop}[name]()
        print(name)
        for key, value in result.items():
            print(f"  {key}: {round(value, 3) if isinstance(value, float) else value}")


if __name__ == "__main__":
    main()
