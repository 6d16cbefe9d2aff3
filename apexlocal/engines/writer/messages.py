"""What a writer takes and gives back: chat messages in, a completion (or a stream of text) out."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from apexlocal.errors import JobError

ROLES = ("system", "user", "assistant")
FINISH_REASONS = ("stop", "length", "cancelled")


@dataclass(frozen=True)
class ChatMessage:
    role: str  # "system" | "user" | "assistant"
    content: str


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str  # "stop" | "length" | "cancelled"
    model: str  # the model id that answered


class TextStream(Iterator[str]):
    """Pieces of an answer as they are written; `result` is the whole completion once the stream
    has ended (None before)."""

    def __init__(self, pieces: Iterator[str]) -> None:
        self._pieces = pieces
        self.result: Completion | None = None

    def __iter__(self) -> TextStream:
        return self

    def __next__(self) -> str:
        return next(self._pieces)

    def close(self) -> None:
        """Stops the writing early (the reader went away)."""
        close = getattr(self._pieces, "close", None)
        if close is not None:
            close()


class Writer(Protocol):
    model_id: str

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 512,
        temperature: float = 0.7,
        json_schema: dict[str, Any] | None = None,
        stop: Sequence[str] = (),
        cancelled: Callable[[], bool] | None = None,
        seed: int | None = None,
    ) -> Completion: ...

    def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 512,
        temperature: float = 0.7,
        json_schema: dict[str, Any] | None = None,
        stop: Sequence[str] = (),
        cancelled: Callable[[], bool] | None = None,
        seed: int | None = None,
    ) -> Iterator[str]: ...


class PromptTooLong(JobError):
    """The messages do not fit the model's context with room left to answer."""


def check_messages(messages: Sequence[ChatMessage]) -> None:
    if not messages:
        raise JobError("the writer needs at least one message")
    for message in messages:
        if message.role not in ROLES:
            raise JobError(f"message role must be one of {', '.join(ROLES)}, not {message.role!r}")


def as_dicts(messages: Sequence[ChatMessage]) -> list[dict[str, str]]:
    return [{"role": m.role, "content": m.content} for m in messages]
