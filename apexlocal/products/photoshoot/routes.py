"""POST /api/generate/photoshoot: validate, charge, queue."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post
from litestar.params import JSONBody

from apexlocal.api.openapi import CHARGED, errors
from apexlocal.api.schemas import Accepted
from apexlocal.api.submit import submit_checked
from apexlocal.products.photoshoot.schemas import PhotoshootRequest
from apexlocal.products.photoshoot.submit import submit_photoshoot


@post(
    "/generate/photoshoot",
    status_code=202,
    summary="AI Product Photoshoot",
    tags=["generation"],
    responses=errors(*CHARGED),
    description="Professional product photos from one product photo: the product is cut out, the image "
    "model makes the scene (background, lighting, angle) around it, and the product's own pixels are put "
    "back with a contact shadow and a reflection (studio-white) or cast shadow, its colour and light "
    "matched to the scene by bounded gains. `count` PNG images (image/png, 1024x1024; 512x512 with the tiny "
    "stand-ins) in the job's "
    "`outputs`, each with its seed and parameters; metadata photoCount, background, lighting. "
    "45-degree and top-down are new views rendered by an editing model (FLUX.2). A photo with no "
    "object, or not a whole picture of at least 64x64 pixels, fails the job and refunds it. 30 credits.",
)
async def generate_photoshoot(request: Request[Any, Any, Any], data: JSONBody[PhotoshootRequest]) -> Response[Accepted]:
    return await submit_checked(request, submit_photoshoot, data)


routes = [generate_photoshoot]
