"""One call's conversation: the greeting first, then turns until someone ends it.

Two threads per call. This one (`run`) reads the caller's audio as it arrives, runs the voice
activity detector on it and watches the clock (minutes charged, the call's length, silence); it
never waits on a model, so it can stop the agent the moment the caller talks over it (barge-in:
the queued audio is dropped and the answer being written is cancelled; a caller who goes on
before the answer started is heard as one turn with what came before). The responder thread
does the slow part of a turn: speech to text, the writer's streamed answer cut into sentences,
each sentence spoken and queued on the line as soon as it is made."""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from apexlocal.engines.writer.messages import ChatMessage as Message
from apexlocal.telephony.audio import CallAudio
from apexlocal.telephony.hearing import PAUSE_WINDOWS, Hearing, TurnText
from apexlocal.telephony.speech import Ears, Voice
from apexlocal.telephony.vad import RATE, StreamingVad

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger("apexlocal.calls")
STILL_THERE = "Are you still there?"
BYE_SILENCE = "I can't hear anything, so I will hang up now. Goodbye."
BYE_CREDITS = "I'm sorry, this call has to end now. Goodbye."
BYE_TIME = "We have reached the time limit for this call. Goodbye."
PRE_ROLL_S = 0.3  # audio kept from before the detector's start: the first syllable
MAX_TURN_S = 30.0  # a caller talking longer is answered at this point
# A line that sends nothing for this long is heard as silence from then on (a SIP peer's silence
# suppression, a stalled browser). Shorter gaps are not silence: the studio's browser sends 64 ms
# blocks, and packets come late on a busy machine; reading every 20 ms gap as quiet put 40 ms of
# zeros into every 104 ms of the caller's speech.
LINE_QUIET_S = 0.2
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
HISTORY_TURNS = 12


@dataclass(frozen=True)
class AgentPlan:
    system_prompt: str
    greeting: str
    end_call_phrase: str | None
    max_call_seconds: float


@dataclass
class Hooks:
    charge_minute: Callable[[int], bool]  # minute number from 1; False: the balance cannot pay it
    stop_requested: Callable[[], str | None]  # why the call must end now (hung up elsewhere), else None
    on_transcript: Callable[[list[dict[str, Any]]], None] = lambda entries: None


@dataclass
class Brain:
    ears: Ears
    voice: Voice
    vad_session: Any
    writer: Any  # the writer contract's Writer (stream), or the stand-in
    prepared: dict[str, Any] = field(default_factory=dict)  # lines spoken ahead: text -> audio

    def prepare(self, *texts: str) -> None:
        """Speaks fixed lines ahead (the greeting, before the call is answered)."""
        for text in texts:
            self.prepared[text] = self.voice.speak(text)


@dataclass(frozen=True)
class Pressed:
    digit: str


@dataclass(frozen=True)
class Heard:
    """A caller's turn: its audio, what of it is being transcribed, and where its voice ended."""

    audio: Any  # 16 kHz float32
    text: TurnText
    voiced_upto: int  # samples up to the last voiced window


@dataclass
class TurnTiming:
    """Seconds of one turn, from the caller's last voiced window to the agent's first audio queued."""

    vad: float  # the detector's quiet hangover until it calls the turn over
    stt: float
    llm: float  # the writer, until its first sentence
    tts: float  # speaking the first sentence
    total: float


