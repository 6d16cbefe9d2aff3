"""The features' score and reasons, and the writer's judgement combined with them (a fake writer
that answers under the schema, one that fails, none installed)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from apexlocal.engines.clip import judge
from apexlocal.engines.clip.features import measure
from apexlocal.engines.clip.moments import Window, speech_windows
from apexlocal.engines.clip.signals import BLOCK_S, Signals
from apexlocal.errors import JobCancelled, JobError

QUESTION = "Have you ever seen a shark? It was terrible and amazing at once."
FLAT = "the thing is in the box and the box is on the floor."


def timed(text: str, start: float = 0.2, step: float = 0.38) -> list[tuple[str, float, float]]:
    return [(w, start + i * step, start + i * step + 0.3) for i, w in enumerate(text.split())]


def signals(words: list[tuple[str, float, float]], loud_db: float = -20.0, face: bool = True) -> Signals:
    duration = words[-1][2] + 0.5
    loudness = np.full(int(duration / BLOCK_S) + 1, -26.0, np.float32)
    loudness[:] = loud_db
    faces = [(t, (0.5, 0.5, 0.2) if face else None) for t in np.arange(0, duration, 1.0)]
    return Signals(duration, 320, 180, 8.0, "en", words, loudness, [], faces)


def window(words: list[tuple[str, float, float]], sig: Signals) -> Window:
    return max(speech_windows(words, [], 1.0, 60.0, sig.duration), key=lambda w: w.duration)


def test_a_hooky_complete_lively_clip_scores_above_a_flat_one() -> None:
    good_words, flat_words = timed(QUESTION), timed(FLAT, step=0.9)
    good_sig, flat_sig = signals(good_words), signals(flat_words, face=False)
    good = measure(window(good_words, good_sig), good_sig, -26.0)
    flat = measure(window(flat_words, flat_sig), flat_sig, -26.0)
    assert 1 <= flat.score < good.score <= 10
    text = " | ".join(good.reasons)
    assert "Hook: opens with a question" in text and "complete thought" in text
    assert "“terrible”" in text and "“amazing”" in text and "face on screen" in text
    assert "High energy" in text
    assert any("Slow pace" in r for r in flat.reasons) and any("No face" in r for r in flat.reasons)


class FakeWriter:
    model_id = "fake-writer"

    def __init__(self, answer: dict[str, Any] | Exception) -> None:
        self.answer, self.seen = answer, []

    def complete(self, messages: Sequence[Any], **kw: Any) -> Any:
        from apexlocal.engines.writer import Completion

        self.seen.append((messages, kw))
        if isinstance(self.answer, Exception):
            raise self.answer
        import json

        return Completion(json.dumps(self.answer), 10, 10, "stop", self.model_id)


def test_the_writer_is_averaged_in_and_its_reasons_added() -> None:
    words = timed(QUESTION)
    sig = signals(words)
    w = window(words, sig)
    features = measure(w, sig, -26.0)
    writer = FakeWriter({"score": 2, "hook": "A shark!", "title": "Shark  story", "reasons": ["Too short"]})
    verdict = judge.writer_verdict(writer, w, features, lambda: False)
    assert verdict.score == round((features.score + 2) / 2, 1)
    assert verdict.title == "Shark story" and verdict.hook == "A shark!" and verdict.source == "features+writer"
    assert verdict.reasons == [*features.reasons, "Writer: Too short"]
    messages, kw = writer.seen[0]
    assert kw["json_schema"] == judge.SCHEMA and QUESTION in messages[-1].content


def test_a_writer_that_fails_to_answer_leaves_the_features_score() -> None:
    words = timed(QUESTION)
    sig = signals(words)
    w = window(words, sig)
    features = measure(w, sig, -26.0)
    verdict = judge.writer_verdict(FakeWriter(JobError("no JSON")), w, features, lambda: False)
    assert verdict.score == features.score and verdict.source == "features"
    assert verdict.title == "Have you ever seen a shark? It was…"


class SlowWriter(FakeWriter):
    def complete(self, messages: Sequence[Any], **kw: Any) -> Any:
        from apexlocal.engines.writer import Completion

        while not kw["cancelled"]():
            time.sleep(0.01)
        return Completion("", 10, 3, "cancelled", self.model_id)


def test_a_writer_past_its_time_is_stopped_and_the_features_score_stands() -> None:
    words = timed(QUESTION)
    sig = signals(words)
    w = window(words, sig)
    features = measure(w, sig, -26.0)
    verdict = judge.writer_verdict(SlowWriter({}), w, features, lambda: False, budget_s=0.1)
    assert verdict.score == features.score and verdict.source == "features"
    with pytest.raises(JobCancelled):  # a cancel of the job itself still ends it
        judge.writer_verdict(SlowWriter({}), w, features, lambda: True, budget_s=10)


def test_without_a_writer_installed_the_score_is_the_features(monkeypatch: pytest.MonkeyPatch) -> None:
    import apexlocal.engines.writer as writer_module
    from apexlocal.errors import ModelError

    def none_installed(ctx: Any, model_id: str | None = None) -> Any:
        raise ModelError("no writer model is installed")

    monkeypatch.setattr(writer_module, "open_writer", none_installed)
    judged, model = judge.open_judge(object())  # type: ignore[arg-type]
    assert judged is judge.features_only and model is None
