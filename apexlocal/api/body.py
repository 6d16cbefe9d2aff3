"""JSON request bodies, decoded strictly and in one place.

Litestar decodes a body to plain values and then converts them into the handler's `data` type
with msgspec's lax rules, which take `"256"` for 256 and `"true"` for true. Here the body is
decoded straight into that type with `strict=True` instead, so the wire types are exactly the
ones the OpenAPI document shows. Every failure, a malformed or too deeply nested document
included, is a 400 naming the field and the rule (`apexlocal.api.validation`).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import msgspec
from litestar import Request

from apexlocal.api.validation import body_message
from apexlocal.errors import BadRequest

NOT_JSON = "body: must be valid JSON"
TOO_DEEP = "body: nested too deeply"


@lru_cache(maxsize=256)
def _decoder(target: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(target, strict=True)


def body_type(request: Request[Any, Any, Any]) -> Any:
    """The type the route's `data` parameter declares (Any when it has none)."""
    field = request.route_handler.parsed_fn_signature.parameters.get("data")
    return Any if field is None else field.annotation


def decode_body(target: Any, body: bytes) -> Any:
    """`body` as `target`, strictly; BadRequest otherwise."""
    try:
        return _decoder(target).decode(body)
    except msgspec.ValidationError as exc:
        struct = target if isinstance(target, type) and issubclass(target, msgspec.Struct) else None
        raise BadRequest(body_message(struct, str(exc))) from None
    except msgspec.DecodeError:
        raise BadRequest(NOT_JSON) from None
    except RecursionError:
        # msgspec stops at the interpreter's recursion limit; a client's nesting is not a bug here.
        raise BadRequest(TOO_DEEP) from None


class ApiRequest(Request[Any, Any, Any]):
    """The request class of every route: `json()` returns the route's body type, strictly decoded."""

    __slots__ = ()

    async def json(self) -> Any:
        return decode_body(body_type(self), await self.body() or b"null")
