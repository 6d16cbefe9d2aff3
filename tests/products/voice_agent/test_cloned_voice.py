"""An agent with a cloned voice: its calls speak through the voice-cloning model (Chatterbox; its
small random-weight stand-in in the tiny set) conditioned on the clone's clip, and a voice model
that cannot speak clones is refused at create time naming ttsModel."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from apexlocal.db import voices as voices_db
from apexlocal.jobs.runner import engine_context
from tests.conftest import add_account
from tests.products.voice_agent.test_agents import AGENT

RATE = 24_000


def _clip(path: Path, seconds: float = 4.0) -> Path:
    """A voiced-sounding clip (a buzz with a slow vowel-like sweep): the stand-in needs audio, not words."""
    import numpy as np

    t = np.arange(int(seconds * RATE)) / RATE
    f0 = 120 + 30 * np.sin(2 * np.pi * 0.7 * t)
    samples = 0.3 * np.sign(np.sin(2 * np.pi * np.cumsum(f0) / RATE)) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes((samples * 32767).astype("<i2").tobytes())
    return path


@pytest.fixture
def cloned_voice(app_client, account, tmp_path) -> str:
    services, voice_id = app_client.services, "vc_agenttest"
    key = f"voices/{account.id}/{voice_id}/sample.wav"
    services.storage.put_file(key, _clip(tmp_path / "clip.wav"), "audio/wav")
    with services.db.write():
        voices_db.insert_pending(services.db, voice_id, account.id, "Mine", 80)
        voices_db.mark_ready(
            services.db,
            voice_id,
            clip_key=key,
            transcript="Hello, this is my voice.",
            embedding=None,
            embedding_kind=None,
            language="en",
            duration=4.0,
            sample_rate=RATE,
        )
    return voice_id


def test_a_cloned_voice_speaks_through_the_cloning_model(app_client, account, cloned_voice, tmp_path):
    from apexlocal.engines.voice_clone.chatterbox_clone import ChatterboxSynthesizer
    from apexlocal.products.voice_agent.runner import load_voice_of

    services = app_client.services
    body = {**AGENT, "voiceId": cloned_voice}
    refused = app_client.post("/api/voice-agent/agents", json={**body, "ttsModel": "kokoro"}, headers=account.headers)
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert error.startswith("ttsModel: 'kokoro' cannot speak a cloned voiceId; use a voice-cloning model: chatterbox")
    r = app_client.post(
        "/api/voice-agent/agents",
        json={**AGENT, "ttsModel": "chatterbox", "voiceId": cloned_voice},
        headers=account.headers,
    )
    assert r.status_code == 201, r.text
    agent = services.db.one("SELECT * FROM agents WHERE id = ?", (r.json()["data"]["id"],))

    scratch = tmp_path / "call"
    scratch.mkdir()
    voice = load_voice_of(services, agent, engine_context(services, "call-cloned", scratch))
    assert isinstance(voice.synthesizer, ChatterboxSynthesizer)  # the cloning engine, not a stock voice
    assert (scratch / "cloned-voice.wav").is_file()  # conditioned on the clone's own clip
    audio = voice.speak("Hello there.")
    assert voice.rate == RATE and audio.size > 0 and float(abs(audio).max()) > 0.0

    # Another user's cloned voice is no voice of theirs.
    bob = add_account(services.db, services.settings, "bob@example.com")
    r = app_client.post("/api/voice-agent/agents", json={**body, "ttsModel": "chatterbox"}, headers=bob.headers)
    assert r.status_code == 400 and r.json()["error"].startswith("voiceId"), r.text
