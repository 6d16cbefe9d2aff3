"""The local-directory storage backend: files under one root, served by this server at signed URLs."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from apexlocal.errors import NotFound
from apexlocal.storage.signing import file_url, key_from_url

_COPY_CHUNK = 1024 * 1024
# `%` is refused so that no layer can ever decode a key a second time into something else; `:` because
# it names drives and alternate data streams on Windows; `\` because it separates paths there.
_FORBIDDEN_CHARS = frozenset("\\%:") | frozenset(map(chr, [*range(32), 127]))


def check_key(key: str) -> str:
    """`key` itself when it is a safe relative POSIX path; NotFound otherwise.

    Segments may not be empty or start with a dot: that refuses `.`, `..`, absolute paths, and the
    hidden temporary files that `put_file` writes before renaming them into place.
    """
    if not isinstance(key, str) or not key or len(key) > 1024 or not _FORBIDDEN_CHARS.isdisjoint(key):
        raise NotFound("File not found")
    if any(not part or part.startswith(".") for part in key.split("/")):
        raise NotFound("File not found")
    return key


class LocalStorage:
    """Objects are files under `root`; a key is the file's path relative to it."""

    def __init__(self, root: Path, secret: bytes, clock: Callable[[], float] = time.time) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self._root = root.resolve()
        self._secret = secret
        self._clock = clock

    @property
    def root(self) -> Path:
        return self._root

    def resolve(self, key: str) -> Path:
        """The path of `key` under the root; NotFound for any key that is unsafe or leads outside it."""
        path = (self._root / check_key(key)).resolve()
        # resolve() follows symlinks, so a link inside the root that points outside is caught here too.
        if not path.is_relative_to(self._root) or path == self._root:
            raise NotFound("File not found")
        return path

    def put_file(self, key: str, source: Path, content_type: str) -> int:
        dest = self.resolve(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        # The temp file lives in the destination's directory so that the rename never crosses filesystems.
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
                shutil.copyfileobj(src, out, _COPY_CHUNK)
                out.flush()
                os.fsync(out.fileno())
                size = os.fstat(out.fileno()).st_size
            os.replace(tmp, dest)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        return size

    def move_file(self, key: str, source: Path, content_type: str) -> int:
        """Renamed into place after an fsync, as private as `put_file`'s copies: the same guarantees
        without writing the bytes twice (a job's output goes from its scratch folder to storage,
        and the scratch folder's removal then has no file blocks to free). A source on another
        filesystem, a link, a file with other names, or any file off POSIX is copied, then deleted."""
        dest = self.resolve(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        info = os.lstat(source)
        if os.name == "posix" and stat.S_ISREG(info.st_mode) and info.st_nlink == 1:
            fd = os.open(source, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            try:
                os.fchmod(fd, 0o600)
                os.fsync(fd)
            finally:
                os.close(fd)
            try:
                os.replace(source, dest)
                return info.st_size
            except OSError as exc:
                if exc.errno != errno.EXDEV:
                    raise
        size = self.put_file(key, source, content_type)
        os.unlink(source)
        return size

    def delete_prefix(self, prefix: str) -> None:
        if not prefix:
            raise ValueError("refusing to delete every stored file (empty prefix)")
        check_key(prefix.removesuffix("/"))
        parent_key, _, stem = prefix.rpartition("/")
        directory = self.resolve(parent_key) if parent_key else self._root
        if not directory.is_dir():
            return
        for entry in os.scandir(directory):
            if entry.name.startswith(stem):
                _remove(entry)
        self._prune_empty(directory)

    def exists(self, key: str) -> bool:
        try:
            return self.resolve(key).is_file()
        except NotFound:
            return False

    def local_path(self, key: str) -> Path:
        return self.resolve(key)

    def signed_url(self, key: str, base_url: str, ttl_seconds: int) -> str:
        check_key(key)
        return file_url(self._secret, base_url, key, int(self._clock()) + int(ttl_seconds))

    def key_for_url(self, url: str) -> str | None:
        return key_from_url(self._secret, url)

    def read_to(self, key: str, dest: Path) -> None:
        shutil.copyfile(self.resolve(key), dest)

    def _prune_empty(self, directory: Path) -> None:
        # Per-job directories would otherwise pile up empty after their files are deleted.
        while directory != self._root and directory.is_relative_to(self._root):
            try:
                directory.rmdir()
            except OSError:
                return
            directory = directory.parent


def _remove(entry: os.DirEntry[str]) -> None:
    # Never follow a symlink while deleting: remove the link itself, not what it points to.
    with contextlib.suppress(FileNotFoundError):
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)
        else:
            os.unlink(entry.path)
