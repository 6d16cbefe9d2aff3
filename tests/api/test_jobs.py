"""Jobs: the object, list and cursor, ?id=, ownership, SSE, cancel and delete, refunds exactly once."""

from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from apexlocal.accounts import credits
from apexlocal.engines import registry
from apexlocal.engines.base import EngineOutput, OutputFile
from tests.conftest import add_account, wait_for_job

JOB_FIELDS = {
    "jobId",
    "type",
    "status",
    "progress",
    "stage",
    "model",
    "outputUrl",
    "outputType",
    "outputs",
    "metadata",
    "error",
    "creditsCharged",
    "creditsRefunded",
    "createdAt",
    "startedAt",
    "completedAt",
    "failedAt",
    "queuePosition",
}


class FakeEngine:
    """Stands in for a model: steps until told, cancellable at every step."""

    def __init__(self, steps: int = 5, delay: float = 0.0, fail: Exception | None = None) -> None:
        self.steps, self.delay, self.fail = steps, delay, fail
        self.started = threading.Event()

    def run(self, spec, model, ctx):
        self.started.set()
        for i in range(self.steps):
            ctx.check_cancelled()
            time.sleep(self.delay)
            ctx.progress((i + 1) / self.steps, "denoising")
        if self.fail:
            raise self.fail
        path = ctx.scratch_dir / "output.png"
        path.write_bytes(b"\x89PNG\r\n\x1a\nfake")
        return EngineOutput([OutputFile(path, "image/png", "output.png")], {"model": spec.get("model") or "x"})


@pytest.fixture
def fake_engine(monkeypatch):
    def install(engine: FakeEngine) -> FakeEngine:
        monkeypatch.setitem(registry._instances, "diffusers-image", engine)
        return engine

    return install


def submit(client, headers, **fields):
    r = client.post(
        "/api/generate/image", json={"prompt": "a cat", "width": 256, "height": 256, **fields}, headers=headers
    )
    assert r.status_code == 202, r.text
    return r.json()["data"]["jobId"]


def test_job_object_list_and_single(app_client, account, fake_engine):
    fake_engine(FakeEngine())
    ids = [submit(app_client, account.headers, seed=i) for i in range(3)]
    for job_id in ids:
        assert wait_for_job(app_client, job_id, account.headers)["status"] == "completed"
    one = app_client.get(f"/api/jobs?id={ids[0]}", headers=account.headers).json()["data"]
    assert set(one) >= JOB_FIELDS and one["jobId"] == ids[0]
    assert one["outputType"] == "image/png" and one["outputs"][0]["url"] == one["outputUrl"]
    assert one["creditsCharged"] == 10 and one["creditsRefunded"] == 0
    page = app_client.get("/api/jobs?limit=2", headers=account.headers).json()
    assert [j["jobId"] for j in page["data"]] == ids[:0:-1]
    rest = app_client.get(f"/api/jobs?limit=2&cursor={page['nextCursor']}", headers=account.headers).json()
    assert [j["jobId"] for j in rest["data"]] == [ids[0]] and rest["nextCursor"] is None
    assert app_client.get("/api/jobs?status=failed", headers=account.headers).json()["data"] == []
    assert len(app_client.get("/api/jobs?type=image", headers=account.headers).json()["data"]) == 3
    r = app_client.get("/api/jobs?status=weird", headers=account.headers)
    assert r.status_code == 400 and r.json()["error"].startswith("status:")


def test_another_users_job_is_404(app_client, account, settings, fake_engine):
    fake_engine(FakeEngine())
    job_id = submit(app_client, account.headers)
    bob = add_account(app_client.services.db, settings, "bob@example.com")
    for r in (
        app_client.get(f"/api/jobs/{job_id}", headers=bob.headers),
        app_client.get(f"/api/jobs?id={job_id}", headers=bob.headers),
        app_client.delete(f"/api/jobs/{job_id}", headers=bob.headers),
        app_client.get(f"/api/jobs/{job_id}/events", headers=bob.headers),
    ):
        assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND"


