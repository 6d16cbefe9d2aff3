"""Wire schema of the instant-ad route."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from apexlocal.api.schemas import RequestBody


class InstantAdRequest(RequestBody):
    website_url: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=4096,
            description="Product or landing page URL, https (fetched by this server: public addresses only, "
            "unless the server allows private ones and plain http for them)",
        ),
    ]
    platform: Annotated[
        Literal["tiktok", "youtube", "instagram", "facebook", "linkedin"],
        Meta(
            description="Sizes the creatives: images tiktok 1080x1920, youtube 1280x720, instagram and facebook "
            "1080x1080, linkedin 1200x627; videos 720x1280, 1280x720, 720x720, 720x720, 1280x720"
        ),
    ]
    count: Annotated[int, Meta(ge=1, le=4, description="Number of variations 1-4")]
    style: Annotated[
        Literal["modern", "bold", "minimal", "luxury", "playful"], Meta(description="Look and voice of the ads")
    ]
    output_format: Annotated[
        Literal["image", "video", "both"],
        Meta(description="image (500 credits) | video (1000) | both (1250): a PNG and/or a 6 s MP4 per variation"),
    ] = "image"
    brand_profile_id: (
        Annotated[
            str,
            Meta(
                min_length=1,
                max_length=100,
                description="Saved brand profile ID (GET /api/brand-profiles): its colours, font, logo, tone, "
                "tagline and banned words",
            ),
        ]
        | None
    ) = None
