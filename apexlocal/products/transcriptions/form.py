"""The multipart form of OpenAI's transcription request, parsed as it arrives: the one `file` part
spooled to a private temporary file (counted against the audio upload cap), the other parts kept
as short text fields (at most MAX_FIELD_BYTES each, MAX_FIELDS in all)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from anyio import to_thread
from multipart import MultipartError, MultipartSegment, PushMultipartParser

from apexlocal.errors import ApiError, BadRequest
from apexlocal.uploads.receive import boundary_of, file_name

FILE_FIELD = "file"
MAX_FIELD_BYTES = 4096
MAX_FIELDS = 32
FLUSH_BYTES = 1024 * 1024


@dataclass
class Form:
    fields: dict[str, list[str]] = field(default_factory=dict)
    path: Path | None = None  # the file, on disk: the caller removes it
    filename: str | None = None
    size: int = 0

    def one(self, name: str) -> str | None:
        values = self.fields.get(name)
        if not values:
            return None
        if len(values) > 1:
            raise BadRequest(f"{name}: give it once")
        return values[0]

    def discard(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)


async def receive_form(
    chunks: AsyncIterator[bytes], content_type: str, directory: Path, cap: int, too_large: ApiError
) -> Form:
    form = Form()
    try:
        await _parse(chunks, boundary_of(content_type), directory, cap, too_large, form)
    except MultipartError:
        form.discard()
        raise BadRequest("body: must be valid multipart/form-data") from None
    except BaseException:
        form.discard()
        raise
    if form.path is None:
        raise BadRequest(f"{FILE_FIELD}: is required (the audio file, as a file part)")
    if form.size == 0:
        form.discard()
        raise BadRequest(f"{FILE_FIELD}: is empty")
    return form


async def _parse(
    chunks: AsyncIterator[bytes], boundary: bytes, directory: Path, cap: int, too_large: ApiError, form: Form
) -> None:
    current: str | None = None  # the field being read; FILE_FIELD for the file
    text = bytearray()
    pending = bytearray()
    handle: IO[bytes] | None = None
    try:
        with PushMultipartParser(boundary) as parser:
            async for chunk in chunks:
                for event in parser.parse(chunk):
                    if isinstance(event, MultipartSegment):
                        current = _start_part(event, form)
                        if current == FILE_FIELD:
                            handle = await to_thread.run_sync(_open_spool, directory, form)
                    elif event is None:  # the part ended
                        if current is not None and current != FILE_FIELD:
                            _end_field(current, bytes(text), form)
                        text.clear()
                        current = None
                    elif current == FILE_FIELD:
                        form.size += len(event)
                        if form.size > cap:
                            raise too_large
                        pending += event
                    else:
                        text += event
                        if len(text) > MAX_FIELD_BYTES:
                            raise BadRequest(f"{current}: must be at most {MAX_FIELD_BYTES} bytes")
                if handle is not None and len(pending) >= FLUSH_BYTES:
                    data = bytes(pending)
                    pending.clear()
                    await to_thread.run_sync(handle.write, data)
                if parser.closed:
                    break
        if handle is not None and pending:
            await to_thread.run_sync(handle.write, bytes(pending))
    finally:
        if handle is not None:
            handle.close()


def _start_part(segment: MultipartSegment, form: Form) -> str:
    name = segment.name or ""
    if not name:
        raise BadRequest("(unnamed part): every part needs a name")
    if name == FILE_FIELD:
        filename = file_name(segment)
        if filename is None:
            raise BadRequest(f"{FILE_FIELD}: must be a file part, with a filename in its Content-Disposition")
        if form.path is not None:
            raise BadRequest(f"{FILE_FIELD}: must be exactly one file")
        form.filename = filename or None
        return name
    if sum(len(v) for v in form.fields.values()) >= MAX_FIELDS:
        raise BadRequest(f"body: at most {MAX_FIELDS} form fields")
    return name


def _end_field(name: str, value: bytes, form: Form) -> None:
    try:
        form.fields.setdefault(name, []).append(value.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRequest(f"{name}: must be UTF-8 text") from None


def _open_spool(directory: Path, form: Form) -> IO[bytes]:
    directory.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=directory, prefix=".transcription-")  # mode 0600
    form.path = Path(name)
    return os.fdopen(fd, "wb")
