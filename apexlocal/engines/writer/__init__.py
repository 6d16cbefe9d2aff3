"""The writer: chat completions from a language model, for the products that need words (scripts,
ad copy, clip scores, a voice agent's turns) and for `POST /v1/chat/completions`.

`open_writer(ctx)` gives the configured writer: the external OpenAI-compatible endpoint when the
`writer_base_url` setting is set (ctx.writer), else the manifest's writer model for ctx.model_set
(the embedded SmolLM2-135M-Instruct GGUF in the tiny set), loaded warm in ctx.runtime.
`write_json` asks it for an answer under a JSON schema: by constrained decoding on the embedded
model (it always parses and has the required keys), validated (and asked once more) on an endpoint.

Nothing heavy is imported here: torch, transformers and llguidance load with the first local model.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from apexlocal.engines.base import EngineContext
from apexlocal.engines.writer.choice import writer_entry
from apexlocal.engines.writer.endpoint import WriterEndpoint
from apexlocal.engines.writer.external import ExternalWriter
from apexlocal.engines.writer.messages import ChatMessage, Completion, PromptTooLong, TextStream, Writer
from apexlocal.engines.writer.validation import parse_valid
from apexlocal.errors import JobCancelled, JobError

__all__ = [
    "ChatMessage",
    "Completion",
    "PromptTooLong",
    "TextStream",
    "Writer",
    "WriterEndpoint",
    "open_writer",
    "write_json",
]


def open_writer(ctx: EngineContext, model_id: str | None = None) -> Writer:
    """The configured writer (see the module's docs). `model_id` (an id or alias of a manifest
    writer model) picks the embedded model; with an endpoint configured it is sent as the model
    name only when the `writer_model` setting is empty. Raises ModelError when the model is not
    installed and may not be pulled now."""
    if ctx.writer is not None:
        return ExternalWriter(ctx.writer, ctx.writer.model or model_id)
    from apexlocal.engines.writer.local import LocalWriter, load_warm

    entry = writer_entry(ctx.manifest, ctx.model_set, model_id)
    return LocalWriter(entry, load_warm(ctx, entry))


def write_json(
    writer: Writer,
    messages: Sequence[ChatMessage],
    schema: dict[str, Any],
    *,
    max_tokens: int = 1024,
    cancelled: Callable[[], bool] | None = None,
    temperature: float = 0.6,
    seed: int | None = None,
) -> dict[str, Any]:
    """An answer under `schema` (an object schema), parsed; `seed` makes the sampling repeatable.
    The schema is shown to the model in a system message as well: constrained decoding fixes the
    shape, the model still has to know what the keys mean.
    Raises JobCancelled when cancelled, JobError when the answer ran out of tokens."""
    instruction = ChatMessage(
        "system",
        "Answer with one JSON document and nothing else. It must match this JSON schema: "
        + json.dumps(schema, separators=(",", ":")),
    )
    result = writer.complete(
        [instruction, *messages],
        max_tokens=max_tokens,
        temperature=temperature,
        json_schema=schema,
        cancelled=cancelled,
        seed=seed,
    )
    if result.finish_reason == "cancelled":
        raise JobCancelled()
    if result.finish_reason == "length":
        raise JobError(
            f"the writer's answer ran past {max_tokens} tokens before the JSON was complete; "
            "give its strings a maxLength and its arrays a maxItems"
        )
    value = parse_valid(result.text, schema)
    if not isinstance(value, dict):
        raise JobError("write_json takes a schema whose documents are objects")
    return value
