"""Signed file URLs: what the signature covers, expiry, and the stored secret."""

from __future__ import annotations

import os
import stat
import sys
import threading
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from apexlocal.errors import ConfigError
from apexlocal.storage import signing
from apexlocal.storage.signing import file_url, load_or_create_secret, sign, verify

SECRET = b"s" * 32
KEY = "outputs/u1/j1/output.mp4"
EXP = 2_000_000_000
NOW = EXP - 100


def test_signature_is_urlsafe_base64_without_padding() -> None:
    sig = sign(SECRET, KEY, EXP)
    assert len(sig) == 43  # 32 bytes of HMAC-SHA256
    assert not set(sig) & set("+/=")
    assert sig == sign(SECRET, KEY, EXP)


def test_valid_signature_is_accepted() -> None:
    assert verify(SECRET, KEY, EXP, sign(SECRET, KEY, EXP), NOW)


@pytest.mark.parametrize(
    ("key", "expires", "secret"),
    [
        ("outputs/u1/j1/output.mp3", EXP, SECRET),  # another key
        ("outputs/u2/j1/output.mp4", EXP, SECRET),
        (KEY, EXP + 1, SECRET),  # a later expiry
        (KEY, EXP - 1, SECRET),
        (KEY, EXP, b"t" * 32),  # another server's secret
    ],
)
def test_signature_covers_key_expiry_and_secret(key: str, expires: int, secret: bytes) -> None:
    assert not verify(secret, key, expires, sign(SECRET, KEY, EXP), NOW)


@pytest.mark.parametrize(
    "sig",
    [
        "",
        "x",
        sign(SECRET, KEY, EXP)[:-1],
        sign(SECRET, KEY, EXP) + "A",
        sign(SECRET, KEY, EXP).upper(),
        sign(SECRET, KEY, EXP) + "=",
        "é" * 43,
        "\x00" * 43,
    ],
)
def test_tampered_signature_is_refused(sig: str) -> None:
    assert not verify(SECRET, KEY, EXP, sig, NOW)


def test_expired_url_is_refused() -> None:
    sig = sign(SECRET, KEY, EXP)
    assert verify(SECRET, KEY, EXP, sig, EXP)
    assert not verify(SECRET, KEY, EXP, sig, EXP + 1)
    assert not verify(SECRET, KEY, EXP, sig, EXP + 0.5)


def test_comparison_is_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = signing.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(signing.hmac, "compare_digest", spy)
    assert verify(SECRET, KEY, EXP, sign(SECRET, KEY, EXP), NOW)
    assert not verify(SECRET, KEY, EXP, "wrong", NOW)
    assert len(calls) == 2


def test_file_url_carries_key_expiry_and_signature() -> None:
    url = file_url(SECRET, "http://127.0.0.1:8000/", "outputs/u 1/ü.png", EXP)
    parts = urlsplit(url)
    assert url.startswith("http://127.0.0.1:8000/files/outputs/u%201/%C3%BC.png?")
    key = unquote(parts.path.removeprefix("/files/"))
    query = parse_qs(parts.query)
    assert key == "outputs/u 1/ü.png"
    assert query["exp"] == [str(EXP)]
    assert verify(SECRET, key, int(query["exp"][0]), query["sig"][0], NOW)


def test_secret_is_created_once_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "file_secret"
    first = load_or_create_secret(path)
    assert len(first) == 32
    assert load_or_create_secret(path) == first
    assert os.listdir(path.parent) == ["file_secret"]  # no temporary file left behind


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_secret_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "file_secret"
    load_or_create_secret(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_concurrent_first_starts_agree_on_one_secret(tmp_path: Path) -> None:
    path = tmp_path / "file_secret"
    results: list[bytes] = []
    barrier = threading.Barrier(8)

    def start() -> None:
        barrier.wait()
        results.append(load_or_create_secret(path))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8 and len(set(results)) == 1
    assert results[0] == path.read_bytes()


def test_damaged_secret_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "file_secret"
    path.write_bytes(b"short")
    with pytest.raises(ConfigError, match="expected 32 bytes"):
        load_or_create_secret(path)
