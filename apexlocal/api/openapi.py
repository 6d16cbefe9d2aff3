"""The OpenAPI document's configuration, and its error answers.

Every failure is the `{"error", "code"}` envelope (`ErrorBody`, apexlocal/api/exceptions.py), never
Litestar's own `{status_code, detail, extra}`. A route declares the failures of its own work with
`responses=errors(...)`; the ones that come from the layers around every route are added to each
route here, by what it is: a body (400, 413, 415), parameters (400), a path parameter (404), behind
the key middleware (401, 403, 429), and 500 for all. Security is declared on the routers that
authenticate (/api, /v1), so the public routes (/healthz, /readyz, /files, /auth, the studio) have
none.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec
from litestar import Litestar
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.spec import Components, Example, SecurityRequirement, SecurityScheme
from litestar.routes import HTTPRoute

from apexlocal import __version__
from apexlocal.api.exceptions import CODES, MESSAGES
from apexlocal.api.schemas import ErrorBody

WHY = {
    400: "Invalid request: `error` names the field and the rule",
    401: "Missing or invalid API key, or session",
    402: "Not enough credits; nothing was created",
    403: "Not allowed: the plan, an admin-only route, or a web UI request without its CSRF token",
    404: "Not found, or not yours",
    409: "Conflict: an Idempotency-Key reused with another request, or the resource's state",
    413: "Request body too large",
    415: "The body is not application/json",
    416: "Range not satisfiable",
    429: "Too many requests (see the Retry-After header)",
    500: "Internal error; nothing internal is shown",
    503: "The server is shutting down and takes no new work",
}
EXAMPLES = {
    400: "width: must be an integer between 256 and 2048",
    402: "Insufficient credits: this costs 10, the balance is 5",
    409: "Idempotency-Key: was already used with a different request",
    416: "Range not satisfiable",
    429: "Too many requests",
    503: "Server is shutting down; retry in a few seconds",
}
API_KEY = "apiKey"
SECURITY: list[SecurityRequirement] = [{API_KEY: []}]  # the routers behind the key middleware
AUTHENTICATED_PREFIXES = ("/api/", "/v1/")
# A job, a voice or a speech stream is charged: it may also be refused for its price or a draining server.
CHARGED = (402, 409, 503)


def errors(*codes: int) -> dict[int, ResponseSpec]:
    """`responses=` for a route decorator: the failures its own work answers, as the envelope."""
    return {
        code: ResponseSpec(ErrorBody, description=WHY[code], generate_examples=False, examples=[_example(code)])
        for code in codes
    }


def _example(code: int) -> Example:
    return Example(value={"error": EXAMPLES.get(code) or MESSAGES[code], "code": CODES[code]})


def _handlers(app: Litestar) -> Iterator[tuple[HTTPRoute, HTTPRouteHandler]]:
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                yield route, handler


def _common(route: HTTPRoute, handler: HTTPRouteHandler) -> set[int]:
    """The failures the layers around a route answer, whatever the route does."""
    params = handler.parsed_fn_signature.parameters
    has_body = "data" in params
    codes = {500}
    if has_body or route.path_parameters or any(name not in ("request", "data") for name in params):
        codes.add(400)
    if has_body:
        codes |= {413, 415}
    if route.path_parameters:
        codes.add(404)
    if route.path.startswith(AUTHENTICATED_PREFIXES):
        codes |= {401, 403, 429}
    return codes


def document_errors(app: Litestar) -> None:
    """Adds the envelope for every failure each route can answer (what it declared is kept).
    Runs once on the finished app: the document is built from these on its first request."""
    for route, handler in _handlers(app):
        if not handler.resolve_include_in_schema():
            continue
        declared = dict(handler.responses or {})
        handler.responses = {**errors(*(_common(route, handler) - set(declared))), **declared}


class StrictStructSchema(StructSchemaPlugin):
    """A request Struct that refuses unknown fields says so: `additionalProperties: false`.
    (Litestar's own Struct schemas leave it out; this extends Litestar's.)"""

    def to_openapi_schema(self, field_definition: Any, schema_creator: Any) -> Any:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        info = msgspec.inspect.type_info(field_definition.type_)
        if isinstance(info, msgspec.inspect.StructType) and info.forbid_unknown_fields:
            schema.additional_properties = False
        return schema


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="apexlocal",
        version=__version__,
        description="The AI Video Generation API, self-hosted. Authenticate with `Authorization: Bearer sk_live_...`, "
        "or, from the web UI, with its session cookie and an `X-CSRF-Token` header. Every failure is "
        '`{"error": "...", "code": "..."}` (ErrorBody).',
        path="/schema",
        components=Components(
            security_schemes={API_KEY: SecurityScheme(type="http", scheme="bearer", description="An apexlocal API key")}
        ),
    )
