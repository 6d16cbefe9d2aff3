"""Phone calls end to end: a real `apexlocal serve` with its trunk pointed at SIPp, which answers
as the callee after challenging the INVITE with digest authentication; the callee's audio is an
RTP endpoint in this test, which hears the agent and speaks recorded questions (Piper's speech).

One server for the module; a call-minute of 4 s, so that minutes are counted within short calls."""

from __future__ import annotations

import io
import math
import os
import time
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from tests import loopback
from tests.conftest import ServerProcess, free_port, server_env
from tests.products.live import api
from tests.speech import fixed_voice
from tests.telephony.peer import PASSWORD, USER, RtpPeer, Sipp, free_udp_pair, free_udp_port, scenario

MINUTE_S = 4.0
# The stand-in answers at once (the writer model has tests of its own, and on 2 shared CPU cores
# SmolLM2 takes tens of seconds an answer); TEST_VOICE_AGENT_WRITER=writer runs these with it.
WRITER = os.environ.get("TEST_VOICE_AGENT_WRITER", "stand-in")
COST = 10
GREETING = "Hello, this is the bakery on Main Street. How can I help you today?"
LONG_GREETING = (
    "Hello, this is the bakery on Main Street. Today we have rye bread, sourdough, croissants, apple "
    "pies, cinnamon rolls and a great many cakes, and we are open until eight in the evening."
)


@pytest.fixture(scope="module")
def sip_port() -> int:
    return free_udp_port()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, models_dir: Path, sip_port: int) -> Iterator[ServerProcess]:
    env = server_env(
        models_dir,
        {
            "APEXLOCAL_SIP_PROXY_URI": f"sip:127.0.0.1:{sip_port}",
            "APEXLOCAL_SIP_USERNAME": USER,
            "APEXLOCAL_SIP_PASSWORD": PASSWORD,
            "APEXLOCAL_SIP_LOCAL_ADDRESS": "127.0.0.1",
            "APEXLOCAL_CALL_MINUTE_SECONDS": str(MINUTE_S),
            "APEXLOCAL_CALL_SILENCE_SECONDS": "30",
            "APEXLOCAL_VOICE_AGENT_WRITER": WRITER,
        },
    )
    srv = ServerProcess(tmp_path_factory.mktemp("sip") / "data", free_port(), env).start()
    try:
        srv.read_owner_key()
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def client(server: ServerProcess) -> Iterator[httpx.Client]:
    with api(server) as c:
        yield c


@pytest.fixture(scope="module")
def speech() -> Any:
    """Piper's voice and Whisper tiny.en, for the callee's questions and for hearing the agent."""
    from faster_whisper import WhisperModel

    from apexlocal.engines.speech_to_text.whisper import resample
    from apexlocal.models.manifest import load_manifest
    from apexlocal.models.packaged import check_package

    manifest = load_manifest()
    voice = fixed_voice()
    whisper = WhisperModel(
        str(check_package(manifest.default_for("speech-to-text"))), device="cpu", compute_type="int8"
    )

    class Speech:
        def say(self, text: str) -> np.ndarray:
            return resample(voice.synthesize(text, 1.0), voice.sample_rate, 8000)

        def hear(self, samples: np.ndarray) -> str:
            segments, _ = whisper.transcribe(resample(samples, 8000, 16000), language="en", beam_size=1)
            return " ".join(s.text for s in segments).strip().lower()

    return Speech()


def _agent(client: httpx.Client, greeting: str = GREETING, **extra: Any) -> str:
    body = {
        "name": "Bakery",
        "systemPrompt": "You answer the phone for a bakery. Answer in one short sentence.",
        "greeting": greeting,
        "ttsModel": "piper",
        "llmModel": "smollm2-135m",
        **extra,
    }
    r = client.post("/api/voice-agent/agents", json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["data"]["id"])


def _call(client: httpx.Client, agent_id: str, number: str = "+14155550123") -> str:
    r = client.post("/api/voice-agent/calls/outbound", json={"agentId": agent_id, "phoneNumber": number})
    assert r.status_code == 202, r.text
    assert r.json()["data"]["status"] == "queued"
    return str(r.json()["data"]["callId"])


