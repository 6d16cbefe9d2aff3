"""The exception tree of apexlocal. `api/exceptions.py` is the one place that maps it to HTTP.

ApexError                      (500 INTERNAL_ERROR; never shows its text to a client)
+-- ConfigError                settings or config file are invalid (CLI only)
+-- ApiError                   an error a client may see: status, code and message
|   +-- BadRequest             400 BAD_REQUEST, validation: "field: rule"
|   +-- ModelUnavailable       400 MODEL_UNAVAILABLE, known model, not installed, no pull now
|   +-- Unauthorized           401 UNAUTHORIZED
|   +-- PaymentRequired        402 PAYMENT_REQUIRED
|   +-- Forbidden              403 FORBIDDEN
|   +-- NotFound               404 NOT_FOUND
|   +-- MethodNotAllowed       405 METHOD_NOT_ALLOWED
|   +-- Conflict               409 CONFLICT
|   +-- PayloadTooLarge        413 PAYLOAD_TOO_LARGE
|   +-- UnsupportedMediaType   415 UNSUPPORTED_MEDIA_TYPE
|   +-- RateLimited            429 RATE_LIMITED (carries retry_after)
|   +-- ServiceUnavailable     503 SERVICE_UNAVAILABLE
+-- JobError                   raised inside a job; its message is shown as the job's error
|   +-- JobCancelled           the job was canceled while running
+-- ModelError                 a model cannot be pulled, verified or loaded
"""

from __future__ import annotations


class ApexError(Exception):
    """Base of every apexlocal error."""


class ConfigError(ApexError):
    pass


class ApiError(ApexError):
    status: int = 500
    code: str = "INTERNAL_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(ApiError):
    status, code = 400, "BAD_REQUEST"


class ModelUnavailable(ApiError):
    status, code = 400, "MODEL_UNAVAILABLE"


class Unauthorized(ApiError):
    status, code = 401, "UNAUTHORIZED"


class PaymentRequired(ApiError):
    status, code = 402, "PAYMENT_REQUIRED"


class Forbidden(ApiError):
    status, code = 403, "FORBIDDEN"


class NotFound(ApiError):
    status, code = 404, "NOT_FOUND"


class MethodNotAllowed(ApiError):
    status, code = 405, "METHOD_NOT_ALLOWED"


class Conflict(ApiError):
    status, code = 409, "CONFLICT"


class PayloadTooLarge(ApiError):
    status, code = 413, "PAYLOAD_TOO_LARGE"


class UnsupportedMediaType(ApiError):
    status, code = 415, "UNSUPPORTED_MEDIA_TYPE"


class RateLimited(ApiError):
    status, code = 429, "RATE_LIMITED"

    def __init__(self, retry_after: int, message: str = "Too many requests") -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))


class ServiceUnavailable(ApiError):
    status, code = 503, "SERVICE_UNAVAILABLE"


class JobError(ApexError):
    """A failure inside a job whose message is safe to show the user."""


class JobCancelled(JobError):
    def __init__(self) -> None:
        super().__init__("Job was canceled")


class ModelError(ApexError):
    """A model could not be pulled, verified or loaded; the message says what to run."""
