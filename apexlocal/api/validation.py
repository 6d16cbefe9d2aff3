"""Validation messages that name the field and the rule: `"width: must be between 256 and 2048"`.

Request bodies are msgspec Structs; their annotations (types, `Meta` bounds, `Literal` choices) are
both the validation and the OpenAPI schema. When decoding fails, the rule is written out from the
same annotation, so the message and the schema can never disagree.
"""

from __future__ import annotations

import re
import types
import typing
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import msgspec

_UNKNOWN = re.compile(r"unknown field `([^`]+)`")
_MISSING = re.compile(r"missing required field `([^`]+)`")


def _unwrap(tp: Any) -> tuple[Any, list[msgspec.Meta]]:
    metas: list[msgspec.Meta] = []
    while True:
        if get_origin(tp) is Annotated:
            base, *extra = get_args(tp)
            metas += [m for m in extra if isinstance(m, msgspec.Meta)]
            tp = base
        elif get_origin(tp) in (Union, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp, metas
            tp = args[0]
        else:
            return tp, metas


def _bounds(metas: list[msgspec.Meta], low: str, high: str) -> tuple[Any, Any]:
    lo = next((getattr(m, low) for m in metas if getattr(m, low, None) is not None), None)
    hi = next((getattr(m, high) for m in metas if getattr(m, high, None) is not None), None)
    return lo, hi


def _range(kind: str, lo: Any, hi: Any, unit: str = "") -> str:
    if lo is not None and hi is not None:
        return f"must be {kind}between {lo} and {hi}{unit}"
    if lo is not None:
        return f"must be {kind}at least {lo}{unit}"
    if hi is not None:
        return f"must be {kind}at most {hi}{unit}"
    return f"must be {kind.strip() or 'valid'}"


def rule_for(annotation: Any) -> str:
    """The rule an annotation states, in words."""
    tp, metas = _unwrap(annotation)
    if get_origin(tp) is Literal:
        return "must be one of " + ", ".join(str(a) for a in get_args(tp))
    if tp is bool:
        return "must be true or false"
    if tp is int:
        return _range("an integer ", *_bounds(metas, "ge", "le"))
    if tp is float:
        return _range("a number ", *_bounds(metas, "ge", "le"))
    if tp is str:
        lo, hi = _bounds(metas, "min_length", "max_length")
        if lo is not None and hi is not None:
            return f"must be {lo}-{hi:,} characters"
        return _range("a string ", lo, hi, " characters")
    if get_origin(tp) in (list, tuple):
        lo, hi = _bounds(metas, "min_length", "max_length")
        return _range("a list ", lo, hi, " items")
    return f"must be a valid {getattr(tp, '__name__', 'value')}"


def field_names(struct: type[msgspec.Struct]) -> dict[str, str]:
    """Python attribute -> wire name."""
    info = msgspec.structs.fields(struct)
    return {f.name: f.encode_name for f in info}


def message_for(struct: type[msgspec.Struct] | None, key: str, raw: str) -> str:
    """Turns a msgspec/Litestar validation failure into "field: rule"."""
    if m := _UNKNOWN.search(raw):
        allowed = ", ".join(field_names(struct).values()) if struct else ""
        return f"{m.group(1)}: unknown field" + (f" (allowed: {allowed})" if allowed else "")
    if m := _MISSING.search(raw):
        return f"{m.group(1)}: is required"
    if struct is None:
        return f"{key}: {raw}"
    hints = typing.get_type_hints(struct, include_extras=True)
    by_wire = {wire: name for name, wire in field_names(struct).items()}
    name = by_wire.get(key, key)
    if name not in hints:
        return f"{key}: {raw}"
    return f"{key}: {rule_for(hints[name])}"
