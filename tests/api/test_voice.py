"""POST /api/generate/voice with the tiny set on a CPU: the default voice speaks the text (Whisper
reads it back), speed is honoured, languages and voices are checked at submit time, and the
10,000-character limit is spoken in full."""

from __future__ import annotations

import pytest

from apexlocal.accounts import credits
from tests.api.voice_helpers import SENTENCES, decoded_seconds, transcribe_bytes, word_error_rate
from tests.conftest import add_account, make_settings, wait_for_job

TEXT = "The quick brown fox jumps over the lazy dog. Please call me back before noon tomorrow."


@pytest.fixture
def settings(tmp_path, models_dir):
    return make_settings(tmp_path / "data", models_dir, rate_limits="read=100000/10,generation=1000/10")


def voice_job(client, headers, **body):
    r = client.post("/api/generate/voice", json=body, headers=headers)
    assert r.status_code == 202, r.text
    accepted = r.json()["data"]
    job = wait_for_job(client, accepted["jobId"], headers, timeout=280)
    assert job["status"] == "completed", job
    return accepted, job


def audio_of(client, job) -> bytes:
    r = client.get(job["outputUrl"].replace("http://127.0.0.1:8000", ""))
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
    return r.content


def test_default_voice_speaks_the_text(app_client, account, tmp_path):
    accepted, job = voice_job(app_client, account.headers, text=TEXT)
    assert accepted["status"] == "queued" and accepted["creditsCharged"] == 80
    assert isinstance(accepted["estimatedMinutes"], int) and accepted["estimatedMinutes"] >= 1
    meta = job["metadata"]
    assert job["type"] == "voice" and job["model"] == "piper-joe-medium" and job["outputType"] == "audio/wav"
    assert meta["model"] == "piper-joe-medium" and meta["language"] == "en-us"
    data = audio_of(app_client, job)
    assert decoded_seconds(data) == pytest.approx(meta["durationSeconds"], abs=0.05)
    assert word_error_rate(TEXT, transcribe_bytes(data, tmp_path)) <= 0.2
    assert credits.balance(app_client.services.db, account.id) == 1000 - 80


def test_speed_two_takes_half_the_time(app_client, account):
    _, normal = voice_job(app_client, account.headers, text=TEXT, speed=1.0)
    _, fast = voice_job(app_client, account.headers, text=TEXT, speed=2)
    ratio = fast["metadata"]["durationSeconds"] / normal["metadata"]["durationSeconds"]
    assert ratio == pytest.approx(0.5, rel=0.15)


def test_a_language_the_model_cannot_speak_is_refused_naming_what_it_can(app_client, account):
    r = app_client.post(
        "/api/generate/voice", json={"text": "Guten Tag.", "language": "de", "model": "piper"}, headers=account.headers
    )
    assert r.status_code == 400 and r.json()["code"] == "BAD_REQUEST"
    assert r.json()["error"].startswith("language: 'de' is not spoken by piper-joe-medium; it speaks en-us")
    assert r.json()["error"].endswith("for de use model espeak-ng")
    r = app_client.post(
        "/api/generate/voice", json={"text": "Bonjour.", "language": "fr", "model": "piper"}, headers=account.headers
    )
    assert r.status_code == 400 and "it speaks en-us; for fr use model kokoro-82m" in r.json()["error"]
    assert credits.balance(app_client.services.db, account.id) == 1000


def test_submit_time_checks_pass_what_the_model_can_do(app_client, account):
    from apexlocal.products.voice.submit import plan_voice

    user = app_client.services.authenticator.authenticate(account.headers["Authorization"])[0]
    plan = plan_voice(
        app_client.services, user, text="Hola.", voice_id="ef_dora", speed=1.0, language="es", model="kokoro"
    )
    assert plan.entry.id == "kokoro-82m" and plan.model_name == "kokoro"
    plan = plan_voice(app_client.services, user, text="Hello.", voice_id=None, speed=1.0, language="en", model=None)
    assert plan.entry.id == "piper-joe-medium" and plan.spec["voiceId"] is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"text": ""}, "text: must be 1-10,000 characters"),
        ({"text": "x" * 10_001}, "text: must be 1-10,000 characters"),
        ({"text": "   "}, "text: must not be blank"),
        ({"text": "Hi.", "speed": 2.5}, "speed: must be a number between 0.5 and 2.0"),
        ({"text": "Hi.", "voice": "x"}, "voice: unknown field"),
        (
            {"text": "Hi.", "voiceId": "nobody"},
            "voiceId: 'nobody' is not a voice of piper-joe-medium; it has en_US-joe-medium",
        ),
        ({"text": "Hi.", "model": "nope"}, "model: must be one of piper-joe-medium, kokoro-82m"),
    ],
)
def test_invalid_requests_name_the_field(app_client, account, body, message):
    r = app_client.post("/api/generate/voice", json=body, headers=account.headers)
    assert r.status_code == 400 and r.json()["error"].startswith(message), r.json()
    assert credits.balance(app_client.services.db, account.id) == 1000