def _ended(client: httpx.Client, call_id: str, timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        call = client.get(f"/api/voice-agent/calls/{call_id}").json()["data"]
        if call["status"] not in ("queued", "ringing", "active"):
            return dict(call)
        time.sleep(0.2)
    raise AssertionError(f"call {call_id} did not end")


def _wait_status(client: httpx.Client, call_id: str, status: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.get(f"/api/voice-agent/calls/{call_id}").json()["data"]["status"] == status:
            return
        time.sleep(0.1)
    raise AssertionError(f"call {call_id} never was {status}")


def _balance(client: httpx.Client) -> int:
    return int(client.get("/api/usage").json()["data"]["credits"])


def _charged_exactly(call: dict[str, Any], before: int, after: int) -> None:
    minutes = math.ceil(round(call["durationSeconds"], 3) / MINUTE_S)
    assert call["minutesCharged"] == minutes >= 1, call
    assert call["creditsCharged"] == minutes * COST == before - after


def _recording(server: ServerProcess, url: str) -> tuple[int, np.ndarray]:
    r = loopback.get(url if url.startswith("http") else server.url + url, timeout=30)
    assert r.status_code == 200
    with wave.open(io.BytesIO(r.content)) as w:
        assert w.getnchannels() == 2
        frames = np.frombuffer(w.readframes(w.getnframes()), "<i2").reshape(-1, 2).astype(np.float32) / 32768
        return w.getframerate(), frames


def test_a_conversation_over_sip_with_digest_auth(server, client, speech, sip_port, tmp_path):
    agent_id = _agent(client)
    peer = RtpPeer(free_udp_pair())
    sipp = Sipp(tmp_path, sip_port, scenario("agent-hangs-up", peer.port))
    before = _balance(client)
    try:
        call_id = _call(client, agent_id)
        greeting_end = peer.wait_for_speech_then_quiet(timeout=90)
        heard = speech.hear(peer.audio())
        assert "bakery" in heard and "help" in heard, heard
        asked = speech.say("What time do you open tomorrow?")
        peer.say(asked)
        answer_end = peer.wait_for_speech_then_quiet(since=peer.said_at + asked.size / 8000, timeout=60)
        answer = speech.hear(peer.audio(since=greeting_end + 0.5))
        assert answer, "the callee heard no answer"
        if WRITER == "stand-in":  # its fixed answer repeats the question
            assert "you said" in answer and "open" in answer, answer
        live = client.get(f"/api/voice-agent/calls/{call_id}").json()["data"]
        assert live["status"] == "active" and live["answeredAt"]
        hung = client.post(f"/api/voice-agent/calls/{call_id}/hangup")
        assert hung.status_code == 200
        assert sipp.wait(30) == 0, "SIPp did not get its BYE"  # the callee got the BYE and answered it
    finally:
        sipp.stop()
        peer.close()
    call = _ended(client, call_id)
    assert call["status"] == "completed" and call["endedBy"] == "api" and call["error"] is None, call
    roles = [e["role"] for e in call["transcript"]]
    assert roles[0] == "agent" and "caller" in roles and roles[-1] == "agent", call["transcript"]
    caller = next(e for e in call["transcript"] if e["role"] == "caller")
    assert "open" in caller["text"].lower() and "tomorrow" in caller["text"].lower(), caller
    assert call["transcript"][0]["text"] == GREETING
    starts = [e["start"] for e in call["transcript"]]
    assert starts == sorted(starts) and all(e["end"] >= e["start"] for e in call["transcript"])
    _charged_exactly(call, before, _balance(client))
    rate, stereo = _recording(server, call["recordingUrl"])
    assert rate == 8000 and stereo.shape[0] / rate >= call["durationSeconds"] - 1.0
    assert np.abs(stereo[:, 0]).max() > 0.05 and np.abs(stereo[:, 1]).max() > 0.05  # both sides are in it
    assert answer_end > greeting_end


def test_the_callee_hangs_up_on_an_a_law_line_after_pressing_a_key(server, client, speech, sip_port, tmp_path):
    agent_id = _agent(client, "Hello, this is the bakery.")
    peer = RtpPeer(free_udp_pair(), payload_type=8)  # the callee answers with G.711 A-law only
    sipp = Sipp(tmp_path, sip_port, scenario("callee-hangs-up", peer.port, hangup_after_ms=6000, codec=8))
    before = _balance(client)
    try:
        call_id = _call(client, agent_id)
        peer.wait_for_speech_then_quiet(quiet_s=0.7, timeout=60)
        greeting = peer.audio()
        peer.press("5")
        assert sipp.wait(60) == 0
    finally:
        sipp.stop()
        peer.close()
    assert "bakery" in speech.hear(greeting)
    call = _ended(client, call_id)
    assert call["status"] == "completed" and call["endedBy"] == "callee", call
    assert 5.0 <= call["durationSeconds"] <= 9.0
    assert any(e["role"] == "caller" and e["text"] == "[pressed 5]" for e in call["transcript"]), call["transcript"]
    _charged_exactly(call, before, _balance(client))


def test_barge_in_stops_the_agent_within_300_ms(server, client, speech, sip_port, tmp_path):
    agent_id = _agent(client, LONG_GREETING)
    peer = RtpPeer(free_udp_pair())
    sipp = Sipp(tmp_path, sip_port, scenario("agent-hangs-up", peer.port))
    try:
        call_id = _call(client, agent_id)
        deadline = time.monotonic() + 90
        while len(peer.voiced_times()) < 50 and time.monotonic() < deadline:  # a second of the greeting
            time.sleep(0.02)
        interruption = speech.say("Sorry, can I ask something?")
        peer.say(interruption)
        spoke_at = peer.said_at
        client.post(f"/api/voice-agent/calls/{call_id}/hangup")
        sipp.wait(30)
    finally:
        sipp.stop()
        peer.close()
    # The agent's audio in the callee's recording: the last voiced packet of the greeting.
    greeting_voiced = [t for t in peer.voiced_times() if t < spoke_at + 2.0]
    stopped = max(t for t in greeting_voiced if t >= spoke_at - 0.1) - spoke_at
    assert stopped <= 0.3, f"the agent went on {stopped * 1000:.0f} ms after the callee began talking"
    call = _ended(client, call_id)
    greeting = call["transcript"][0]
    assert greeting["role"] == "agent" and greeting.get("interrupted") is True, call["transcript"]


def test_a_busy_callee_ends_busy_uncharged(server, client, sip_port, tmp_path):
    agent_id = _agent(client)
    sipp = Sipp(tmp_path, sip_port, scenario("busy"))
    before = _balance(client)
    try:
        call_id = _call(client, agent_id)
        call = _ended(client, call_id)
    finally:
        sipp.stop()
    assert call["status"] == "busy" and "486" in call["error"] and call["creditsCharged"] == 0, call
    assert _balance(client) == before


def test_an_unreachable_trunk_ends_failed_uncharged(server, client):
    agent_id = _agent(client)  # nothing listens on the trunk's port now
    before = _balance(client)
    call = _ended(client, _call(client, agent_id), timeout=60)
    assert call["status"] == "failed" and "did not respond" in call["error"] and call["creditsCharged"] == 0
    assert _balance(client) == before


def test_out_of_credits_mid_call_says_goodbye_and_hangs_up(server, client, speech, sip_port, tmp_path):
    agent_id = _agent(client)
    owner = client.get("/api/admin/users").json()["data"][0]
    r = client.post(f"/api/admin/users/{owner['id']}/credits", json={"amount": -(_balance(client) - 15)})
    assert r.status_code == 200 and _balance(client) == 15  # one minute, and half of the next
    peer = RtpPeer(free_udp_pair())
    sipp = Sipp(tmp_path, sip_port, scenario("agent-hangs-up", peer.port))
    try:
        call_id = _call(client, agent_id)
        assert sipp.wait(60) == 0, "the agent did not hang up"
    finally:
        sipp.stop()
        peer.close()
    call = _ended(client, call_id)
    assert call["status"] == "completed" and call["endedBy"] == "credits", call
    assert call["minutesCharged"] == 1 and call["creditsCharged"] == COST and _balance(client) == 5
    assert "goodbye" in call["transcript"][-1]["text"].lower()
    assert "goodbye" in speech.hear(peer.audio())
    refused = client.post("/api/voice-agent/calls/outbound", json={"agentId": agent_id, "phoneNumber": "+14155550123"})
    assert refused.status_code == 402 and "the balance is 5" in refused.json()["error"]  # not a minute left
    assert client.post(f"/api/admin/users/{owner['id']}/credits", json={"amount": 10_000}).status_code == 200


def test_a_stop_hangs_up_and_a_crash_ends_the_call_failed_with_its_minutes(server, client, sip_port, tmp_path):
    from tests.conftest import kill_process

    agent_id = _agent(client, "Hello, this is the bakery.")
    for how in ("stop", "crash"):
        peer = RtpPeer(free_udp_pair())
        sipp = Sipp(tmp_path, sip_port, scenario("agent-hangs-up", peer.port))
        before = _balance(client)
        try:
            call_id = _call(client, agent_id)
            peer.wait_for_speech_then_quiet(timeout=60)
            time.sleep(MINUTE_S + 1.0)  # into the second minute
            if how == "stop":
                server.stop()
                assert sipp.wait(30) == 0, "the stopping server did not hang up"
            else:
                kill_process(server.proc)
        finally:
            sipp.stop()
            peer.close()
        server.start()
        call = _ended(client, call_id)
        if how == "stop":
            assert call["status"] == "completed" and call["endedBy"] == "server", call
            _charged_exactly(call, before, _balance(client))
        else:
            # Ended at startup: the minutes started by its last sign of life, none twice.
            assert call["status"] == "failed" and call["endedBy"] == "server", call
            assert call["minutesCharged"] >= 2 and call["creditsCharged"] == before - _balance(client)


def test_hanging_up_before_the_answer_cancels_uncharged(server, client, sip_port, tmp_path):
    agent_id = _agent(client)
    peer = RtpPeer(free_udp_pair())
    sipp = Sipp(tmp_path, sip_port, scenario("agent-hangs-up", peer.port))
    before = _balance(client)
    try:
        call_id = _call(client, agent_id)
        hung = client.post(f"/api/voice-agent/calls/{call_id}/hangup")
        assert hung.status_code == 200
    finally:
        sipp.stop()
        peer.close()
    call = _ended(client, call_id)
    # Hung up while loading (never dialled) or while dialling (a BYE as soon as it is answered).
    assert call["status"] == "canceled" and call["endedBy"] == "api" and call["creditsCharged"] == 0, call
    assert _balance(client) == before


def test_hanging_up_a_ringing_call_sends_a_cancel(server, client, sip_port, tmp_path):
    agent_id = _agent(client)
    # The callee rings without answering, and fails its scenario unless a CANCEL comes within 10 s:
    # long before the 45 s after which an unanswered call is given up.
    sipp = Sipp(tmp_path, sip_port, scenario("rings-until-canceled", timeout_ms=10_000))
    before = _balance(client)
    try:
        call_id = _call(client, agent_id)
        _wait_status(client, call_id, "ringing")
        hung = client.post(f"/api/voice-agent/calls/{call_id}/hangup")
        assert hung.status_code == 200
        assert sipp.wait(30) == 0, sipp.proc.stderr.read() if sipp.proc.stderr else ""  # CANCEL, 487, ACK
    finally:
        sipp.stop()
    call = _ended(client, call_id)
    assert call["status"] == "canceled" and call["endedBy"] == "api" and call["creditsCharged"] == 0, call
    assert call["answeredAt"] is None and call["error"] is None, call
    assert _balance(client) == before
