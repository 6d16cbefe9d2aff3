"""Secrets kept in app.db (the `whsec_` secrets that sign webhooks) are stored sealed: encrypted and
authenticated with Fernet (AES-128-CBC and HMAC-SHA256) under a key that lives beside the database
in `secrets.key` (mode 0600), as the file-signing key does. A copy of app.db alone, a backup or a
file another local user could read, does not give them away. Back the key up with the database:
without it the sealed values cannot be read.
"""

from __future__ import annotations

import base64
import threading
from pathlib import Path
from typing import Any

from apexlocal.db.database import Database
from apexlocal.errors import ConfigError
from apexlocal.keyfiles import load_or_create_key

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

            cipher = _ciphers[path] = Fernet(base64.urlsafe_b64encode(load_or_create_key(path, KEY_BYTES)))
        return cipher
