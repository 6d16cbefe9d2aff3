"""The local-directory backend: atomic writes, prefix deletes, and keys that cannot leave the root."""

from __future__ import annotations

import errno
import os
import shutil
import sys
from pathlib import Path
from typing import BinaryIO
from urllib.parse import parse_qs, urlsplit

import pytest

from apexlocal.errors import NotFound
from apexlocal.settings import Settings
from apexlocal.storage import local as local_module
from apexlocal.storage import make_storage
from apexlocal.storage.local import LocalStorage, check_key
from apexlocal.storage.signing import verify

SECRET = b"k" * 32

TRAVERSALS = [
    "../x",
    "a/../../x",
    "..",
    "/etc/passwd",
    "%2e%2e/x",
    "a/%2e%2e/%2e%2e/x",
    "..\\x",
    "a\\..\\..\\x",
    "a\x00b",
    "a/b\x00/../../x",
    "C:/Windows/win.ini",
    "",
    ".",
    "a/./b",
    "a//b",
    "a/",
    ".hidden",
    "a/.b.png.tmp",
    "a\nb",
]


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "files", SECRET, clock=lambda: 1_000_000.0)


def make_source(tmp_path: Path, data: bytes, name: str = "src.bin") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_put_file_stores_bytes_and_returns_size(storage: LocalStorage, tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    size = storage.put_file("outputs/u1/j1/output.mp4", make_source(tmp_path, data), "video/mp4")
    assert size == len(data)
    assert storage.exists("outputs/u1/j1/output.mp4")
    path = storage.local_path("outputs/u1/j1/output.mp4")
    assert path == storage.root / "outputs/u1/j1/output.mp4"
    assert path.read_bytes() == data


def test_put_file_never_exposes_a_partial_file(
    storage: LocalStorage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "outputs/u1/j1/output.png"
    storage.put_file(key, make_source(tmp_path, b"old" * 1000, "old.bin"), "image/png")
    dest = storage.local_path(key)
    seen: list[bytes] = []
    real_copy = shutil.copyfileobj

    def copy_and_look(src: BinaryIO, dst: BinaryIO, length: int = 0) -> None:
        dst.write(src.read(100))
        dst.flush()
        seen.append(dest.read_bytes())  # half of the new file is on disk right now
        real_copy(src, dst, length)

    monkeypatch.setattr(local_module.shutil, "copyfileobj", copy_and_look)
    storage.put_file(key, make_source(tmp_path, b"new" * 1000, "new.bin"), "image/png")
    assert seen == [b"old" * 1000]
    assert dest.read_bytes() == b"new" * 1000


def test_failed_put_keeps_the_old_file_and_no_temp_file(
    storage: LocalStorage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "outputs/u1/j1/output.png"
    storage.put_file(key, make_source(tmp_path, b"old", "old.bin"), "image/png")

    def broken_copy(src: BinaryIO, dst: BinaryIO, length: int = 0) -> None:
        dst.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(local_module.shutil, "copyfileobj", broken_copy)
    with pytest.raises(OSError, match="disk full"):
        storage.put_file(key, make_source(tmp_path, b"new" * 100, "new.bin"), "image/png")
    dest = storage.local_path(key)
    assert dest.read_bytes() == b"old"
    assert os.listdir(dest.parent) == ["output.png"]


def test_put_file_missing_source_leaves_nothing(storage: LocalStorage, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        storage.put_file("outputs/u1/j1/a.png", tmp_path / "nope", "image/png")
    assert not storage.exists("outputs/u1/j1/a.png")
    assert os.listdir(storage.root / "outputs/u1/j1") == []


@pytest.mark.skipif(os.name != "posix", reason="moved by a rename on POSIX only (copied elsewhere)")
def test_move_file_renames_after_an_fsync_and_keeps_the_file_private(
    storage: LocalStorage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = make_source(tmp_path, b"png" * 1000, "output.png")
    inode = source.stat().st_ino
    calls: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(local_module.os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(local_module.os, "replace", lambda a, b: (calls.append("rename"), real_replace(a, b))[1])
    size = storage.move_file("outputs/u1/j1/output.png", source, "image/png")
    dest = storage.local_path("outputs/u1/j1/output.png")
    assert size == 3000 and dest.read_bytes() == b"png" * 1000
    assert not source.exists() and dest.stat().st_ino == inode  # the same file, not a copy
    assert calls == ["fsync", "rename"]  # its bytes are on disk before its name is
    assert dest.stat().st_mode & 0o777 == 0o600


def test_move_file_across_filesystems_copies_then_deletes(
    storage: LocalStorage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def cross_device(a: object, b: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    source = make_source(tmp_path, b"far" * 100, "output.png")
    monkeypatch.setattr(local_module.os, "replace", cross_device)
    # put_file's own rename is refused too: nothing half-done is left
    with pytest.raises(OSError, match="cross-device"):
        storage.move_file("outputs/u1/j1/output.png", source, "image/png")
    assert source.read_bytes() == b"far" * 100 and not storage.exists("outputs/u1/j1/output.png")
    assert os.listdir(storage.root / "outputs/u1/j1") == []
    monkeypatch.undo()
    real_replace = os.replace
    refused: list[str] = []

    def first_refused(a: str, b: str) -> None:
        if not refused:
            refused.append(a)
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        real_replace(a, b)

    monkeypatch.setattr(local_module.os, "replace", first_refused)
    assert storage.move_file("outputs/u1/j1/output.png", source, "image/png") == 300
    assert refused == [source] and not source.exists()
    assert storage.local_path("outputs/u1/j1/output.png").read_bytes() == b"far" * 100


def test_move_file_copies_a_link_or_a_file_with_other_names(storage: LocalStorage, tmp_path: Path) -> None:
    target = make_source(tmp_path, b"cached", "cache.bin")
    link = tmp_path / "link.bin"
    link.symlink_to(target)
    storage.move_file("outputs/u1/j1/a.bin", link, "application/octet-stream")
    assert not link.is_symlink() and target.read_bytes() == b"cached"
    stored = storage.local_path("outputs/u1/j1/a.bin")
    assert not stored.is_symlink() and stored.read_bytes() == b"cached"
    other_name = tmp_path / "other.bin"
    os.link(target, other_name)
    storage.move_file("outputs/u1/j1/b.bin", other_name, "application/octet-stream")
    assert target.read_bytes() == b"cached" and not other_name.exists()
    assert storage.local_path("outputs/u1/j1/b.bin").stat().st_ino != target.stat().st_ino


@pytest.mark.parametrize("key", TRAVERSALS)
def test_unsafe_keys_are_refused(storage: LocalStorage, tmp_path: Path, key: str) -> None:
    source = make_source(tmp_path, b"x")
    with pytest.raises(NotFound):
        storage.resolve(key)
    with pytest.raises(NotFound):
        storage.put_file(key, source, "text/plain")
    with pytest.raises(NotFound):
        storage.signed_url(key, "http://h", 60)
    with pytest.raises(NotFound):
        storage.local_path(key)
    assert not storage.exists(key)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["files", "src.bin"]


def test_non_string_key_is_refused() -> None:
    with pytest.raises(NotFound):
        check_key(None)  # type: ignore[arg-type]


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_symlinks_pointing_outside_are_refused(storage: LocalStorage, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    (storage.root / "linkdir").symlink_to(outside, target_is_directory=True)
    (storage.root / "passwd.txt").symlink_to(outside / "secret.txt")
    for key in ("linkdir/secret.txt", "passwd.txt", "linkdir"):
        with pytest.raises(NotFound):
            storage.resolve(key)
        assert not storage.exists(key)
    with pytest.raises(NotFound):
        storage.put_file("linkdir/new.txt", make_source(tmp_path, b"x"), "text/plain")
    assert sorted(os.listdir(outside)) == ["secret.txt"]


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_symlink_inside_the_root_is_followed(storage: LocalStorage, tmp_path: Path) -> None:
    storage.put_file("real/a.txt", make_source(tmp_path, b"inside"), "text/plain")
    (storage.root / "alias").symlink_to(storage.root / "real", target_is_directory=True)
    assert storage.resolve("alias/a.txt").read_bytes() == b"inside"


def test_keys_with_ordinary_names_are_accepted(storage: LocalStorage) -> None:
    for key in ("a", "outputs/u_1/job-2/output.final.mp4", "uploads/u1/voix très belle.wav", "a/b..c"):
        assert storage.resolve(key) == storage.root / key


def test_delete_prefix_removes_one_job_and_prunes_empty_dirs(storage: LocalStorage, tmp_path: Path) -> None:
    source = make_source(tmp_path, b"x")
    keys = ("outputs/u1/j1/a.png", "outputs/u1/j1/sub/b.png", "outputs/u1/j10/a.png", "outputs/u2/j1/a.png")
    for key in keys:
        storage.put_file(key, source, "image/png")
    storage.delete_prefix("outputs/u1/j1/")
    assert not storage.exists("outputs/u1/j1/a.png")
    assert not (storage.root / "outputs/u1/j1").exists()
    assert storage.exists("outputs/u1/j10/a.png")
    assert storage.exists("outputs/u2/j1/a.png")
    storage.delete_prefix("outputs/u1/")
    assert not (storage.root / "outputs/u1").exists()
    assert storage.exists("outputs/u2/j1/a.png")


def test_delete_prefix_is_a_string_prefix(storage: LocalStorage, tmp_path: Path) -> None:
    source = make_source(tmp_path, b"x")
    for key in ("outputs/u1/j1/a.png", "outputs/u1/j10/a.png", "outputs/u1/k1/a.png"):
        storage.put_file(key, source, "image/png")
    storage.delete_prefix("outputs/u1/j1")
    assert not storage.exists("outputs/u1/j1/a.png")
    assert not storage.exists("outputs/u1/j10/a.png")
    assert storage.exists("outputs/u1/k1/a.png")


def test_delete_prefix_of_nothing_is_fine(storage: LocalStorage) -> None:
    storage.delete_prefix("outputs/nobody/")
    storage.delete_prefix("nothing")


def test_delete_prefix_refuses_empty_and_unsafe_prefixes(storage: LocalStorage) -> None:
    with pytest.raises(ValueError, match="empty prefix"):
        storage.delete_prefix("")
    for prefix in ("../", "a/../../", "/etc/", "a\\..\\"):
        with pytest.raises(NotFound):
            storage.delete_prefix(prefix)


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_delete_prefix_removes_links_not_their_targets(storage: LocalStorage, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep")
    (storage.root / "outputs/u1/j1").mkdir(parents=True)
    (storage.root / "outputs/u1/j1/link").symlink_to(outside, target_is_directory=True)
    storage.delete_prefix("outputs/u1/j1/")
    assert (outside / "keep.txt").read_text() == "keep"
    assert not (storage.root / "outputs/u1/j1").exists()


def test_signed_url_is_valid_for_ttl(storage: LocalStorage) -> None:
    url = storage.signed_url("outputs/u1/j1/a b.png", "http://127.0.0.1:8000", 3600)
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert parts.path == "/files/outputs/u1/j1/a%20b.png"
    assert int(query["exp"][0]) == 1_000_000 + 3600
    assert verify(SECRET, "outputs/u1/j1/a b.png", 1_003_600, query["sig"][0], 1_003_600)
    assert not verify(SECRET, "outputs/u1/j1/a b.png", 1_003_600, query["sig"][0], 1_003_601)


def test_make_storage_builds_the_local_backend(tmp_path: Path) -> None:
    storage = make_storage(Settings(data_dir=tmp_path), SECRET)
    assert isinstance(storage, LocalStorage)
    assert storage.root == (tmp_path / "files").resolve()
