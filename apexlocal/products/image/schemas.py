"""Wire schema of the image route."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from apexlocal.api.schemas import NO_CONTROL_CHARS, RequestBody, UInt32

MAX_REFERENCES = 10  # the wire's cap; each model's own limit is checked against the catalogue


class ImageRequest(RequestBody):
    prompt: Annotated[str, Meta(min_length=1, max_length=2000, description="Text prompt"), NO_CONTROL_CHARS]
    width: Annotated[int, Meta(ge=256, le=2048, description="Image width")] = 1024
    height: Annotated[int, Meta(ge=256, le=2048, description="Image height")] = 1024
    steps: (
        Annotated[int, Meta(ge=1, le=50, description="Inference steps (default: the model's, 4 for the default model)")]
        | None
    ) = None
    seed: Annotated[UInt32, Meta(description="Reproducibility seed")] | None = None
    style: Literal["photorealistic", "illustration", "3d", "flat"] | None = None
    model: Annotated[str, Meta(min_length=1, max_length=100, description="Model id or hosted name")] | None = None
    negative_prompt: (
        Annotated[str, Meta(max_length=2000, description="What to avoid in the image"), NO_CONTROL_CHARS] | None
    ) = None
    # Beyond the seed: image editing.
    image_url: (
        Annotated[
            str,
            Meta(
                min_length=1,
                max_length=4096,
                description=(
                    "Beyond the seed: a picture to edit by the prompt, an HTTPS URL or this server's URL of an "
                    "upload (POST /api/upload/image). Only models that take input pictures (GET /api/models)"
                ),
            ),
        ]
        | None
    ) = None
    reference_images: (
        Annotated[
            list[Annotated[str, Meta(min_length=1, max_length=4096)]],
            Meta(
                max_length=MAX_REFERENCES,
                description=(
                    "Beyond the seed: more input pictures (URLs, as imageUrl) the edit draws on, up to the "
                    "model's limit with imageUrl included (FLUX.2 [klein] 4, FLUX.2 [dev] 6)"
                ),
            ),
        ]
        | None
    ) = None
