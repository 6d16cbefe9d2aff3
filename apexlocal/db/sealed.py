"""Secrets kept in app.db (the `whsec_` secrets that sign webhooks) are stored sealed: encrypted and
authenticated with Fernet (AES-128-CBC and HMAC-SHA256) under a key that lives beside the database
in `secrets.key` (mode 0600), as the file-signing key does. A copy of app.db alone, a backup or a
file another local user could read, does not give them away. Back the key up with the database:
without it the sealed values cannot be read.
"""

from __future__ import annotations

import base64
import contextlib
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from apexlocal.db.database import Database, make_private
from apexlocal.errors import ConfigError

KEY_FILE = "secrets.key"
KEY_BYTES = 32
PREFIX = "sealed:v1:"

_ciphers: dict[Path, Any] = {}
_lock = threading.Lock()


def key_path(db: Database) -> Path:
    return db.path.parent / KEY_FILE


def is_sealed(value: str) -> bool:
    return value.startswith(PREFIX)


def seal(db: Database, plaintext: str) -> str:
    """`plaintext` encrypted under the database's key, as text to store."""
    return PREFIX + _cipher(db).encrypt(plaintext.encode("utf-8")).decode("ascii")


def unseal(db: Database, stored: str) -> str:
    """The plaintext of a sealed value; a value stored before sealing existed is returned as it is."""
    if not is_sealed(stored):
        return stored
    from cryptography.fernet import InvalidToken

    try:
        return _cipher(db).decrypt(stored[len(PREFIX) :].encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise ConfigError(
            f"a secret in {db.path.name} does not open with {key_path(db)}: restore the key "
            "file that was beside the database when the secret was stored"
        ) from None


def _cipher(db: Database) -> Any:
    path = key_path(db).resolve()
    with _lock:
        cipher = _ciphers.get(path)
        if cipher is None:
            from cryptography.fernet import Fernet

            cipher = _ciphers[path] = Fernet(base64.urlsafe_b64encode(_load_or_create_key(path)))
        return cipher


def _load_or_create_key(path: Path) -> bytes:
    if not path.exists():
        _create_key(path)
    make_private(path)
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise ConfigError(f"{path}: expected {KEY_BYTES} bytes of key")
    return key


def _create_key(path: Path) -> None:
    # mkstemp makes the file 0600 from the start; link (unlike replace) fails when the file exists,
    # so two processes starting together both end up with the first one's key.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(os.urandom(KEY_BYTES))
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
