"""Storing an upload: size capped per kind, typed by its bytes, kept under the user's own prefix.

The body was received into a private temporary file (`receive.py`: counted, capped and hashed as it
came); here it is typed, handed to storage, and its row and any `Idempotency-Key` record are written
together afterwards, so a replayed request returns the first answer and leaves no second copy behind.
"""

from __future__ import annotations

import logging
import re
import uuid
from pathlib import Path
from typing import Any, Protocol

from apexlocal.db import idempotency, uploads
from apexlocal.db.database import Database
from apexlocal.errors import PayloadTooLarge, UnsupportedMediaType
from apexlocal.settings import Settings
from apexlocal.storage.base import Storage
from apexlocal.timestamps import utcnow
from apexlocal.uploads import media
from apexlocal.uploads.receive import TEMP_PREFIX, Received

KINDS = ("image", "audio", "video")

log = logging.getLogger("apexlocal.uploads")


class Services(Protocol):
    """What storing an upload needs of the server (`jobs.services.Services` has it)."""

    @property
    def db(self) -> Database: ...
    @property
    def storage(self) -> Storage: ...
    @property
    def settings(self) -> Settings: ...


_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def temp_dir(settings: Settings) -> Path:
    """Where uploads are received before they are stored."""
    return settings.data_dir / "tmp"


def remove_leftovers(settings: Settings) -> int:
    """Removes the temporary files of uploads a previous process was receiving when it stopped;
    returns how many. Call at startup, before requests are served."""
    removed = 0
    for path in temp_dir(settings).glob(TEMP_PREFIX + "*"):
        try:
            path.unlink()
            removed += 1
        except OSError as exc:
            log.warning("could not remove the leftover upload %s: %s", path, exc)
    return removed


def too_large(services: Services, kind: str) -> PayloadTooLarge:
    mib = services.settings.upload_max_bytes(kind) // (1024 * 1024)
    return PayloadTooLarge(f"file: must be at most {mib} MiB for {kind} uploads")


def store_upload(
    services: Services, user_id: str, kind: str, received: Received, idempotency_key: str | None, base_url: str
) -> tuple[int, dict[str, Any]]:
    """Stores the received file as the user's upload of `kind`; returns (status, body) of the answer.
    Removes `received.path` whatever happens."""
    filename = received.filename
    try:
        detected = _detect(received.path, kind)
        upload_id = "upl_" + uuid.uuid4().hex
        key = f"uploads/{user_id}/{upload_id}/{safe_name(filename, detected)}"
        size = services.storage.put_file(key, received.path, detected.content_type)
    finally:
        received.path.unlink(missing_ok=True)

    def create() -> tuple[int, dict[str, Any]]:
        created = utcnow()
        uploads.insert(
            services.db,
            upload_id=upload_id,
            user_id=user_id,
            kind=kind,
            storage_key=key,
            content_type=detected.content_type,
            size=size,
            original_name=(filename or None) and filename[:255],
            created_at=created,
        )
        url = services.storage.signed_url(key, base_url, services.settings.url_ttl_seconds)
        return 201, {
            "data": {
                "id": upload_id,
                "url": url,
                "contentType": detected.content_type,
                "size": size,
                "kind": kind,
                "name": filename or None,
                "createdAt": created,
            }
        }

    req_hash = idempotency.request_hash("POST", f"/api/upload/{kind}", received.digest + (filename or "").encode())
    try:
        status, body, replayed = idempotency.run_once(services.db, user_id, idempotency_key, req_hash, create)
    except BaseException:
        # A key reused with another file (409), or anything else that kept the row from being
        # written: the file must not outlive it.
        services.storage.delete_prefix(f"uploads/{user_id}/{upload_id}/")
        raise
    if replayed:
        services.storage.delete_prefix(f"uploads/{user_id}/{upload_id}/")
    return status, body


def _detect(path: Path, kind: str) -> media.Detected:
    detected = media.sniff(path)
    if detected is None:
        raise UnsupportedMediaType(f"file: is not a supported {kind} format (accepted: {media.FORMATS_BY_KIND[kind]})")
    if detected.kind != kind:
        raise UnsupportedMediaType(
            f"file: is {detected.content_type}, not {kind}; upload it to /api/upload/{detected.kind}"
        )
    return detected


def safe_name(filename: str | None, detected: media.Detected) -> str:
    """A storage-safe file name: the client's stem reduced to plain characters, the extension
    of what the bytes are (the files route types its answer by it)."""
    stem = _UNSAFE.sub("-", Path((filename or "").replace("\\", "/")).stem).strip("-")[:64]
    return (stem or "upload") + detected.extension
