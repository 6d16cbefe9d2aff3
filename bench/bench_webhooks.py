"""Webhook delivery benchmarks, measured in one run against baselines in the same process.

    python bench/bench_webhooks.py

1. throughput: signed deliveries per second through the io queue (record, sign, SSRF check, POST,
   log the attempt) to a receiver on loopback, against bare `post_json` calls to the same receiver
   from one thread (ratio).
2. latency: a real `apexlocal serve`; for each image job, the time from the SSE event that says the
   job completed to the moment its webhook arrives (p50, p99).
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_core import Server, _free_port, percentile  # noqa: E402


class Receiver:
    """A loopback webhook receiver that records when each delivery arrived."""

    def __init__(self) -> None:
        arrivals: list[tuple[float, dict[str, Any]]] = []
        self.arrivals, self.got = arrivals, threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                self.send_response(204)
                self.end_headers()
                with receiver.got:
                    arrivals.append((time.perf_counter(), json.loads(body)))
                    receiver.got.notify_all()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 120) -> None:
        with self.got:
            self.got.wait_for(lambda: len(self.arrivals) >= count, timeout)

    def close(self) -> None:
        self.server.shutdown()


def bench_throughput(count: int = 300) -> dict[str, float]:
    from apexlocal.app import build_services
    from apexlocal.delivery import webhooks
    from apexlocal.settings import load_settings
    from apexlocal.webhooks import fetch, sign

    receiver = Receiver()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            environ={}, overrides={"data_dir": Path(tmp), "model_set": "tiny", "webhooks_allow_private": True}
        )
        services = build_services(settings)
        job_ids = _completed_jobs(services, receiver.url, count)
        services.queues.start({"io": settings.io_workers}, settings.queue_max_idle_wait)
        start = time.perf_counter()
        for job_id in job_ids:
            webhooks.on_job_ended(services, job_id)
        receiver.wait_for(count)
        pipeline_s = time.perf_counter() - start
        services.close()
    body, secret = b'{"event":"job.completed"}', sign.new_secret()
    start = time.perf_counter()
    for i in range(count):
        headers = sign.headers(secret, f"msg_{i}", int(time.time()), body)
        fetch.post_json(receiver.url, body, headers, allow_private=True)
    direct_s = time.perf_counter() - start
    receiver.close()
    return {
        "deliveries_per_s": count / pipeline_s,
        "bare_post_per_s": count / direct_s,
        "ratio": (count / pipeline_s) / (count / direct_s),
    }


def _completed_jobs(services: Any, url: str, count: int) -> list[str]:
    """Users' finished jobs made straight in the database, as the runner would leave them."""
    from apexlocal.accounts.users import create_user
    from apexlocal.db import user_settings
    from apexlocal.jobs.submit import Submission, submit
    from apexlocal.webhooks import sign

    user = create_user(services.db, "bench@example.com", "enterprise", services.settings.plans, count * 10)
    user_settings.set_webhook_url(services.db, user.id, url, sign.new_secret)
    services.tasks["run_job"] = lambda job_id: None  # no model runs: only the deliveries are measured
    ids = []
    for i in range(count):
        job_id = submit(services, user, Submission("image", {"prompt": str(i)}, None, None, str(i)))[1]["data"]["jobId"]
        with services.db.write():
            services.db.conn.execute(
                "UPDATE jobs SET status = 'completed', completed_at = created_at, metadata = '{}' WHERE id = ?",
                (job_id,),
            )
        ids.append(job_id)
    return ids


def bench_latency(jobs: int = 20) -> dict[str, float]:
    import httpx

    receiver = Receiver()
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(
            Path(tmp) / "data", Path(tmp) / "models", _free_port(), {"APEXLOCAL_WEBHOOKS_ALLOW_PRIVATE": "1"}
        )
        headers = {"Authorization": f"Bearer {server.key}"}
        latencies = []
        try:
            with httpx.Client(timeout=120) as client:
                client.patch(f"{server.url}/api/settings", json={"webhookUrl": receiver.url}, headers=headers)
                for i in range(jobs + 1):
                    ended = _job_end(client, server, headers, i)
                    receiver.wait_for(i + 1)
                    if i:  # the first job builds the tiny model: a warm-up
                        latencies.append((receiver.arrivals[i][0] - ended) * 1000)
        finally:
            server.stop()
            receiver.close()
    return {
        "webhook_after_end_p50_ms": statistics.median(latencies),
        "webhook_after_end_p99_ms": percentile(latencies, 99),
    }


def _job_end(client: Any, server: Server, headers: dict[str, str], i: int) -> float:
    spec = {"prompt": f"hook {i}", "width": 256, "height": 256, "steps": 1}
    job_id = client.post(f"{server.url}/api/generate/image", json=spec, headers=headers).json()["data"]["jobId"]
    with client.stream("GET", f"{server.url}/api/jobs/{job_id}/events", headers=headers) as events:
        for line in events.iter_lines():
            if line.startswith("data:") and '"status":"completed"' in line:
                return time.perf_counter()
    raise RuntimeError("job did not complete")


if __name__ == "__main__":
    for name, bench in (("throughput", bench_throughput), ("latency", bench_latency)):
        print(f"[{name}]")
        for key, value in bench().items():
            print(f"  {key:<28} {value:10.2f}")
        sys.stdout.flush()
