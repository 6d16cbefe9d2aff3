"""POST /api/generate/voice with espeak-ng, the voice of last resort: asked for by model and voice,
or chosen for a language no neural voice speaks, through the same queue and engine path as any voice."""

from __future__ import annotations

import shutil

import pytest

from tests.api.voice_helpers import decoded_seconds
from tests.conftest import make_settings, wait_for_job


@pytest.fixture
def settings(tmp_path, models_dir):
    assert shutil.which("espeak-ng"), "espeak-ng is missing; install it: `sudo apt-get install espeak-ng`"
    return make_settings(tmp_path / "data", models_dir, rate_limits="read=100000/10,generation=1000/10")


def _spoken(client, headers, **body):
    r = client.post("/api/generate/voice", json=body, headers=headers)
    assert r.status_code == 202, r.text
    job = wait_for_job(client, r.json()["data"]["jobId"], headers)
    assert job["status"] == "completed", job
    audio = client.get(job["outputUrl"].replace("http://127.0.0.1:8000", "")).content
    return job, audio


def test_an_espeak_voice_speaks_spanish_through_the_voice_route(app_client, account):
    job, audio = _spoken(
        app_client, account.headers, text="Hola, buenos días a todos.", model="espeak-ng", voiceId="espeak-es"
    )
    meta = job["metadata"]
    assert job["model"] == "espeak-ng" and meta["voiceId"] == "espeak-es" and meta["language"] == "es"
    assert decoded_seconds(audio) == pytest.approx(meta["durationSeconds"], abs=0.05) and meta["durationSeconds"] > 1


def test_a_language_only_espeak_speaks_is_routed_to_it(app_client, account):
    job, _ = _spoken(app_client, account.headers, text="Guten Tag, wie geht es Ihnen?", language="de")
    assert job["model"] == "espeak-ng" and job["metadata"]["voiceId"] == "espeak-de"


def test_espeak_voices_are_listed_with_their_language(app_client, account):
    voices = app_client.get("/api/voices?type=stock", headers=account.headers).json()["data"]
    by_id = {(v["model"], v["voiceId"]): v for v in voices}
    assert by_id[("espeak-ng", "espeak-es")]["language"] == "es"
    assert by_id[("espeak-ng", "espeak-pt-br")]["language"] == "pt-br"
