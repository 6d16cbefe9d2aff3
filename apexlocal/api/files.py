"""`GET|HEAD /files/{key}`: the local backend's files, at URLs whose signature is the only credential.

Serves byte ranges (video players seek with them) and streams from disk in chunks, so a large video is
never read into memory. With the S3 backend the files live in the bucket and this route finds nothing.
"""

from __future__ import annotations

import mimetypes
import os
import re
import stat
import time
from collections.abc import AsyncIterator
from email.utils import formatdate
from typing import Annotated, BinaryIO

import anyio.to_thread
import msgspec
from litestar import HttpMethod, Request, route
from litestar.params import PathParameter, QueryParameter
from litestar.response.base import ASGIResponse
from litestar.response.streaming import ASGIStreamingResponse

from apexlocal.api.openapi import errors
from apexlocal.api.security import FILES_POLICY
from apexlocal.errors import Forbidden, NotFound
from apexlocal.storage.local import LocalStorage
from apexlocal.storage.signing import verify

CHUNK_BYTES = 256 * 1024
_EXP = re.compile(r"\d{1,12}", re.ASCII)
# One range only; anything else (several ranges, other units, bad syntax) is answered with the whole file.
_RANGE = re.compile(r"\s*bytes\s*=\s*(\d{0,19})\s*-\s*(\d{0,19})\s*", re.ASCII | re.IGNORECASE)
# Media types of what this server writes, fixed here because the platform's tables disagree on them.
_MEDIA_TYPES = {
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".mov": "video/quicktime",
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".ogg": "audio/ogg",
    ".opus": "audio/ogg",
    ".m4a": "audio/mp4",
    ".flac": "audio/flac",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".gif": "image/gif",
    ".vtt": "text/vtt",
    ".srt": "application/x-subrip",
    ".json": "application/json",
}
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)


class _Unsatisfiable(Exception):
    pass


def media_type_for(name: str) -> str:
    """The Content-Type of a file, from its extension."""
    ext = os.path.splitext(name)[1].lower()
    media_type = _MEDIA_TYPES.get(ext) or mimetypes.guess_type(name)[0] or "application/octet-stream"
    return f"{media_type}; charset=utf-8" if media_type.startswith("text/") else media_type


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """The (first, last) byte offsets, inclusive, of a single range; None to send the whole file.

    Raises _Unsatisfiable when the range is well formed but lies outside the file.
    """
    match = _RANGE.fullmatch(header)
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first, last = match.groups()
    if not first:
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise _Unsatisfiable
        return max(0, size - suffix), size - 1
    start = int(first)
    if last and int(last) < start:
        return None  # syntactically invalid: ignored, as RFC 9110 asks
    if start >= size:
        raise _Unsatisfiable
    end = min(int(last), size - 1) if last else size - 1
    return start, end


def _check_signature(request: Request, key: str, exp: str | None, sig: str | None) -> int:
    now = time.time()
    if exp is None or sig is None or not _EXP.fullmatch(exp):
        raise Forbidden("Invalid or expired file URL")
    expires = int(exp)
    if not verify(request.app.state.services.file_secret, key, expires, sig, now):
        raise Forbidden("Invalid or expired file URL")
    return max(0, expires - int(now))


def _open(storage: LocalStorage, key: str) -> tuple[BinaryIO, os.stat_result]:
    path = storage.resolve(key)
    try:
        # O_NOFOLLOW: the path was checked with symlinks resolved; refuse one swapped in since.
        handle = os.fdopen(os.open(path, _OPEN_FLAGS), "rb")
    except OSError:
        raise NotFound("File not found") from None
    info = os.fstat(handle.fileno())
    if not stat.S_ISREG(info.st_mode):
        handle.close()
        raise NotFound("File not found")
    return handle, info


