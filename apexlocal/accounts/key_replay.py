"""A new API key kept in an idempotency record, so that a retried `POST /api/keys` gets the first
answer back, as every creating POST does, while app.db still never holds a key in plaintext.

The key is sealed with the secret that authenticated the request (the caller's own API key or
session cookie, of which app.db keeps only hashes): XOR-ed with an HMAC-SHA256 keystream derived from
that secret, the user, the Idempotency-Key and a random nonce, and tagged. The same caller retrying
opens it and gets the very same key; another key or session of the same user, or anyone reading
app.db, cannot.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PREFIX = "sealed:v1:"
_NONCE, _TAG = 16, 16


def _key(credential: str, context: str, nonce: bytes) -> bytes:
    return hmac.new(
        credential.encode(), b"apexlocal key replay\0" + context.encode() + b"\0" + nonce, hashlib.sha256
    ).digest()


def _xor(key: bytes, data: bytes) -> bytes:
    stream = b"".join(
        hmac.new(key, b"stream" + i.to_bytes(4, "big"), hashlib.sha256).digest() for i in range(len(data) // 32 + 1)
    )
    return bytes(a ^ b for a, b in zip(data, stream[: len(data)], strict=True))


def _tag(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, b"tag" + body, hashlib.sha256).digest()[:_TAG]


def seal(secret: str, credential: str, context: str) -> str:
    nonce = secrets.token_bytes(_NONCE)
    key = _key(credential, context, nonce)
    body = _xor(key, secret.encode())
    return PREFIX + base64.urlsafe_b64encode(nonce + body + _tag(key, body)).decode()


def unseal(sealed: str, credential: str, context: str) -> str | None:
    """The sealed secret; None when `credential` or `context` is not the one it was sealed with."""
    if not sealed.startswith(PREFIX):
        return None
    raw = base64.urlsafe_b64decode(sealed[len(PREFIX) :])
    nonce, body, tag = raw[:_NONCE], raw[_NONCE:-_TAG], raw[-_TAG:]
    key = _key(credential, context, nonce)
    if not hmac.compare_digest(tag, _tag(key, body)):
        return None
    return _xor(key, body).decode()
