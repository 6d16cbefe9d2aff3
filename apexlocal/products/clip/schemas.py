"""Wire schema of the clip route."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from apexlocal.api.schemas import RequestBody
from apexlocal.api.validation import LANGUAGE_CODE
from apexlocal.engines.clip import request as r


class ClipRequest(RequestBody):
    source_video_url: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=4096,
            description=(
                "HTTPS URL of the source video (MP4, MOV, WebM, MKV; up to 4 hours), or this server's URL of "
                "an upload (POST /api/upload/video)"
            ),
        ),
    ]
    max_clips: Annotated[int, Meta(ge=1, le=20, description="Most clips to make, 1-20")] = r.DEFAULT_MAX_CLIPS
    min_duration: Annotated[
        float,
        Meta(ge=r.DURATION_RANGE[0], le=r.DURATION_RANGE[1], description="Shortest clip, seconds (3-180)"),
    ] = r.DEFAULT_MIN_DURATION
    max_duration: Annotated[
        float,
        Meta(
            ge=r.DURATION_RANGE[0],
            le=r.DURATION_RANGE[1],
            description="Longest clip, seconds (3-180); at least minDuration",
        ),
    ] = r.DEFAULT_MAX_DURATION
    add_captions: Annotated[
        bool, Meta(description="Burn captions into the clips (a few words at a time, the spoken word highlighted)")
    ] = True
    aspect_ratio: Annotated[
        Literal["9:16", "1:1", "16:9"],
        Meta(description="9:16 (720x1280) | 1:1 (720x720) | 16:9 (1280x720); the frame follows the face"),
    ] = "9:16"
    viral_score_threshold: Annotated[
        float,
        Meta(ge=1, le=10, description="Leave out clips scoring below this, 1-10 (1: keep every clip found)"),
    ] = r.DEFAULT_THRESHOLD
    model: (
        Annotated[
            str,
            Meta(
                min_length=1,
                max_length=100,
                description=(
                    "The speech-to-text model that hears the video (GET /api/models, task speech-to-text); "
                    "default: an installed multilingual Whisper"
                ),
            ),
        ]
        | None
    ) = None
    language: (
        Annotated[
            str,
            Meta(pattern=LANGUAGE_CODE, description="The language spoken, ISO 639-1; default: detected"),
        ]
        | None
    ) = None
