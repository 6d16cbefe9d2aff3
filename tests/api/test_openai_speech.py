"""POST /v1/audio/speech in process: the request's rules, OpenAI's voice names, the speed range,
and the job's ending when the engine fails before or during the stream."""

from __future__ import annotations

import pytest
from litestar.exceptions import LitestarException

from apexlocal.accounts import credits
from apexlocal.engines import registry
from apexlocal.errors import JobError
from apexlocal.products.voice.speech_stream import OPENAI_VOICES, stock_voice_for
from tests.conftest import make_settings

BODY = {"model": "tts-1", "input": "Hello there.", "voice": "alloy", "response_format": "wav"}


@pytest.fixture
def settings(tmp_path, models_dir):
    return make_settings(tmp_path / "data", models_dir, rate_limits="read=100000/10,generation=1000/10")


def speak(client, headers, **changes):
    return client.post("/v1/audio/speech", json={**BODY, **changes}, headers=headers)


def last_job(client, headers):
    return client.get("/api/jobs?limit=1", headers=headers).json()["data"][0]


class FakeStream:
    sample_rate = 22_050

    def __init__(self, fail: Exception | None) -> None:
        self.fail = fail

    def __iter__(self):
        import numpy as np

        yield np.zeros(2205, np.float32) + 0.1
        if self.fail is not None:
            raise self.fail

    def metadata(self, samples):
        return {"model": "tts-1", "durationSeconds": samples / self.sample_rate, "language": "en-us"}


class FakeEngine:
    """Piper's place in the registry: one chunk, then the failure it is given."""

    def __init__(self, fail_in_stream: Exception | None = None, fail_at_start: Exception | None = None) -> None:
        self.fail_in_stream, self.fail_at_start = fail_in_stream, fail_at_start

    def languages(self, model, model_dir=None):
        return ["en-us"]

    def voices(self, model, ctx=None, model_dir=None):
        return ["en_US-joe-medium"]

    def stream(self, spec, model, ctx):
        if self.fail_at_start is not None:
            raise self.fail_at_start
        return FakeStream(self.fail_in_stream)


def test_the_request_is_checked_like_openais(app_client, account):
    for changes, message in [
        ({"speed": 0.2}, "speed: must be a number between 0.25 and 4.0"),
        ({"response_format": "ogg"}, "response_format: must be one of mp3, opus, aac, flac, wav, pcm"),
        ({"input": ""}, "input: must be 1-10,000 characters"),
        ({"stream_format": "sse"}, "stream_format: must be one of audio"),
        ({"temperature": 1}, "temperature: unknown field"),
        ({"voice": "nobody"}, "voice: 'nobody' is not a voice of piper-joe-medium"),
        ({"input": "   "}, "input: must not be blank"),
        ({"model": "whisper-1"}, "model: must be one of"),
    ]:
        r = speak(app_client, account.headers, **changes)
        assert r.status_code == 400 and r.json()["error"].startswith(message), (changes, r.json())
    assert app_client.post("/v1/audio/speech", json=BODY).status_code == 401
    assert credits.balance(app_client.services.db, account.id) == 1000
    assert app_client.get("/api/jobs", headers=account.headers).json()["data"] == []


def test_speed_is_clamped_to_the_engines_range_and_instructions_ignored(app_client, account):
    r = speak(
        app_client, account.headers, speed=4.0, instructions="Speak cheerfully.", voice={"id": "en_US-joe-medium"}
    )
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav" and r.content[:4] == b"RIFF"
    assert r.headers["x-sample-rate"] == "22050"
    job = last_job(app_client, account.headers)
    params = app_client.get(f"/api/jobs/{job['jobId']}/params", headers=account.headers).json()["data"]["params"]
    assert params["speed"] == 2.0 and params["requestedSpeed"] == 4.0 and params["voiceId"] == "en_US-joe-medium"
    assert job["status"] == "completed" and job["metadata"]["streamed"] is True


def test_openai_voice_names_map_to_stock_voices(app_client):
    from apexlocal.models.manifest import load_manifest

    kokoro = load_manifest().resolve("kokoro")
    kokoro_voices = {f.path.removeprefix("voices/").removesuffix(".pt") for f in kokoro.source.files}
    assert set(OPENAI_VOICES.values()) <= kokoro_voices
    services = app_client.services
    assert stock_voice_for(services, None, "alloy") is None  # Piper's one voice speaks them all
    assert stock_voice_for(services, None, "Nova") is None
    assert stock_voice_for(services, None, "af_bella") == "af_bella"  # any other name is a voiceId


def test_an_engine_failure_mid_stream_cuts_the_answer_and_refunds(app_client, account, monkeypatch):
    monkeypatch.setitem(registry._instances, "piper-voice", FakeEngine(fail_in_stream=RuntimeError("at /secret")))
    # The answer had begun (200, streaming) when the engine failed: it is cut mid-body (the test
    # client raises where a real server closes the connection).
    with (
        pytest.raises(LitestarException, match="after response started"),
        app_client.stream("POST", "/v1/audio/speech", json=BODY, headers=account.headers) as r,
    ):
        r.read()
    job = last_job(app_client, account.headers)
    assert job["status"] == "failed" and job["error"] == "Generation failed" and job["creditsRefunded"] == 80
    assert credits.balance(app_client.services.db, account.id) == 1000


def test_an_engine_refusal_before_the_stream_is_an_error_answer(app_client, account, monkeypatch):
    monkeypatch.setitem(registry._instances, "piper-voice", FakeEngine(fail_at_start=JobError("input: too odd")))
    r = speak(app_client, account.headers)
    assert r.status_code == 400 and r.json() == {"error": "input: too odd", "code": "BAD_REQUEST"}
    job = last_job(app_client, account.headers)
    assert job["status"] == "failed" and job["creditsRefunded"] == 80
    assert credits.balance(app_client.services.db, account.id) == 1000


def test_a_replayed_idempotency_key_is_not_charged_twice(app_client, account):
    headers = {**account.headers, "Idempotency-Key": "speech-1"}
    assert speak(app_client, headers).status_code == 200
    again = speak(app_client, headers)
    assert again.status_code == 409 and "a stream is not sent twice" in again.json()["error"]
    assert credits.balance(app_client.services.db, account.id) == 1000 - 80
