"""Wire schema of the image route."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from apexlocal.api.schemas import NO_CONTROL_CHARS, RequestBody, UInt32


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
