"""A writer stand-in that answers at once with a fixed sentence: the floor of the turn's latency in
the bench, and the `stand-in` answerer (voice_agent_writer) for trying a trunk without a language
model. It has the writer's `stream` and `complete` shape."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass
class StandInCompletion:
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str = "stop"
    model: str = "stand-in"


class StandInWriter:
    model_id = "stand-in"

    def stream(
        self, messages: Sequence[Any], *, cancelled: Callable[[], bool] | None = None, **_options: Any
    ) -> Iterator[str]:
        heard = next((m.content for m in reversed(messages) if m.role == "user"), "")
        said = heard.strip()[:200].rstrip(".?!") or "nothing"
        yield f"You said: {said}. "
        yield "Thank you for telling me."

    def complete(self, messages: Sequence[Any], **options: Any) -> StandInCompletion:
        return StandInCompletion("".join(self.stream(messages, **options)))
