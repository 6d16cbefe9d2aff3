"""Random keys kept in files of their own beside the data (the file-signing key, the key that seals
secrets in app.db): made once, private to their owner, the same for every process that starts."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from apexlocal.errors import ConfigError


def load_or_create_key(path: Path, size: int) -> bytes:
    """The `size` random bytes stored at `path`, created (mode 0600) on first use; a key file an
    older install left readable by others is made 0600."""
    if not path.exists():
        _create(path, size)
    if os.name == "posix" and path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)
    key = path.read_bytes()
    if len(key) != size:
        raise ConfigError(f"{path}: expected {size} bytes of key")
    return key


def _create(path: Path, size: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp makes the file 0600 from the start, so the key is never readable by others, not even
    # briefly; link (unlike replace) fails when the file exists, so two processes starting together
    # both end up with the first one's key instead of silently overwriting it.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(os.urandom(size))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        except OSError:  # a filesystem without hard links: replace is still atomic, only not first-wins
            os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
