"""POST /api/generate/instant-ad: validate, charge by outputFormat, queue."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post
from litestar.params import JSONBody

from apexlocal.api.openapi import CHARGED, errors
from apexlocal.api.schemas import Accepted
from apexlocal.api.submit import submit_checked
from apexlocal.products.instant_ad.schemas import InstantAdRequest
from apexlocal.products.instant_ad.submit import submit_instant_ad


@post(
    "/generate/instant-ad",
    status_code=202,
    summary="Instant Ad from URL",
    tags=["generation"],
    responses=errors(400, 403, *CHARGED),
    description="Reads a product page (JSON-LD Product, OpenGraph, main text) and makes `count` ad variations "
    "(headline, body, call to action, angle) written by the local language model, each as a PNG at the "
    "platform's size (product picture cut out, generated background, copy in the style, brand colours, font and "
    "logo) and/or a 6 s MP4 with a music bed. Outputs: the PNGs, then the MP4s, each with its `variation`; "
    "metadata: variationCount, platform, format, variations (the copy). 500 / 1000 / 1250 credits for image / "
    "video / both. A page that cannot be fetched (an HTTP error, not HTML) or has no usable content fails the "
    "job with the reason and refunds it.",
)
async def generate_instant_ad(request: Request[Any, Any, Any], data: JSONBody[InstantAdRequest]) -> Response[Accepted]:
    return await submit_checked(request, submit_instant_ad, data)


routes = [generate_instant_ad]
