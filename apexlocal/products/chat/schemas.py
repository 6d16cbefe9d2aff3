"""Wire schemas of OpenAI's `POST /v1/chat/completions` (OpenAI's snake_case names kept)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

from apexlocal.api.schemas import NO_CONTROL_CHARS

MAX_MESSAGES = 256
MAX_CONTENT = 200_000  # characters of one message; the model's context is the real limit
MAX_TOKENS = 32_768
Text = Annotated[str, Meta(max_length=MAX_CONTENT), NO_CONTROL_CHARS]


class TextPart(Struct, forbid_unknown_fields=True):
    """One part of a message's content; only text parts (images and audio are not read)."""

    type: Literal["text"]
    text: Text


class Message(Struct, forbid_unknown_fields=True):
    role: Annotated[
        Literal["system", "developer", "user", "assistant"],
        Meta(description="developer is read as system"),
    ]
    content: Text | Annotated[list[TextPart], Meta(min_length=1, max_length=64)]
    name: Annotated[str, Meta(max_length=64)] | None = None  # accepted and not used

    def text(self) -> str:
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text for part in self.content)


class JsonSchemaSpec(Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    schema: dict[str, Any] | None = None  # absent: any JSON object
    description: Annotated[str, Meta(max_length=1000)] | None = None
    strict: bool | None = None  # answers always follow the schema here, strict or not


class TextFormat(Struct, tag="text", tag_field="type", forbid_unknown_fields=True):
    pass


class JsonObjectFormat(Struct, tag="json_object", tag_field="type", forbid_unknown_fields=True):
    pass


class JsonSchemaFormat(Struct, tag="json_schema", tag_field="type", forbid_unknown_fields=True):
    json_schema: JsonSchemaSpec


class StreamOptions(Struct, forbid_unknown_fields=True):
    include_usage: bool = False


class ChatRequest(Struct, forbid_unknown_fields=True):
    """OpenAI's chat completion request, the fields this server reads or accepts."""

    model: Annotated[
        str, Meta(min_length=1, max_length=100, description="A writer model's id or alias (GET /v1/models)")
    ]
    messages: Annotated[list[Message], Meta(min_length=1, max_length=MAX_MESSAGES)]
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: Annotated[int, Meta(ge=1, le=MAX_TOKENS)] | None = None
    max_completion_tokens: Annotated[int, Meta(ge=1, le=MAX_TOKENS)] | None = None
    temperature: Annotated[float, Meta(ge=0, le=2)] | None = None
    top_p: Annotated[float, Meta(ge=0, le=1)] | None = None  # accepted; sampling keeps 95% of the mass
    stop: Annotated[str, Meta(min_length=1, max_length=100)] | Annotated[list[str], Meta(max_length=4)] | None = None
    response_format: TextFormat | JsonObjectFormat | JsonSchemaFormat | None = None
    seed: Annotated[int, Meta(ge=-(2**63), le=2**63 - 1)] | None = None  # sampling's random state
    n: Annotated[int, Meta(ge=1, le=1, description="Only 1")] | None = None
    user: Annotated[str, Meta(max_length=256)] | None = None  # accepted and not used
    presence_penalty: Annotated[float, Meta(ge=-2, le=2)] | None = None  # accepted and not used
    frequency_penalty: Annotated[float, Meta(ge=-2, le=2)] | None = None  # accepted and not used

    def stops(self) -> tuple[str, ...]:
        if self.stop is None:
            return ()
        return (self.stop,) if isinstance(self.stop, str) else tuple(s for s in self.stop if s)
