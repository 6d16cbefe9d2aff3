"""POST /api/generate/commercial: validate, charge, queue."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post
from litestar.params import JSONBody

from apexlocal.api.openapi import CHARGED, errors
from apexlocal.api.schemas import Accepted
from apexlocal.api.submit import submit_checked
from apexlocal.products.commercial.schemas import CommercialRequest
from apexlocal.products.commercial.submit import submit_commercial


@post(
    "/generate/commercial",
    status_code=202,
    summary="Generate Commercial",
    tags=["generation"],
    responses=errors(*CHARGED),
    description="AI-generated commercial with script, voiceover, visuals, and composition: the writer (a local "
    "language model) writes a script under a JSON schema (a hook spoken within the first 3 s, scenes, a call to "
    "action; each with a voice-over line, on-screen text and a picture description) for the platform and tone; "
    "the voice narrates it; each part's picture is a video-model clip, a product image slowly zoomed, or the "
    "spokesperson lip-synced; a music bed by mood is ducked under the voice; captions and on-screen text are "
    "drawn. H.264 + AAC MP4 (video/mp4) of exactly `duration` seconds at the platform's frame. The script (JSON) "
    "and the placed parts are in the job's metadata (`script`, `sceneClips`). 3000 credits. An unknown "
    "musicMood, a voice the catalogue lacks or an input URL the fetch policy refuses is a 400; an input that "
    "cannot be fetched or read (no face in spokespersonImage, a product image that is no picture) fails the "
    "job and refunds it.",
)
async def generate_commercial(request: Request[Any, Any, Any], data: JSONBody[CommercialRequest]) -> Response[Accepted]:
    return await submit_checked(request, submit_commercial, data)


routes = [generate_commercial]