@dataclass
class Conversation:
    audio: CallAudio
    plan: AgentPlan
    brain: Brain
    hooks: Hooks
    minute_seconds: float = 60.0
    silence_seconds: float = 10.0
    hear_while_speaking: bool = True  # speech to text at pauses inside a turn (see telephony/hearing.py)
    transcript: list[dict[str, Any]] = field(default_factory=list)
    timings: list[TurnTiming] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._history: list[Message] = []
        self._turns: queue.Queue[tuple[Any, float, float] | None] = queue.Queue()
        self._interrupt = threading.Event()
        self._busy = threading.Event()  # the responder is working on a turn
        self._agent_ended = threading.Event()
        self._lock = threading.Lock()
        self._current_agent: dict[str, Any] | None = None
        self._prepared: dict[str, Any] = dict(self.brain.prepared)
        self._hearing = Hearing(self.brain.ears, self.hear_while_speaking)

    # The listening thread -----------------------------------------------------------------------

    def run(self) -> str:
        """Talks until the call ends; returns who or what ended it: agent, callee, api, credits,
        silence, max-duration."""
        import numpy as np

        responder = threading.Thread(target=self._respond_loop, name="call-responder", daemon=True)
        responder.start()
        try:
            if not self.hooks.charge_minute(1):
                return "credits"
            charged = 1
            self._say(self.plan.greeting)
            vad = StreamingVad(self.brain.vad_session)
            ring: list[np.ndarray] = []
            utterance: list[np.ndarray] | None = None
            text: TurnText | None = None
            voiced_upto = 0
            spoke_at = last_voice = last_activity = last_packet = self.audio.clock()
            prompted = False
            while True:
                reason = self.hooks.stop_requested()
                if reason or self.audio.closed.is_set():
                    return reason or "callee"
                now = self.audio.clock()
                if now >= charged * self.minute_seconds:
                    if not self.hooks.charge_minute(charged + 1):
                        return self._goodbye(BYE_CREDITS, "credits")
                    charged += 1
                if now >= self.plan.max_call_seconds:
                    return self._goodbye(BYE_TIME, "max-duration")
                if self._agent_ended.is_set() and not self._busy.is_set() and not self.audio.playing:
                    return "agent"
                if self._busy.is_set() or self.audio.playing or vad.speaking:
                    last_activity = now
                elif now - last_activity >= self.silence_seconds:
                    if prompted:
                        return self._goodbye(BYE_SILENCE, "silence")
                    prompted, last_activity = True, now
                    self._say(STILL_THERE)
                frame = self.audio.read(0.02)
                if frame is not None:
                    last_packet = now
                elif now - last_packet < LINE_QUIET_S:
                    continue
                else:
                    frame = np.zeros(int(0.02 * self.audio.rate), np.float32)
                wide = _upsample(frame, self.audio.rate)
                ring = _keep_last([*ring, wide], int(PRE_ROLL_S * RATE))
                windows = vad.feed(wide)
                for turn in windows:
                    if turn.started:
                        log.debug("caller speech at %.2f s", self.audio.clock())
                        prompted = False
                        spoke_at = self.audio.clock() - PRE_ROLL_S
                        self._barge_in()
                        utterance, text, voiced_upto = list(ring), self._hearing.turn(), 0
                if utterance is not None and text is not None:
                    if not turn_started_in(ring, utterance):
                        utterance.append(wide)
                    size = sum(u.size for u in utterance)
                    if vad.last_probability >= vad.off:
                        last_voice, voiced_upto = time.monotonic(), size
                    elif windows and vad.quiet_windows == PAUSE_WINDOWS:
                        text.pause(np.concatenate(utterance))
                    if not vad.speaking or size >= MAX_TURN_S * RATE:
                        log.debug("caller turn of %.2f s", size / RATE)
                        heard = Heard(np.concatenate(utterance), text, voiced_upto)
                        self._turns.put((heard, spoke_at, last_voice))
                        utterance = text = None
        finally:
            self._interrupt.set()
            self._turns.put(None)
            self.audio.stop_playback()
            responder.join(timeout=30)
            self._hearing.close()

    def press(self, digit: str) -> None:
        """A DTMF key (RFC 4733) the caller pressed: it interrupts the agent, and is a turn."""
        self._barge_in()
        now = time.monotonic()
        self._turns.put((Pressed(digit), now, now))

    def _barge_in(self) -> None:
        if not (self._busy.is_set() or self.audio.playing):
            return
        self._interrupt.set()
        stopped = self.audio.stop_playback()
        with self._lock:
            if self._current_agent is not None and self._current_agent["end"] > stopped:
                self._current_agent["end"] = round(stopped, 3)
                self._current_agent["interrupted"] = True
        self._publish()

    def _goodbye(self, text: str, reason: str) -> str:
        self._interrupt.set()
        self.audio.stop_playback()
        self._speak_now(text)
        self.audio.wait_played(20.0)
        return reason

    # The responder thread ---------------------------------------------------------------------------

    def _say(self, text: str) -> None:
        """Queues a fixed line (greeting, prompt) to be spoken by the responder."""
        self._turns.put((text, self.audio.clock(), 0.0))

    def _respond_loop(self) -> None:
        while True:
            item = self._turns.get()
            if item is None:
                return
            self._busy.set()
            self._interrupt.clear()
            try:
                what, spoke_at, last_voice = item
                if isinstance(what, str):
                    self._speak_now(what)
                elif isinstance(what, Pressed):
                    now = self.audio.clock()
                    self._hear(f"[pressed {what.digit}]", f"(The caller pressed the {what.digit} key.)", now, now)
                    self._reply(now, now, now)
                else:
                    self._answer(what, spoke_at, last_voice)
            finally:
                self._busy.clear()

    def _answer(self, speech: Heard, spoke_at: float, last_voice: float) -> None:
        ended = time.monotonic()
        heard = speech.text.finish(speech.audio, speech.voiced_upto)
        log.debug("heard %r", heard)
        transcribed = time.monotonic()
        if not heard:
            return
        now = self.audio.clock()
        self._hear(heard, heard, spoke_at, now - (transcribed - last_voice))
        if self._interrupt.is_set():
            return  # the caller went on talking before the answer: the next turn answers both
        self._reply(last_voice, ended, transcribed)

    def _reply(self, last_voice: float, ended: float, transcribed: float) -> None:
        """The writer's answer to what the caller said since the agent last spoke, sentence by
        sentence (`_hear` put it in the history)."""
        messages = [Message("system", self.plan.system_prompt), *self._history[-HISTORY_TURNS:]]
        said: list[str] = []
        for sentence in self._sentences(messages):
            made = time.monotonic()
            if not self._speak(sentence):
                break
            if len(said) == 0:
                done = time.monotonic()
                self.timings.append(
                    TurnTiming(
                        vad=ended - last_voice,
                        stt=transcribed - ended,
                        llm=made - transcribed,
                        tts=done - made,
                        total=done - last_voice,
                    )
                )
            said.append(sentence)
            if self._interrupt.is_set():
                break
        text = " ".join(said).strip()
        if text:
            self._history.append(Message("assistant", text))
            phrase = (self.plan.end_call_phrase or "").strip().lower()
            if phrase and phrase in text.lower() and not self._interrupt.is_set():
                self._agent_ended.set()

    def _sentences(self, messages: list[Message]) -> Any:
        """The writer's streamed answer, a sentence at a time."""
        pending = ""
        stream = self.brain.writer.stream(messages, max_tokens=120, temperature=0.7, cancelled=self._interrupt.is_set)
        for piece in stream:
            if self._interrupt.is_set():
                return
            pending += piece
            parts = SENTENCE_END.split(pending)
            for sentence in parts[:-1]:
                if sentence.strip():
                    yield sentence.strip()
            pending = parts[-1]
        if pending.strip() and not self._interrupt.is_set():
            yield pending.strip()

    def _speak_now(self, text: str) -> None:
        if self._speak(text) and text in (STILL_THERE, self.plan.greeting):
            self._history.append(Message("assistant", text))

    def _speak(self, text: str) -> bool:
        """Queues `text` spoken on the line; False when the caller interrupted before it was."""
        audio = self._prepared.pop(text, None)
        if audio is None:
            audio = self.brain.voice.speak(text)
        if self._interrupt.is_set() and text not in (BYE_CREDITS, BYE_SILENCE, BYE_TIME):
            return False
        start, end = self.audio.play(audio, self.brain.voice.rate)
        with self._lock:
            last = self._current_agent
            if last is not None and last is self.transcript[-1] and abs(last["end"] - start) < 0.05:
                last["text"] += " " + text  # the next sentence of the same answer
                last["end"] = round(end, 3)
            else:
                self._current_agent = self._entry("agent", text, start, end)
        self._publish()
        return True

    def _hear(self, shown: str, said: str, start: float, end: float) -> None:
        """What the caller said: `shown` in the transcript, `said` in the writer's history. Words
        the agent has not answered yet (the caller paused, then went on before the answer began)
        are joined by these: one turn, answered once."""
        with self._lock:
            last = self.transcript[-1] if self.transcript else None
            if last is not None and last["role"] == "caller":
                last["text"] += " " + shown
                last["end"] = round(end, 3)
            else:
                self._entry("caller", shown, start, end)
        if self._history and self._history[-1].role == "user":
            said = f"{self._history.pop().content} {said}"
        self._history.append(Message("user", said))
        self._publish()

    def _entry(self, role: str, text: str, start: float, end: float) -> dict[str, Any]:
        entry = {"role": role, "text": text, "start": round(max(0.0, start), 3), "end": round(end, 3)}
        self.transcript.append(entry)
        return entry

    def _publish(self) -> None:
        with self._lock:
            entries = [dict(e) for e in self.transcript]
        self.hooks.on_transcript(entries)


def turn_started_in(ring: list[Any], utterance: list[Any]) -> bool:
    """Whether the window that started the turn is the ring's last (already in the utterance)."""
    return bool(utterance) and bool(ring) and utterance[-1] is ring[-1]


def _keep_last(chunks: list[np.ndarray], samples: int) -> list[np.ndarray]:
    total = 0
    for i in range(len(chunks) - 1, -1, -1):
        total += chunks[i].size
        if total >= samples:
            return chunks[i:]
    return chunks


def _upsample(frame: np.ndarray, rate: int) -> np.ndarray:
    """Line audio at 16 kHz for the detector and Whisper (linear: telephone audio has nothing above 4 kHz)."""
    import numpy as np

    if rate == RATE:
        return frame.astype(np.float32)
    n = int(round(frame.size * RATE / rate))
    return np.interp(np.arange(n) * rate / RATE, np.arange(frame.size), frame).astype(np.float32)
