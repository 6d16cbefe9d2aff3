"""Voice clones wait on the `clone` queue without holding a request thread: while clones are stuck
behind a slow sample, everyone else's requests are answered."""

from __future__ import annotations

import io
import threading
import time
import wave

import pytest
from anyio import to_thread

from apexlocal.accounts import credits
from apexlocal.errors import BadRequest
from apexlocal.products.voice import clone as clone_module
from tests.conftest import add_account, make_settings

CLONES = 5


@pytest.fixture
def settings(tmp_path, models_dir):
    return make_settings(
        tmp_path / "data", models_dir, clone_workers=1, rate_limits="read=100000/10,generation=1000/10"
    )


def _wav() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\0\0" * 16000)
    return out.getvalue()


def test_waiting_clones_hold_no_request_thread(app_client, settings, monkeypatch):
    creator = add_account(app_client.services.db, settings, "c@example.com", plan="creator")
    other = add_account(app_client.services.db, settings, "o@example.com")
    release, building = threading.Event(), threading.Event()

    def slow_build(*args):  # a sample that trickles in: the worker is busy until released
        building.set()
        release.wait(30)
        raise BadRequest("sampleAudioUrl: the sample could not be read")

    monkeypatch.setattr(clone_module, "_build", slow_build)
    upload = app_client.post(
        "/api/upload/audio", files={"file": ("s.wav", _wav(), "audio/wav")}, headers=creator.headers
    )
    url = upload.json()["data"]["url"]
    # A pool smaller than the clones waiting: a clone holding a thread while it waits would starve it.
    app_client.blocking_portal.call(_limit_threads, CLONES - 1)
    answers: list[int] = []
    workers = [
        threading.Thread(
            target=lambda: answers.append(
                app_client.post(
                    "/api/generate/voice-clone", json={"name": "Mine", "sampleAudioUrl": url}, headers=creator.headers
                ).status_code
            )
        )
        for _ in range(CLONES)
    ]
    for worker in workers:
        worker.start()
    assert building.wait(10)
    _wait_for(lambda: _pending(app_client) == CLONES)

    started = time.monotonic()
    assert app_client.get("/api/settings", headers=other.headers).status_code == 200
    assert app_client.get("/api/usage", headers=creator.headers).status_code == 200
    assert time.monotonic() - started < 5  # answered while every clone still waits
    assert app_client.blocking_portal.call(_borrowed) == 0

    release.set()
    for worker in workers:
        worker.join(30)
    assert answers == [400] * CLONES
    db = app_client.services.db
    assert credits.balance(db, creator.id) == 1000 == credits.ledger_sum(db, creator.id)
    assert _pending(app_client) == 0


async def _limit_threads(tokens: int) -> None:
    to_thread.current_default_thread_limiter().total_tokens = tokens


async def _borrowed() -> int:
    return to_thread.current_default_thread_limiter().borrowed_tokens


def _pending(client) -> int:
    return len(client.services.db.all("SELECT id FROM voices WHERE status = 'pending'"))


def _wait_for(check, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
