"""Storing an upload: size capped per kind, typed by its bytes, kept under the user's own prefix.

The file is copied to a private temporary file first (counting and hashing as it goes), checked,
then handed to storage; the database row and any `Idempotency-Key` record are written together
afterwards, so a replayed request returns the first answer and leaves no second copy behind.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import uuid
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from apexlocal.db import idempotency, uploads
from apexlocal.timestamps import utcnow
from apexlocal.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from apexlocal.uploads import media
from apexlocal.db.database import Database
from apexlocal.settings import Settings
from apexlocal.storage.base import Storage

KINDS = ("image", "audio", "video")
_CHUNK = 1024 * 1024


class Services(Protocol):
    """What storing an upload needs of the server (`jobs.services.Services` has it)."""

    @property
    def db(self) -> Database: ...
    @property
    def storage(self) -> Storage: ...
    @property
    def settings(self) -> Settings: ...
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def too_large(services: Services, kind: str) -> PayloadTooLarge:
    mib = services.settings.upload_max_bytes(kind) // (1024 * 1024)
    return PayloadTooLarge(f"file: must be at most {mib} MiB for {kind} uploads")


def store_upload(services: Services, user_id: str, kind: str, source: BinaryIO, filename: str | None,
                 idempotency_key: str | None, base_url: str) -> tuple[int, dict[str, Any]]:
    """Stores `source` as the user's upload of `kind`; returns (status, body) of the answer."""
    if idempotency_key is not None:
        idempotency.check_key(idempotency_key)
    tmp_dir = services.settings.data_dir / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=tmp_dir, prefix=".upload-")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            digest = _copy(source, out, services.settings.upload_max_bytes(kind), services, kind)
        detected = _detect(tmp, kind)
        upload_id = "upl_" + uuid.uuid4().hex
        key = f"uploads/{user_id}/{upload_id}/{safe_name(filename, detected)}"
        size = services.storage.put_file(key, tmp, detected.content_type)
    finally:
        tmp.unlink(missing_ok=True)

    def create() -> tuple[int, dict[str, Any]]:
        created = utcnow()
        uploads.insert(services.db, upload_id=upload_id, user_id=user_id, kind=kind, storage_key=key,
                       content_type=detected.content_type, size=size,
                       original_name=(filename or None) and filename[:255], created_at=created)
        url = services.storage.signed_url(key, base_url, services.settings.url_ttl_seconds)
        return 201, {"data": {"id": upload_id, "url": url, "contentType": detected.content_type, "size": size,
                              "kind": kind, "name": filename or None, "createdAt": created}}

    req_hash = idempotency.request_hash("POST", f"/api/upload/{kind}", digest + (filename or "").encode())
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


def _copy(source: BinaryIO, out: BinaryIO, cap: int, services: Services, kind: str) -> bytes:
    """Copies at most `cap` bytes; returns their SHA-256. Raises 413 past the cap, 400 if empty."""
    hasher, size = hashlib.sha256(), 0
    source.seek(0)
    while chunk := source.read(_CHUNK):
        size += len(chunk)
        if size > cap:
            raise too_large(services, kind)
        hasher.update(chunk)
        out.write(chunk)
    if size == 0:
        raise BadRequest("file: is empty")
    return hasher.digest()


def _detect(path: Path, kind: str) -> media.Detected:
    detected = media.sniff(path)
    if detected is None:
        raise UnsupportedMediaType(
            f"file: is not a supported {kind} format (accepted: {media.FORMATS_BY_KIND[kind]})")
    if detected.kind != kind:
        raise UnsupportedMediaType(
            f"file: is {detected.content_type}, not {kind}; upload it to /api/upload/{detected.kind}")
    return detected


def safe_name(filename: str | None, detected: media.Detected) -> str:
    """A storage-safe file name: the client's stem reduced to plain characters, the extension
    of what the bytes are (the files route types its answer by it)."""
    stem = _UNSAFE.sub("-", Path((filename or "").replace("\\", "/")).stem).strip("-")[:64]
    return (stem or "upload") + detected.extension
