"""How a call runs. Calls are no huey jobs: a call is real time, and would otherwise wait behind
the `gpu` queue's minutes-long video jobs. Each call runs in threads of its own in the server
process (`max_concurrent_calls` at most), on the same warm model runtime as jobs. Its models are
the small real-time ones (Silero VAD, Whisper, the voice, the writer), loaded before it dials;
they run on the CPU threads given to them, so a job's GPU work goes on beside a call (on a CPU-only
machine the two share the cores: a call's turns slow down while a job runs, never the reverse
order of a job's stages).

`CallRunner` is one call from start to end: prepare (agent, models), connect (the SIP trunk's
dial, or the studio's WebSocket already open), converse, then record the ending once: status,
who ended it, duration, transcript, the stereo recording in storage, and the webhook."""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apexlocal.db import calls as calls_db
from apexlocal.errors import BadRequest, JobError, ModelError
from apexlocal.jobs.runner import engine_context
from apexlocal.jobs.services import Services
from apexlocal.products.voice_agent import billing
from apexlocal.products.voice_agent.calls import notify_ended
from apexlocal.telephony.audio import CallAudio

log = logging.getLogger("apexlocal.calls")
ALIVE_EVERY_S = 5.0


@dataclass
class RunningCall:
    call_id: str
    user_id: str
    stop_reason: str | None = None
    ended: threading.Event = field(default_factory=threading.Event)
    audio: CallAudio | None = None
    listeners: list[Callable[[list[dict[str, Any]]], None]] = field(default_factory=list)  # the transcript

    def hangup(self, reason: str = "api") -> None:
        self.stop_reason = self.stop_reason or reason


class CallRegistry:
    """The calls this process runs, and its SIP trunk (started on the first phone call)."""

    def __init__(self) -> None:
        self.calls: dict[str, RunningCall] = {}
        self.lock = threading.Lock()
        self.trunk: Any = None

    def add(self, running: RunningCall) -> None:
        with self.lock:
            self.calls[running.call_id] = running

    def remove(self, call_id: str) -> None:
        with self.lock:
            self.calls.pop(call_id, None)

    def get(self, call_id: str) -> RunningCall | None:
        with self.lock:
            return self.calls.get(call_id)


_REGISTRIES: dict[int, CallRegistry] = {}


def registry(services: Services) -> CallRegistry:
    return _REGISTRIES.setdefault(id(services), CallRegistry())


def stop_all(services: Services) -> None:
    reg = _REGISTRIES.pop(id(services), None)
    if reg is None:
        return
    for running in list(reg.calls.values()):
        running.hangup("server")
    for running in list(reg.calls.values()):
        running.ended.wait(10)
    if reg.trunk is not None:
        reg.trunk.stop()


def writer_for(services: Services, ctx: Any, llm_model: str) -> Any:
    """The agent's llmModel: sent as the model name to the `writer_base_url` endpoint when one is
    set, else the manifest writer model it names. The `stand-in` setting overrides both."""
    if services.settings.voice_agent_writer == "stand-in":
        from apexlocal.telephony.standin import StandInWriter

        return StandInWriter()
    from apexlocal.engines.writer import ExternalWriter, open_writer

    if ctx.writer is not None:
        return ExternalWriter(ctx.writer, llm_model)
    return open_writer(ctx, llm_model)


def load_voice_of(services: Services, agent: dict[str, Any], ctx: Any) -> Any:
    """The voice that speaks the agent's calls: its ttsModel, or the cloning model for a cloned voiceId."""
    from apexlocal.products.voice_agent.agent_models import agent_voice, attach_clip
    from apexlocal.telephony.speech import load_voice

    try:
        chosen = agent_voice(services, agent["user_id"], agent["tts_model"], agent["voice_id"], agent["language"])
    except BadRequest as exc:  # the agent was fine when saved; the server changed since
        raise JobError(str(exc)) from None
    spec = chosen.spec(agent["language"])
    attach_clip(services, agent["user_id"], chosen, spec, ctx.scratch_dir)
    return load_voice(ctx, chosen.entry, spec)


def load_brain(services: Services, agent: dict[str, Any], ctx: Any) -> Any:
    from apexlocal.telephony.conversation import Brain
    from apexlocal.telephony.speech import load_ears, load_vad

    voice = load_voice_of(services, agent, ctx)
    hearing = services.manifest.default_for("speech-to-text")
    writer = writer_for(services, ctx, agent["llm_model"])
    brain = Brain(load_ears(ctx, hearing, agent["language"]), voice, load_vad(ctx), writer)
    brain.prepare(agent["greeting"])  # heard the moment the call is answered
    return brain


