"""Cloning a voice end to end, over HTTP only, against one real `apexlocal serve` with the tiny set:
a 20 s sample spoken by the packaged Piper voice is uploaded and cloned, then a voice job with the
returned voiceId runs through the queue's runner on Chatterbox's tiny stand-in (the real classes,
random weights), and its WAV is downloaded from the signed URL and read back."""

from __future__ import annotations

import io
import time
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import loopback
from tests.api.voice_helpers import SENTENCES, piper_speech
from tests.conftest import ServerProcess, free_port, server_env
from tests.e2e.helpers import new_user, wait_job

pytestmark = pytest.mark.e2e

SAMPLE_TEXT = " ".join(SENTENCES[:4])  # about 20 s of speech
TEXT = "Hello from my cloned voice."
CHATTERBOX_RATE = 24_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Iterator[ServerProcess]:
    env = server_env(
        models_dir,
        {
            "APEXLOCAL_RATE_LIMITS": "generation=100/10,read=100000/10",
        },
    )
    srv = ServerProcess(tmp_path_factory.mktemp("voice-clone-e2e") / "data", free_port(), env).start()
    srv.read_owner_key()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def creator_key(server: ServerProcess) -> str:
    """A creator-plan user (the lowest plan that may clone), made with the CLI as an admin would."""
    return new_user(server.data_dir, "creator@example.com", 1000, plan="creator", env=server.env)


@pytest.fixture(scope="module")
def creator(server: ServerProcess, creator_key: str) -> Iterator[httpx.Client]:
    with loopback.client(
        base_url=server.url, headers={"Authorization": f"Bearer {creator_key}"}, timeout=120
    ) as client:
        yield client


@pytest.fixture(scope="module")
def chatterbox_installed(server: ServerProcess) -> None:
    """The cloning model installed first (the tiny set builds its stand-in), as an admin does
    before users clone: a clone can then use it, and the voice job waits for no build."""
    headers = {"Authorization": f"Bearer {server.owner_key}"}
    r = loopback.post(f"{server.url}/api/models/chatterbox/pull", headers=headers, timeout=30)
    assert r.status_code in (200, 202), r.text
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        model = loopback.get(f"{server.url}/api/models/chatterbox", headers=headers).json()["data"]
        if model["installed"]:
            return
        assert (model.get("pull") or {}).get("status") != "failed", model
        time.sleep(0.5)
    raise AssertionError("chatterbox was not installed in time")


@pytest.fixture(scope="module")
def cloned(
    creator: httpx.Client, chatterbox_installed: None, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    sample = tmp_path_factory.mktemp("clone-sample") / "sample.wav"
    seconds = piper_speech(SAMPLE_TEXT, sample)
    assert 15 < seconds < 30
    r = creator.post("/api/upload/audio", files={"file": (sample.name, sample.read_bytes(), "audio/wav")})
    assert r.status_code == 201, r.text
    r = creator.post("/api/generate/voice-clone", json={"name": "Joe", "sampleAudioUrl": r.json()["data"]["url"]})
    assert r.status_code == 201, r.text
    return {**r.json(), "sampleSeconds": seconds}


def read_wav(data: bytes) -> tuple[int, int, int]:
    """(sample rate, channels, frames) of a WAV file."""
    with wave.open(io.BytesIO(data)) as wav:
        return wav.getframerate(), wav.getnchannels(), wav.getnframes()


def test_the_sample_is_cloned_and_listed_with_the_cloning_model(creator, cloned):
    voice_id = cloned["voiceId"]
    assert voice_id.startswith("vc_") and cloned["data"]["name"] == "Joe" and cloned["data"]["language"] == "en"
    assert abs(cloned["data"]["durationSeconds"] - cloned["sampleSeconds"]) < 1.0
    voices = creator.get("/api/voices?type=cloned").json()["data"]
    assert [(v["voiceId"], v["model"], v["usable"]) for v in voices] == [(voice_id, "chatterbox", True)]


def test_a_voice_job_with_the_cloned_voice_is_spoken_by_chatterbox(server, creator, creator_key, cloned):
    voice_id = cloned["voiceId"]
    r = creator.post("/api/generate/voice", json={"text": TEXT, "voiceId": voice_id})
    assert r.status_code == 202, r.text
    job = wait_job(server.url, creator_key, r.json()["data"]["jobId"], timeout=300)
    assert job["status"] == "completed", job
    assert job["model"] == "chatterbox"
    meta = job["metadata"]
    assert meta["modelId"] == "chatterbox" and meta["voiceId"] == voice_id
    assert meta["sampleRate"] == CHATTERBOX_RATE and meta["language"] == "en"
    # Chatterbox was installed when the voice was cloned, so the clone kept its conditionals and the
    # job read them instead of conditioning on the clip again.
    assert meta["voiceConditionals"] == "stored"

    audio = loopback.get(job["outputUrl"], timeout=30)
    assert audio.status_code == 200 and audio.headers["content-type"].startswith("audio/wav")
    rate, channels, frames = read_wav(audio.content)
    assert (rate, channels) == (CHATTERBOX_RATE, 1)
    assert abs(frames / rate - meta["durationSeconds"]) < 0.01
    # Random weights seldom sample the stop token, so the text's token budget bounds the audio: its
    # length at 8 characters a second, plus a second (about 4.4 s here).
    # Random weights decide when the tiny model stops: any length from one chunk up to the budget.
    assert 0 < frames / rate <= len(TEXT) / 8 + 1 + 0.1
