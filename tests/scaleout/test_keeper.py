"""The keeper (the API process's side of `apexlocal worker`) against a real Redis, with a worker's
messages sent from the test: claims, endings accepted once, leases reaped, cancels, inputs, and a
restart that finds endings waiting. No model runs here (tests/scaleout/test_workers.py runs them)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from apexlocal.accounts import credits
from apexlocal.accounts.users import get_user
from apexlocal.app import build_services
from apexlocal.db import jobs as records
from apexlocal.jobs.keeper import WORKER_LOST, Keeper
from apexlocal.jobs.recovery import reconcile
from apexlocal.jobs.remote_protocol import (
    Ack,
    Claim,
    ClaimReply,
    Ended,
    InputReply,
    ResolveInput,
    StoredFile,
    ask,
    encode,
    new_reply_id,
)
from apexlocal.jobs.runner import run_output_prefix
from apexlocal.jobs.submit import Submission, submit
from tests.conftest import add_account, make_settings

WAIT_S = 10.0


@pytest.fixture
def make_services(tmp_path, models_dir, redis_server):
    made = []
    redis_server.client().flushall()

    def make(**overrides):
        settings = make_settings(
            tmp_path / "data",
            models_dir,
            queue_backend="redis",
            redis_url=redis_server.url(),
            **{"worker_lease_seconds": 30.0, **overrides},
        )
        services = build_services(settings)
        keeper = Keeper(services)
        made.append((services, keeper))
        return services, keeper

    yield make
    for services, keeper in made:
        keeper.stop()
        services.close()


@pytest.fixture
def running(make_services):
    services, keeper = make_services()
    keeper.start()
    return services, keeper


def new_job(services, email="w@example.com"):
    account = add_account(services.db, services.settings, email, credits=100)
    user = get_user(services.db, account.id)
    job_id = submit(services, user, Submission("image", {"prompt": "p"}, None, None, "h"))[1]["data"]["jobId"]
    return job_id, user


def claim(services, job_id, worker="w1"):
    leases = services.leases
    reply = ask(leases.redis, leases.keys, Claim(job_id, worker, new_reply_id()), ClaimReply, WAIT_S)
    assert reply is not None, "the keeper did not answer"
    return reply.ticket


def end(services, ticket, status="completed", worker="w1", **fields):
    leases = services.leases
    ended = Ended(ticket.job_id, ticket.token, worker, status, new_reply_id(), **fields)
    ack = ask(leases.redis, leases.keys, ended, Ack, WAIT_S)
    assert ack is not None, "the keeper did not answer"
    return ack.accepted


def store_output(services, ticket, tmp_path: Path) -> StoredFile:
    source = tmp_path / f"out-{ticket.attempt}.png"
    source.write_bytes(b"\x89PNG fake")
    key = run_output_prefix({"user_id": ticket.user_id, "id": ticket.job_id}, ticket.attempt) + "output.png"
    size = services.storage.put_file(key, source, "image/png")
    return StoredFile(key=key, content_type="image/png", size=size)


def wait_until(check, timeout=WAIT_S):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def balanced(services, user):
    return credits.balance(services.db, user.id) == credits.ledger_sum(services.db, user.id)


def test_a_claim_gets_the_ticket_once_and_the_ending_counts_once(running, tmp_path):
    services, _ = running
    job_id, user = new_job(services)
    ticket = claim(services, job_id)
    assert ticket.job_id == job_id and ticket.attempt == 1 and ticket.engine == "diffusers-image"
    assert ticket.spec == {"prompt": "p"} and ticket.lease_ms == 30_000
    assert records.get(services.db, job_id)["status"] == "processing"
    assert services.leases.holder(job_id) == ticket.token
    assert claim(services, job_id, worker="w2") is None  # a duplicate task finds nothing to claim

    stored = store_output(services, ticket, tmp_path)
    assert end(services, ticket, outputs=[stored], metadata={"seed": 7}) is True
    job = records.get(services.db, job_id)
    assert job["status"] == "completed" and '"worker": "w1"' in job["metadata"] and '"seed": 7' in job["metadata"]
    assert [o["storage_key"] for o in records.outputs(services.db, job_id)] == [stored.key]
    assert services.leases.holder(job_id) is None
    # The same ending again (a worker that missed the answer): the same answer, nothing changes.
    assert end(services, ticket, outputs=[stored]) is True
    assert len(records.outputs(services.db, job_id)) == 1 and services.storage.exists(stored.key)
    assert credits.balance(services.db, user.id) == 90 and balanced(services, user)


def test_a_lost_lease_runs_the_job_again_and_the_old_run_cannot_end_it(make_services, tmp_path):
    services, keeper = make_services(worker_lease_seconds=0.3, job_max_attempts=2)
    keeper.start()
    job_id, user = new_job(services)
    queue = services.queues.gpu
    first = claim(services, job_id)
    stale = store_output(services, first, tmp_path)  # stored, then the worker went quiet
    wait_until(lambda: records.get(services.db, job_id)["status"] == "queued")
    assert queue.pending_count() >= 1  # enqueued again, for another worker
    assert not services.storage.exists(stale.key)  # the lost run's files are gone

    second = claim(services, job_id, worker="w2")
    assert second.attempt == 2 and second.token != first.token
    late = store_output(services, first, tmp_path)  # the first run wakes up and finishes
    assert end(services, first, outputs=[late]) is False  # its ending is refused, its files deleted
    assert not services.storage.exists(late.key)
    stored = store_output(services, second, tmp_path)
    assert end(services, second, worker="w2", outputs=[stored]) is True
    job = records.get(services.db, job_id)
    assert job["status"] == "completed" and job["attempts"] == 2 and '"worker": "w2"' in job["metadata"]
    assert credits.balance(services.db, user.id) == 90 and balanced(services, user)


def test_a_lost_lease_without_attempts_left_fails_and_refunds_once(make_services):
    services, keeper = make_services(worker_lease_seconds=0.3, job_max_attempts=1)
    keeper.start()
    job_id, user = new_job(services)
    ticket = claim(services, job_id)
    wait_until(lambda: records.get(services.db, job_id)["status"] == "failed")
    job = records.get(services.db, job_id)
    assert job["error"] == WORKER_LOST and job["credits_refunded"] == 10
    assert end(services, ticket, outputs=[]) is False  # a worker back from the dead changes nothing
    assert records.get(services.db, job_id)["status"] == "failed"
    assert credits.balance(services.db, user.id) == 100 and balanced(services, user)


def test_a_cancel_reaches_the_worker_through_redis(running):
    services, _ = running
    job_id, user = new_job(services)
    ticket = claim(services, job_id)
    leases = services.leases
    assert not leases.redis.exists(leases.keys.cancel(job_id))
    assert services.bookkeeper.request_cancel(job_id) == "processing"
    assert leases.redis.exists(leases.keys.cancel(job_id))
    assert end(services, ticket, status="canceled") is True
    job = records.get(services.db, job_id)
    assert job["status"] == "canceled" and job["credits_refunded"] == 10
    assert not leases.redis.exists(leases.keys.cancel(job_id))
    assert balanced(services, user)


def test_a_failed_run_is_refunded_with_its_message(running):
    services, _ = running
    job_id, user = new_job(services)
    ticket = claim(services, job_id)
    assert end(services, ticket, status="failed", error="prompt: too spicy") is True
    job = records.get(services.db, job_id)
    assert job["status"] == "failed" and job["error"] == "prompt: too spicy" and job["credits_refunded"] == 10
    assert credits.balance(services.db, user.id) == 100 and balanced(services, user)


def test_inputs_are_checked_where_the_database_is(running, tmp_path):
    services, _ = running
    job_id, user = new_job(services)
    other_job, _ = new_job(services, "other@example.com")
    ticket = claim(services, job_id)
    leases = services.leases

    def resolve(url, token=ticket.token):
        request = ResolveInput(job_id, token, url, "image", new_reply_id())
        return ask(leases.redis, leases.keys, request, InputReply, WAIT_S)

    assert resolve("https://example.com/cat.png") == InputReply()  # the worker fetches it itself
    # Another user's output, by a URL this server signed: refused, naming the field.
    other = claim(services, other_job, worker="w2")
    stored = store_output(services, other, tmp_path)
    assert end(services, other, worker="w2", outputs=[stored]) is True
    url = services.storage.signed_url(stored.key, "http://127.0.0.1:8000", 600)
    assert resolve(url).error == "image: is not one of your files"
    assert resolve("https://example.com/x.png", token="1-stale").error == "the job is no longer this worker's"
    assert end(services, ticket, status="failed", error="x") is True
    assert balanced(services, user)


def test_a_restart_records_endings_sent_while_no_api_process_ran(make_services, tmp_path):
    services, keeper = make_services()
    job_id, user = new_job(services)
    keeper.start()
    ticket = claim(services, job_id)
    running_elsewhere, _ = new_job(services, "r@example.com")
    elsewhere = claim(services, running_elsewhere, worker="w2")
    keeper.stop()
    stored = store_output(services, ticket, tmp_path)
    # The worker reports while the keeper is down, and stops waiting for the answer.
    leases = services.leases
    ended = Ended(job_id, ticket.token, "w1", "completed", new_reply_id(), outputs=[stored])
    leases.redis.lpush(leases.keys.reports, encode(ended))

    restarted, keeper2 = make_services()
    assert keeper2.drain() == 1
    counts = reconcile(restarted)
    assert counts["on workers"] == 1 and counts["resumed"] == 0  # w2 still holds its lease
    assert records.get(restarted.db, job_id)["status"] == "completed"
    assert records.get(restarted.db, running_elsewhere)["status"] == "processing"
    keeper2.start()
    assert end(restarted, elsewhere, worker="w2", outputs=[]) is True
    assert records.get(restarted.db, running_elsewhere)["status"] == "completed"
    assert balanced(restarted, user)


def test_redis_queue_messages_are_plain_json(running):
    from huey.registry import Message

    from apexlocal.jobs.redis_queue import JsonMessages

    serializer = JsonMessages()
    message = Message("id1", "apexlocal.queues.gpu.run_job", None, 0, 0, None, ("job-1",), {})
    data = serializer.serialize(message)
    assert data.startswith(b'["id1"') and serializer.deserialize(data) == message
    with pytest.raises(TypeError, match="eta"):
        serializer.serialize(message._replace(eta=time.time()))


def test_what_prepare_made_travels_to_the_worker_through_storage(make_services, tmp_path):
    import dataclasses

    from apexlocal.jobs.staging import unstage
    from apexlocal.jobs.types import JobType

    def prepare(services, job, spec, folder):
        (folder / "voice").mkdir()
        (folder / "voice" / "clip.wav").write_bytes(b"RIFF clip")
        spec["clonedVoice"] = {"clipPath": str(folder / "voice" / "clip.wav"), "name": "mine"}
        spec["note"] = str(folder / ".." / ".." / "app.db")  # a real file, outside the folder: left alone

    base, _ = make_services()
    types = {**base.job_types, "image": JobType("image", task="image", label="Image generation", prepare=prepare)}
    services = dataclasses.replace(base, job_types=types)
    keeper = Keeper(services)
    keeper.start()
    try:
        job_id, _ = new_job(services)
        ticket = claim(services, job_id)
        assert [(p.name, p.pointer) for p in ticket.prepared] == [("voice/clip.wav", ["clonedVoice", "clipPath"])]
        worker_scratch = tmp_path / "worker-scratch" / job_id
        unstage(services.storage, ticket.prepared, ticket.spec, worker_scratch)
        clip = ticket.spec["clonedVoice"]["clipPath"]
        assert clip == str((worker_scratch / "voice" / "clip.wav").resolve())
        assert Path(clip).read_bytes() == b"RIFF clip" and ticket.spec["clonedVoice"]["name"] == "mine"
        assert ticket.spec["note"].endswith("/../../app.db") and len(ticket.prepared) == 1
        assert end(services, ticket, status="failed", error="x") is True
        assert not services.storage.exists(ticket.prepared[0].key)  # staging is cleared at the ending
    finally:
        keeper.stop()


def test_an_ending_naming_files_outside_its_run_fails_and_deletes_nothing_else(running, tmp_path):
    services, _ = running
    other_job, _ = new_job(services, "victim@example.com")
    other = claim(services, other_job, worker="w2")
    victim = store_output(services, other, tmp_path)
    job_id, user = new_job(services)
    ticket = claim(services, job_id)
    assert end(services, ticket, outputs=[victim]) is True  # recorded, as a failure
    job = records.get(services.db, job_id)
    assert job["status"] == "failed" and job["credits_refunded"] == 10 and not records.outputs(services.db, job_id)
    assert end(services, other, worker="w2", outputs=[victim]) is True
    assert records.get(services.db, other_job)["status"] == "completed" and services.storage.exists(victim.key)
    assert balanced(services, user)


def test_the_api_process_own_model_thread_takes_jobs_from_redis_too(tmp_path, models_dir, redis_server):
    from litestar.testing import TestClient

    from apexlocal.app import create_app
    from tests.conftest import wait_for_job

    redis_server.client().flushall()
    settings = make_settings(tmp_path / "api", models_dir, queue_backend="redis", redis_url=redis_server.url())
    app = create_app(settings)
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        account = add_account(app.state.services.db, settings, "own@example.com")
        body = {"prompt": "a lighthouse", "width": 256, "height": 256, "steps": 2}
        r = client.post("/api/generate/image", json=body, headers=account.headers)
        assert r.status_code == 202, r.text
        job = wait_for_job(client, r.json()["data"]["jobId"], account.headers)
    assert job["status"] == "completed" and "worker" not in job["metadata"]
    assert redis_server.client().llen("huey.redis.apexlocal_gpu") == 0
