"""Receiving an upload: the multipart body parsed as it arrives, its one file part written to a
private temporary file, so memory stays bounded whatever the client sends.

Every part is judged by its headers, before any of its body is read: a part that is not the one file
(another field, a `file` field without a filename, a second file) is refused there, and its bytes are
never buffered or decoded. The file's bytes are counted against the kind's cap as they come (413 at
the first byte past it), hashed, and written to disk from a worker thread in batches.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from anyio import to_thread
from multipart import (
    MultipartError,
    MultipartSegment,
    PushMultipartParser,
    parse_options_header,
)

from apexlocal.errors import ApiError, BadRequest, UnsupportedMediaType

FIELD = "file"
TEMP_PREFIX = ".upload-"
FLUSH_BYTES = 1024 * 1024  # written to disk in batches of this size: few thread hops, bounded memory
_MALFORMED = "body: must be valid multipart/form-data"
_EXTENDED_NAME = re.compile(r";\s*filename\*\s*=\s*([^;\s]+)", re.IGNORECASE)


@dataclass(frozen=True)
class Received:
    """The file part, on disk: the caller owns `path` and removes it."""

    path: Path
    filename: str | None
    size: int
    digest: bytes  # SHA-256 of the file's bytes


class _Spool:
    """A private temporary file that hashes and counts what is written to it."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=directory, prefix=TEMP_PREFIX)  # mode 0600
        self.path = Path(name)
        self.handle = os.fdopen(fd, "wb")
        self.hasher = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.hasher.update(data)
        self.handle.write(data)
        self.size += len(data)

    def discard(self) -> None:
        self.handle.close()
        self.path.unlink(missing_ok=True)


def boundary_of(content_type: str) -> bytes:
    """The multipart boundary of a Content-Type header; 415 for another type, 400 without one."""
    media_type, options = parse_options_header(content_type or "")
    if media_type != "multipart/form-data":
        raise UnsupportedMediaType("Content-Type: must be multipart/form-data")
    boundary = options.get("boundary", "")
    if not boundary or not boundary.isascii():
        raise BadRequest("Content-Type: must carry a multipart boundary")
    return boundary.encode("ascii")


def file_name(segment: MultipartSegment) -> str | None:
    """The part's file name ("" when sent empty), or None when it has none: a plain form field.

    RFC 7578 forbids `filename*`, but some clients send only that; it still marks a file."""
    if segment.filename is not None:
        return segment.filename
    match = _EXTENDED_NAME.search(segment.header("Content-Disposition", ""))
    if match is None:
        return None
    charset, _, rest = match.group(1).partition("'")
    try:
        return unquote(rest.partition("'")[2], encoding=charset or "utf-8", errors="strict")
    except (LookupError, UnicodeDecodeError):
        raise BadRequest(f"{FIELD}: filename* must be RFC 5987 text (charset'language'percent-encoded)") from None


def _check_part(segment: MultipartSegment, have_file: bool) -> str | None:
    """Refuses any part but the one file, from its headers alone; returns the file's name."""
    name = segment.name or ""
    if name != FIELD:
        raise BadRequest(f"{name or '(unnamed part)'}: unknown field (allowed: {FIELD})")
    filename = file_name(segment)
    if filename is None:
        raise BadRequest(
            f"{FIELD}: must be a file part, with a filename in its Content-Disposition (this one is a plain form field)"
        )
    if have_file:
        raise BadRequest(f"{FIELD}: must be exactly one file")
    return filename


async def receive_file(
    chunks: AsyncIterator[bytes], content_type: str, directory: Path, cap: int, too_large: ApiError
) -> Received:
    """Parses the multipart body `chunks` and spools its one `file` part into `directory`.

    Raises `too_large` once the file passes `cap` bytes, BadRequest for anything but exactly one
    non-empty file part, UnsupportedMediaType for a body that is not multipart/form-data."""
    receiver = _Receiver(directory, cap, too_large)
    try:
        await receiver.run(chunks, boundary_of(content_type))
    except MultipartError:
        receiver.discard()
        raise BadRequest(_MALFORMED) from None
    except BaseException:
        receiver.discard()
        raise
    return await to_thread.run_sync(receiver.result)


class _Receiver:
    def __init__(self, directory: Path, cap: int, too_large: ApiError) -> None:
        self.directory, self.cap, self.too_large = directory, cap, too_large
        self.spool: _Spool | None = None
        self.filename: str | None = None
        self.received = 0
        self.pending = bytearray()

    async def run(self, chunks: AsyncIterator[bytes], boundary: bytes) -> None:
        with PushMultipartParser(boundary) as parser:
            async for chunk in chunks:
                for event in parser.parse(chunk):
                    await self._on(event)
                if len(self.pending) >= FLUSH_BYTES:
                    await self._flush()
                if parser.closed:
                    break
        await self._flush()

    async def _on(self, event: MultipartSegment | bytes | None) -> None:
        if isinstance(event, MultipartSegment):
            self.filename = _check_part(event, self.spool is not None)
            self.spool = await to_thread.run_sync(_Spool, self.directory)
        elif event:
            self.received += len(event)
            if self.received > self.cap:
                raise self.too_large
            self.pending += event

    async def _flush(self) -> None:
        if self.spool is not None and self.pending:
            data = bytes(self.pending)
            self.pending.clear()
            await to_thread.run_sync(self.spool.write, data)

    def result(self) -> Received:
        if self.spool is None:
            raise BadRequest(f"{FIELD}: is required")
        self.spool.handle.close()
        if self.spool.size == 0:
            self.discard()
            raise BadRequest(f"{FIELD}: is empty")
        return Received(self.spool.path, self.filename or None, self.spool.size, self.spool.hasher.digest())

    def discard(self) -> None:
        if self.spool is not None:
            self.spool.discard()