def test_the_model_follows_the_voice_or_language_when_none_is_named(app_client):
    from apexlocal.products.voice import voice_models

    services = app_client.services
    assert voice_models.default_voice_model(services).id == "piper-joe-medium"  # no CUDA here
    assert voice_models.model_for(services, None, None).id == "piper-joe-medium"
    assert voice_models.model_for(services, None, "fr").id == "kokoro-82m"
    assert voice_models.model_for(services, "af_bella", None).id == "kokoro-82m"
    assert voice_models.model_for(services, "en_US-joe-medium", "en").id == "piper-joe-medium"


def test_on_a_cuda_machine_the_default_is_kokoro(app_client, monkeypatch):
    from apexlocal.products.voice import voice_models

    class CudaRuntime:
        device = "cuda"

    monkeypatch.setattr(app_client.services.runtime, "_runtime", CudaRuntime())  # no job runs in this test
    assert voice_models.default_voice_model(app_client.services).id == "kokoro-82m"
    assert voice_models.model_for(app_client.services, "en_US-joe-medium", None).id == "piper-joe-medium"


def test_the_free_plan_may_generate_voice(app_client, settings):
    free = add_account(app_client.services.db, settings, "free@example.com", plan="free")
    accepted, _ = voice_job(app_client, free.headers, text="Hi there.")
    assert accepted["creditsCharged"] == 80


def test_voice_list_has_stock_voices_with_model_language_and_gender(app_client, account):
    voices = app_client.get("/api/voices", headers=account.headers).json()["data"]
    by_id = {(v["model"], v["voiceId"]): v for v in voices}
    joe = by_id[("piper-joe-medium", "en_US-joe-medium")]
    assert joe["type"] == "stock" and joe["language"] == "en-us" and joe["installed"] is True
    bella = by_id[("kokoro-82m", "af_bella")]
    assert bella["language"] == "en-us" and bella["gender"] == "female" and "elevenlabs-v3" in bella["modelAliases"]
    assert by_id[("kokoro-82m", "ff_siwis")]["language"] == "fr"
    assert app_client.get("/api/voices?type=cloned", headers=account.headers).json()["data"] == []
    assert app_client.get("/api/voices?type=weird", headers=account.headers).status_code == 400


@pytest.mark.timeout(900)
def test_ten_thousand_characters_are_spoken_in_proportion(app_client, account):
    """The longest text the route takes: its audio lasts what its length says (from a short
    text's seconds per character), and the estimate is honest about it. Spoken by espeak-ng: the
    route, the chunking and the joining are every voice's, and Piper took a minute of the suite's
    CPU to speak the nine minutes (its own chunks are spoken in the tests above)."""
    voice = {"model": "espeak-ng", "voiceId": "espeak-en"}
    short_text = " ".join(SENTENCES)
    _, short = voice_job(app_client, account.headers, text=short_text, **voice)
    per_char = short["metadata"]["durationSeconds"] / len(short_text)
    long_text = ((short_text + " ") * (10_000 // (len(short_text) + 1) + 1))[:10_000].rsplit(" ", 1)[0]
    accepted, job = voice_job(app_client, account.headers, text=long_text, **voice)
    assert len(long_text) > 9_900 and job["model"] == "espeak-ng"
    seconds = job["metadata"]["durationSeconds"]
    assert 0.8 < seconds / (per_char * len(long_text)) < 1.2
    took_minutes = job["metadata"]["durationMs"] / 60_000
    assert accepted["estimatedMinutes"] >= 1 and accepted["estimatedMinutes"] >= took_minutes / 4
