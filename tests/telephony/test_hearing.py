"""Speech to text while the caller speaks: at a pause the turn so far is transcribed in the
background; a turn heard in that one piece is done when it ends, and a turn the caller paused
inside is transcribed whole (Whisper hears fragments of a sentence poorly)."""

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


def test_a_turn_heard_in_one_piece_keeps_it() -> None:
    ears = Ears()
    hearing = Hearing(ears)  # type: ignore[arg-type]
    audio = np.zeros(3 * RATE, np.float32)
    text = hearing.turn()
    text.pause(audio[: 2 * RATE])
    # The turn ended in the quiet after that pause: nothing more is transcribed.
    assert text.finish(audio, voiced_upto=2 * RATE - 100) == f"<{2 * RATE}>"
    assert ears.heard == [2 * RATE]
    hearing.close()


def test_a_turn_the_caller_spoke_on_after_a_pause_is_transcribed_whole() -> None:
    ears = Ears()
    hearing = Hearing(ears)  # type: ignore[arg-type]
    audio = np.zeros(3 * RATE, np.float32)
    text = hearing.turn()
    text.pause(audio[: RATE // 2])  # too short a stretch to send alone
    text.pause(audio[: 2 * RATE])
    assert text.upto == 2 * RATE
    # The caller spoke after the pause: the whole turn again, not the tail alone.
    assert text.finish(audio, voiced_upto=2 * RATE + 100) == f"<{3 * RATE}>"
    assert ears.heard == [2 * RATE, 3 * RATE]
    hearing.close()


def test_one_piece_is_in_flight_at_a_time_and_several_make_the_turn_whole() -> None:
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
    # Heard in two pieces: transcribed whole when it ends.
    assert text.finish(audio, voiced_upto=3 * RATE - RATE // 4) == f"<{4 * RATE}>"
    # (the second piece is dropped when it had not started yet)
    assert ears.heard[0] == RATE and ears.heard[-1] == 4 * RATE and len(ears.heard) <= 3
    hearing.close()


def test_switched_off_the_whole_turn_is_transcribed_once_it_ends() -> None:
    ears = Ears()
    hearing = Hearing(ears, while_speaking=False)  # type: ignore[arg-type]
    audio = np.zeros(3 * RATE, np.float32)
    text = hearing.turn()
    text.pause(audio[: 2 * RATE])
    assert text.finish(audio, voiced_upto=RATE) == f"<{3 * RATE}>" and ears.heard == [3 * RATE]
    hearing.close()
