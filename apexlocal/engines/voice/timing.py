"""Word timings from a voice model's own phoneme durations (Piper's alignments, Kokoro's `pred_dur`).

Both models decide how long each phoneme lasts before they make a sample, so the durations are
where the words are in their audio, not an estimate. The phoneme string has spaces between
words, but a phonemiser merges and splits words ("of the" is spoken as one phoneme word, "1990"
as two), so the text's words are paired with the phoneme words by their own phonemes (each word
phonemised alone) with `speech_to_text.align`; a word left unpaired shares the time between its
paired neighbours by length.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence

from apexlocal.engines.speech_to_text.align import Timed, align

Phone = tuple[str, float]  # (phoneme symbol, seconds it lasts)
STRESS_MARKS = "ˈˌ"


def phoneme_words(phones: Sequence[Phone]) -> list[Timed]:
    """The runs of phonemes between spaces, with their times from the start of the audio. A
    word runs from the middle of the space before it to the middle of the space after it (the
    space is the glide between two words); a pause (punctuation, the start and end marks)
    belongs to no word."""
    words: list[Timed] = []
    current: list[str] = []
    start = end = 0.0
    t = 0.0
    open_from: float | None = None  # where a word begun now would start
    for symbol, seconds in phones:
        if symbol == " ":
            if current:
                words.append(("".join(current), start, t + seconds / 2))
                current = []
            open_from = t + seconds / 2
        elif not _is_phoneme(symbol):
            if current:
                words.append(("".join(current), start, end))
                current = []
            open_from = None
        else:
            if not current:
                start = t if open_from is None else open_from
            current.append(symbol)
            end = t + seconds
        t += seconds
    if current:
        words.append(("".join(current), start, end))
    return words


def _is_phoneme(symbol: str) -> bool:
    """Pauses are punctuation and symbols (Piper's "^" and "$" start and end marks among them);
    letters, modifier letters (stress, length) and combining marks are sounds."""
    return any(unicodedata.category(ch)[0] not in "PSZC" for ch in symbol)


def phoneme_key(phonemes: str) -> str:
    """Phonemes compared without stress marks, spaces or punctuation: a word phonemised alone is
    stressed where the same word in a sentence may not be."""
    return "".join(ch for ch in phonemes if ch.isalpha() and ch not in STRESS_MARKS)


def time_text(text: str, phones: Sequence[Phone], phonemize: Callable[[str], str]) -> list[Timed] | None:
    """Each whitespace-separated word of `text` with its (start, end) in the audio `phones`
    describe; None where the phonemes hold no word."""
    spoken = phoneme_words(phones)
    words = text.split()
    if not spoken or not words:
        return None
    bounds = [(spoken[0][1], spoken[-1][2])] * len(words)
    return align(words, spoken, bounds, key=lambda word: phoneme_key(phonemize(word)), heard_key=phoneme_key)


def shifted(words: Sequence[Timed], offset: float, scale: float = 1.0) -> list[Timed]:
    """Word times moved to where their audio starts (`offset` s) after stretching it by `scale`."""
    return [(w, round(offset + a * scale, 3), round(offset + b * scale, 3)) for w, a, b in words]
