"""POST /api/generate/text2video, /api/generate/b-roll and /api/generate/video: validate, charge,
queue. Text to video and b-roll are one engine's jobs with their own limits; the narrated video is
checked against its voice and its script's length before it is charged (jobs.video_submit)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post
from litestar.params import JSONBody

from apexlocal.api.openapi import CHARGED, errors
from apexlocal.api.schemas import Accepted
from apexlocal.api.submit import submit_checked, submit_request
from apexlocal.errors import BadRequest
from apexlocal.products.video.schemas import BRollRequest, Text2VideoRequest, VideoRequest
from apexlocal.products.video.submit import submit_video


def _not_blank(name: str, text: str) -> None:
    if not text.strip():
        raise BadRequest(f"{name}: must not be blank")


@post(
    "/generate/text2video",
    status_code=202,
    summary="Text to Video",
    tags=["generation"],
    responses=errors(*CHARGED),
    description="A video from a script, H.264 MP4 (video/mp4). 250 credits. Longer than one clip of the "
    "model (about 5 s), it is several clips, each continuing from the last frame of the one "
    "before; made at the model's native size and scaled to the resolution.",
)
async def generate_text2video(request: Request[Any, Any, Any], data: JSONBody[Text2VideoRequest]) -> Response[Accepted]:
    _not_blank("script", data.script)
    return await submit_request(request, "text2video", data, data.model)


@post(
    "/generate/b-roll",
    status_code=202,
    summary="Generate B-Roll",
    tags=["generation"],
    responses=errors(*CHARGED),
    description="Cinematic b-roll footage of 3-6 s from a text description, H.264 MP4 (video/mp4). 150 credits.",
)
async def generate_b_roll(request: Request[Any, Any, Any], data: JSONBody[BRollRequest]) -> Response[Accepted]:
    _not_blank("prompt", data.prompt)
    return await submit_request(request, "b-roll", data, data.model)


@post(
    "/generate/video",
    status_code=202,
    summary="Generate Video",
    tags=["generation"],
    responses=errors(*CHARGED),
    description="A narrated video from a script: scenes narrated with the voice (voiceId, or the default "
    "voice), each with a generated picture of its narration's length, crossfaded, captioned with "
    "word times taken from the speech (the voice model's phoneme durations, else forced alignment "
    "with Whisper; metadata.captionTiming says which), H.264 + AAC MP4 (video/mp4). 250 credits. "
    "A script that cannot be narrated within `duration` is refused (400) with the estimate. "
    "With `avatarImage` (a plan with avatar videos), the face in that image is the presenter: it "
    "speaks the narration, lip-synced by the avatar model, in a picture-in-picture in the top-right corner "
    "over the scenes.",
)
async def generate_video(request: Request[Any, Any, Any], data: JSONBody[VideoRequest]) -> Response[Accepted]:
    _not_blank("script", data.script)
    return await submit_checked(request, submit_video, data)


routes = [generate_text2video, generate_b_roll, generate_video]
