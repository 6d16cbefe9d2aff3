"""Heard words grouped into sentences: a sentence ends on a word ending in . ! ? (Whisper
punctuates) or before a pause of PAUSE_S or more (speech Whisper left unpunctuated)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Timed = tuple[str, float, float]  # (word, start s, end s)
ENDINGS = (".", "!", "?", "…", "。", "！", "？")
PAUSE_S = 1.2
CLOSERS = "\"')]»”’"


@dataclass(frozen=True)
class Sentence:
    words: tuple[Timed, ...]

    @property
    def start(self) -> float:
        return self.words[0][1]

    @property
    def end(self) -> float:
        return self.words[-1][2]

    @property
    def text(self) -> str:
        return " ".join(w[0] for w in self.words)

    @property
    def closed(self) -> bool:
        """Whether it ends on sentence punctuation (not only a pause)."""
        return ends_sentence(self.words[-1][0])


def ends_sentence(word: str) -> bool:
    return word.rstrip(CLOSERS).endswith(ENDINGS)


def split_sentences(words: Sequence[Timed]) -> list[Sentence]:
    sentences: list[Sentence] = []
    current: list[Timed] = []
    for i, word in enumerate(words):
        current.append(word)
        pause = words[i + 1][1] - word[2] if i + 1 < len(words) else 0.0
        if ends_sentence(word[0]) or pause >= PAUSE_S or i + 1 == len(words):
            sentences.append(Sentence(tuple(current)))
            current = []
    return sentences
