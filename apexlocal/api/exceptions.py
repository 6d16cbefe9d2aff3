"""The one place where errors become HTTP: `{"error": "...", "code": "..."}` for every failure of
every layer, the framework's own included. Nothing internal (trace, path, SQL, library text) leaks."""

from __future__ import annotations

import logging
import typing
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from apexlocal.api.validation import message_for
from apexlocal.errors import ApiError, RateLimited

log = logging.getLogger("apexlocal.api")

CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    402: "PAYMENT_REQUIRED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    416: "RANGE_NOT_SATISFIABLE",
    429: "RATE_LIMITED",
    500: "INTERNAL_ERROR",
    503: "SERVICE_UNAVAILABLE",
}
MESSAGES = {
    401: "Missing or invalid API key",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    413: "Request body too large",
    415: "Unsupported media type: send application/json",
    500: "Internal server error",
    503: "Service unavailable",
}


def envelope(status: int, message: str, code: str | None = None,
             headers: dict[str, str] | None = None) -> Response[Any]:
    return Response({"error": message, "code": code or CODES.get(status, "ERROR")},
                    status_code=status, headers=headers or {}, media_type="application/json")


def _with_limits(request: Request[Any, Any, Any], response: Response[Any]) -> Response[Any]:
    """Errors are answered outside the auth middleware; carry its rate-limit headers over."""
    limits = request.scope.get("state", {}).get("ratelimit_headers")
    for name, value in (limits or {}).items():
        response.headers[name] = value
    return response


def _handled(fn: Any) -> Any:
    def handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        return _with_limits(request, fn(request, exc))

    handler.__name__ = fn.__name__
    return handler


def _body_struct(request: Request[Any, Any, Any]) -> type[msgspec.Struct] | None:
    try:
        param = request.route_handler.parsed_fn_signature.parameters.get("data")
    except (KeyError, AttributeError):
        return None
    annotation = getattr(param, "annotation", None)
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct) else None


def on_api_error(request: Request[Any, Any, Any], exc: ApiError) -> Response[Any]:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    return envelope(exc.status, exc.message, exc.code, headers)


def on_validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    extra = exc.extra if isinstance(exc.extra, list) else []
    if not extra:
        detail = str(exc.detail or "")
        if "malformed" in detail.lower() or "json" in detail.lower():
            return envelope(400, "body: must be valid JSON")
        return envelope(400, "body: invalid request")
    first = extra[0] if isinstance(extra[0], dict) else {}
    key, raw = str(first.get("key", "body")), str(first.get("message", ""))
    if first.get("source") in ("query", "path"):
        return envelope(400, f"{key}: {_plain(raw)}")
    return envelope(400, message_for(_body_struct(request), key, raw))


def _plain(raw: str) -> str:
    # Litestar's own parameter messages ("Expected `int`, got `str`") are safe; keep them short.
    return raw.replace("`", "") or "invalid value"


def on_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if status == 400:
        detail = str(exc.detail or "")
        message = "body: must be valid JSON" if "JSON" in detail else "Bad request"
        return envelope(400, message)
    headers = {k: v for k, v in (exc.headers or {}).items() if k.lower() == "allow"}
    return envelope(status, MESSAGES.get(status, "Request failed"), headers=headers)


def on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return envelope(HTTP_500_INTERNAL_SERVER_ERROR, MESSAGES[500])


EXCEPTION_HANDLERS: dict[Any, Any] = {
    ApiError: _handled(on_api_error),
    ValidationException: _handled(on_validation),
    HTTPException: _handled(on_http),
    Exception: _handled(on_unexpected),
}
