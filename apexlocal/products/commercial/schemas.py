"""Wire schema of the commercial route."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from apexlocal.api.schemas import NO_CONTROL_CHARS, RequestBody, UInt32
from apexlocal.engines.commercial.request import MAX_PRODUCT_CHARS, MAX_PRODUCT_IMAGES
from apexlocal.engines.music.moods import MOODS

Url = Annotated[str, Meta(min_length=1, max_length=4096)]
Seed = Annotated[
    UInt32,
    Meta(description="Reproducibility seed (default: random; the metadata reports it)"),
]


class CommercialRequest(RequestBody):
    product: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=MAX_PRODUCT_CHARS,
            description="Product name/description",
        ),
        NO_CONTROL_CHARS,
    ]
    platform: Annotated[
        Literal["tiktok", "youtube", "instagram", "tv"],
        Meta(
            description="tiktok | youtube | instagram | tv: 1080x1920 (9:16) for tiktok and instagram, "
            "1920x1080 (16:9) for youtube and tv"
        ),
    ]
    duration: Annotated[
        Literal[15, 30, 60],
        Meta(description="15 | 30 | 60 seconds: the video lasts exactly this"),
    ]
    tone: Annotated[
        Literal["professional", "energetic", "casual", "luxury", "funny"],
        Meta(description="professional | energetic | casual | luxury | funny"),
    ]
    target_audience: (
        Annotated[
            str,
            Meta(min_length=1, max_length=500, description="Target audience description"),
            NO_CONTROL_CHARS,
        ]
        | None
    ) = None
    spokesperson_image: (
        Annotated[
            str,
            Meta(
                min_length=1,
                max_length=4096,
                description="URL for AI spokesperson: HTTPS URL or this server's upload URL of a face photo; "
                "that face speaks the hook and the call to action, lip-synced",
            ),
        ]
        | None
    ) = None
    product_images: (
        Annotated[
            list[Url],
            Meta(
                max_length=MAX_PRODUCT_IMAGES,
                description="Array of product image URLs (HTTPS, or this server's upload URLs): shown, slowly "
                "zoomed, in the call to action and every other scene",
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
                description="Custom voice ID: a stock voice or one of your cloned voices (GET /api/voices)",
            ),
        ]
        | None
    ) = None
    voice_model: (
        Annotated[
            str,
            Meta(
                min_length=1,
                max_length=100,
                description="TTS model to use (GET /api/models)",
            ),
        ]
        | None
    ) = None
    music_mood: (
        Annotated[
            str,
            Meta(
                min_length=1,
                max_length=40,
                description=f"Background music mood: {' | '.join(MOODS)}, or an alias such as upbeat, dramatic, "
                "corporate (docs/api.md lists them); default: the tone's mood",
            ),
        ]
        | None
    ) = None
    video_model: (
        Annotated[
            str,
            Meta(
                min_length=1,
                max_length=100,
                description="Video generation model: wan-2.6 | kling-2.6-pro | kling-3.0-pro | veo-3.1 | a local "
                "model id (GET /api/models)",
            ),
        ]
        | None
    ) = None
    seed: Seed | None = None
    brand_profile_id: (
        Annotated[
            str,
            Meta(
                min_length=1,
                max_length=100,
                description="One of your brand profiles (GET /api/brand-profiles), beyond the hosted API: its "
                "name and tagline go into the writer's brief, its banned words are kept out of the script, its "
                "first colour is the on-screen text's box",
            ),
        ]
        | None
    ) = None
