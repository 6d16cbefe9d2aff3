"""POST /api/generate/clip: validate, charge, queue."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post
from litestar.params import JSONBody

from apexlocal.api.openapi import CHARGED, errors
from apexlocal.api.schemas import Accepted
from apexlocal.api.submit import submit_checked
from apexlocal.products.clip.schemas import ClipRequest
from apexlocal.products.clip.submit import submit_clip


@post(
    "/generate/clip",
    status_code=202,
    summary="Auto-Clip Video",
    tags=["generation"],
    responses=errors(*CHARGED),
    description="The best moments of a long video as short clips. The video's speech is transcribed with word "
    "timings (Whisper) and its scene cuts found (PySceneDetect); candidate clips are whole sentences (whole "
    "scenes when nothing is said) of minDuration-maxDuration seconds, never starting or ending inside a word. "
    "Each is scored 1-10 from features a person can read (hook in the first 3 s, complete thought, "
    "emotional and concrete words, pace, energy, a face on screen), averaged with a language model's "
    "judgement when one is installed; `reasons` say why. Clips scoring below viralScoreThreshold are left "
    "out; at most maxClips, overlapping by at most 1 s. Each clip is reframed to aspectRatio following the "
    "largest face (smoothed, moving only at scene cuts, centred when there is no face), captioned (burned "
    "in, and a WebVTT file) and encoded as H.264 + AAC MP4 with faststart. Outputs, best score first: "
    "clip-NN.mp4 (video/mp4), clip-NN.vtt (text/vtt) and clips.json (the summary). Metadata: clipCount, "
    "viralScores[], clips[] (start, end, score, title, hook, reasons). No clip passing the threshold "
    "completes the job with clips.json alone and a `message` (the credits are kept). 30 credits. "
    "minDuration above maxDuration (defaults 15 and 60 s): 400.",
)
async def generate_clip(request: Request[Any, Any, Any], data: JSONBody[ClipRequest]) -> Response[Accepted]:
    return await submit_checked(request, submit_clip, data)


routes = [generate_clip]
