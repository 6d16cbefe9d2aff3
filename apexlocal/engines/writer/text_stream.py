"""Token ids to text pieces as they come: incremental detokenizing (a piece is given out only once
its bytes form whole characters) and stop strings (text is held back while it might be the start of
one, and the answer ends before it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class Detokenizer:
    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self.ids: list[int] = []
        self.text = ""

    def push(self, token: int) -> str:
        """The new text that `token` completes ("" while a character is still partial)."""
        self.ids.append(token)
        text = self.tokenizer.decode(self.ids, skip_special_tokens=True)
        if text.endswith("\ufffd") or not text.startswith(self.text):
            return ""
        piece, self.text = text[len(self.text) :], text
        return str(piece)


class StopFilter:
    """Passes text through until one of `stops` appears; then `stopped` is set and nothing more passes."""

    def __init__(self, stops: Sequence[str]) -> None:
        self.stops = [s for s in stops if s]
        self.text = ""  # everything seen
        self.sent = 0  # how much of it was given out
        self.stopped = False

    def push(self, piece: str) -> str:
        if self.stopped:
            return ""
        self.text += piece
        if not self.stops:
            return self._release(len(self.text))
        longest = max(len(s) for s in self.stops)
        window_start = max(0, self.sent - longest)
        hits = [i for i in (self.text.find(s, window_start) for s in self.stops) if i >= 0]
        if hits:
            self.stopped = True
            return self._release(min(hits))
        return self._release(len(self.text) - self._held(longest))

    def flush(self) -> str:
        return "" if self.stopped else self._release(len(self.text))

    def _held(self, longest: int) -> int:
        """How many characters at the end might begin a stop string."""
        for size in range(min(longest - 1, len(self.text) - self.sent), 0, -1):
            tail = self.text[-size:]
            if any(s.startswith(tail) for s in self.stops):
                return size
        return 0

    def _release(self, end: int) -> str:
        end = max(end, self.sent)
        piece, self.sent = self.text[self.sent : end], end
        return piece
