"""The external writer: an OpenAI-compatible `/v1/chat/completions` (Ollama, vLLM, llama.cpp's
llama-server, another apexlocal) called with httpx, its answer streamed as server-sent events.

A foreign server may not enforce `response_format`, so a schema answer is checked here: parsed and
validated against the schema, asked for once more with the fault named, then a JobError. The API
key goes in the Authorization header only; errors and logs name the URL, never the key.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import httpx

from apexlocal.engines.writer.endpoint import WriterEndpoint
from apexlocal.engines.writer.messages import ChatMessage, Completion, TextStream, as_dicts, check_messages
from apexlocal.engines.writer.validation import schema_fault
from apexlocal.errors import JobError

SCHEMA_NAME = "answer"


class ExternalWriter:
    def __init__(self, endpoint: WriterEndpoint, model: str | None = None) -> None:
        self.endpoint = endpoint
        self.model_id = model or endpoint.model

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
    ) -> Completion:
        options = {
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stop": stop,
            "cancelled": cancelled,
            "seed": seed,
        }
        result = self._complete_once(messages, json_schema, **options)
        if json_schema is None or result.finish_reason == "cancelled":
            return result
        fault = schema_fault(result.text, json_schema)
        if fault is None:
            return result
        retry = [
            *messages,
            ChatMessage("assistant", result.text),
            ChatMessage("user", f"That answer is not valid ({fault}). Answer again with only JSON that fits it."),
        ]
        result = self._complete_once(retry, json_schema, **options)
        fault = schema_fault(result.text, json_schema)
        if fault is not None and result.finish_reason != "cancelled":
            raise JobError(f"the writer at {self.endpoint.base_url} twice gave an answer outside the schema: {fault}")
        return result

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
    ) -> TextStream:
        """The answer as the server sends it. With a schema, the whole answer is validated when the
        stream ends (a JobError then); there is no second try once pieces were given out."""
        return self._stream(messages, json_schema, True, max_tokens, temperature, stop, cancelled, seed)

    def _stream(
        self,
        messages: Sequence[ChatMessage],
        json_schema: dict[str, Any] | None,
        validate: bool,
        max_tokens: int,
        temperature: float,
        stop: Sequence[str],
        cancelled: Callable[[], bool] | None,
        seed: int | None = None,
    ) -> TextStream:
        check_messages(messages)
        body = self._body(messages, max_tokens, temperature, json_schema, stop, seed)
        text_stream: TextStream

        def pieces() -> Iterator[str]:
            text: list[str] = []
            usage: dict[str, Any] = {}
            reason = "stop"
            for event in self._events(body):
                if cancelled is not None and cancelled():
                    reason = "cancelled"
                    break
                usage = event.get("usage") or usage
                for choice in event.get("choices") or []:
                    piece = (choice.get("delta") or {}).get("content") or ""
                    reason = choice.get("finish_reason") or reason
                    if piece:
                        text.append(piece)
                        yield piece
            answer = "".join(text)
            if validate and json_schema is not None and reason != "cancelled":
                fault = schema_fault(answer, json_schema)
                if fault is not None:
                    raise JobError(f"the writer at {self.endpoint.base_url} gave an answer outside the schema: {fault}")
            text_stream.result = Completion(
                text=answer,
                prompt_tokens=int(usage.get("prompt_tokens") or 0),
                completion_tokens=int(usage.get("completion_tokens") or len(text)),
                finish_reason=reason if reason in ("stop", "length", "cancelled") else "stop",
                model=self.model_id,
            )

        text_stream = TextStream(pieces())
        return text_stream

    def _complete_once(
        self, messages: Sequence[ChatMessage], json_schema: dict[str, Any] | None, **options: Any
    ) -> Completion:
        stream = self._stream(
            messages,
            json_schema,
            False,
            options["max_tokens"],
            options["temperature"],
            options["stop"],
            options["cancelled"],
            options["seed"],
        )
        for _piece in stream:
            pass
        assert stream.result is not None
        return stream.result

    def _body(
        self,
        messages: Sequence[ChatMessage],
        max_tokens: int,
        temperature: float,
        json_schema: dict[str, Any] | None,
        stop: Sequence[str],
        seed: int | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model_id,
            "messages": as_dicts(messages),
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if stop:
            body["stop"] = list(stop)
        if seed is not None:
            body["seed"] = seed  # OpenAI's field; a server that does not sample reproducibly ignores it
        if json_schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": SCHEMA_NAME, "schema": json_schema, "strict": True},
            }
        return body

    def _events(self, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        url = f"{self.endpoint.base_url}/chat/completions"
        headers = {"Authorization": f"Bearer {self.endpoint.api_key}"} if self.endpoint.api_key else {}
        try:
            with (
                httpx.Client(timeout=self.endpoint.timeout_s) as client,
                client.stream("POST", url, json=body, headers=headers) as response,
            ):
                if response.status_code >= 400:
                    response.read()
                    raise JobError(f"the writer at {url} answered {response.status_code}: {_error_text(response)}")
                for line in response.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        return
                    yield _event(data, url)
        except httpx.HTTPError as exc:
            raise JobError(f"the writer at {url} could not be reached ({type(exc).__name__})") from None


def _event(data: str, url: str) -> dict[str, Any]:
    try:
        event = json.loads(data)
    except json.JSONDecodeError:
        raise JobError(f"the writer at {url} sent an event that is not JSON") from None
    if isinstance(event, dict) and event.get("error"):
        raise JobError(f"the writer at {url} failed: {str(event['error'])[:300]}")
    return event if isinstance(event, dict) else {}


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or error)[:300]
    return str(error or body)[:300]
