"""Handlers never block the event loop: a real server (uvicorn, in a thread of this process, so the
test can reach its database) keeps answering while a slow write holds the database, and no route
touches the database from the event loop's thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from apexlocal.accounts.api_keys import create_key
from apexlocal.accounts.users import create_user
from apexlocal.db.database import Database
from tests import loopback
from tests.api.live_server import LiveServer
from tests.conftest import make_settings

HOLD_S = 1.5  # how long the slow write holds the database
FAST_S = 0.5  # an answer this quick came while the write still held it


class WatchedDatabase(Database):
    """Records which threads used a connection: the event loop's must never be one of them."""

    threads: set[int]

    @property
    def conn(self) -> Any:
        self.threads.add(threading.get_ident())
        return super().conn


@pytest.fixture(scope="module")
def served(tmp_path_factory, models_dir) -> Iterator[tuple[LiveServer, Any, dict[str, str]]]:
    from apexlocal.app import create_app

    settings = make_settings(
        tmp_path_factory.mktemp("loop"), models_dir, rate_limits="read=100000/10,generation=100000/10"
    )
    app = create_app(settings, start_workers=False)  # jobs stay queued: nothing runs a model here
    services = app.state.services
    services.db.__class__ = WatchedDatabase
    services.db.threads = set()
    admin = create_user(services.db, "admin@example.com", "enterprise", settings.plans, 1000, is_admin=True)
    headers = {"Authorization": f"Bearer {create_key(services.db, admin.id, 'test').key}"}
    with LiveServer(app) as server:
        yield server, services, headers


def _hold_the_database(db: Database, held: threading.Event) -> None:
    with db.write():
        db.conn.execute("UPDATE users SET credits = credits")
        held.set()
        time.sleep(HOLD_S)


def _timed(call: Any) -> tuple[float, Any]:
    started = time.monotonic()
    result = call()
    return time.monotonic() - started, result


def _first_event(url: str, headers: dict[str, str]) -> str:
    with loopback.stream("GET", url, headers=headers, timeout=10) as r:
        assert r.status_code == 200
        for line in r.iter_lines():
            if line.startswith("event:"):
                return line
    raise AssertionError("the stream ended without an event")


def test_a_slow_write_stalls_no_other_request(served):
    server, services, headers = served
    job = loopback.post(f"{server.url}/api/generate/image", json={"prompt": "a lighthouse"}, headers=headers).json()
    job_id = job["data"]["jobId"]
    held = threading.Event()
    writer = threading.Thread(target=_hold_the_database, args=(services.db, held))
    writer.start()
    try:
        assert held.wait(5)
        took = {
            "healthz": _timed(lambda: loopback.get(f"{server.url}/healthz", timeout=10)),
            "readyz": _timed(lambda: loopback.get(f"{server.url}/readyz", timeout=10)),
            "job": _timed(lambda: loopback.get(f"{server.url}/api/jobs/{job_id}", headers=headers, timeout=10)),
            "events": _timed(lambda: _first_event(f"{server.url}/api/jobs/{job_id}/events", headers)),
        }
        still_held = writer.is_alive()
    finally:
        writer.join()
    assert still_held, "the write ended before the requests were answered: the test proved nothing"
    assert took["healthz"][1].status_code == 200
    assert took["readyz"][1].json()["checks"]["database"] is True  # 503 all the same: no workers run here
    assert took["job"][1].json()["data"]["status"] == "queued"
    assert took["events"][1] == "event: job"
    slow = {name: round(seconds, 3) for name, (seconds, _) in took.items() if seconds > FAST_S}
    assert slow == {}, f"answered only after the write: {slow}"


ROUTES = [
    ("GET", "/readyz", None),
    ("GET", "/api/jobs", None),
    ("GET", "/api/jobs?id={job}", None),
    ("GET", "/api/jobs/{job}", None),
    ("GET", "/api/jobs/{job}/params", None),
    ("GET", "/api/usage", None),
    ("GET", "/api/usage/daily", None),
    ("GET", "/api/models", None),
    ("GET", "/api/models/piper-joe-medium", None),
    ("GET", "/api/settings", None),
    ("PATCH", "/api/settings", {"webhookUrl": None}),
    ("POST", "/api/settings/webhook-secret/rotate", None),
    ("GET", "/api/webhooks/deliveries", None),
    ("GET", "/api/voices", None),
    ("GET", "/api/admin/users", None),
    ("GET", "/api/admin/plans", None),
    ("POST", "/api/admin/users/{user}/credits", {"amount": 1}),
    ("PATCH", "/api/admin/users/{user}", {"plan": "pro"}),
    ("POST", "/api/generate/image", {"prompt": "a boat"}),
    ("DELETE", "/api/voices/vc_unknown", None),
    ("DELETE", "/api/admin/users/{user}/sessions", None),
    ("DELETE", "/api/jobs/{job}", None),
    ("DELETE", "/api/jobs/{job}", None),  # cancel, then delete
]


def test_no_route_reads_the_database_on_the_event_loop(served):
    server, services, headers = served
    job = loopback.post(f"{server.url}/api/generate/image", json={"prompt": "a tree"}, headers=headers).json()
    user = loopback.post(f"{server.url}/api/admin/users", json={"email": "someone@example.com"}, headers=headers).json()
    ids = {"job": job["data"]["jobId"], "user": user["data"]["id"]}
    services.db.threads.clear()
    assert _first_event(f"{server.url}/api/jobs/{ids['job']}/events", headers) == "event: job"
    with loopback.client(base_url=server.url, headers=headers, timeout=10) as client:
        for method, path, body in ROUTES:
            r = client.request(method, path.format(**ids), json=body)
            assert r.status_code < 500 or path == "/readyz", (method, path, r.text)
    assert services.db.threads, "the requests read the database somewhere"
    assert server.thread.ident not in services.db.threads
