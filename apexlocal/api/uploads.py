"""POST /api/upload/{image,audio,video}: one multipart file field, `file`.

Each route takes bodies up to its kind's cap (a video may be far larger than the JSON limit). The
body is parsed here as it streams in (`uploads/receive.py`), not by the framework: a part that is
not the file is refused from its headers, so nothing but the file is ever held, and the file goes
to a private temporary file in the data dir. The file's type is read from its bytes, not from the
client's header. The returned URL is accepted wherever an input URL is, and resolves to the stored
file with no network access.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import msgspec
from anyio import to_thread
from litestar import Request, Response, post
from litestar.exceptions import ClientException
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import OpenAPIFormat, OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema

from apexlocal.api.guards import current_user
from apexlocal.api.openapi import errors
from apexlocal.api.schemas import UploadOut
from apexlocal.db import idempotency
from apexlocal.errors import ApiError
from apexlocal.jobs.services import Services
from apexlocal.settings import Settings
from apexlocal.uploads.receive import FIELD, receive_file
from apexlocal.uploads.store import KINDS, store_upload, temp_dir, too_large

# Room for the multipart boundaries and part headers around the file itself.
MULTIPART_OVERHEAD = 64 * 1024

_FORM = Schema(
    type=OpenAPIType.OBJECT,
    required=[FIELD],
    description=f"The file, as the multipart field `{FIELD}`.",
    properties={
        FIELD: Schema(
            type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY, content_media_type="application/octet-stream"
        )
    },
)


@dataclass
class UploadOperation(Operation):
    """The route reads its body itself, so the framework cannot describe it: this does."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(content={"multipart/form-data": OpenAPIMediaType(schema=_FORM)}, required=True)


async def _body(request: Request[Any, Any, Any], too_big: ApiError) -> AsyncIterator[bytes]:
    """The request body as it arrives; the route's body cap gets this API's 413."""
    try:
        async for chunk in request.stream():
            yield chunk
    except ClientException as exc:
        if exc.status_code == 413:
            raise too_big from None
        raise


async def _upload(request: Request[Any, Any, Any], kind: str) -> Response[UploadOut]:
    services: Services = request.app.state.services
    key = request.headers.get("idempotency-key")
    if key is not None:
        idempotency.check_key(key)  # before the body: a bad header is not worth a gigabyte
    too_big = too_large(services, kind)
    received = await receive_file(
        _body(request, too_big),
        request.headers.get("content-type", ""),
        temp_dir(services.settings),
        services.settings.upload_max_bytes(kind),
        too_big,
    )
    status, body = await to_thread.run_sync(
        store_upload, services, current_user(request).id, kind, received, key, str(request.base_url).rstrip("/")
    )
    return Response(msgspec.convert(body, UploadOut), status_code=status)  # a replay is a dict


def _route(kind: str, settings: Settings) -> HTTPRouteHandler:
    async def upload(request: Request[Any, Any, Any]) -> Response[UploadOut]:
        return await _upload(request, kind)

    upload.__name__ = f"upload_{kind}"
    cap_mib = settings.upload_max_bytes(kind) // (1024 * 1024)
    return post(
        f"/upload/{kind}",
        status_code=201,
        summary=f"Upload {kind.title()}",
        tags=["uploads"],
        request_max_body_size=settings.upload_max_bytes(kind) + MULTIPART_OVERHEAD,
        operation_id=f"upload{kind.title()}",
        operation_class=UploadOperation,
        responses=errors(400, 409, 413, 415),
        description=f"Store {'an' if kind[0] in 'aeiou' else 'a'} {kind} file (at most {cap_mib} MiB) for use as "
        f"an input URL: one multipart part named `{FIELD}`, with a filename; any other part is 400. "
        "Its type is read from its bytes. Answers a signed URL of this server.",
    )(upload)


def upload_routes(settings: Settings) -> list[HTTPRouteHandler]:
    """One route per kind, each with its own body cap (built per app: the caps are settings)."""
    return [_route(kind, settings) for kind in KINDS]
