"""Input URLs of a job: this server's own file URLs are read from storage, everything else goes
through the one SSRF-safe fetcher.

A URL this server handed out (`<any host>/files/<key>?exp=..&sig=..` signed by this server, or the
bucket's presigned or public URL with the s3 backend) names a stored file; it is read straight from
storage, never through the fetcher, when the file is one of the caller's uploads or outputs. Any
other user's file is refused. That is how a user hands a local file to a job: upload it, then pass
the returned URL.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from apexlocal.accounts.users import User
from apexlocal.db import jobs as records
from apexlocal.db import uploads
from apexlocal.errors import BadRequest, JobError
from apexlocal.jobs.services import Services
from apexlocal.settings import Settings
from apexlocal.storage.base import Storage
from apexlocal.uploads import media
from apexlocal.webhooks import fetch, ssrf

# The media type each input field of the seed accepts (content-type prefixes).
INPUT_TYPES: dict[str, tuple[str, ...]] = {
    "avatarImage": ("image/",),
    "image": ("image/",),
    "imageUrl": ("image/",),
    "referenceImages": ("image/",),
    "productImage": ("image/",),
    "productImages": ("image/",),
    "spokespersonImage": ("image/",),
    "sampleAudioUrl": ("audio/",),
    "audio": ("audio/",),
    "sourceVideoUrl": ("video/",),
    "videoUrl": ("video/",),
    "websiteUrl": ("text/html", "application/xhtml+xml"),
    "logoUrl": ("image/",),
}


def expected_types(field: str) -> tuple[str, ...]:
    return INPUT_TYPES.get(field.split("[", 1)[0], ())  # "referenceImages[2]" is a referenceImages input


def own_file_key(services: Services, url: str) -> str | None:
    """The storage key behind a URL this server handed out (a signed file URL of the local
    backend, a presigned or public URL of the bucket); None for any other URL. Ownership is
    checked by the caller."""
    return services.storage.key_for_url(url)


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


def fetch_input(
    services: Services, user_id: str, url: str, field: str, expect: tuple[str, ...], dest_dir: Path
) -> Path:
    """The input at `url` as a local file in `dest_dir`. Failures raise `JobError` naming the field."""
    try:
        stored = stored_input(services, user_id, url, field, expect)
        if stored is not None:
            return copy_stored(services.storage, *stored, field, dest_dir)
        return fetch_remote(services.settings, url, field, expect, dest_dir)
    except BadRequest as exc:
        raise JobError(exc.message) from None


def stored_input(
    services: Services, user_id: str, url: str, field: str, expect: tuple[str, ...]
) -> tuple[str, str] | None:
    """(storage key, content type) of an input URL that names one of the user's stored files, its
    type checked; None for any other URL. Raises BadRequest naming the field."""
    key = own_file_key(services, url)
    if key is None:
        return None
    content_type = _owned_content_type(services, user_id, key, field)
    _check_type(content_type, expect, field)
    return key, content_type


def _dest(dest_dir: Path, field: str) -> Path:
    dest_dir.mkdir(parents=True, exist_ok=True)
    return dest_dir / f"{field}-{secrets.token_hex(4)}"


def copy_stored(storage: Storage, key: str, content_type: str, field: str, dest_dir: Path) -> Path:
    """A stored file (checked by `stored_input`) copied into `dest_dir`."""
    target = _dest(dest_dir, field).with_suffix(media.EXTENSIONS.get(content_type, ""))
    try:
        storage.read_to(key, target)
    except Exception as exc:  # a missing file raises differently per backend
        raise BadRequest(f"{field}: the file is no longer available") from exc
    return target


def fetch_remote(settings: Settings, url: str, field: str, expect: tuple[str, ...], dest_dir: Path) -> Path:
    """Any other input URL, through the SSRF-safe fetcher, into `dest_dir`."""
    dest = _dest(dest_dir, field)
    result = fetch.fetch_to_file(
        url,
        dest,
        field=field,
        expect=expect,
        allow_private=settings.inputs_allow_private,
        max_bytes=settings.fetch_max_bytes,
        timeout=settings.fetch_timeout_seconds,
    )
    suffix = media.EXTENSIONS.get(result.content_type, "")
    return result.path.rename(dest.with_suffix(suffix)) if suffix else result.path
