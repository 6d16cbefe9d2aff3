"""Speech to text while the caller speaks: at a pause the turn so far is transcribed in the
background, and the end of the turn leaves only the tail (or nothing) to transcribe."""

from __future__ import annotations

import threading

import numpy as np

from apexlocal.telephony.hearing import Hearing
from apexlocal.telephony.vad import RATE


class Ears:
    """Whisper's stand-in: says how many samples it was given; `gate` holds a piece in flight."""

    def __init__(self) -> None:
        self.heard: list[int] = []
        self.gate = threading.Event()
        self.gate.set()

    def transcribe(self, samples: np.ndarray) -> str:
        self.gate.wait(10)
        self.heard.append(samples.size)
        return f"<{samples.size}>"


def test_a_pause_transcribes_the_turn_so_far_and_the_end_only_the_tail() -> None:
    ears = Ears()
    hearing = Hearing(ears)  # type: ignore[arg-type]
    audio = np.zeros(3 * RATE, np.float32)
    text = hearing.turn()
    text.pause(audio[: RATE // 2])  # too short a stretch to send alone
    text.pause(audio[: 2 * RATE])
    assert text.upto == 2 * RATE
    # The caller spoke after the pause: only what came after it is left.
    assert text.finish(audio, voiced_upto=2 * RATE + 100) == f"<{2 * RATE}> <{RATE}>"
    assert ears.heard == [2 * RATE, RATE]
    hearing.close()


def test_a_quiet_tail_is_not_transcribed_and_one_piece_is_in_flight_at_a_time() -> None:
    ears = Ears()
    hearing = Hearing(ears)  # type: ignore[arg-type]
    audio = np.zeros(4 * RATE, np.float32)
    ears.gate.clear()
    text = hearing.turn()
    text.pause(audio[:RATE])
    text.pause(audio[: 2 * RATE])  # the first piece is still being transcribed: this pause waits
    assert text.upto == RATE
    ears.gate.set()
    text.pieces[-1].result()
    text.pause(audio[: 3 * RATE])  # the next pause takes everything since
    # The turn ended in the quiet after that pause: nothing is left to transcribe.
    assert text.finish(audio, voiced_upto=3 * RATE - RATE // 4) == f"<{RATE}> <{2 * RATE}>"
    assert ears.heard == [RATE, 2 * RATE]
    hearing.close()


def test_switched_off_the_whole_turn_is_transcribed_once_it_ends() -> None:
    ears = Ears()
    hearing = Hearing(ears, while_speaking=False)  # type: ignore[arg-type]
    audio = np.zeros(3 * RATE, np.float32)
    text = hearing.turn()
    text.pause(audio[: 2 * RATE])
    assert text.finish(audio, voiced_upto=RATE) == f"<{3 * RATE}>" and ears.heard == [3 * RATE]
    hearing.close()
