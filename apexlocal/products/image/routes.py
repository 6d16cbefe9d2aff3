"""POST /api/generate/image: validate, charge, queue. Never runs a model."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post
from litestar.params import JSONBody

from apexlocal.api.openapi import CHARGED, errors
from apexlocal.api.schemas import Accepted
from apexlocal.api.submit import submit_checked
from apexlocal.products.image.schemas import ImageRequest
from apexlocal.products.image.submit import submit_image


@post(
    "/generate/image",
    status_code=202,
    summary="Generate Image",
    tags=["generation"],
    responses=errors(*CHARGED),
    description="Generate an image from a text prompt, or edit pictures: with `imageUrl` (and "
    "`referenceImages`) the model edits the image by the prompt (beyond the seed: the hosted "
    "`flux-kontext-max` edits). Only models that take input pictures accept them (FLUX.2 [klein]: up "
    "to 4 with imageUrl, FLUX.2 [dev]: up to 6); a text-only model with imageUrl is 400 naming the "
    "models that can. PNG (image/png) of width x height. An input that is not a whole picture of at "
    "least 64x64 pixels fails the job and refunds it. 10 credits.",
)
async def generate_image(request: Request[Any, Any, Any], data: JSONBody[ImageRequest]) -> Response[Accepted]:
    return await submit_checked(request, submit_image, data)


routes = [generate_image]
