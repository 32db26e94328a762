"""JSON values made from a JSON Schema, for the request-template scenarios (gate/simulator/request_files.py):
a minimal instance that validates (the honest answer to a `json_schema` response format or a tool's
`parameters`) and one that does not (the faulty answer)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

_FORMATS = (
    {"date-time": "2024-01-01T00:00:00Z", "date": "2024-01-01", "time": "00:00:00Z"}
    | {"email": "pong@example.com", "uri": "https://example.com/pong", "ipv4": "127.0.0.1", "ipv6": "::1"}
    | {"uuid": "00000000-0000-4000-8000-000000000000", "hostname": "example.com", "duration": "PT1S"}
)
_MAX_DEPTH = 24
_NULLABLE_AFTER = 8  # past this depth, an anyOf/oneOf with a null branch takes it: recursive schemas end


def minimal_instance(schema: Any, root: Any = None, depth: int = 0) -> Any:
    """A small JSON value valid against ``schema``: only required properties, one array item, ``pong``
    (or the format's example) for strings, the enum's first value, the const."""
    root = schema if root is None else root
    s = _resolve(schema, root)
    if depth > _MAX_DEPTH:
        return None
    if "const" in s:
        return s["const"]
    if isinstance(s.get("enum"), list) and s["enum"]:
        return s["enum"][0]
    options = s.get("anyOf") or s.get("oneOf")
    if isinstance(options, list) and options:
        return minimal_instance(_branch(options, root, depth), root, depth + 1)
    kind = _kind(s)
    make = _BY_KIND.get(kind, _string) if isinstance(kind, str) else _string
    return make(s, root, depth)


def violating_instance(schema: Any) -> Any:
    """A JSON value that does not validate: the minimal instance without its first required property (an
    unexpected property or a wrong type when there is none)."""
    s = _resolve(schema, schema)
    value = minimal_instance(schema)
    if isinstance(value, dict):
        required = [r for r in s.get("required") or [] if r in value]
        if required:
            del value[required[0]]
            return value
        return {**value, "unexpected": 1} if s.get("additionalProperties") is False else "pong"
    return 0 if isinstance(value, str) else "pong"


def _resolve(schema: Any, root: Any) -> dict[str, Any]:
    """``schema`` with local ``$ref`` pointers (``#/$defs/x``) followed; {} for anything unusable."""
    for _ in range(_MAX_DEPTH):
        if not isinstance(schema, dict):
            return {}
        ref = schema.get("$ref")
        if not (isinstance(ref, str) and ref.startswith("#")):
            return schema
        schema = root
        for part in filter(None, ref[1:].split("/")):
            key = part.replace("~1", "/").replace("~0", "~")
            schema = schema.get(key) if isinstance(schema, dict) else None
    return {}


def _branch(options: list[Any], root: Any, depth: int) -> Any:
    """The anyOf/oneOf branch to follow: the first, or deep down the first null one (recursion ends)."""
    nulls = [o for o in options if _resolve(o, root).get("type") == "null"]
    return (nulls if nulls and depth > _NULLABLE_AFTER else options)[0]


def _kind(s: dict[str, Any]) -> Any:
    """The type to make: the first non-null one of a list; without a type, what the keywords imply."""
    kind = s.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        return "object" if "properties" in s or "required" in s else "array" if "items" in s else "string"
    return kind


def _object(s: dict[str, Any], root: Any, depth: int) -> dict[str, Any]:
    props = s.get("properties") if isinstance(s.get("properties"), dict) else {}
    extra = s.get("additionalProperties")
    required = [r for r in s.get("required") or [] if isinstance(r, str)]
    return {r: minimal_instance(props.get(r, extra or {}), root, depth + 1) for r in required}


def _array(s: dict[str, Any], root: Any, depth: int) -> list[Any]:
    count = max(1, s.get("minItems") or 0)
    if isinstance(s.get("maxItems"), int):
        count = min(count, s["maxItems"])
    return [minimal_instance(s.get("items") or {}, root, depth + 1) for _ in range(count)]


def _number(s: dict[str, Any], integer: bool) -> int | float:
    """The value nearest 0 within the bounds (approximately, for odd combinations)."""
    step = 1 if integer else 0.5
    value: float = 0
    if isinstance(lo := s.get("minimum"), int | float) and value < lo:
        value = lo
    if isinstance(xlo := s.get("exclusiveMinimum"), int | float) and value <= xlo:
        value = xlo + step
    if isinstance(hi := s.get("maximum"), int | float) and value > hi:
        value = hi
    if isinstance(xhi := s.get("exclusiveMaximum"), int | float) and value >= xhi:
        value = xhi - step
    if isinstance(mult := s.get("multipleOf"), int | float) and mult > 0:
        value = math.ceil(value / mult) * mult
    return math.ceil(value) if integer else value


def _string(s: dict[str, Any], root: Any, depth: int) -> str:
    text = _FORMATS.get(s.get("format"), "pong")
    minimum = s.get("minLength") or 0
    text = text if len(text) >= minimum else (text * minimum)[:minimum]
    return text[: s["maxLength"]] if isinstance(s.get("maxLength"), int) else text


_BY_KIND: dict[str, Callable[[dict[str, Any], Any, int], Any]] = {
    "object": _object,
    "array": _array,
    "integer": lambda s, root, depth: _number(s, integer=True),
    "number": lambda s, root, depth: _number(s, integer=False),
    "boolean": lambda s, root, depth: True,
    "null": lambda s, root, depth: None,
}
