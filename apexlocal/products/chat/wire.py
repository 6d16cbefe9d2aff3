"""OpenAI's answer shapes: a chat.completion, its chat.completion.chunk events, a model list."""

from __future__ import annotations

from typing import Any

from apexlocal.engines.writer import Completion

FINISH = {"stop": "stop", "length": "length", "cancelled": "stop"}


def usage(result: Completion) -> dict[str, int]:
    total = result.prompt_tokens + result.completion_tokens
    return {"prompt_tokens": result.prompt_tokens, "completion_tokens": result.completion_tokens, "total_tokens": total}


def completion(job_id: str, created: int, model: str, result: Completion) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{job_id}",
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": result.text, "refusal": None},
                "finish_reason": FINISH[result.finish_reason],
                "logprobs": None,
            }
        ],
        "usage": usage(result),
        "system_fingerprint": None,
    }


def chunk(
    job_id: str, created: int, model: str, delta: dict[str, Any], finish_reason: str | None = None
) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{job_id}",
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}],
        "system_fingerprint": None,
    }


def usage_chunk(job_id: str, created: int, model: str, result: Completion) -> dict[str, Any]:
    """The last event when stream_options.include_usage is set: no choices, the usage."""
    return {
        "id": f"chatcmpl-{job_id}",
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [],
        "usage": usage(result),
        "system_fingerprint": None,
    }


def model_list(ids: list[str]) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [{"id": i, "object": "model", "created": 0, "owned_by": "apexlocal"} for i in ids],
    }
