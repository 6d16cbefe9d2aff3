"""Uploads: typed by their bytes, capped per kind, rate limited, owned; their URLs used as inputs
without the network."""

from __future__ import annotations

import socket
import struct
import zlib

import pytest

from apexlocal.accounts.users import get_user
from apexlocal.errors import BadRequest, JobError
from apexlocal.jobs import inputs
from apexlocal.uploads.media import sniff_bytes
from tests.api.webhook_helpers import FakeEngine, png_bytes, submit_image, wav_bytes
from tests.conftest import add_account, make_settings, wait_for_job

BASE = "http://127.0.0.1:8000"


def upload(client, headers, kind, content, name="file.bin", content_type="application/octet-stream", **extra):
    return client.post(
        f"/api/upload/{kind}", files={"file": (name, content, content_type)}, headers={**headers, **extra}
    )


def test_a_png_upload_answers_a_url_that_downloads_it(app_client, account):
    png = png_bytes(4, 3)
    r = upload(app_client, account.headers, "image", png, "My Photo (1).PNG", "image/png")
    assert r.status_code == 201, r.text
    data = r.json()["data"]
    assert set(data) >= {"id", "url", "contentType", "size", "kind", "createdAt"}
    assert (data["contentType"], data["size"], data["kind"], data["name"]) == (
        "image/png",
        len(png),
        "image",
        "My Photo (1).PNG",
    )
    assert data["url"].startswith(f"{BASE}/files/uploads/{account.id}/{data['id']}/My-Photo-1.png?exp=")
    got = app_client.get(data["url"].removeprefix(BASE))
    assert got.status_code == 200 and got.content == png and got.headers["content-type"] == "image/png"
    row = app_client.services.db.one("SELECT * FROM uploads WHERE id = ?", (data["id"],))
    assert row["user_id"] == account.id and row["kind"] == "image"


def test_the_type_comes_from_the_bytes_not_the_header(app_client, account):
    r = upload(app_client, account.headers, "image", png_bytes(), "song.wav", "audio/wav")
    assert r.status_code == 201 and r.json()["data"]["contentType"] == "image/png"
    assert r.json()["data"]["url"].split("?")[0].endswith("/song.png")
    r = upload(app_client, account.headers, "audio", wav_bytes(), "pic.png", "image/png")
    assert r.status_code == 201 and r.json()["data"]["contentType"] == "audio/wav"


