"""Wire schema of the photoshoot route."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from apexlocal.api.schemas import NO_CONTROL_CHARS, RequestBody, UInt32
from apexlocal.engines.photoshoot.request import MAX_COUNT, MAX_CUSTOM


class PhotoshootRequest(RequestBody):
    product_image: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=4096,
            description=(
                "The product photo: this server's URL of an upload (POST /api/upload/image) or an HTTPS URL. "
                "Best on a plain background; at least 64x64 pixels"
            ),
        ),
    ]
    background: Annotated[
        Literal["studio-white", "lifestyle", "outdoor", "flat-lay", "custom"],
        Meta(description="studio-white | lifestyle | outdoor | flat-lay | custom (describe it in customBackground)"),
    ]
    angle: Annotated[
        Literal["front", "hero", "45-degree", "top-down", "lifestyle"],
        Meta(
            description=(
                "front | hero | 45-degree | top-down | lifestyle. 45-degree and top-down show the product from a "
                "view the photo lacks: the editing model renders it (newView in the metadata)"
            )
        ),
    ]
    lighting: Annotated[
        Literal["studio", "natural", "dramatic", "soft", "golden-hour"],
        Meta(description="studio | natural | dramatic | soft | golden-hour"),
    ]
    count: Annotated[int, Meta(ge=1, le=MAX_COUNT, description="Number of photos, 1-4")]
    custom_background: (
        Annotated[
            str,
            Meta(
                min_length=1,
                max_length=MAX_CUSTOM,
                description="Description of the scene; required when background is custom",
            ),
            NO_CONTROL_CHARS,
        ]
        | None
    ) = None
    model: Annotated[str, Meta(min_length=1, max_length=100, description="Image model ID (GET /api/models)")] | None = (
        None
    )
    seed: (
        Annotated[UInt32, Meta(description="Beyond the seed: the first photo's seed; photo i uses seed + i")] | None
    ) = None
