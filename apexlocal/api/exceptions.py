"""The one place where errors become HTTP: `{"error": "...", "code": "..."}` for every failure of
every layer, the framework's own included. Nothing internal (trace, path, SQL, library text) leaks."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from apexlocal.api.validation import NOT_AN_OBJECT, param_message
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


def envelope(
    status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None
) -> Response[Any]:
    return Response(
        {"error": message, "code": code or CODES.get(status, "ERROR")},
        status_code=status,
        headers=headers or {},
        media_type="application/json",
    )


def _with_limits(request: Request[Any, Any, Any], response: Response[Any]) -> Response[Any]:
    """Errors are answered outside the auth middleware; carry its rate-limit headers over."""
    limits = request.scope.get("state", {}).get("ratelimit_headers")
    for name, value in limits or ():
        response.headers[name.decode()] = value.decode()
    return response


def _handled(fn: Any) -> Any:
    def handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        return _with_limits(request, fn(request, exc))

    handler.__name__ = fn.__name__
    return handler


def on_api_error(request: Request[Any, Any, Any], exc: ApiError) -> Response[Any]:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    return envelope(exc.status, exc.message, exc.code, headers)


def on_validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    """Parameters (query, path, headers) that did not validate. Bodies are decoded by
    `apexlocal.api.body`; what reaches here for one is a body that was missing altogether."""
    extra = exc.extra if isinstance(exc.extra, list) else []
    first = extra[0] if extra and isinstance(extra[0], dict) else {}
    key = str(first.get("key", ""))
    if key == "data" or first.get("source") == "body":
        return envelope(400, NOT_AN_OBJECT)
    if not key:
        return envelope(400, "Bad request")
    field = request.route_handler.parsed_fn_signature.parameters.get(key)
    if field is None:
        return envelope(400, param_message(key, None, None, str(first.get("message", ""))))
    return envelope(
        400,
        param_message(
            _wire_name(key, field.kwarg_definition),
            field.annotation,
            field.kwarg_definition,
            str(first.get("message", "")),
        ),
    )


def _wire_name(name: str, kwarg: Any) -> str:
    """A parameter as the client spells it (`type`), not as the handler names it (`kind`)."""
    for alias in ("query", "header", "cookie", "name"):
        if isinstance(value := getattr(kwarg, alias, None), str) and value:
            return value
    return name


def on_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if status == 400:
        detail = str(exc.detail or "")
        message = "body: must be valid JSON" if "JSON" in detail else "Bad request"
        return envelope(400, message)
    headers = {k: v for k, v in (exc.headers or {}).items() if k.lower() == "allow"}
    return envelope(status, MESSAGES.get(status, "Request failed"), headers=headers)


def on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return envelope(HTTP_500_INTERNAL_SERVER_ERROR, MESSAGES[500])


EXCEPTION_HANDLERS: dict[Any, Any] = {
    ApiError: _handled(on_api_error),
    ValidationException: _handled(on_validation),
    HTTPException: _handled(on_http),
    Exception: _handled(on_unexpected),
}
