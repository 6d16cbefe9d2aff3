"""The external writer against a stand-in OpenAI-compatible server on loopback: the request it
sends (streamed, the schema as response_format, the key as a bearer token), an answer outside the
schema asked for once more and then refused, cancel between events, and errors that name the URL
and never the key. No model runs here."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from apexlocal.engines.writer import ChatMessage, WriterEndpoint, open_writer, write_json
from apexlocal.errors import JobError

KEY = "sk-secret-key-123"
SCHEMA = {"type": "object", "properties": {"mood": {"enum": ["calm", "happy"]}}, "required": ["mood"]}
ASK = [ChatMessage("user", "How do you feel?")]


class Fake:
    """What the stand-in answers (one list of pieces per request, in turn) and what it was sent."""

    def __init__(self) -> None:
        self.answers: list[list[str]] = []
        self.status = 200
        self.requests: list[dict[str, Any]] = []
        self.auth: list[str | None] = []


@pytest.fixture
def fake() -> Iterator[tuple[Fake, str]]:
    state = Fake()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.requests.append(body)
            state.auth.append(self.headers.get("Authorization"))
            if state.status != 200:
                payload = json.dumps({"error": {"message": "model not found"}}).encode()
                self.send_response(state.status)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            pieces = state.answers.pop(0)
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for piece in pieces:
                event = {"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
            end = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
            usage = {"choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": len(pieces)}}
            self.wfile.write(f"data: {json.dumps(end)}\n\ndata: {json.dumps(usage)}\n\ndata: [DONE]\n\n".encode())

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()


def writer_for(writer_ctx: Any, url: str) -> Any:
    return open_writer(writer_ctx(WriterEndpoint(url, "their-model", KEY)), "smollm2")


def test_a_completion_is_streamed_from_the_endpoint_with_the_key_and_usage(fake: Any, writer_ctx: Any) -> None:
    state, url = fake
    state.answers = [["Fine", ", thanks", "."]]
    writer = writer_for(writer_ctx, url)
    stream = writer.stream(ASK, max_tokens=20, temperature=0.2, stop=["!"])
    assert list(stream) == ["Fine", ", thanks", "."]
    result = stream.result
    assert (result.text, result.prompt_tokens, result.completion_tokens) == ("Fine, thanks.", 7, 3)
    assert (result.finish_reason, result.model) == ("stop", "their-model")
    sent = state.requests[0]
    assert sent["model"] == "their-model" and sent["stream"] is True and sent["stop"] == ["!"]
    assert sent["messages"] == [{"role": "user", "content": "How do you feel?"}]
    assert state.auth == [f"Bearer {KEY}"]


def test_a_schema_answer_is_asked_for_once_more_then_refused(fake: Any, writer_ctx: Any) -> None:
    state, url = fake
    writer = writer_for(writer_ctx, url)
    state.answers = [['{"mood": "angry"}'], ['{"mood": "calm"}']]
    assert write_json(writer, ASK, SCHEMA) == {"mood": "calm"}
    assert state.requests[0]["response_format"]["json_schema"]["schema"] == SCHEMA
    assert "not valid" in state.requests[1]["messages"][-1]["content"]
    state.answers = [["not json"], ['{"feeling": 1}']]
    with pytest.raises(JobError, match="twice gave an answer outside the schema"):
        write_json(writer, ASK, SCHEMA)


def test_cancel_stops_between_events(fake: Any, writer_ctx: Any) -> None:
    state, url = fake
    state.answers = [["a", "b", "c", "d"]]
    seen: list[str] = []
    stream = writer_for(writer_ctx, url).stream(ASK, cancelled=lambda: len(seen) >= 2)
    for piece in stream:
        seen.append(piece)  # noqa: PERF402 -- `cancelled` reads `seen` while the stream runs
    assert seen == ["a", "b"] and stream.result.finish_reason == "cancelled"


def test_errors_name_the_url_and_never_the_key(fake: Any, writer_ctx: Any) -> None:
    state, url = fake
    state.status = 404
    with pytest.raises(JobError) as failed:
        writer_for(writer_ctx, url).complete(ASK)
    assert "404" in str(failed.value) and "model not found" in str(failed.value) and url in str(failed.value)
    assert KEY not in str(failed.value)
    assert KEY not in repr(WriterEndpoint(url, "m", KEY))
    with pytest.raises(JobError, match="could not be reached") as unreachable:
        writer_for(writer_ctx, "http://127.0.0.1:9/v1").complete(ASK)
    assert KEY not in str(unreachable.value)