def test_engine_failure_refunds_exactly_once(app_client, account, fake_engine):
    fake_engine(FakeEngine(fail=RuntimeError("CUDA out of memory at /secret/path")))
    job = wait_for_job(app_client, submit(app_client, account.headers), account.headers)
    assert job["status"] == "failed" and job["error"] == "Generation failed"
    assert job["creditsRefunded"] == 10 and job["failedAt"]
    db = app_client.services.db
    keeper = app_client.services.bookkeeper
    row = db.one("SELECT * FROM jobs WHERE id = ?", (job["jobId"],))
    assert keeper.fail(row, "again") is False and keeper.finish_canceled(row) is False
    assert credits.refund_job(db, account.id, job["jobId"], 10, "replay") == 0
    assert credits.balance(db, account.id) == 1000 == credits.ledger_sum(db, account.id)
    refunds = db.value("SELECT count(*) FROM ledger WHERE job_id = ? AND kind = 'refund'", (job["jobId"],))
    assert refunds == 1


def test_cancel_running_job_refunds_and_leaves_no_file(app_client, account, fake_engine, settings):
    engine = fake_engine(FakeEngine(steps=400, delay=0.01))
    job_id = submit(app_client, account.headers)
    assert engine.started.wait(30)
    r = app_client.delete(f"/api/jobs/{job_id}", headers=account.headers)
    job = r.json()["data"]
    assert r.status_code == 200 and job["status"] == "canceled", job
    assert job["creditsRefunded"] == 10 and job["canceledAt"] and job["outputUrl"] is None
    assert credits.balance(app_client.services.db, account.id) == 1000
    assert not list((settings.data_dir / "files").rglob("output.png"))
    assert not (settings.data_dir / "scratch" / job_id).exists()
    again = app_client.delete(f"/api/jobs/{job_id}", headers=account.headers)  # now a delete of the record
    assert again.json()["data"]["deleted"] is True
    assert credits.balance(app_client.services.db, account.id) == 1000


def test_cancel_queued_job(app_client, account, fake_engine):
    engine = fake_engine(FakeEngine(steps=300, delay=0.01))
    first = submit(app_client, account.headers)
    second = submit(app_client, account.headers)
    assert engine.started.wait(30)
    queued = app_client.get(f"/api/jobs/{second}", headers=account.headers).json()["data"]
    assert queued["status"] == "queued" and queued["queuePosition"] == 1
    r = app_client.delete(f"/api/jobs/{second}", headers=account.headers).json()["data"]
    assert r["status"] == "canceled" and r["creditsRefunded"] == 10
    app_client.delete(f"/api/jobs/{first}", headers=account.headers)
    assert credits.balance(app_client.services.db, account.id) == 1000
    assert credits.ledger_sum(app_client.services.db, account.id) == 1000


def test_delete_finished_job_removes_its_files(app_client, account, fake_engine, settings):
    fake_engine(FakeEngine())
    job = wait_for_job(app_client, submit(app_client, account.headers), account.headers)
    assert list((settings.data_dir / "files").rglob("output.png"))
    r = app_client.delete(f"/api/jobs/{job['jobId']}", headers=account.headers)
    assert r.status_code == 200 and r.json()["data"]["deleted"] is True
    assert not list((settings.data_dir / "files").rglob("output.png"))
    assert app_client.get(f"/api/jobs/{job['jobId']}", headers=account.headers).status_code == 404
    url = job["outputUrl"].replace("http://127.0.0.1:8000", "")
    assert app_client.get(url).status_code == 404
    usage = app_client.get("/api/usage", headers=account.headers).json()["data"]
    assert usage["used"]["images"] == 1  # deleting a job does not undo what was spent


def test_sse_streams_progress_until_the_end(app_client, account, fake_engine):
    fake_engine(FakeEngine(steps=10, delay=0.05))
    job_id = submit(app_client, account.headers)
    with app_client.stream("GET", f"/api/jobs/{job_id}/events", headers=account.headers) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        events = [json.loads(line[5:]) for line in r.iter_lines() if line.startswith("data:")]
    statuses = [e["status"] for e in events]
    assert statuses[-1] == "completed" and "processing" in statuses
    progresses = [e["progress"] for e in events if e["status"] == "processing" and e["progress"]]
    assert progresses == sorted(progresses) and any(0 < p < 1 for p in progresses)
    assert {e["stage"] for e in events} >= {"denoising", "done"}


