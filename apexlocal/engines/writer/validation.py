"""Checking an answer against its JSON schema (jsonschema's validator for the schema's draft)."""

from __future__ import annotations

import json
from typing import Any

from apexlocal.errors import JobError


def schema_fault(text: str, schema: dict[str, Any]) -> str | None:
    """What is wrong with `text` as a document of `schema` (None: it parses and validates)."""
    import jsonschema

    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return f"not JSON: {exc.msg} at character {exc.pos}"
    validator = jsonschema.validators.validator_for(schema)(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "(the top)"
    return f"at {where}: {error.message[:200]}"


def parse_valid(text: str, schema: dict[str, Any]) -> Any:
    """The answer's value; JobError when it does not parse or validate."""
    fault = schema_fault(text, schema)
    if fault is not None:
        raise JobError(f"the writer's answer is outside the schema: {fault}")
    return json.loads(text)


def check_schema_shape(schema: Any) -> None:
    """A JobError unless `schema` is a valid JSON Schema (checked against its metaschema)."""
    import jsonschema

    if not isinstance(schema, dict):
        raise JobError("json_schema must be an object")
    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.exceptions.SchemaError as exc:
        raise JobError(f"json_schema is not a valid JSON Schema: {exc.message[:200]}") from None
