"""`GET|HEAD /files/{key}`: signature checks, byte ranges, HEAD, caching headers, traversal."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import anyio
import pytest
from litestar import Litestar, Request, Response
from litestar.testing import TestClient

from apexlocal.api import files as files_module
from apexlocal.api.files import file_routes, media_type_for
from apexlocal.errors import ApiError
from apexlocal.storage.local import LocalStorage
from apexlocal.storage.signing import file_url, sign
from tests.api.webhook_helpers import png_bytes

SECRET = b"f" * 32
KEY = "outputs/u1/j1/output.mp4"
DATA = bytes(range(256)) * 40  # 10240 bytes
BASE = "http://testserver.local"
FORBIDDEN = {"error": "Invalid or expired file URL", "code": "FORBIDDEN"}


def envelope(_: Request, exc: ApiError) -> Response:
    return Response({"error": exc.message, "code": exc.code}, status_code=exc.status)


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    storage = LocalStorage(tmp_path / "files", SECRET)
    source = tmp_path / "source.bin"
    source.write_bytes(DATA)
    storage.put_file(KEY, source, "video/mp4")
    return storage


def make_client(storage: object) -> TestClient:
    app = Litestar(route_handlers=file_routes, exception_handlers={ApiError: envelope})
    app.state.services = SimpleNamespace(storage=storage, file_secret=SECRET)
    return TestClient(app, base_url=BASE)


@pytest.fixture
def client(storage: LocalStorage) -> Iterator[TestClient]:
    with make_client(storage) as client:
        yield client


def url_for(key: str = KEY, expires: int | None = None) -> str:
    return file_url(SECRET, BASE, key, expires or int(time.time()) + 3600)


def test_full_file(client: TestClient) -> None:
    response = client.get(url_for())
    assert response.status_code == 200
    assert response.content == DATA
    headers = response.headers
    assert headers["content-type"] == "video/mp4"
    assert headers["content-length"] == str(len(DATA))
    assert headers["accept-ranges"] == "bytes"
    assert headers["etag"].startswith('"') and headers["etag"].endswith('"')
    assert headers["last-modified"].endswith(" GMT")
    assert headers["x-content-type-options"] == "nosniff"
    assert "content-range" not in headers


def test_key_with_spaces_and_accents(client: TestClient, storage: LocalStorage, tmp_path: Path) -> None:
    source = tmp_path / "voice.wav"
    source.write_bytes(b"RIFF....WAVE")
    key = "uploads/u1/voix très belle.wav"
    storage.put_file(key, source, "audio/wav")
    response = client.get(storage.signed_url(key, BASE, 60))
    assert response.status_code == 200
    assert response.content == b"RIFF....WAVE"
    assert response.headers["content-type"] == "audio/wav"


def test_cache_lifetime_follows_the_url_expiry(client: TestClient) -> None:
    response = client.get(url_for(expires=int(time.time()) + 600))
    directive, max_age = response.headers["cache-control"].split(", max-age=")
    assert directive == "private"
    assert 595 <= int(max_age) <= 600


def test_url_from_storage_signed_url_works(client: TestClient, storage: LocalStorage) -> None:
    response = client.get(storage.signed_url(KEY, BASE, 60))
    assert response.status_code == 200 and response.content == DATA


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-9", 0, 9),
        ("bytes=100-100", 100, 100),
        ("bytes=10000-", 10000, 10239),
        ("bytes=-5", 10235, 10239),
        ("bytes=-99999", 0, 10239),
        ("bytes=10200-99999", 10200, 10239),
        ("Bytes = 5 - 7", 5, 7),
    ],
)
def test_single_range(client: TestClient, header: str, start: int, end: int) -> None:
    response = client.get(url_for(), headers={"Range": header})
    assert response.status_code == 206
    assert response.content == DATA[start : end + 1]
    assert response.headers["content-range"] == f"bytes {start}-{end}/{len(DATA)}"
    assert response.headers["content-length"] == str(end - start + 1)
    assert response.headers["content-type"] == "video/mp4"


@pytest.mark.parametrize("header", ["bytes=10240-", "bytes=20000-30000", "bytes=-0"])
def test_unsatisfiable_range(client: TestClient, header: str) -> None:
    response = client.get(url_for(), headers={"Range": header})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{len(DATA)}"
    assert response.json()["code"] == "RANGE_NOT_SATISFIABLE"


@pytest.mark.parametrize("header", ["bytes=0-1,5-9", "bytes=9-3", "items=0-9", "bytes=abc", "bytes=-"])
def test_multi_or_malformed_range_sends_the_whole_file(client: TestClient, header: str) -> None:
    response = client.get(url_for(), headers={"Range": header})
    assert response.status_code == 200
    assert response.content == DATA


def test_head_has_headers_and_no_body(client: TestClient) -> None:
    response = client.head(url_for())
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == str(len(DATA))
    assert response.headers["content-type"] == "video/mp4"
    assert response.headers["accept-ranges"] == "bytes"
    assert "etag" in response.headers


def test_head_with_range(client: TestClient) -> None:
    response = client.head(url_for(), headers={"Range": "bytes=-5"})
    assert response.status_code == 206
    assert response.content == b""
    assert response.headers["content-range"] == f"bytes 10235-10239/{len(DATA)}"
    assert response.headers["content-length"] == "5"


def test_head_refused_without_signature(client: TestClient) -> None:
    assert client.head(f"{BASE}/files/{KEY}").status_code == 403


def test_if_none_match_answers_304(client: TestClient) -> None:
    etag = client.get(url_for()).headers["etag"]
    response = client.get(url_for(), headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag
    assert client.get(url_for(), headers={"If-None-Match": '"other"'}).status_code == 200


def test_if_range(client: TestClient) -> None:
    etag = client.get(url_for()).headers["etag"]
    fresh = client.get(url_for(), headers={"Range": "bytes=0-3", "If-Range": etag})
    assert fresh.status_code == 206 and fresh.content == DATA[:4]
    stale = client.get(url_for(), headers={"Range": "bytes=0-3", "If-Range": '"old"'})
    assert stale.status_code == 200 and stale.content == DATA


def test_etag_changes_when_the_file_is_replaced(client: TestClient, storage: LocalStorage, tmp_path: Path) -> None:
    before = client.get(url_for()).headers["etag"]
    source = tmp_path / "v2.bin"
    source.write_bytes(b"version two")
    storage.put_file(KEY, source, "video/mp4")
    response = client.get(url_for())
    assert response.content == b"version two"
    assert response.headers["etag"] != before


def test_empty_file(client: TestClient, storage: LocalStorage, tmp_path: Path) -> None:
    source = tmp_path / "empty.bin"
    source.write_bytes(b"")
    storage.put_file("outputs/u1/j1/empty.txt", source, "text/plain")
    response = client.get(url_for("outputs/u1/j1/empty.txt"))
    assert response.status_code == 200 and response.content == b""
    assert response.headers["content-length"] == "0"
    ranged = client.get(url_for("outputs/u1/j1/empty.txt"), headers={"Range": "bytes=0-"})
    assert ranged.status_code == 416
    assert ranged.headers["content-range"] == "bytes */0"


def test_large_file_streams_in_chunks(storage: LocalStorage, tmp_path: Path) -> None:
    data = os.urandom(files_module.CHUNK_BYTES * 3 + 123)
    path = tmp_path / "big.bin"
    path.write_bytes(data)

    async def collect(start: int, length: int) -> list[bytes]:
        return [chunk async for chunk in files_module._stream(path.open("rb"), start, length)]

    chunks = anyio.run(collect, 0, len(data))
    assert len(chunks) == 4 and max(map(len, chunks)) == files_module.CHUNK_BYTES
    assert b"".join(chunks) == data
    length = files_module.CHUNK_BYTES + 7
    assert b"".join(anyio.run(collect, 1000, length)) == data[1000 : 1000 + length]


def test_large_file_over_http(client: TestClient, storage: LocalStorage, tmp_path: Path) -> None:
    data = os.urandom(files_module.CHUNK_BYTES * 2 + 5)
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    storage.put_file("outputs/u1/j1/big.webm", source, "video/webm")
    response = client.get(url_for("outputs/u1/j1/big.webm"), headers={"Range": "bytes=3-"})
    assert response.status_code == 206 and response.content == data[3:]
    assert response.headers["content-type"] == "video/webm"


def tampered_urls() -> list[tuple[str, str]]:
    good = url_for()
    exp = good.split("exp=")[1].split("&")[0]
    sig = good.split("sig=")[1]
    other_sig = "A" + sig[1:] if sig[0] != "A" else "B" + sig[1:]
    return [
        ("other key", good.replace("output.mp4", "output.mp3")),
        ("later exp", good.replace(f"exp={exp}", f"exp={int(exp) + 1}")),
        ("changed sig", good.replace(f"sig={sig}", f"sig={other_sig}")),
        ("no sig", good.split("&sig=")[0]),
        ("no exp", good.replace(f"exp={exp}&", "")),
        ("no query", good.split("?")[0]),
        ("empty sig", good.replace(f"sig={sig}", "sig=")),
        ("exp not a number", good.replace(f"exp={exp}", "exp=soon")),
        ("negative exp", good.replace(f"exp={exp}", f"exp=-{exp}")),
        ("other secret", file_url(b"x" * 32, BASE, KEY, int(exp))),
    ]


@pytest.mark.parametrize(("why", "url"), tampered_urls(), ids=[why for why, _ in tampered_urls()])
def test_tampered_url_is_forbidden(client: TestClient, storage: LocalStorage, why: str, url: str) -> None:
    storage.put_file("outputs/u1/j1/output.mp3", storage.local_path(KEY), "audio/mpeg")
    response = client.get(url)
    assert response.status_code == 403, why
    assert response.json() == FORBIDDEN


def test_expired_url_is_forbidden(client: TestClient) -> None:
    response = client.get(url_for(expires=int(time.time()) - 5))
    assert response.status_code == 403
    assert response.json() == FORBIDDEN


@pytest.mark.parametrize(
    "raw_path",
    [
        "/files/%2e%2e/%2e%2e/etc/passwd",
        "/files/outputs/%2e%2e/%2e%2e/x",
        "/files/..%2f..%2fetc%2fpasswd",
        "/files/%2fetc/passwd",
        "/files/a%00b",
        "/files/a%5c..%5cb",
    ],
)
def test_traversal_without_signature_is_refused(client: TestClient, raw_path: str) -> None:
    response = client.get(f"{BASE}{raw_path}?exp=9999999999&sig=x")
    assert response.status_code in (403, 404)
    assert response.json()["code"] in ("FORBIDDEN", "NOT_FOUND")


@pytest.mark.parametrize("key", ["../secret.txt", "../../etc/passwd", "a/../../secret.txt", ".hidden"])
def test_traversal_is_refused_even_with_a_valid_signature(client: TestClient, tmp_path: Path, key: str) -> None:
    (tmp_path / "secret.txt").write_text("secret")
    expires = int(time.time()) + 60
    # Dots percent-encoded, or the HTTP client would collapse `..` before the request is sent.
    path = quote(key, safe="/").replace(".", "%2e")
    response = client.get(f"{BASE}/files/{path}?exp={expires}&sig={sign(SECRET, key, expires)}")
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_symlink_to_outside_is_not_served(client: TestClient, storage: LocalStorage, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("secret")
    (storage.root / "outputs/u1/j1/leak.txt").symlink_to(tmp_path / "secret.txt")
    response = client.get(url_for("outputs/u1/j1/leak.txt"))
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


def test_missing_file_is_404(client: TestClient) -> None:
    response = client.get(url_for("outputs/u1/j1/gone.mp4"))
    assert response.status_code == 404
    assert response.json() == {"error": "File not found", "code": "NOT_FOUND"}


def test_directory_is_404(client: TestClient) -> None:
    assert client.get(url_for("outputs/u1/j1")).status_code == 404


def test_s3_backend_answers_404_for_everything(tmp_path: Path) -> None:
    from apexlocal.storage.s3 import S3Storage

    s3 = S3Storage(
        "bucket", endpoint_url="http://127.0.0.1:9", region="us-east-1", access_key_id="a", secret_access_key="b"
    )
    with make_client(s3) as client:
        for url in (url_for(), f"{BASE}/files/{KEY}", url_for(expires=1)):
            response = client.get(url)
            assert response.status_code == 404
            assert response.json()["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        ("bytes=٣-٤", 10, None),  # non-ASCII digits
        ("bytes=1-2", 10, (1, 2)),
        ("bytes=0-0,2-3", 10, None),
        (" bytes = 2 - ", 10, (2, 9)),
        ("bytes=" + "9" * 40 + "-", 10, None),
    ],
)
def test_parse_range(header: str, size: int, expected: tuple[int, int] | None) -> None:
    assert files_module.parse_range(header, size) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.mp4", "video/mp4"),
        ("a.WAV", "audio/wav"),
        ("a.mp3", "audio/mpeg"),
        ("a.png", "image/png"),
        ("a.jpeg", "image/jpeg"),
        ("a.webp", "image/webp"),
        ("a.vtt", "text/vtt; charset=utf-8"),
        ("a.unknownext", "application/octet-stream"),
        ("noext", "application/octet-stream"),
    ],
)
def test_media_type_from_extension(name: str, expected: str) -> None:
    assert media_type_for(name) == expected


def test_route_is_in_the_openapi_document(storage: LocalStorage) -> None:
    app = Litestar(route_handlers=file_routes)
    operations = app.openapi_schema.paths["/files/{key}"]
    assert operations.get is not None and operations.head is not None


def test_files_keep_their_sandbox_through_the_apps_security_headers(app_client, account) -> None:
    r = app_client.post(
        "/api/upload/image", files={"file": ("a.png", png_bytes(), "image/png")}, headers=account.headers
    )
    url = r.json()["data"]["url"].removeprefix("http://127.0.0.1:8000")
    answers = [
        app_client.get(url),
        app_client.head(url),
        app_client.get(url, headers={"Range": "bytes=999-"}),
        app_client.get(url.replace("sig=", "sig=x")),
        app_client.get("/files/nothing/here"),
        app_client.get("/filesnot/a/route"),
    ]
    assert [a.status_code for a in answers] == [200, 200, 416, 403, 403, 404]
    for answer in answers[:5]:
        policy = [p.strip() for p in answer.headers["content-security-policy"].split(";")]
        assert policy[0] == "sandbox" and "default-src 'none'" in policy, answer.headers
        assert "script-src" not in answer.headers["content-security-policy"]
        assert answer.headers["x-content-type-options"] == "nosniff"
    for other in (answers[5], app_client.get("/")):
        assert "sandbox" not in other.headers["content-security-policy"]
