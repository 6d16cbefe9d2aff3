"""Security headers on every response: a strict Content-Security-Policy (no inline script or
style anywhere in the studio), no MIME sniffing, no framing, no referrer outside this origin.
Stored files (`/files/...`) get a policy of their own, sandboxed: they are users' content.

Added by a `before_send` hook, which sees every response the app sends, errors and unknown paths
included, rather than only those of routed handlers.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlsplit

from litestar.types import Message, Scope

from apexlocal.settings import Settings

BASE_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:", "blob:"],
    "media-src": ["'self'", "blob:"],
    "connect-src": ["'self'"],
    "font-src": ["'self'"],
    "object-src": ["'none'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
}
# The OpenAPI viewers Litestar renders at /schema load their code from CDNs with inline scripts;
# they get a policy that still forbids framing, and the studio never links to them.
VIEWER_POLICY = "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
# A stored file opened on its own must never run script with this server's origin: `sandbox` gives
# it an opaque origin (no cookies, no storage, no script, no forms), and nothing but the file itself
# may load. The browser's own image and media viewers still show it; its URL is never a frame.
FILES_POLICY = (
    "sandbox; default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
FILES_PREFIX = "/files/"

STATIC_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Not "no-referrer": that makes a browser send `Origin: null` on same-origin POSTs, which the
    # cross-site check would then refuse.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), geolocation=(), payment=(), usb=()",
}


def _storage_origins(settings: Settings) -> list[str]:
    """Outputs stored in a bucket are shown from its URLs, so the bucket's origin may load media."""
    if settings.storage_backend != "s3":
        return []
    url = settings.s3_public_base_url or settings.s3_endpoint_url
    if url:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        # Presigned URLs of an endpoint are virtual-hosted or path style: allow both forms.
        return [origin, f"{parts.scheme}://*.{parts.netloc}"] if not settings.s3_public_base_url else [origin]
    return ["https://*.amazonaws.com"]


def content_security_policy(settings: Settings) -> str:
    extra = _storage_origins(settings)
    policy = {k: list(v) for k, v in BASE_POLICY.items()}
    for directive in ("img-src", "media-src", "connect-src"):
        policy[directive] += extra
    return "; ".join(f"{name} {' '.join(values)}" for name, values in policy.items())


def _is_viewer(path: str) -> bool:
    return path.startswith("/schema") and not path.endswith((".json", ".yaml", ".yml"))


def policy_for(path: str, app_policy: str) -> str:
    """The Content-Security-Policy of a response to `path`."""
    if path.startswith(FILES_PREFIX):
        return FILES_POLICY
    return VIEWER_POLICY if _is_viewer(path) else app_policy


def security_headers_hook(settings: Settings) -> Callable[[Message, Scope], Coroutine[Any, Any, None]]:
    csp = content_security_policy(settings)
    # Every answer gets these, replacing any of the same name: built once as raw pairs, since a
    # header-by-header rewrite (a scan of the list per name) cost more than a cheap route itself.
    static = [(name.lower().encode(), value.encode()) for name, value in STATIC_HEADERS.items()]
    names = {name for name, _ in static} | {b"content-security-policy"}
    policies = {policy: (b"content-security-policy", policy.encode()) for policy in (csp, VIEWER_POLICY, FILES_POLICY)}

    async def before_send(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        kept = [pair for pair in message.get("headers", ()) if pair[0].lower() not in names]
        message["headers"] = [*kept, policies[policy_for(scope.get("path", ""), csp)], *static]

    return before_send
