"""The conversation loop with the real Silero detector and stand-ins for the models around it: the
caller's audio reaches speech to text as it was sent, whatever block size the line carries it in,
and a caller who pauses inside a question and goes on before the agent answers is answered once,
for the whole question."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from apexlocal.telephony.audio import CallAudio
from apexlocal.telephony.conversation import AgentPlan, Brain, Conversation, Hooks
from apexlocal.telephony.vad import RATE, load_silero
from tests.speech import fixed_voice

GREETING = "Hello."


@pytest.fixture(scope="module")
def speak() -> Any:
    """Piper's voice at 16 kHz, as the detector hears it."""
    from apexlocal.engines.speech_to_text.whisper import resample

    voice = fixed_voice()
    return lambda text: resample(voice.synthesize(text, 1.0), voice.sample_rate, RATE).astype(np.float32)


class Ears:
    """Speech to text that hands back the next line of `lines` and keeps the audio it was given.
    `slow`: the first transcription lasts until the caller has started talking again."""

    def __init__(self, lines: list[str], slow: bool = False) -> None:
        self.lines, self.slow = lines, slow
        self.heard: list[np.ndarray] = []
        self.interrupted = threading.Event()  # the conversation's, once it is made

    def transcribe(self, samples: np.ndarray) -> str:
        self.heard.append(samples)
        if self.slow and len(self.heard) == 1:
            assert self.interrupted.wait(10), "the caller's second part did not interrupt the turn"
        return self.lines[len(self.heard) - 1]


class Voice:
    rate = RATE

    def speak(self, text: str) -> np.ndarray:
        return np.zeros(RATE // 5, np.float32)


class Writer:
    def __init__(self) -> None:
        self.asked: list[list[Any]] = []

    def stream(self, messages: list[Any], **_: Any) -> Iterator[str]:
        self.asked.append(list(messages))
        yield "Yes, we do."


def _call(ears: Ears, feed: Any) -> tuple[Conversation, Writer]:
    """Runs a conversation while `feed(line)` plays the caller; it ends when `feed` returns and
    every turn it started has been answered or dropped."""
    line, writer = CallAudio(RATE), Writer()
    brain = Brain(ears, Voice(), load_silero(), writer)  # type: ignore[arg-type]
    done = threading.Event()
    hooks = Hooks(lambda minute: True, lambda: "api" if done.is_set() else None)
    plan = AgentPlan("You answer calls.", GREETING, None, 60)
    convo = Conversation(line, plan, brain, hooks, hear_while_speaking=False)
    ears.interrupted = convo._interrupt

    def pacer() -> None:
        while not done.is_set():
            line.next_frame(320)
            time.sleep(0.02)

    def caller() -> None:
        feed(line)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (convo._busy.is_set() or not convo._turns.empty() or line.playing):
            time.sleep(0.05)
        done.set()

    threads = [threading.Thread(target=f, daemon=True) for f in (pacer, caller)]
    for thread in threads:
        thread.start()
    convo.run()
    done.set()
    return convo, writer


def _send(line: CallAudio, audio: np.ndarray, block: int) -> None:
    """`audio` in blocks of `block` samples, each when it has been recorded (real time)."""
    start = time.monotonic()
    for i in range(0, audio.size, block):
        line.feed(audio[i : i + block])
        time.sleep(max(0.0, start + (i + block) / RATE - time.monotonic()))


def test_a_browsers_64_ms_blocks_reach_speech_to_text_without_gaps(speak) -> None:
    question = speak("Do you have any bread left today?")
    quiet = np.zeros(RATE // 2, np.float32)
    ears = Ears(["Do you have any bread left today?"])
    convo, _ = _call(ears, lambda line: _send(line, np.concatenate([quiet, question, quiet, quiet]), 1024))
    assert len(ears.heard) == 1, convo.transcript
    heard = ears.heard[0]
    # The turn is the question with some quiet either side; a line that read the gaps between
    # blocks as silence stretched it with runs of zeros (40 ms of every 104).
    voiced = np.flatnonzero(np.abs(heard) > 1e-4)
    inside = heard[voiced[0] : voiced[-1]]
    assert np.count_nonzero(inside == 0) < 0.01 * inside.size, np.count_nonzero(inside == 0) / inside.size
    assert question.size <= heard.size <= question.size + RATE, (heard.size, question.size)


def test_a_caller_who_pauses_and_goes_on_before_the_answer_is_answered_once_for_all_of_it(speak) -> None:
    first, second = speak("Do you have any bread"), speak("left today?")
    pause = np.zeros(RATE, np.float32)  # longer than the detector's end of turn (600 ms)
    ears = Ears(["Do you have any bread", "left today?"], slow=True)
    audio = np.concatenate([pause, first, pause, second, pause])
    convo, writer = _call(ears, lambda line: _send(line, audio, 320))
    callers = [e for e in convo.transcript if e["role"] == "caller"]
    agents = [e for e in convo.transcript if e["role"] == "agent" and e["text"] != GREETING]
    assert [e["text"] for e in callers] == ["Do you have any bread left today?"], convo.transcript
    assert len(agents) == 1 and len(writer.asked) == 1, convo.transcript
    assert writer.asked[0][-1].content == "Do you have any bread left today?"
    assert [m.role for m in writer.asked[0]] == ["system", "assistant", "user"]
