"""POST /api/generate/avatar: validate, charge, queue."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post
from litestar.params import JSONBody

from apexlocal.api.openapi import CHARGED, errors
from apexlocal.api.schemas import Accepted
from apexlocal.api.submit import submit_checked
from apexlocal.products.avatar.schemas import AvatarRequest
from apexlocal.products.avatar.submit import submit_avatar


@post(
    "/generate/avatar",
    status_code=202,
    summary="Generate Avatar Video",
    tags=["generation"],
    responses=errors(*CHARGED),
    description="A talking-head video from a photo and speech: the largest face in `image` speaks "
    "`audio`, or `text` spoken by `voiceId` (exactly one of audio and text; 400 otherwise). "
    "H.264 + AAC MP4 (video/mp4) at `resolution`, 16:9, as long as the speech (at most 5 minutes). "
    "750 credits. A photo with no face fails the job (`image: no face found`) and refunds it.",
)
async def generate_avatar(request: Request[Any, Any, Any], data: JSONBody[AvatarRequest]) -> Response[Accepted]:
    return await submit_checked(request, submit_avatar, data)


routes = [generate_avatar]
