"""The studio's test call: the same conversation loop as a phone call, over a WebSocket with the
browser's microphone and speaker, charged the same per minute.

`WS /api/voice-agent/agents/{agentId}/test-call`, signed in to the studio (the session cookie; the
browser's Origin must be this server). Both directions carry 16-bit mono PCM at 16 kHz in binary
messages: the browser sends its microphone as it records it; the server sends the agent's audio in
real time, 20 ms at a time. Text messages are JSON: from the server `{"type": "call", "callId"}`,
`{"type": "live"}` once the agent's models are loaded and it listens (the browser opens its
microphone then: what it sent before would be lost),
`{"type": "transcript", "entries": [...]}` as it grows, `{"type": "clear"}` when the agent was
interrupted (the browser drops what it has not played yet) and `{"type": "ended", "call": {...}}`;
from the browser `{"type": "hangup"}`. Closing the socket hangs up too."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from typing import Any

import msgspec
from anyio import to_thread
from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect
from litestar.params import FromPath

from apexlocal.accounts.plans import require_feature
from apexlocal.accounts.users import User
from apexlocal.api.guards import check_same_origin, cookie_value
from apexlocal.db import calls as calls_db
from apexlocal.errors import ApiError, Forbidden, Unauthorized
from apexlocal.jobs.services import Services
from apexlocal.products.voice_agent import calls
from apexlocal.products.voice_agent.outbound import FEATURE, check_can_call, owned_agent
from apexlocal.products.voice_agent.runner import CallRunner, RunningCall, load_brain

RATE = 16000
FRAME = 320  # 20 ms


async def _user(socket: WebSocket[Any, Any, Any]) -> User:
    scope = socket.scope
    if not any(name == b"origin" for name, _ in scope["headers"]):
        raise Forbidden("Cross-site request refused")
    check_same_origin(scope)
    token = cookie_value(scope)
    authenticator = socket.app.state.services.authenticator
    session = None
    if token is not None:
        session = authenticator.cached_session(token) or await to_thread.run_sync(authenticator.lookup_session, token)
    if session is None:
        raise Unauthorized("Sign in to the studio to make a test call")
    return session.user


def _start(services: Services, user: User, agent_id: str, running_box: list[RunningCall]) -> str:
    require_feature(services.settings.plans, user, FEATURE, "Voice agent calls")
    agent = owned_agent(services, user, agent_id)
    check_can_call(services, user)
    call_id = str(uuid.uuid4())
    calls_db.insert(services.db, call_id, user.id, agent["id"], "browser", None)
    running = RunningCall(call_id, user.id)
    running_box.append(running)
    CallRunner(services, running, agent).start(_browser)
    return call_id


def _browser(runner: CallRunner) -> None:
    from apexlocal.telephony.audio import CallAudio

    brain = load_brain(runner.services, runner.agent, runner.context())
    audio = CallAudio(RATE)
    try:
        ended_by = runner.converse(audio, brain, lambda: runner.running.stop_reason == "callee")
    finally:
        audio.closed.set()
    runner.finish("completed", error=None, ended_by=ended_by, duration=audio.clock(), audio=audio)


@websocket("/voice-agent/agents/{agent_id:str}/test-call")
async def test_call(socket: WebSocket[Any, Any, Any], agent_id: FromPath[str]) -> None:
    services: Services = socket.app.state.services
    try:
        user = await _user(socket)
        box: list[RunningCall] = []
        call_id = await to_thread.run_sync(_start, services, user, agent_id, box)
    except ApiError as error:
        await socket.accept()
        await socket.send_json({"type": "error", "error": error.message, "code": error.code, "status": error.status})
        await socket.close(code=4000 + error.status)
        return
    running = box[0]
    await socket.accept()
    await socket.send_json({"type": "call", "callId": call_id})
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    loop = asyncio.get_running_loop()

    def transcript(entries: list[dict[str, Any]]) -> None:
        loop.call_soon_threadsafe(outbox.put_nowait, {"type": "transcript", "entries": entries})

    running.listeners.append(transcript)
    speaker = asyncio.create_task(_speak(socket, running, outbox))
    try:
        await _listen(socket, running)
    finally:
        running.hangup("callee")
        with contextlib.suppress(Exception):
            await speaker
    await _send_ending(socket, services, user, call_id, running)


async def _listen(socket: WebSocket[Any, Any, Any], running: RunningCall) -> None:
    import numpy as np

    while not running.ended.is_set():
        try:
            message: Any = await socket.receive()
        except WebSocketDisconnect:
            return
        if message["type"] == "websocket.disconnect":
            return
        data = message.get("bytes")
        if data:
            if running.audio is not None:
                usable = len(data) - len(data) % 2
                running.audio.feed(np.frombuffer(data[:usable], "<i2").astype(np.float32) / 32768.0)
        elif message.get("text") and json.loads(message["text"]).get("type") == "hangup":
            return


async def _speak(socket: WebSocket[Any, Any, Any], running: RunningCall, outbox: asyncio.Queue[dict[str, Any]]) -> None:
    """The agent's audio in real time (only what is not silence), the transcript as it grows."""
    from apexlocal.engines.voice.audio import to_pcm16

    loop = asyncio.get_running_loop()
    deadline, flushes, live = loop.time(), 0, False
    while not running.ended.is_set() and running.stop_reason is None:
        while not outbox.empty():
            await socket.send_json(outbox.get_nowait())
        audio = running.audio
        if audio is not None and not live:
            live = True
            await socket.send_json({"type": "live"})
        if audio is not None:
            if audio.flushes != flushes:
                flushes = audio.flushes
                await socket.send_json({"type": "clear"})
            frame = audio.next_frame(FRAME)
            if frame.any():
                await socket.send_bytes(to_pcm16(frame))
        deadline += FRAME / RATE
        await asyncio.sleep(max(0.0, deadline - loop.time()))


async def _send_ending(
    socket: WebSocket[Any, Any, Any], services: Services, user: User, call_id: str, running: RunningCall
) -> None:
    await to_thread.run_sync(running.ended.wait, 30)
    base = services.settings.resolved_base_url
    call = await to_thread.run_sync(calls.one, services, user.id, call_id, base)
    with contextlib.suppress(Exception):
        await socket.send_json({"type": "ended", "call": msgspec.to_builtins(call)})
        await socket.close()


routes = [test_call]
