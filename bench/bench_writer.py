"""Benchmark of the writer through `POST /v1/chat/completions` against the model called directly.

    OMP_NUM_THREADS=1 PYTHONPATH=. python bench/bench_writer.py [--tokens 64] [--reps 3]

(One torch thread: with two on a CPU shared with other work, the ratios flip from run to run.)

On the tiny set's writer (the packaged SmolLM2-135M-Instruct), warm on both sides, the same
prompt at temperature 0 (greedy, so both write the same tokens):
  - the writer called in this process: completion tokens per second;
  - `/v1/chat/completions` on a real server, not streamed: completion tokens per second from the
    POST to the answer, and its ratio to the direct call's;
  - the same streamed: time to the first content chunk, and tokens per second to the last;
  - both under a small JSON schema (constrained decoding), direct and through the route.
Runs are interleaved; medians of `--reps` measured in this one run are printed; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench.bench_voice_api import free_port, start_server  # the same tiny-set server

PROMPT = [{"role": "user", "content": "Write a short story about a lighthouse keeper and a storm."}]
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "maxLength": 60},
        "mood": {"enum": ["calm", "tense", "happy"]},
        "lines": {"type": "array", "items": {"type": "string", "maxLength": 80}, "minItems": 2, "maxItems": 3},
    },
    "required": ["title", "mood", "lines"],
    "additionalProperties": False,
}


def direct_writer() -> Callable[[int, dict[str, Any] | None], tuple[float, int]]:
    """A function (max_tokens, schema) -> (seconds, completion tokens) running the writer here."""
    from apexlocal.engines.base import EngineContext
    from apexlocal.engines.runtime import ModelRuntime
    from apexlocal.engines.writer import ChatMessage, open_writer
    from apexlocal.models.manifest import load_manifest
    from apexlocal.models.packaged import check_package

    manifest = load_manifest()
    ctx = EngineContext(
        "bench",
        "cpu",
        Path(tempfile.mkdtemp(prefix="bench-writer-")),
        "tiny",
        lambda f, s: None,
        lambda: False,
        check_package,
        ModelRuntime("cpu"),
        manifest=manifest,
    )
    writer = open_writer(ctx)
    messages = [ChatMessage(m["role"], m["content"]) for m in PROMPT]

    def run(max_tokens: int, schema: dict[str, Any] | None) -> tuple[float, int]:
        started = time.perf_counter()
        result = writer.complete(messages, max_tokens=max_tokens, temperature=0, json_schema=schema)
        return time.perf_counter() - started, result.completion_tokens

    run(4, None)
    return run


def body(max_tokens: int, schema: dict[str, Any] | None, stream: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"model": "smollm2", "messages": PROMPT, "max_tokens": max_tokens, "temperature": 0}
    if schema is not None:
        out["response_format"] = {"type": "json_schema", "json_schema": {"name": "story", "schema": schema}}
    if stream:
        out |= {"stream": True, "stream_options": {"include_usage": True}}
    return out


def api_plain(base: str, headers: dict[str, str], max_tokens: int, schema: dict[str, Any] | None) -> tuple[float, int]:
    started = time.perf_counter()
    r = httpx.post(f"{base}/v1/chat/completions", json=body(max_tokens, schema), headers=headers, timeout=600)
    r.raise_for_status()
    return time.perf_counter() - started, int(r.json()["usage"]["completion_tokens"])


def api_streamed(base: str, headers: dict[str, str], max_tokens: int) -> tuple[float, float, int]:
    """(seconds to the first content chunk, seconds to [DONE], completion tokens)."""
    started, first, tokens = time.perf_counter(), 0.0, 0
    with httpx.stream(
        "POST", f"{base}/v1/chat/completions", json=body(max_tokens, None, True), headers=headers, timeout=600
    ) as r:
        r.raise_for_status()
        for line in r.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            event = json.loads(line[6:])
            if not first and event["choices"] and event["choices"][0]["delta"].get("content"):
                first = time.perf_counter() - started
            if event.get("usage"):
                tokens = int(event["usage"]["completion_tokens"])
    return first, time.perf_counter() - started, tokens


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    direct = direct_writer()
    data_dir = Path(tempfile.mkdtemp(prefix="bench-writer-server-"))
    proc, key = start_server(data_dir, free_port_value := free_port())
    base, headers = f"http://127.0.0.1:{free_port_value}", {"Authorization": f"Bearer {key}"}
    try:
        api_plain(base, headers, 4, None)  # loads the server's writer
        rows: dict[str, list[float]] = {
            k: [] for k in ("direct", "api", "first", "streamed", "direct_json", "api_json")
        }
        for _ in range(args.reps):
            seconds, tokens = direct(args.tokens, None)
            rows["direct"].append(tokens / seconds)
            seconds, tokens = api_plain(base, headers, args.tokens, None)
            rows["api"].append(tokens / seconds)
            first, seconds, tokens = api_streamed(base, headers, args.tokens)
            rows["first"].append(first * 1000)
            rows["streamed"].append(tokens / seconds)
            seconds, tokens = direct(200, SCHEMA)
            rows["direct_json"].append(tokens / seconds)
            seconds, tokens = api_plain(base, headers, 200, SCHEMA)
            rows["api_json"].append(tokens / seconds)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)  # it holds the dequantized writer (about 0.5 GB)
    med = {k: statistics.median(v) for k, v in rows.items()}
    print(f"writer smollm2-135m-instruct, {args.tokens} tokens, median of {args.reps}")
    print(f"direct                  {med['direct']:8.1f} tokens/s")
    print(f"/v1/chat/completions    {med['api']:8.1f} tokens/s  ratio {med['api'] / med['direct']:.2f}")
    print(f"  streamed              {med['streamed']:8.1f} tokens/s  ratio {med['streamed'] / med['direct']:.2f}")
    print(f"  first content chunk   {med['first']:8.0f} ms")
    print(f"direct, JSON schema     {med['direct_json']:8.1f} tokens/s")
    print(f"route, JSON schema      {med['api_json']:8.1f} tokens/s  ratio {med['api_json'] / med['direct_json']:.2f}")


if __name__ == "__main__":
    main()
