"""A writer of the engines.writer protocol that answers with a fixed document: the commercial's
engine tests run without a language model (the end-to-end test runs the real tiny one)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from apexlocal.engines.writer import ChatMessage, Completion


class FakeWriter:
    model_id = "fake-writer"

    def __init__(self, answer: dict[str, Any]) -> None:
        self.answer = answer
        self.calls: list[tuple[list[ChatMessage], dict[str, Any] | None]] = []

    def complete(self, messages: Sequence[ChatMessage], **options: Any) -> Completion:
        self.calls.append((list(messages), options.get("json_schema")))
        text = json.dumps(self.answer)
        return Completion(text, 100, 50, "stop", self.model_id)

    def stream(self, messages: Sequence[ChatMessage], **options: Any) -> Iterator[str]:
        yield self.complete(messages, **options).text


def part(voiceover: str, on_screen: str = "") -> dict[str, str]:
    return {"voiceover": voiceover, "onScreenText": on_screen}


BOTTLE = {
    "hook": part("Thirsty for something better?", "Stay cold all day"),
    "scenes": [
        part("This steel bottle keeps drinks icy for a whole day.", "Ice cold 24 hours"),
        part("No plastic, no waste, just refill and go.", "Zero plastic"),
    ],
    "callToAction": part("Grab yours today.", "Shop now"),
}
