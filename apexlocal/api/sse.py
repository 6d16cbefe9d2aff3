"""Server-Sent Events: the keepalive, and how an event stream is documented.

The OpenAPI document describes each event of a stream (OpenAPI 3.1: the media type's `schema` is
one event): its name, and its `data` as JSON of the given Struct (`contentMediaType` and
`contentSchema`), so a client or a schema checker can read the payload's schema too.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar.openapi import ResponseSpec
from litestar.params import KwargDefinition

# Litestar writes `data: ` after a comment unless data is None, and a browser fires an empty
# `message` event for that: the keepalive must be a comment line alone.
KEEPALIVE: dict[str, Any] = {"comment": "keepalive", "data": None}


def event_stream(event: str, payload: type[msgspec.Struct], what: str) -> dict[int, ResponseSpec]:
    """`responses=` for a route that streams `event` events whose data is a `payload` as JSON."""
    data = Annotated[
        str,
        KwargDefinition(
            schema_extra={
                "contentMediaType": "application/json",
                "contentSchema": {"$ref": f"#/components/schemas/{payload.__name__}"},
            }
        ),
    ]
    schema = msgspec.defstruct(f"{payload.__name__}Event", [("event", Literal[event]), ("data", data)])
    return {200: ResponseSpec(schema, media_type="text/event-stream", generate_examples=False, description=what)}