async def _stream(handle: BinaryIO, start: int, length: int) -> AsyncIterator[bytes]:
    try:
        handle.seek(start)
        remaining = length
        while remaining > 0:
            chunk = await anyio.to_thread.run_sync(handle.read, min(CHUNK_BYTES, remaining))
            if not chunk:
                return  # shortened underneath us: end rather than wait for bytes that never come
            remaining -= len(chunk)
            yield chunk
    finally:
        handle.close()


def _validators(info: os.stat_result) -> dict[str, str]:
    return {
        "etag": f'"{info.st_size:x}-{info.st_mtime_ns:x}"',
        "last-modified": formatdate(info.st_mtime, usegmt=True),
    }


def _etag_matches(header: str, etag: str) -> bool:
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in tags or etag in tags


def _requested_range(request: Request, validators: dict[str, str], size: int) -> tuple[int, int] | None:
    header = request.headers.get("range")
    if header is None:
        return None
    if_range = request.headers.get("if-range")
    # A stale If-Range means the client's partial copy is of another version: send it all again.
    if if_range is not None and if_range.strip() not in validators.values():
        return None
    return parse_range(header, size)


def _unsatisfiable(size: int, headers: dict[str, str], is_head: bool) -> ASGIResponse:
    body = msgspec.json.encode({"error": "Requested range not satisfiable", "code": "RANGE_NOT_SATISFIABLE"})
    return ASGIResponse(
        body=b"" if is_head else body,
        status_code=416,
        media_type="application/json",
        headers={**headers, "content-range": f"bytes */{size}", "content-length": str(len(body))},
        is_head_response=is_head,
    )


def _file_response(request: Request, handle: BinaryIO, info: os.stat_result, key: str, max_age: int) -> ASGIResponse:
    is_head = request.method == HttpMethod.HEAD
    validators = _validators(info)
    headers = {
        **validators,
        "accept-ranges": "bytes",
        "cache-control": f"private, max-age={max_age}",
        "x-content-type-options": "nosniff",
        # Stored files are user content: never let one run script with this server's origin. (The
        # app's security hook sets the same on every /files answer, errors included.)
        "content-security-policy": FILES_POLICY,
    }
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None and _etag_matches(if_none_match, validators["etag"]):
        handle.close()
        return ASGIResponse(status_code=304, headers=headers, is_head_response=is_head)
    try:
        span = _requested_range(request, validators, info.st_size)
    except _Unsatisfiable:
        handle.close()
        return _unsatisfiable(info.st_size, headers, is_head)
    start, end = span if span is not None else (0, info.st_size - 1)
    length = end - start + 1
    headers["content-type"] = media_type_for(key)
    headers["content-length"] = str(length)
    if span is not None:
        headers["content-range"] = f"bytes {start}-{end}/{info.st_size}"
    status = 206 if span is not None else 200
    if is_head or length == 0:
        handle.close()
        return ASGIResponse(status_code=status, headers=headers, is_head_response=is_head)
    return ASGIStreamingResponse(iterator=_stream(handle, start, length), status_code=status, headers=headers)


@route(
    "/files/{key:path}",
    http_method=[HttpMethod.GET, HttpMethod.HEAD],
    summary="Download a stored file",
    description=(
        "Serves an output or upload of the local storage backend at the signed URL that the API "
        "returned. No API key: the `exp` and `sig` query parameters are the credential. Supports "
        "single byte ranges (206), HEAD, ETag and Last-Modified."
    ),
    tags=["files"],
    responses=errors(403, 416),
)
async def serve_file(
    request: Request,
    key: Annotated[str, PathParameter(description="The stored file's key.")],
    exp: Annotated[str | None, QueryParameter(description="Expiry of the URL, Unix seconds.")] = None,
    sig: Annotated[str | None, QueryParameter(description="Signature of the key and expiry.")] = None,
) -> ASGIResponse:
    storage = request.app.state.services.storage
    if not isinstance(storage, LocalStorage):
        raise NotFound("File not found")
    key = key.removeprefix("/")
    max_age = _check_signature(request, key, exp, sig)
    handle, info = _open(storage, key)
    return _file_response(request, handle, info, key, max_age)


file_routes: list = [serve_file]
