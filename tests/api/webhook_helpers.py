"""Shared pieces of the webhook, settings and upload tests: a fake engine, media bytes, polling."""

from __future__ import annotations

import struct
import threading
import time
import zlib
from collections.abc import Callable
from typing import Any

from apexlocal.engines.base import EngineOutput, OutputFile


class FakeEngine:
    """Stands in for a model: writes a PNG, or fails, or runs `body(spec, ctx)` to make its file."""

    def __init__(
        self, fail: Exception | None = None, body: Callable[[dict[str, Any], Any], bytes] | None = None
    ) -> None:
        self.fail, self.body = fail, body
        self.started = threading.Event()

    def run(self, spec: dict[str, Any], model: Any, ctx: Any) -> EngineOutput:
        self.started.set()
        if self.fail:
            raise self.fail
        path = ctx.scratch_dir / "output.png"
        path.write_bytes(self.body(spec, ctx) if self.body else png_bytes())
        return EngineOutput(
            [OutputFile(path, "image/png", "output.png")],
            {"model": "flux-2-pro", "width": 256, "height": 256, "durationMs": 5},
        )


def png_bytes(width: int = 1, height: int = 1) -> bytes:
    """A valid RGB PNG, built by hand."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\x80\x40\x20" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def wav_bytes(frames: int = 800) -> bytes:
    data = b"\x00\x00" * frames
    fmt = struct.pack("<HHIIHH", 1, 1, 8000, 16000, 2, 16)
    return (
        b"RIFF"
        + struct.pack("<I", 36 + len(data))
        + b"WAVE"
        + b"fmt "
        + struct.pack("<I", 16)
        + fmt
        + b"data"
        + struct.pack("<I", len(data))
        + data
    )


def submit_image(client: Any, headers: dict[str, str], prompt: str = "a cat") -> str:
    r = client.post("/api/generate/image", json={"prompt": prompt, "width": 256, "height": 256}, headers=headers)
    assert r.status_code == 202, r.text
    return r.json()["data"]["jobId"]


def wait_until(check: Callable[[], Any], timeout: float = 20.0, every: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout}s")


def deliveries(client: Any, headers: dict[str, str]) -> list[dict[str, Any]]:
    r = client.get("/api/webhooks/deliveries", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def ended(client: Any, headers: dict[str, str], count: int = 1) -> list[dict[str, Any]] | None:
    """The deliveries, once `count` of them have stopped being attempted."""
    rows = deliveries(client, headers)
    done = [d for d in rows if d["status"] != "pending"]
    return rows if len(done) >= count else None