class CallRunner:
    def __init__(self, services: Services, running: RunningCall, agent: dict[str, Any]) -> None:
        self.services, self.running, self.agent = services, running, agent
        self.scratch = services.settings.data_dir / "scratch" / running.call_id
        self._alive_at = 0.0

    def start(self, connect: Callable[[CallRunner], None]) -> threading.Thread:
        registry(self.services).add(self.running)
        thread = threading.Thread(target=self._run, args=(connect,), name=f"call-{self.running.call_id}", daemon=True)
        thread.start()
        return thread

    def _run(self, connect: Callable[[CallRunner], None]) -> None:
        call_id = self.running.call_id
        try:
            connect(self)
        except Exception as exc:  # every failure ends the call on record, whatever raised it
            log.exception("call %s failed", call_id)
            message = str(exc) if isinstance(exc, (JobError, ModelError)) else "the call failed on the server"
            self.finish("failed", error=message, ended_by="server", duration=None)
        finally:
            shutil.rmtree(self.scratch, ignore_errors=True)
            registry(self.services).remove(call_id)
            self.running.ended.set()

    def context(self) -> Any:
        self.scratch.mkdir(parents=True, exist_ok=True)
        return engine_context(self.services, f"call-{self.running.call_id}", self.scratch)

    def converse(self, audio: CallAudio, brain: Any, peer_gone: Callable[[], bool]) -> str:
        from apexlocal.telephony.conversation import AgentPlan, Conversation, Hooks

        settings, agent = self.services.settings, self.agent
        self.running.audio = audio
        calls_db.set_status(self.services.db, self.running.call_id, "active")
        plan = AgentPlan(agent["system_prompt"], agent["greeting"], agent["end_call_phrase"], agent["max_call_seconds"])
        hooks = Hooks(self._charge, lambda: self._stop_reason(audio, peer_gone), lambda t: self._progress(audio, t))
        self.conversation = Conversation(
            audio, plan, brain, hooks, settings.call_minute_seconds, settings.call_silence_seconds
        )
        return self.conversation.run()

    def press(self, digit: str) -> None:
        conversation = getattr(self, "conversation", None)
        if conversation is not None:  # a key pressed before the conversation began is dropped
            conversation.press(digit)

    def _charge(self, minute: int) -> bool:
        return billing.charge_minute(self.services, self.running.user_id, self.running.call_id, minute)

    def _stop_reason(self, audio: CallAudio, peer_gone: Callable[[], bool]) -> str | None:
        if time.monotonic() - self._alive_at >= ALIVE_EVERY_S:
            self._alive_at = time.monotonic()
            calls_db.record_progress(
                self.services.db, self.running.call_id, self.conversation.transcript, audio.clock()
            )
        if peer_gone():
            return "callee"
        return self.running.stop_reason

    def _progress(self, audio: CallAudio, transcript: list[dict[str, Any]]) -> None:
        calls_db.record_progress(self.services.db, self.running.call_id, transcript, audio.clock())
        for listener in self.running.listeners:
            listener(transcript)

    def save_recording(self, audio: CallAudio) -> str | None:
        path = self.scratch / "recording.wav"
        if audio.write_recording(path, audio.clock()) <= 0:
            return None
        key = f"calls/{self.running.user_id}/{self.running.call_id}/recording.wav"
        self.services.storage.put_file(key, path, "audio/wav")
        return key

    def finish(
        self,
        status: str,
        *,
        error: str | None,
        ended_by: str | None,
        duration: float | None,
        audio: CallAudio | None = None,
    ) -> None:
        transcript = recording = None
        if audio is not None:
            transcript = list(self.conversation.transcript) if hasattr(self, "conversation") else None
            try:
                recording = self.save_recording(audio)
            except OSError:
                log.exception("the recording of call %s was not stored", self.running.call_id)
        db = self.services.db
        if calls_db.finish(
            db,
            self.running.call_id,
            status,
            error=error,
            ended_by=ended_by,
            duration=duration,
            transcript=transcript,
            recording_key=recording,
        ):
            notify_ended(self.services, self.running.call_id)


def scratch_of(services: Services, call_id: str) -> Path:
    return services.settings.data_dir / "scratch" / call_id
