"""Signed, expiring URLs for files served by this server, and the secret that signs them.

A URL looks like `{base_url}/files/{quoted key}?exp=<unix seconds>&sig=<signature>`. The signature is
an HMAC-SHA256 over the expiry and the key, so neither can be changed without invalidating it.
"""

from __future__ import annotations

import base64
import hmac
import re
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

from apexlocal.keyfiles import load_or_create_key

SECRET_BYTES = 32
ROUTE_PREFIX = "/files/"
# A version tag in the signed message lets a future format never collide with this one.
_DOMAIN = b"apexlocal-file-url-v1"
_NO_QUOTING = re.compile(r"[A-Za-z0-9_.~/-]*")  # what quote(key, safe="/") leaves as it is


def _message(key: str, expires: int) -> bytes:
    # The expiry is only digits, so the first newline after it separates it from the key unambiguously.
    return b"%s\n%d\n%s" % (_DOMAIN, expires, key.encode("utf-8"))


def sign(secret: bytes, key: str, expires: int) -> str:
    """The URL-safe base64 (unpadded) HMAC-SHA256 of `key` and `expires`."""
    digest = hmac.digest(secret, _message(key, int(expires)), "sha256")  # one C call
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verify(secret: bytes, key: str, expires: int, signature: str, now: float) -> bool:
    """True when `signature` matches `key` and `expires`, and `expires` is not in the past."""
    expected = sign(secret, key, expires).encode("ascii")
    # Compare bytes: compare_digest refuses non-ASCII str, and a client may send anything.
    matches = hmac.compare_digest(expected, signature.encode("utf-8", "replace"))
    return matches and now <= expires


def file_url(secret: bytes, base_url: str, key: str, expires: int) -> str:
    """The signed URL of `key`, valid until the Unix time `expires`."""
    # The signature is URL-safe base64 and the expiry digits: neither needs quoting. Keys this server
    # makes need none either; quote only one that does (it is on every job read).
    path = key if _NO_QUOTING.fullmatch(key) else quote(key, safe="/")
    return f"{base_url.rstrip('/')}{ROUTE_PREFIX}{path}?exp={int(expires)}&sig={sign(secret, key, expires)}"


def key_from_url(secret: bytes, url: str) -> str | None:
    """The key named by a URL that this secret signed (any host, any base path); None otherwise.

    The expiry is not enforced: the caller decides what an old URL may still do (its owner, already
    authenticated, may hand back one of their own files)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    at = parts.path.find(ROUTE_PREFIX)
    query = parse_qs(parts.query)
    exp, sig = query.get("exp", [""])[-1], query.get("sig", [""])[-1]
    if parts.scheme not in ("http", "https") or at < 0 or not exp.isdigit() or len(exp) > 12 or not sig:
        return None
    key = unquote(parts.path[at + len(ROUTE_PREFIX) :])
    return key if verify(secret, key, int(exp), sig, now=int(exp)) else None


def load_or_create_secret(path: Path) -> bytes:
    """The signing secret stored at `path`, created (mode 0600) on first use and reused afterwards."""
    return load_or_create_key(path, SECRET_BYTES)
