"""Wire schemas (msgspec Structs): the validation rules and the OpenAPI document in one place.

Request structs reject unknown fields; names are camelCase on the wire, as the seed spells them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

UInt32 = Annotated[int, Meta(ge=0, le=2**32 - 1)]


class Request(Struct, forbid_unknown_fields=True, rename="camel", omit_defaults=False):
    pass


class ImageRequest(Request):
    prompt: Annotated[str, Meta(min_length=1, max_length=2000, description="Text prompt")]
    width: Annotated[int, Meta(ge=256, le=2048, description="Image width")] = 1024
    height: Annotated[int, Meta(ge=256, le=2048, description="Image height")] = 1024
    steps: Annotated[int, Meta(ge=1, le=50, description="Inference steps (default: the model's, 4 for the default model)")] | None = None
    seed: Annotated[UInt32, Meta(description="Reproducibility seed")] | None = None
    style: Literal["photorealistic", "illustration", "3d", "flat"] | None = None
    model: Annotated[str, Meta(min_length=1, max_length=100, description="Model id or hosted name")] | None = None
    negative_prompt: Annotated[str, Meta(max_length=2000, description="What to avoid in the image")] | None = None


class KeyCreate(Request):
    name: Annotated[str, Meta(min_length=1, max_length=100, description="Key display name")]


class JobAccepted(Struct, rename="camel"):
    job_id: str
    status: str
    message: str
    queue_position: int | None = None
    credits_charged: int | None = None
    estimated_minutes: int | None = None


class Accepted(Struct):
    data: JobAccepted


class Output(Struct):
    url: str
    type: str
    size: int


class Job(Struct, rename="camel"):
    job_id: str
    type: str
    status: Literal["queued", "processing", "completed", "failed", "canceled"]
    progress: float | None
    stage: str | None
    model: str | None
    output_url: str | None
    output_type: str | None
    outputs: list[Output]
    metadata: dict[str, Any] | None
    error: str | None
    credits_charged: int
    credits_refunded: int
    created_at: str
    started_at: str | None
    completed_at: str | None
    failed_at: str | None
    canceled_at: str | None
    queue_position: int | None


class JobOut(Struct):
    data: Job


class JobList(Struct, rename="camel"):
    data: list[Job]
    next_cursor: str | None


class ErrorBody(Struct):
    error: str
    code: str
