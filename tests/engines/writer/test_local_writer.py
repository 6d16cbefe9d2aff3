"""The embedded writer on the real SmolLM2-135M-Instruct: schema-constrained answers, streaming,
stop strings, cancel, and the prompt's length check."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from apexlocal.engines.writer import ChatMessage, PromptTooLong, write_json
from apexlocal.errors import JobCancelled

AD = {
    "type": "object",
    "properties": {
        "hook": {"type": "string", "maxLength": 30},
        "tone": {"enum": ["calm", "energetic", "happy"]},
        "scenes": {
            "type": "array",
            "minItems": 2,
            "maxItems": 2,
            "items": {
                "type": "object",
                "properties": {
                    "line": {"type": "string", "maxLength": 24},
                    "seconds": {"type": "integer", "minimum": 1, "maximum": 9},
                    "shot": {"enum": ["close-up", "wide"]},
                },
                "required": ["line", "seconds", "shot"],
                "additionalProperties": False,
            },
        },
        "hashtags": {"type": "array", "items": {"type": "string", "maxLength": 12}, "maxItems": 2},
    },
    "required": ["hook", "tone", "scenes", "hashtags"],
    "additionalProperties": False,
}
ASK = [ChatMessage("user", "A TikTok ad for a reusable steel water bottle, energetic.")]


def test_the_tiny_sets_writer_is_the_packaged_smollm2(tiny_writer: Any) -> None:
    assert tiny_writer.model_id == "smollm2-135m-instruct"
    # The chat template that ships inside the GGUF (SmolLM2's default system line), not a stand-in.
    prompt = tiny_writer.loaded.tokenizer.decode(tiny_writer.prompt_ids(ASK, 10))
    assert prompt.startswith("<|im_start|>system\nYou are a helpful AI assistant named SmolLM")
    assert prompt.endswith("<|im_start|>assistant\n")


def test_a_schema_answer_validates_for_a_nested_schema_with_enums_and_arrays(tiny_writer: Any) -> None:
    # Sampled hot (temperature 1.0): unconstrained, this model rarely writes JSON at all.
    result = tiny_writer.complete(ASK, max_tokens=200, temperature=1.0, json_schema=AD, seed=1)
    assert result.finish_reason == "stop", result
    answer = json.loads(result.text)
    jsonschema.validate(answer, AD)
    assert result.completion_tokens > 0 and result.prompt_tokens > 0


def test_a_stream_gives_the_same_text_as_a_complete_answer(tiny_writer: Any) -> None:
    ask = [ChatMessage("user", "Name three colours.")]
    whole = tiny_writer.complete(ask, max_tokens=12, temperature=0)
    stream = tiny_writer.stream(ask, max_tokens=12, temperature=0)
    pieces = list(stream)
    assert len(pieces) > 1
    assert "".join(pieces) == whole.text == stream.result.text
    assert stream.result.completion_tokens == whole.completion_tokens


def test_a_stop_string_ends_the_answer_before_it(tiny_writer: Any) -> None:
    ask = [ChatMessage("user", "Name three colours.")]
    whole = tiny_writer.complete(ask, max_tokens=12, temperature=0)
    stop = whole.text[4:7]  # three characters from inside the greedy answer
    stopped = tiny_writer.complete(ask, max_tokens=12, temperature=0, stop=["never there", stop])
    assert stopped.text == whole.text[: whole.text.find(stop)]
    assert stopped.finish_reason == "stop"


def test_cancel_stops_between_tokens(tiny_writer: Any) -> None:
    seen: list[str] = []
    stream = tiny_writer.stream(
        [ChatMessage("user", "Write a long story about the sea.")],
        max_tokens=200,
        cancelled=lambda: len(seen) >= 3,
    )
    for piece in stream:
        seen.append(piece)  # noqa: PERF402 -- `cancelled` reads `seen` while the stream runs
    assert stream.result.finish_reason == "cancelled"
    assert stream.result.completion_tokens <= 4


def test_write_json_raises_when_cancelled(tiny_writer: Any) -> None:
    with pytest.raises(JobCancelled):
        write_json(tiny_writer, ASK, AD, cancelled=lambda: True)


def test_an_answer_cut_by_max_tokens_says_length(tiny_writer: Any) -> None:
    result = tiny_writer.complete(ASK, max_tokens=3, temperature=0)
    assert (result.finish_reason, result.completion_tokens) == ("length", 3)


def test_messages_longer_than_the_context_are_refused(tiny_writer: Any) -> None:
    with pytest.raises(PromptTooLong, match="8192 tokens"):
        tiny_writer.complete([ChatMessage("user", "word " * 9000)], max_tokens=10)
