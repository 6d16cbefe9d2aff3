"""What the products' end-to-end modules share: one real `apexlocal serve` on the tiny set (with
loopback input URLs allowed, so that a 404 comes from a real HTTP server), a client with its
owner key, uploads, the stages a job is seen in over SSE, and a URL that always answers 404."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests import loopback
from tests.conftest import ServerProcess, free_port, server_env


class _NotFound(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()


@contextlib.contextmanager
def not_found_url(name: str) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotFound)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{name}"
    finally:
        server.shutdown()


@contextlib.contextmanager
def tiny_server(
    tmp_path_factory: pytest.TempPathFactory, models_dir: Path, name: str, env_extra: dict[str, str] | None = None
) -> Iterator[ServerProcess]:
    env = server_env(
        models_dir,
        {
            "APEXLOCAL_INPUTS_ALLOW_PRIVATE": "1",
            "APEXLOCAL_RATE_LIMITS": "generation=100/10,read=100000/10,upload=100/10",
        },
    )
    env.update(env_extra or {})
    srv = ServerProcess(tmp_path_factory.mktemp(name) / "data", free_port(), env).start()
    try:
        srv.read_owner_key()
        yield srv
    finally:
        srv.stop()


def api(server: ServerProcess) -> httpx.Client:
    return loopback.client(base_url=server.url, headers={"Authorization": f"Bearer {server.owner_key}"}, timeout=30)


def upload(client: httpx.Client, kind: str, name: str, content: bytes, content_type: str) -> str:
    r = client.post(f"/api/upload/{kind}", files={"file": (name, content, content_type)})
    assert r.status_code == 201, r.text
    return str(r.json()["data"]["url"])


class Stages(threading.Thread):
    """The stages a job goes through, read from its Server-Sent Events until it ends."""

    def __init__(self, server: ServerProcess, job_id: str) -> None:
        super().__init__(daemon=True)
        self.server, self.job_id, self.seen = server, job_id, []

    def run(self) -> None:
        with api(self.server) as client, client.stream("GET", f"/api/jobs/{self.job_id}/events", timeout=900) as r:
            for line in r.iter_lines():
                if not line.startswith("data:"):
                    continue
                job = json.loads(line.removeprefix("data:"))
                if job.get("stage") and job["status"] == "processing" and job["stage"] not in self.seen:
                    self.seen.append(job["stage"])
                if job["status"] in ("completed", "failed", "canceled"):
                    return


def assert_stages(seen: list[str], order: list[str], brief: tuple[str, ...] = ()) -> None:
    """The stages seen over SSE come in `order`, and each was seen except a `brief` one: a stage of a
    few milliseconds (a job's last encode flush, a track chosen from a folder) may be followed by the
    next before the stream reads the job, and the stream sends the job as it is then."""
    missing = [stage for stage in order if stage not in seen and stage not in brief]
    assert not missing, (missing, seen)
    positions = [seen.index(stage) for stage in order if stage in seen]
    assert positions == sorted(positions), seen
