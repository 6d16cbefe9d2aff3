"""API key format: `sk_live_` + 32 random base62 characters + a 6-character checksum.

The checksum (CRC32 of the random part, in base62) lets a mistyped or truncated key be refused
without touching the database. Only the SHA-256 of a key is stored, beside a display prefix and
its last four characters.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import string
import zlib

PREFIX = "sk_live_"
BODY_LEN = 32
CHECK_LEN = 6
ALPHABET = string.digits + string.ascii_letters  # base62
KEY_LEN = len(PREFIX) + BODY_LEN + CHECK_LEN
# The shape checked in one C-level match: it runs on every authenticated request.
_SHAPE = re.compile(f"{PREFIX}[0-9A-Za-z]{{{BODY_LEN + CHECK_LEN}}}")


def _base62(number: int, width: int) -> str:
    out = []
    for _ in range(width):
        number, digit = divmod(number, 62)
        out.append(ALPHABET[digit])
    return "".join(reversed(out))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode()), CHECK_LEN)


def new_key() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LEN))
    return PREFIX + body + _checksum(body)


def well_formed(key: str) -> bool:
    """Shape and checksum only: no database read."""
    if _SHAPE.fullmatch(key) is None:
        return False
    body, check = key[len(PREFIX) : -CHECK_LEN], key[-CHECK_LEN:]
    return secrets.compare_digest(check, _checksum(body))


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def display_prefix(key: str) -> str:
    return key[: len(PREFIX) + 4]


def last4(key: str) -> str:
    return key[-4:]
