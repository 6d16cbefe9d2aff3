"""The official `openai` client against a real server: `client.audio.speech.create` in every
response format, decoded with PyAV; the audio streamed as it is made; a client that leaves
cancels and refunds the job."""

from __future__ import annotations

import time

import openai
import pytest

from tests import loopback
from tests.api.voice_helpers import SENTENCES, decoded_seconds

TEXT = "Hello from the local studio. This speech was made on this machine, and streamed as it was made."
FORMATS = ("wav", "mp3", "opus", "aac", "flac", "pcm")
PIPER_RATE = 22_050


@pytest.fixture(scope="module")
def server(tmp_path_factory, models_dir):
    """One server for the module (the conftest's factory is per test)."""

    from tests.conftest import ServerProcess, free_port, server_env

    env = server_env(
        models_dir,
        {
            "APEXLOCAL_RATE_LIMITS": "read=100000/10,generation=1000/10",
        },
    )
    proc = ServerProcess(tmp_path_factory.mktemp("speech") / "data", free_port(), env).start()
    proc.read_owner_key()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def client(server):
    return openai.OpenAI(base_url=server.url + "/v1", api_key=server.owner_key, max_retries=0)


def job(server, job_id):
    headers = {"Authorization": f"Bearer {server.owner_key}"}
    return loopback.get(f"{server.url}/api/jobs/{job_id}", headers=headers).json()["data"]


def wait_ended(server, job_id, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = job(server, job_id)
        if found["status"] not in ("queued", "processing"):
            return found
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not end")


@pytest.mark.e2e
def test_every_response_format(server, client):
    lengths = {}
    for fmt in FORMATS:
        response = client.audio.speech.with_raw_response.create(
            model="tts-1", voice="alloy", input=TEXT, response_format=fmt
        )
        data = response.content
        if fmt == "pcm":
            lengths[fmt] = len(data) / 2 / PIPER_RATE
        else:
            lengths[fmt] = decoded_seconds(data)
        ended = job(server, response.headers["x-job-id"])
        assert ended["status"] == "completed" and ended["type"] == "voice" and ended["creditsCharged"] == 80
        assert ended["model"] == "tts-1" and ended["metadata"]["modelId"] == "piper-joe-medium"
        assert ended["metadata"]["format"] == fmt
        assert ended["metadata"]["durationSeconds"] == pytest.approx(lengths[fmt], abs=0.15), fmt
    assert lengths["wav"] == pytest.approx(len(TEXT) / 16, rel=0.5)  # speech at 10-30 characters a second
    for fmt, seconds in lengths.items():
        assert seconds == pytest.approx(lengths["wav"], abs=0.15), fmt
    # The plain method of the client too (what most callers write).
    assert decoded_seconds(client.audio.speech.create(model="tts-1-hd", voice="nova", input="Short.").content) > 0.2


@pytest.mark.e2e
def test_errors_keep_apexlocals_envelope(client):
    with pytest.raises(openai.BadRequestError) as bad:
        client.audio.speech.create(model="tts-1", voice="alloy", input="Hi.", speed=5.0)
    assert bad.value.response.json() == {"error": "speed: must be a number between 0.25 and 4.0", "code": "BAD_REQUEST"}
    with pytest.raises(openai.BadRequestError):
        client.audio.speech.create(model="tts-1", voice="nobody", input="Hi.")
    unauthorized = openai.OpenAI(base_url=client.base_url, api_key="sk_live_wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        unauthorized.audio.speech.create(model="tts-1", voice="alloy", input="Hi.")


@pytest.mark.e2e
def test_audio_is_streamed_while_it_is_made(server, client):
    text = " ".join(SENTENCES * 3)
    started = time.perf_counter()
    with client.audio.speech.with_streaming_response.create(
        model="tts-1", voice="alloy", input=text, response_format="wav"
    ) as response:
        chunks = response.iter_bytes()
        first = next(chunks)
        first_at = time.perf_counter() - started
        during = job(server, response.headers["x-job-id"])
        rest = b"".join(chunks)
    total = time.perf_counter() - started
    assert during["status"] == "processing"  # the first bytes came before the speech was all made
    assert first[:4] == b"RIFF" and len(first) + len(rest) > 44
    assert first_at < total / 2, (first_at, total)
    assert wait_ended(server, response.headers["x-job-id"])["status"] == "completed"


@pytest.mark.e2e
def test_a_client_that_leaves_cancels_and_is_refunded(server):
    headers = {"Authorization": f"Bearer {server.owner_key}"}
    usage = loopback.get(f"{server.url}/api/usage", headers=headers).json()["data"]["credits"]
    body = {"model": "tts-1", "voice": "alloy", "input": " ".join(SENTENCES * 20), "response_format": "pcm"}
    with loopback.stream("POST", f"{server.url}/v1/audio/speech", json=body, headers=headers, timeout=60) as r:
        assert r.status_code == 200
        job_id = r.headers["x-job-id"]
        next(r.iter_bytes())
    ended = wait_ended(server, job_id)
    assert ended["status"] == "canceled" and ended["creditsRefunded"] == 80
    assert loopback.get(f"{server.url}/api/usage", headers=headers).json()["data"]["credits"] == usage
