"""Validating a voice job's text and options, and splitting long text into model-sized chunks.

Chunks end at sentence boundaries where possible: a model that sees whole sentences gets the
intonation right, and a join between sentences falls in a natural pause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from apexlocal.errors import JobError

MAX_TEXT_CHARS = 10_000
MIN_SPEED, MAX_SPEED = 0.5, 2.0

# A sentence ends at . ! ? (and their CJK forms) followed by space or the end; closing quotes
# and brackets stay with their sentence.
_SENTENCE = re.compile(r""".+?(?:[.!?…]+["'”’)\]]*(?=\s|$)|[。！？]+|$)""")
_CLAUSE_END = re.compile(r"(?<=[,;:，、；：])\s+")


@dataclass(frozen=True)
class VoiceRequest:
    """A validated voice job; `language` is normalised (lower case, `_` as `-`)."""

    text: str
    voice_id: str | None
    speed: float
    language: str | None
    model_name: str


def parse_request(spec: dict[str, Any], default_model: str) -> VoiceRequest:
    """Check a job spec (the API's camelCase keys); raises JobError naming the field."""
    text = spec.get("text")
    if not isinstance(text, str) or not text.strip():
        raise JobError("text: must be a non-empty string")
    if len(text) > MAX_TEXT_CHARS:
        raise JobError(f"text: must be at most {MAX_TEXT_CHARS} characters, got {len(text)}")
    speed = spec.get("speed", 1.0)
    if isinstance(speed, bool) or not isinstance(speed, (int, float)) or not MIN_SPEED <= speed <= MAX_SPEED:
        raise JobError(f"speed: must be a number from {MIN_SPEED} to {MAX_SPEED}")
    voice = spec.get("voiceId")
    if voice is not None and (not isinstance(voice, str) or not voice.strip()):
        raise JobError("voiceId: must be a non-empty string")
    language = spec.get("language")
    if language is not None and (not isinstance(language, str) or not language.strip()):
        raise JobError("language: must be a language code such as en or en-us")
    return VoiceRequest(
        text=text.strip(),
        voice_id=voice.strip() if voice else None,
        speed=float(speed),
        language=normalise_language(language) if language else None,
        model_name=str(spec.get("model") or default_model),
    )


def normalise_language(code: str) -> str:
    return code.strip().lower().replace("_", "-")


def pick_language(requested: str | None, supported: list[str], default: str) -> str:
    """The supported code for `requested` ("en" matches "en-us" when only that is spoken)."""
    if requested is None:
        return default
    if requested in supported:
        return requested
    base = requested.split("-", 1)[0]
    for code in supported:
        if code.split("-", 1)[0] == base and (requested == base or code == base):
            return code
    raise JobError(f"language: {requested!r} is not spoken by this model; it speaks {', '.join(supported)}")


def split_sentences(text: str) -> list[str]:
    text = re.sub(r"\s+", " ", text).strip()
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def chunk_text(text: str, max_chars: int, first_max: int | None = None) -> list[str]:
    """Whole sentences packed into chunks of at most `max_chars` (`first_max` for the first one,
    so a stream's first audio comes sooner); a longer sentence is cut at clause marks, then at
    spaces, so no chunk overflows the model's input."""
    first_max = min(first_max or max_chars, max_chars)
    pieces: list[str] = []
    for sentence in split_sentences(text):
        pieces += _split_long(sentence, first_max if not pieces else max_chars)
    chunks: list[str] = []
    for piece in pieces:
        limit = first_max if len(chunks) == 1 else max_chars
        if chunks and len(chunks[-1]) + 1 + len(piece) <= limit:
            chunks[-1] = f"{chunks[-1]} {piece}"
        else:
            chunks.append(piece)
    return chunks


def _split_long(sentence: str, max_chars: int) -> list[str]:
    if len(sentence) <= max_chars:
        return [sentence]
    out: list[str] = []
    for clause in _CLAUSE_END.split(sentence):
        while len(clause) > max_chars:
            cut = clause.rfind(" ", 0, max_chars)
            cut = cut if cut > 0 else max_chars
            out.append(clause[:cut].strip())
            clause = clause[cut:].strip()
        if clause:
            out.append(clause)
    return out
