"""Speech to text while the caller speaks. At each pause inside a turn (`PAUSE_WINDOWS` of quiet,
well short of the detector's end of turn), the turn's audio up to the pause is handed to Whisper in
the call's hearing thread. Every end of turn begins with such a pause, so a turn is usually being
transcribed while the detector is still waiting to call it over.

The pieces are cut in quiet, so no word is split. A turn heard in one piece (the usual turn: its
only pause is the one that ends it) keeps that piece's text. A turn the caller paused inside is
transcribed whole once it ends, as Whisper hears fragments of a sentence poorly: such a turn trades
the head start for the words."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from apexlocal.telephony.speech import Ears
from apexlocal.telephony.vad import RATE

if TYPE_CHECKING:
    import numpy as np

PAUSE_WINDOWS = 6  # 192 ms below the detector's threshold inside a turn
MIN_PIECE_S = 0.8  # a shorter stretch waits for the next pause: Whisper does poorly on scraps


class Hearing:
    """One call's speech to text: a thread of its own, so pieces are transcribed in order and never
    two at once (the responder's tail waits behind a piece in flight instead of racing it)."""

    def __init__(self, ears: Ears, while_speaking: bool = True) -> None:
        self.ears, self.while_speaking = ears, while_speaking
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="call-hearing")

    def turn(self) -> TurnText:
        return TurnText(self)

    def submit(self, samples: np.ndarray) -> Future[str]:
        return self._pool.submit(self.ears.transcribe, samples)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


@dataclass
class TurnText:
    hearing: Hearing
    upto: int = 0  # samples of the turn handed to Whisper so far
    pieces: list[Future[str]] = field(default_factory=list)

    def pause(self, audio: np.ndarray) -> None:
        """The caller paused: transcribe the turn so far in the background (one piece at a time:
        while one is in flight, the next pause takes everything since)."""
        if not self.hearing.while_speaking or audio.size - self.upto < MIN_PIECE_S * RATE:
            return
        if self.pieces and not self.pieces[-1].done():
            return
        self.pieces.append(self.hearing.submit(audio[self.upto :]))
        self.upto = audio.size

    def finish(self, audio: np.ndarray, voiced_upto: int) -> str:
        """The turn's text: its one piece when that piece holds all the caller said
        (`voiced_upto`: samples of the turn up to its last voiced window), else the whole turn
        transcribed at once."""
        if len(self.pieces) == 1 and voiced_upto <= self.upto:
            return self.pieces[0].result().strip()
        for piece in self.pieces:
            piece.cancel()  # a piece in flight finishes first: the pool runs one at a time
        self.pieces = [self.hearing.submit(audio)]
        self.upto = audio.size
        return self.pieces[0].result().strip()
