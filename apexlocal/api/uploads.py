"""POST /api/upload/{image,audio,video}: one multipart file field, `file`.

Each route takes bodies up to its kind's cap (a video may be far larger than the JSON limit),
and the file's type is read from its bytes, not from the client's header. The returned URL is
accepted wherever an input URL is, and resolves to the stored file with no network access.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from anyio import to_thread
from litestar import Request, Response, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import ClientException
from litestar.handlers import HTTPRouteHandler
from litestar.params import Body

from apexlocal.api.guards import current_user
from apexlocal.api.schemas import UploadOut
from apexlocal.errors import BadRequest, UnsupportedMediaType
from apexlocal.jobs.services import Services
from apexlocal.uploads.store import KINDS, store_upload, too_large
from apexlocal.settings import Settings

# Room for the multipart boundaries and part headers around the file itself.
MULTIPART_OVERHEAD = 64 * 1024


@dataclass
class UploadForm:
    file: UploadFile


UploadBody = Annotated[UploadForm, Body(media_type=RequestEncodingType.MULTI_PART,
                                        description="The file, as the multipart field `file`.")]


async def _check_form(request: Request[Any, Any, Any]) -> None:
    """Runs before the body is bound, so every refusal gets this API's words."""
    kind = request.url.path.rstrip("/").rsplit("/", 1)[-1]
    if request.content_type[0] != RequestEncodingType.MULTI_PART:
        raise UnsupportedMediaType("Content-Type: must be multipart/form-data")
    try:
        form = await request.form()
    except ClientException as exc:
        if exc.status_code == 413:
            raise too_large(request.app.state.services, kind) from None
        raise BadRequest("body: must be valid multipart/form-data") from None
    extra = sorted(set(form.keys()) - {"file"})
    if extra:
        raise BadRequest(f"{extra[0]}: unknown field (allowed: file)")
    files = form.getall("file") if "file" in form else []
    if not files:
        raise BadRequest("file: is required")
    if len(files) > 1 or not isinstance(files[0], UploadFile):
        raise BadRequest("file: must be exactly one file")


async def _upload(request: Request[Any, Any, Any], kind: str, upload: UploadFile) -> Response[UploadOut]:
    services: Services = request.app.state.services
    status, body = await to_thread.run_sync(
        store_upload, services, current_user(request).id, kind, upload.file, upload.filename,
        request.headers.get("idempotency-key"), str(request.base_url).rstrip("/"))
    return Response(body, status_code=status)


def _route(kind: str, settings: Settings) -> HTTPRouteHandler:
    async def upload(request: Request[Any, Any, Any], data: UploadBody) -> Response[UploadOut]:
        return await _upload(request, kind, data.file)

    upload.__name__ = f"upload_{kind}"
    cap_mib = settings.upload_max_bytes(kind) // (1024 * 1024)
    return post(
        f"/upload/{kind}", status_code=201, summary=f"Upload {kind.title()}", tags=["uploads"],
        request_max_body_size=settings.upload_max_bytes(kind) + MULTIPART_OVERHEAD,
        before_request=_check_form, operation_id=f"upload{kind.title()}",
        description=f"Store a {kind} file (at most {cap_mib} MiB) for use as an input URL. Its type is "
                    "read from its bytes. Answers a signed URL of this server.",
    )(upload)


def upload_routes(settings: Settings) -> list[HTTPRouteHandler]:
    """One route per kind, each with its own body cap (built per app: the caps are settings)."""
    return [_route(kind, settings) for kind in KINDS]
