"""POST /api/generate/image: validate, charge, queue. Never runs a model."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post
from litestar.params import JSONBody

from apexlocal.api.openapi import CHARGED, errors
from apexlocal.api.schemas import Accepted
from apexlocal.api.submit import submit_request
from apexlocal.errors import BadRequest
from apexlocal.products.image.schemas import ImageRequest


@post(
    "/generate/image",
    status_code=202,
    summary="Generate Image",
    tags=["generation"],
    responses=errors(*CHARGED),
    description="Generate an image from a text prompt. 10 credits.",
)
async def generate_image(request: Request[Any, Any, Any], data: JSONBody[ImageRequest]) -> Response[Accepted]:
    if not data.prompt.strip():
        raise BadRequest("prompt: must not be blank")
    return await submit_request(request, "image", data, data.model)


routes = [generate_image]
