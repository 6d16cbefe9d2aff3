"""Upload bodies are parsed as they stream in: a large part costs the server little memory, whether
it is refused from its headers (a plain form field) or spooled to disk (the file)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests import loopback

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="reads the peak RSS in /proc"),
]

MIB = 1024 * 1024
BODY_MIB = 64


def _kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def _body(disposition: str) -> Iterator[bytes]:
    """A multipart body of BODY_MIB MiB, made as it is sent (bytes that are not UTF-8)."""
    yield f"--xyz\r\nContent-Disposition: form-data; {disposition}\r\n\r\n".encode()
    chunk = b"\xff\x00" * (MIB // 2)
    for _ in range(BODY_MIB):
        yield chunk
    yield b"\r\n--xyz--\r\n"


def _peak_growth_mib(pid: int, send: Callable[[], httpx.Response]) -> tuple[httpx.Response, float]:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # the peak RSS starts again from the current RSS
    before = _kib(pid, "VmRSS")
    response = send()
    return response, (_kib(pid, "VmHWM") - before) / 1024


def test_a_large_part_costs_little_memory(server_factory):
    server = server_factory().start()
    headers = {
        "Authorization": f"Bearer {server.read_owner_key()}",
        "Content-Type": "multipart/form-data; boundary=xyz",
    }
    url = f"{server.url}/api/upload/video"

    def post(disposition: str) -> httpx.Response:
        return loopback.post(url, content=_body(disposition), headers=headers, timeout=120)

    post('name="file"; filename="warm.mp4"')  # the first upload's imports and threads are not the point
    field, field_growth = _peak_growth_mib(server.proc.pid, lambda: post('name="file"'))
    assert field.status_code == 400 and field.json()["error"].startswith("file: must be a file part"), field.text
    upload, upload_growth = _peak_growth_mib(server.proc.pid, lambda: post('name="file"; filename="big.mp4"'))
    assert upload.status_code == 415 and upload.json()["code"] == "UNSUPPORTED_MEDIA_TYPE", upload.text
    # Holding the body would take at least its 64 MiB (the old parser took twice that).
    assert field_growth < 16 and upload_growth < 16, (field_growth, upload_growth)
    assert list((server.data_dir / "tmp").glob(".upload-*")) == []
