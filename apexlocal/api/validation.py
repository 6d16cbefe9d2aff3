"""Validation messages that name the field and the rule: `"width: must be between 256 and 2048"`.

Request bodies are msgspec Structs; their annotations (types, `Meta` bounds and patterns, `Literal`
choices) are both the validation and the OpenAPI schema. When decoding fails, the rule is written
out from the same annotation, so the message and the schema can never disagree, and no library
text reaches the client.
"""

from __future__ import annotations

import re
import types
import typing
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import msgspec

# Text a person writes (prompts, scripts, speech): any character but the C0 controls, except tab,
# newline and carriage return. A NUL in speech text used to be charged, then fail in the engine.
PLAIN_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$"
CURSOR = r"^[0-9]+$"
LANGUAGE_CODE = r"^[A-Za-z]{2}$"
PATTERN_RULES = {
    PLAIN_TEXT: "must not contain control characters (tab, newline and carriage return are allowed)",
    CURSOR: "must be a cursor returned as nextCursor",
    LANGUAGE_CODE: "must be a two-letter ISO 639-1 language code such as es",
}

_UNKNOWN = re.compile(r"unknown field `([^`]+)`")
_MISSING = re.compile(r"missing required field `([^`]+)`")
_AT = re.compile(r" - at `\$(.*)`$")
_EXPECTED = re.compile(r"^Expected `([^`]+)`")
_WIRE_TYPES = {
    "int": "an integer",
    "float": "a number",
    "str": "a string",
    "bool": "true or false",
    "object": "an object",
    "array": "a list",
    "null": "null",
}
NOT_AN_OBJECT = "body: must be a JSON object"


def _unwrap(tp: Any) -> tuple[Any, list[msgspec.Meta]]:
    metas: list[msgspec.Meta] = []
    while True:
        if get_origin(tp) is Annotated:
            base, *extra = get_args(tp)
            metas += [m for m in extra if isinstance(m, msgspec.Meta)]
            tp = base
        elif _is_union(tp):
            # UNSET (a PATCH body's absent field) is never sent, so it is no alternative to name.
            args = [a for a in get_args(tp) if a is not type(None) and a is not msgspec.UnsetType]
            if len(args) != 1:
                return tp, metas
            tp = args[0]
        else:
            return tp, metas


def _is_union(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType)


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


def _kind(tp: Any) -> str:
    """A type in words, for a union's members: "a string", "an object"."""
    tp, _ = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        return "an object"
    return _WIRE_TYPES.get(getattr(tp, "__name__", ""), "a valid value")


def rule_for(annotation: Any, failure: str = "") -> str:
    """The rule an annotation states, in words; `failure` (msgspec's message) picks the pattern
    rule when it is the pattern that failed."""
    tp, metas = _unwrap(annotation)
    pattern = next((m.pattern for m in metas if m.pattern is not None), None)
    if pattern is not None and "matching regex" in failure:
        return PATTERN_RULES.get(pattern, "must match the pattern " + pattern)
    if _is_union(tp):
        return "must be " + " or ".join(_kind(a) for a in get_args(tp) if a is not type(None))
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
        kind = "a string of " if "got `" in failure else ""  # the type is named when the type was wrong
        if lo is not None and hi is not None:
            return f"must be {kind}{lo}-{hi:,} characters"
        return _range("a string ", lo, hi, " characters")
    if get_origin(tp) in (list, tuple):
        lo, hi = _bounds(metas, "min_length", "max_length")
        return _range("a list ", lo, hi, " items")
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        return "must be an object"
    return f"must be a valid {getattr(tp, '__name__', 'value')}"


def field_names(struct: type[msgspec.Struct]) -> dict[str, str]:
    """Python attribute -> wire name."""
    return {f.name: f.encode_name for f in msgspec.structs.fields(struct)}


def _struct_of(annotation: Any) -> type[msgspec.Struct] | None:
    """The Struct an annotation holds (alone, optional, or as the one Struct of a union)."""
    tp, _ = _unwrap(annotation)
    members = get_args(tp) if _is_union(tp) else (tp,)
    structs = [m for m in (_unwrap(a)[0] for a in members) if isinstance(m, type) and issubclass(m, msgspec.Struct)]
    return structs[0] if len(structs) == 1 else None


def annotation_at(struct: type[msgspec.Struct] | None, path: list[str]) -> Any:
    """The annotation of the field at a wire path (`["voice", "id"]`), or None."""
    annotation: Any = None
    for part in path:
        if struct is None:
            return None
        hints = typing.get_type_hints(struct, include_extras=True)
        by_wire = {wire: name for name, wire in field_names(struct).items()}
        if by_wire.get(part) not in hints:
            return None
        annotation = hints[by_wire[part]]
        struct = _struct_of(annotation)
    return annotation


_BOUND = re.compile(r"^Expected `(\w+)`(?: of length)? (>=|>|<=|<) (\S+)")
_BOUND_WORDS = {">=": "at least", ">": "greater than", "<=": "at most", "<": "less than"}


def _plain(failure: str) -> str:
    """msgspec's message for a value no annotation here describes, in words."""
    if m := _BOUND.match(failure):
        kind, op, bound = m.groups()
        unit = {"str": " characters", "array": " items"}.get(kind, "")
        what = "" if unit else _WIRE_TYPES.get(kind, "a value") + " "
        return f"must be {what}{_BOUND_WORDS[op]} {bound}{unit}"
    if "matching regex" in failure:
        return "has an invalid format"
    if failure.startswith("Invalid enum value"):
        return "is not one of the allowed values"
    if m := _EXPECTED.match(failure):
        return "must be " + " or ".join(_WIRE_TYPES.get(k.strip(), "a valid value") for k in m.group(1).split("|"))
    return "is invalid"


def body_message(struct: type[msgspec.Struct] | None, raw: str) -> str:
    """A strict decoding failure (msgspec's `ValidationError` text) as "field: rule"."""
    at = _AT.search(raw)
    path = at.group(1).lstrip(".") if at else ""
    failure = raw[: at.start()] if at else raw
    prefix = path + "." if path else ""
    if m := _UNKNOWN.search(failure):
        allowed = ", ".join(field_names(struct).values()) if struct is not None and not path else ""
        return f"{prefix}{m.group(1)}: unknown field" + (f" (allowed: {allowed})" if allowed else "")
    if m := _MISSING.search(failure):
        return f"{prefix}{m.group(1)}: is required"
    if not path:
        return NOT_AN_OBJECT
    annotation = annotation_at(struct, re.split(r"\.|\[", path))
    rule = rule_for(annotation, failure) if annotation is not None else _plain(failure)
    return f"{path}: {rule}"


_PARAM_BOUNDS = ("ge", "le", "gt", "lt", "min_length", "max_length", "pattern")


def param_message(key: str, annotation: Any, bounds: Any, raw: str) -> str:
    """A query, path or header parameter that did not validate, in words. `annotation` is its
    type (None when unknown) and `bounds` whatever carries its ge/le/length/pattern attributes."""
    if annotation is None:
        return f"{key}: {_plain(raw)}"
    limits = {name: getattr(bounds, name, None) for name in _PARAM_BOUNDS}
    limits = {name: value for name, value in limits.items() if value is not None}
    rule = rule_for(Annotated[annotation, msgspec.Meta(**limits)] if limits else annotation, raw)
    return f"{key}: {rule}"