def test_tampered_or_expired_file_url_is_403(app_client, account, fake_engine):
    fake_engine(FakeEngine())
    job = wait_for_job(app_client, submit(app_client, account.headers), account.headers)
    url = job["outputUrl"].replace("http://127.0.0.1:8000", "")
    assert app_client.get(url).status_code == 200
    path, _, query = url.partition("?")
    params = dict(p.split("=", 1) for p in query.split("&"))
    sig = params["sig"]
    tampered = f"{path}?exp={params['exp']}&sig={sig[:-2]}{'AA' if sig[-2:] != 'AA' else 'BB'}"
    expired = f"{path}?exp=1000&sig={params['sig']}"
    other = path.replace("output.png", "other.png") + "?" + query
    for bad in (tampered, expired, other):
        r = app_client.get(bad)
        assert r.status_code == 403 and r.json()["code"] == "FORBIDDEN", bad


def test_job_error_message_is_shown(app_client, account, fake_engine):
    from apexlocal.errors import JobError

    fake_engine(FakeEngine(fail=JobError("prompt: could not be encoded")))
    job = wait_for_job(app_client, submit(app_client, account.headers), account.headers)
    assert job["status"] == "failed" and job["error"] == "prompt: could not be encoded"
    assert job["creditsRefunded"] == 10


def test_failed_model_pull_fails_the_job_and_names_the_command(tmp_path):
    """auto_pull on, the full set, a hub that is not there: the pull stage fails, the job is failed
    and refunded, and the error says how to install the model."""
    from apexlocal.app import create_app
    from tests.conftest import make_settings

    with _hub_that_has_nothing() as endpoint:
        settings = make_settings(tmp_path / "d", tmp_path / "m", model_set="full", hf_endpoint=endpoint)
        app = create_app(settings)
        _run_failing_pull(app, settings)


def _run_failing_pull(app, settings):
    from litestar.testing import TestClient

    with TestClient(app) as client:
        acct = add_account(app.state.services.db, settings, "pull@example.com")
        r = client.post("/api/generate/image", json={"prompt": "x"}, headers=acct.headers)
        job = wait_for_job(client, r.json()["data"]["jobId"], acct.headers, timeout=120)
        assert job["status"] == "failed" and job["creditsRefunded"] == 10
        assert "apexlocal models pull flux2-klein-4b" in job["error"]
        assert credits.balance(app.state.services.db, acct.id) == 1000


@contextmanager
def _hub_that_has_nothing():
    """A hub endpoint on loopback that answers 404 at once (a closed port makes the library retry
    with back-off for half a minute)."""

    class NotFound(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_HEAD = do_GET

    server = ThreadingHTTPServer(("127.0.0.1", 0), NotFound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def test_an_outputs_own_fields_are_the_same_in_every_view(app_client, account, fake_engine):
    """Multi-output jobs (clips, photoshoots, subtitles) describe each output; a list, a read, an SSE
    event and a webhook carry the same object, so none may drop those fields."""
    from apexlocal.delivery.webhooks import payload

    class Described(FakeEngine):
        def run(self, spec, model, ctx):
            out = super().run(spec, model, ctx)
            out.files[0].metadata = {"width": 256, "label": "cover"}
            return out

    fake_engine(Described())
    job_id = submit(app_client, account.headers)
    wait_for_job(app_client, job_id, account.headers)
    with app_client.stream("GET", f"/api/jobs/{job_id}/events", headers=account.headers) as r:
        event = [json.loads(line[5:]) for line in r.iter_lines() if line.startswith("data:")][-1]
    services = app_client.services
    views = [
        app_client.get(f"/api/jobs?id={job_id}", headers=account.headers).json()["data"],  # from the database
        app_client.get(f"/api/jobs/{job_id}", headers=account.headers).json()["data"],  # from memory
        app_client.get("/api/jobs", headers=account.headers).json()["data"][0],
        event,
        json.loads(payload(services, services.db.one("SELECT * FROM jobs WHERE id = ?", (job_id,))))["data"],
    ]
    for view in views:
        assert {k: v for k, v in view["outputs"][0].items() if k != "url"} == {
            "type": "image/png",
            "size": 12,
            "width": 256,
            "label": "cover",
        }
