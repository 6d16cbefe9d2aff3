"""The writer's judgement of a candidate clip, combined with its features' score.

When a language model is installed (`engines.writer.open_writer`), it reads the clip's transcript
and the features' findings and answers under SCHEMA (constrained decoding: a score 1-10, a hook,
a title, up to three reasons). The clip's score is the mean of the two scores, and its reasons are
the features' followed by the writer's. Without a writer (none installed, or it fails) the score
is the features' alone and `Verdict.source` says so; the title is then the clip's first words.
The writer gets at most WRITER_BUDGET_S per clip and JOB_WRITER_BUDGET_S per job: one slower than
that (a small model on a busy CPU) is stopped and the clip keeps its features' score, as with a
writer that fails to answer; `Verdict.source` says which clips the writer judged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apexlocal.engines.base import EngineContext
from apexlocal.engines.clip.features import Features
from apexlocal.engines.clip.moments import Window
from apexlocal.errors import JobCancelled, JobError, ModelError

log = logging.getLogger("apexlocal.engines.clip")

TITLE_WORDS = 8
MAX_TRANSCRIPT_CHARS = 1500
WRITER_BUDGET_S = 45.0
JOB_WRITER_BUDGET_S = 300.0  # past this much writer time in one job, the other clips keep their features' score
MAX_TOKENS = 200
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "score": {"type": "integer", "minimum": 1, "maximum": 10},
        "hook": {"type": "string", "maxLength": 80},
        "title": {"type": "string", "maxLength": 60},
        "reasons": {"type": "array", "items": {"type": "string", "maxLength": 80}, "maxItems": 2},
    },
    "required": ["score", "hook", "title", "reasons"],
}
SYSTEM = (
    "You rate moments cut from a longer video as short-form clips (TikTok, Reels, Shorts). "
    "Judge the hook, whether it is a complete thought, and whether people would watch to the end. "
    "Answer in JSON: score 1-10, hook (the opening line that grabs), title (at most 8 words), "
    "reasons (short)."
)


@dataclass(frozen=True)
class Verdict:
    score: float
    title: str
    hook: str
    reasons: list[str]
    source: str  # "features+writer" | "features"
    writer_score: int | None = None


Judge = Callable[[Window, Features], Verdict]


def features_only(window: Window, features: Features) -> Verdict:
    return Verdict(features.score, fallback_title(window), _first_sentence(window), features.reasons, "features")


def open_judge(ctx: EngineContext) -> tuple[Judge, str | None]:
    """A judge using the installed writer, and its model id; the features-only judge and None when
    no writer is installed."""
    try:
        from apexlocal.engines.writer import open_writer
    except ImportError:
        return features_only, None
    try:
        writer = open_writer(ctx)
    except ModelError as exc:
        log.info("clip scores without a writer: %s", exc)
        return features_only, None

    spent = [0.0]

    def judge(window: Window, features: Features) -> Verdict:
        left = JOB_WRITER_BUDGET_S - spent[0]
        if left <= 1.0:
            return features_only(window, features)
        started = time.monotonic()
        try:
            return writer_verdict(writer, window, features, ctx.cancelled, min(WRITER_BUDGET_S, left))
        finally:
            spent[0] += time.monotonic() - started

    return judge, str(getattr(writer, "model_id", "writer"))


def writer_verdict(
    writer: Any, window: Window, features: Features, cancelled: Callable[[], bool], budget_s: float = WRITER_BUDGET_S
) -> Verdict:
    from apexlocal.engines.writer import ChatMessage, write_json

    deadline = time.monotonic() + budget_s

    def stop() -> bool:
        return cancelled() or time.monotonic() > deadline

    transcript = window.text[:MAX_TRANSCRIPT_CHARS] or "(nothing is said; the clip is chosen by its scenes)"
    found = "\n".join(f"- {r}" for r in features.reasons) or "- (none)"
    user = f"Clip of {window.duration:.0f} s.\nTranscript:\n{transcript}\n\nMeasured:\n{found}"
    try:
        messages = [ChatMessage("system", SYSTEM), ChatMessage("user", user)]
        answer = write_json(writer, messages, SCHEMA, max_tokens=MAX_TOKENS, cancelled=stop)
    except JobCancelled:
        if cancelled():
            raise
        log.warning("the writer took more than %.0f s over a clip; its features' score stands", budget_s)
        return features_only(window, features)
    except ModelError:
        raise
    except JobError as exc:  # an external writer that would not answer in the schema
        log.warning("the writer did not judge a clip: %s", exc)
        return features_only(window, features)
    writer_score = min(10, max(1, int(answer.get("score") or 1)))
    title = _text(answer.get("title"), 60) or fallback_title(window)
    hook = _text(answer.get("hook"), 80) or _first_sentence(window)
    said = [r for r in (_text(x, 80) for x in answer.get("reasons") or []) if r]
    return Verdict(
        round((features.score + writer_score) / 2, 1),
        title,
        hook,
        features.reasons + [f"Writer: {r}" for r in said[:2]],
        "features+writer",
        writer_score,
    )


def fallback_title(window: Window) -> str:
    words = window.text.split()
    if not words:
        return f"Scenes at {_clock(window.start)}"
    title = " ".join(words[:TITLE_WORDS]).rstrip(".,;:!?")
    return title + ("…" if len(words) > TITLE_WORDS else "")


def _first_sentence(window: Window) -> str:
    return window.sentences[0].text[:120] if window.sentences else ""


def _text(value: object, limit: int) -> str:
    return " ".join(str(value).split())[:limit] if isinstance(value, str) else ""


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