def test_a_png_sent_as_audio_is_415_naming_what_it_is(app_client, account):
    r = upload(app_client, account.headers, "audio", png_bytes(), "voice.wav", "audio/wav")
    assert r.status_code == 415 and r.json()["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert "image/png" in r.json()["error"] and r.json()["error"].startswith("file: ")
    r = upload(app_client, account.headers, "video", b"just some text, not a video", "clip.mp4", "video/mp4")
    assert r.status_code == 415 and "MP4" in r.json()["error"]
    assert app_client.services.db.value("SELECT count(*) FROM uploads") == 0


@pytest.mark.parametrize(
    ("request_kwargs", "status", "message"),
    [
        ({"json": {"file": "x"}}, 415, "Content-Type: must be multipart/form-data"),
        ({"files": {"other": ("a.png", png_bytes(), "image/png")}}, 400, "other: unknown field"),
        ({"files": {"file": (None, "text")}}, 400, "file: must be a file part, with a filename"),
        (
            {"files": [("file", ("a.png", png_bytes(), "image/png")), ("file", ("b.png", png_bytes(), "image/png"))]},
            400,
            "file: must be exactly one file",
        ),
        ({"files": {"file": ("a.png", b"", "image/png")}}, 400, "file: is empty"),
    ],
)
def test_malformed_uploads_are_refused_in_the_envelope(app_client, account, request_kwargs, status, message):
    r = app_client.post("/api/upload/image", headers=account.headers, **request_kwargs)
    assert r.status_code == status and r.json()["error"].startswith(message), r.text
    assert set(r.json()) == {"error", "code"}


def test_missing_file_field(app_client, account):
    r = app_client.post("/api/upload/image", headers=account.headers, files={"note": (None, "hi")})
    assert r.status_code == 400 and r.json()["error"].startswith("note: unknown field")
    r = app_client.post(
        "/api/upload/image",
        headers={**account.headers, "Content-Type": "multipart/form-data; boundary=x"},
        content=b"--x--\r\n",
    )
    assert r.status_code == 400 and r.json()["error"] == "file: is required"


def test_oversize_is_413_in_the_envelope(tmp_path, models_dir):
    from litestar.testing import TestClient

    from apexlocal.app import create_app

    settings = make_settings(tmp_path / "d", models_dir, upload_max_image_mb=1)
    app = create_app(settings, start_workers=False)
    with TestClient(app) as client:
        acct = add_account(app.state.services.db, settings, "big@example.com")
        mib = 1024 * 1024
        for size in (mib + 100, 2 * mib):  # just over the cap (inside the multipart slack), and far over
            r = upload(client, acct.headers, "image", png_bytes() + b"\x00" * size, "big.png", "image/png")
            assert r.status_code == 413, r.text
            assert r.json() == {"error": "file: must be at most 1 MiB for image uploads", "code": "PAYLOAD_TOO_LARGE"}
        r = upload(client, acct.headers, "image", png_bytes() + b"\x00" * (mib - 200), "fits.png", "image/png")
        assert r.status_code == 201
        # A body far over the JSON limit is fine on the upload route.
        assert r.json()["data"]["size"] > settings.max_body_bytes - 200


def test_the_eleventh_upload_in_a_minute_is_429(app_client, account):
    for i in range(10):
        assert upload(app_client, account.headers, "image", png_bytes(), f"{i}.png").status_code == 201
    r = upload(app_client, account.headers, "image", png_bytes(), "11.png")
    assert r.status_code == 429 and r.json() == {"error": "Too many requests", "code": "RATE_LIMITED"}
    assert int(r.headers["Retry-After"]) >= 1 and r.headers["X-RateLimit-Limit"] == "10"


def test_an_idempotent_replay_returns_the_first_upload(app_client, account):
    key = {"Idempotency-Key": "upload-1"}
    first = upload(app_client, account.headers, "image", png_bytes(), "a.png", **key)
    again = upload(app_client, account.headers, "image", png_bytes(), "a.png", **key)
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert app_client.services.db.value("SELECT count(*) FROM uploads") == 1
    files = list((app_client.services.settings.storage_dir / "uploads").rglob("*.png"))
    assert len(files) == 1
    other = upload(app_client, account.headers, "image", png_bytes(2, 2), "a.png", **key)
    assert other.status_code == 409


def test_five_uploads_refused_409_leave_no_file_behind(app_client, account):
    key = {"Idempotency-Key": "reused-key"}
    assert upload(app_client, account.headers, "image", png_bytes(), "a.png", **key).status_code == 201
    for size in range(2, 7):  # another file each time: the key was used for a different request
        r = upload(app_client, account.headers, "image", png_bytes(size, size), "a.png", **key)
        assert r.status_code == 409 and r.json()["code"] == "CONFLICT", r.text
    settings = app_client.services.settings
    assert len([p for p in settings.storage_dir.rglob("*") if p.is_file()]) == 1
    assert list((settings.data_dir / "tmp").iterdir()) == []
    assert app_client.services.db.value("SELECT count(*) FROM uploads") == 1


def grey_png() -> bytes:
    """A valid 1x1 greyscale PNG (colour type 0, 8 bits)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00\x7f"))
        + chunk(b"IEND", b"")
    )


def raw_upload(client, headers, kind, disposition, content, content_type="image/png"):
    """A multipart body written by hand, for the part headers that HTTP clients will not send."""
    head = f"--xyz\r\nContent-Disposition: form-data; {disposition}\r\nContent-Type: {content_type}\r\n\r\n"
    body = head.encode("latin-1") + content + b"\r\n--xyz--\r\n"
    return client.post(
        f"/api/upload/{kind}", content=body, headers={**headers, "Content-Type": "multipart/form-data; boundary=xyz"}
    )


@pytest.mark.parametrize(
    ("disposition", "name"),
    [
        ('name="file"; filename="grey.png"', "grey.png"),
        ('name="file"; filename=""', None),  # was a 500: the part was taken for a text field
        ("name=\"file\"; filename*=UTF-8''gr%C3%A5.png", "grå.png"),  # was a 500 too
    ],
)
def test_a_one_pixel_greyscale_png_is_an_image(app_client, account, disposition, name):
    png = grey_png()
    r = raw_upload(app_client, account.headers, "image", disposition, png)
    assert r.status_code == 201, r.text
    assert (r.json()["data"]["contentType"], r.json()["data"]["size"], r.json()["data"]["name"]) == (
        "image/png",
        len(png),
        name,
    )
    assert app_client.get(r.json()["data"]["url"].removeprefix(BASE)).content == png
    for kind in ("audio", "video"):
        r = raw_upload(app_client, account.headers, kind, disposition, png)
        assert r.status_code == 415, r.text
        assert r.json() == {
            "error": f"file: is image/png, not {kind}; upload it to /api/upload/image",
            "code": "UNSUPPORTED_MEDIA_TYPE",
        }


@pytest.mark.parametrize(
    ("disposition", "message"),
    [
        ('name="file"', "file: must be a file part, with a filename"),
        ('name="note"', "note: unknown field (allowed: file)"),
        ('name="file"; filename="gr\xe5.png"', "body: must be valid multipart/form-data"),  # header not UTF-8
        ("name=\"file\"; filename*=UTF-8''gr%E5.png", "file: filename* must be RFC 5987 text"),
    ],
)
def test_parts_that_are_not_utf8_text_are_400(app_client, account, disposition, message):
    r = raw_upload(app_client, account.headers, "image", disposition, b"\xff\xfe\x89 not UTF-8 \xc3")
    assert r.status_code == 400 and r.json()["error"].startswith(message), r.text
    assert set(r.json()) == {"error", "code"}
    assert list((app_client.services.settings.data_dir / "tmp").glob(".upload-*")) == []


def test_a_bad_idempotency_key_is_refused_before_the_body(app_client, account):
    r = upload(app_client, account.headers, "image", png_bytes(), "a.png", **{"Idempotency-Key": "x" * 300})
    assert r.status_code == 400 and r.json()["error"].startswith("Idempotency-Key: must be 1-255")


def test_the_openapi_document_describes_the_multipart_body(app_client):
    operation = app_client.get("/schema/openapi.json").json()["paths"]["/api/upload/video"]["post"]
    schema = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert schema["required"] == ["file"] and schema["properties"]["file"]["format"] == "binary"


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("networking is off in this test")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


def test_an_uploaded_png_is_an_input_with_networking_off(app_client, account, settings, tmp_path, no_network):
    png = png_bytes(5, 5)
    url = upload(app_client, account.headers, "image", png, "face.png").json()["data"]["url"]
    services = app_client.services
    path = inputs.fetch_input(services, account.id, url, "avatarImage", ("image/",), tmp_path / "in")
    assert path.read_bytes() == png and path.suffix == ".png"
    # Reached under another host name, it is still this server's URL (the signature says so).
    elsewhere = url.replace(BASE, "https://studio.example.com")
    assert inputs.fetch_input(services, account.id, elsewhere, "image", (), tmp_path / "in").read_bytes() == png
    inputs.check_input_url(services, get_user(services.db, account.id), url, "avatarImage")

    with pytest.raises(JobError, match=r"^audio: expected audio/\*, got image/png$"):
        inputs.fetch_input(services, account.id, url, "audio", ("audio/",), tmp_path / "in")
    bob = add_account(services.db, settings, "bob@example.com")
    with pytest.raises(JobError, match=r"^avatarImage: is not one of your files$"):
        inputs.fetch_input(services, bob.id, url, "avatarImage", ("image/",), tmp_path / "in")
    with pytest.raises(BadRequest, match=r"^avatarImage: is not one of your files$"):
        inputs.check_input_url(services, get_user(services.db, bob.id), url, "avatarImage")
    forged = url.replace(account.id, bob.id)
    with pytest.raises(JobError, match=r"^avatarImage: "):  # a changed key breaks the signature: not ours
        inputs.fetch_input(services, bob.id, forged, "avatarImage", ("image/",), tmp_path / "in")


def test_an_engine_reads_an_uploaded_input_through_its_context(app_client, account, monkeypatch, no_network):
    from apexlocal.engines import registry

    png = png_bytes(7, 7)
    url = upload(app_client, account.headers, "image", png, "in.png").json()["data"]["url"]
    engine = FakeEngine(body=lambda spec, ctx: ctx.fetch_input(spec["prompt"], "image").read_bytes())
    monkeypatch.setitem(registry._instances, "diffusers-image", engine)
    job = wait_for_job(app_client, submit_image(app_client, account.headers, prompt=url), account.headers)
    assert job["status"] == "completed", job
    assert app_client.get(job["outputUrl"].removeprefix(BASE)).content == png


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (png_bytes(), "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"GIF89a\x01\x00", "image/gif"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (wav_bytes(), "audio/wav"),
        (b"ID3\x04\x00\x00\x00\x00\x00\x00", "audio/mpeg"),
        (b"\xff\xfb\x90\x64" + b"\x00" * 40, "audio/mpeg"),
        (b"fLaC\x00\x00\x00\x22", "audio/flac"),
        (b"OggS\x00\x02" + b"\x00" * 20, "audio/ogg"),
        (b"\x00\x00\x00\x20ftypM4A \x00\x00\x02\x00", "audio/mp4"),
        (
            b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00" + b"\x00" * 30 + b"hdlr\x00\x00\x00\x00\x00\x00\x00\x00soun",
            "audio/mp4",
        ),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00" + b"hdlr\x00\x00\x00\x00\x00\x00\x00\x00vide", "video/mp4"),
        (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00", "video/mp4"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", "video/quicktime"),
        (b"\x00\x00\x00\x08wide\x00\x00\x00\x00mdat", "video/quicktime"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "video/webm"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88matroska", "video/x-matroska"),
    ],
)
def test_formats_are_known_by_their_magic_numbers(head, expected):
    detected = sniff_bytes(head)
    assert detected is not None and detected.content_type == expected


@pytest.mark.parametrize("head", [b"", b"hello", b"\xff\xf1\x50\x80", b"<svg xmlns='x'>", b"%PDF-1.7"])
def test_unknown_bytes_are_no_format(head):
    assert sniff_bytes(head) is None
