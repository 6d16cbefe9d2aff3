"""Input URLs of a job: this server's own file URLs are read from storage, everything else goes
through the one SSRF-safe fetcher.

A URL of the form `<any host>/files/<key>?exp=..&sig=..` whose signature this server made names a
stored file; it is used straight from storage, with no network access, when the file is one of the
caller's uploads or outputs. Any other user's file is refused. That is how a user hands a local
file to a job: upload it, then pass the returned URL.
"""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from apexlocal.accounts.users import User
from apexlocal.db import uploads
from apexlocal.errors import BadRequest, JobError
from apexlocal.jobs import media, records
from apexlocal.jobs.services import Services
from apexlocal.storage.signing import ROUTE_PREFIX, verify
from apexlocal.webhooks import fetch, ssrf

# The media type each input field of the seed accepts (content-type prefixes).
INPUT_TYPES: dict[str, tuple[str, ...]] = {
    "avatarImage": ("image/",),
    "image": ("image/",),
    "productImage": ("image/",),
    "productImages": ("image/",),
    "spokespersonImage": ("image/",),
    "sampleAudioUrl": ("audio/",),
    "audio": ("audio/",),
    "sourceVideoUrl": ("video/",),
    "videoUrl": ("video/",),
    "websiteUrl": ("text/html", "application/xhtml+xml"),
}


def expected_types(field: str) -> tuple[str, ...]:
    return INPUT_TYPES.get(field, ())


def own_file_key(services: Services, url: str) -> str | None:
    """The storage key behind one of this server's signed file URLs; None for any other URL.

    The host is not compared: the server may be reached under several names, and only this
    server's secret makes a valid signature. The expiry is not enforced here; ownership is
    checked by the caller instead, since the user is already authenticated.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https"):
        return None
    base_path = urlsplit(services.settings.resolved_base_url).path.rstrip("/")
    prefixes = {ROUTE_PREFIX, base_path + ROUTE_PREFIX}
    prefix = next((p for p in prefixes if parts.path.startswith(p)), None)
    query = parse_qs(parts.query)
    exp, sig = query.get("exp", [""])[-1], query.get("sig", [""])[-1]
    if prefix is None or not exp.isdigit() or len(exp) > 12 or not sig:
        return None
    key = unquote(parts.path[len(prefix):])
    return key if verify(services.file_secret, key, int(exp), sig, now=int(exp)) else None


def _owned_content_type(services: Services, user_id: str, key: str, field: str) -> str:
    if key.startswith(f"uploads/{user_id}/"):
        row = uploads.by_key(services.db, key)
        if row is not None and row["user_id"] == user_id:
            return row["content_type"]
    elif key.startswith(f"outputs/{user_id}/"):
        row = records.output_by_key(services.db, key, user_id)
        if row is not None:
            return row["content_type"]
    raise BadRequest(f"{field}: is not one of your files")


def _check_type(content_type: str, expect: tuple[str, ...], field: str) -> None:
    if expect and not any(content_type.startswith(prefix) for prefix in expect):
        wanted = ", ".join(p + "*" if p.endswith("/") else p for p in expect)
        raise BadRequest(f"{field}: expected {wanted}, got {content_type}")


def check_input_url(services: Services, user: User, url: str, field: str) -> None:
    """Submit-time check of an input URL: the caller's own file URL, or a URL the address policy
    allows. Raises a 400 naming the field otherwise."""
    key = own_file_key(services, url)
    if key is not None:
        _check_type(_owned_content_type(services, user.id, key, field), expected_types(field), field)
        return
    ssrf.validate_url(url, field, allow_private=services.settings.inputs_allow_private)


def fetch_input(services: Services, user_id: str, url: str, field: str, expect: tuple[str, ...],
                dest_dir: Path) -> Path:
    """The input at `url` as a local file in `dest_dir`. Failures raise `JobError` naming the field."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{field}-{secrets.token_hex(4)}"
    try:
        key = own_file_key(services, url)
        if key is not None:
            return _from_storage(services, user_id, key, field, expect, dest_dir / stem)
        return _from_network(services, url, field, expect, dest_dir / stem)
    except BadRequest as exc:
        raise JobError(exc.message) from None


def _from_storage(services: Services, user_id: str, key: str, field: str, expect: tuple[str, ...],
                  dest: Path) -> Path:
    content_type = _owned_content_type(services, user_id, key, field)
    _check_type(content_type, expect, field)
    source = services.storage.local_path(key)
    if source is None or not source.is_file():
        raise BadRequest(f"{field}: the file is no longer available")
    target = dest.with_suffix(media.EXTENSIONS.get(content_type, ""))
    shutil.copyfile(source, target)
    return target


def _from_network(services: Services, url: str, field: str, expect: tuple[str, ...], dest: Path) -> Path:
    settings = services.settings
    result = fetch.fetch_to_file(url, dest, field=field, expect=expect, allow_private=settings.inputs_allow_private,
                                 max_bytes=settings.fetch_max_bytes, timeout=settings.fetch_timeout_seconds)
    suffix = media.EXTENSIONS.get(result.content_type, "")
    return result.path.rename(dest.with_suffix(suffix)) if suffix else result.path
