"""Wire schemas (msgspec Structs): the validation rules and the OpenAPI document in one place.

Request structs reject unknown fields; names are camelCase on the wire, as the seed spells them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

from apexlocal.api.validation import PLAIN_TEXT

UInt32 = Annotated[int, Meta(ge=0, le=2**32 - 1)]
# Beside a text field's own Meta: no control characters but tab, newline and carriage return.
NO_CONTROL_CHARS = Meta(pattern=PLAIN_TEXT)
JobStatus = Literal["queued", "processing", "completed", "failed", "canceled"]


class RequestBody(Struct, forbid_unknown_fields=True, rename="camel", omit_defaults=False):
    pass


class KeyCreate(RequestBody):
    name: Annotated[str, Meta(min_length=1, max_length=100, description="Key display name")]


class JobAccepted(Struct, rename="camel", omit_defaults=True):
    job_id: str
    status: str
    message: str
    queue_position: int | None = None
    credits_charged: int | None = None
    estimated_minutes: int | None = None


class Accepted(Struct):
    data: JobAccepted


class Output(Struct):
    """One output file: its signed URL, media type and size in bytes, and any fields its job type
    gives each output (a clip's times, say), the same in every view of the job."""

    url: str
    type: str
    size: int


class Job(Struct, rename="camel"):
    job_id: str
    type: str
    status: JobStatus
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


class JobDeleted(Struct, rename="camel"):
    job_id: str
    deleted: bool
    status: Literal["completed", "failed", "canceled"]


class JobDeletedOut(Struct):
    data: JobDeleted


class ErrorBody(Struct):
    """Every failure: `error` names the field and the rule (or what went wrong), `code` is stable."""

    error: str
    code: str


# Account ----------------------------------------------------------------------------------


class Usage(Struct, rename="camel"):
    credits: int
    used: dict[str, int]
    credits_used: int
    plan: str
    cycle_start: str
    cycle_end: str


class UsageOut(Struct):
    data: Usage


# Health -----------------------------------------------------------------------------------


class Health(Struct):
    status: Literal["ok"]


class ReadyChecks(Struct):
    database: bool
    queues: bool


class Readiness(Struct):
    status: Literal["ready", "not ready"]
    checks: ReadyChecks


# Settings and webhooks -------------------------------------------------------------------


class SettingsUpdate(RequestBody):
    webhook_url: (
        Annotated[str, Meta(max_length=2048, description="HTTPS URL to receive webhook events; null clears it")] | None
    )


class UserSettings(Struct, rename="camel"):
    webhook_url: str | None
    webhook_secret: str


class UserSettingsOut(Struct):
    data: UserSettings


class WebhookUrl(Struct, rename="camel"):
    webhook_url: str | None


class WebhookUrlOut(Struct):
    data: WebhookUrl


class WebhookSecret(Struct, rename="camel"):
    webhook_secret: str


class WebhookSecretOut(Struct):
    data: WebhookSecret


class DeliveryAttempt(Struct, rename="camel"):
    attempt: int
    started_at: str
    status_code: int | None
    duration_ms: float | None
    error: str | None


class Delivery(Struct, rename="camel"):
    id: str
    webhook_id: str
    job_id: str
    event: Literal["job.completed", "job.failed"]
    url: str
    status: Literal["pending", "succeeded", "failed"]
    attempt_count: int
    max_attempts: int
    next_attempt_at: str | None
    created_at: str
    updated_at: str
    attempts: list[DeliveryAttempt]


class DeliveryOut(Struct):
    data: Delivery


class DeliveryList(Struct, rename="camel"):
    data: list[Delivery]
    next_cursor: str | None


# Uploads ---------------------------------------------------------------------------------


class Upload(Struct, rename="camel"):
    id: str
    url: str
    content_type: str
    size: int
    kind: Literal["image", "audio", "video"]
    name: str | None
    created_at: str


class UploadOut(Struct):
    data: Upload
