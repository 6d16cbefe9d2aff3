"""Wire schemas of the video routes: text to video, b-roll, and the narrated video."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from apexlocal.api.schemas import NO_CONTROL_CHARS, RequestBody, UInt32

Script = Annotated[str, Meta(min_length=1, max_length=5000, description="Video script"), NO_CONTROL_CHARS]
Seed = Annotated[UInt32, Meta(description="Reproducibility seed (default: random; the metadata reports it)")]
VideoModel = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=100,
        description=("wan-2.6 | kling-2.6-pro | kling-3.0-pro | veo-3.1 | a local model id (GET /api/models)"),
    ),
]
BRollModel = Annotated[
    str,
    Meta(min_length=1, max_length=100, description=("wan-2.6 | kling-2.6-pro | a local model id (GET /api/models)")),
]


class Text2VideoRequest(RequestBody):
    script: Script
    duration: Annotated[float, Meta(ge=1, le=60, description="Duration in seconds")] = 5.0
    resolution: Annotated[Literal["720p", "1080p"], Meta(description="720p | 1080p")] = "720p"
    style: Literal["cinematic", "documentary", "animation", "aerial"] | None = None
    model: VideoModel | None = None
    seed: Seed | None = None


class BRollRequest(RequestBody):
    prompt: Annotated[str, Meta(min_length=1, max_length=2000, description="Scene description"), NO_CONTROL_CHARS]
    duration: Annotated[float, Meta(ge=3, le=6, description="Duration in seconds")] = 5.0
    resolution: Annotated[Literal["480p", "720p"], Meta(description="480p | 720p")] = "720p"
    model: BRollModel | None = None
    seed: Seed | None = None


class VideoRequest(RequestBody):
    script: Script
    avatar_image: (
        Annotated[
            str,
            Meta(
                min_length=1,
                max_length=4096,
                description=(
                    "HTTPS URL (or this server's upload URL) of a face photo: that face presents the video, "
                    "speaking the narration in a picture-in-picture in the top-right corner over the scenes"
                ),
            ),
        ]
        | None
    ) = None
    voice_id: (
        Annotated[
            str,
            Meta(
                min_length=1,
                max_length=200,
                description=(
                    "The narrating voice: a stock voice or one of your cloned voices (GET /api/voices); "
                    "default: the default voice"
                ),
            ),
        ]
        | None
    ) = None
    duration: Annotated[
        float, Meta(ge=3, le=60, description=("Max seconds: the video runs as long as its narration, at most this"))
    ] = 60.0
    resolution: Annotated[Literal["720p", "1080p"], Meta(description="720p | 1080p")] = "720p"
    style: Literal["professional", "casual", "energetic"] | None = None
    model: VideoModel | None = None
    seed: Seed | None = None
    captions: Annotated[
        bool, Meta(description="Draw captions of the narration, words timed from the speech (default true)")
    ] = True
    music_mood: (
        Annotated[
            str,
            Meta(
                min_length=1,
                max_length=40,
                description=(
                    "A music bed under the narration, ducked while it speaks (beyond the hosted API): calm | "
                    "energetic | happy | nostalgic | tender, or an alias such as upbeat, dramatic, corporate; "
                    "default: no music"
                ),
            ),
        ]
        | None
    ) = None
