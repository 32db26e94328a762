"""Parsing a response body as JSON, with limits: whatever a server sends, this returns or says why not.

- Nesting: at most MAX_DEPTH levels (a chat completion has about eight); deeper is refused, never a
  RecursionError in a parser, the contract validator or a reporter.
- NaN / Infinity literals (not JSON, but Python's parser accepts them) become `NonFinite` strings:
  reports stay strict JSON, the contract's typed fields reject them, `non_finite_paths` says where.
- Integers longer than Python's 4,300-digit limit and invalid UTF-8 are "not JSON". A UTF-8 BOM is skipped,
  as RFC 8259 allows and common HTTP clients do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

MAX_DEPTH = 64


class NonFinite(str):
    """A NaN / Infinity / -Infinity literal found in a body, kept as its text."""


@dataclass(frozen=True, eq=False)
class NotJson:
    """A body that did not parse, and why (for the failure message)."""

    reason: str


def parse_json(body: bytes) -> Any:
    """The decoded JSON, or raise ValueError saying why not."""
    try:
        payload = json.loads(body.decode("utf-8-sig"), parse_constant=NonFinite)
    except RecursionError:
        raise ValueError(f"JSON nested more than {MAX_DEPTH} levels deep") from None
    if deeper_than(payload, MAX_DEPTH):
        raise ValueError(f"JSON nested more than {MAX_DEPTH} levels deep")
    return payload


def try_parse(body: bytes) -> Any:
    """The decoded JSON, or a NotJson: the one parse of a response body, shared by every judge of it."""
    if not body:
        return NotJson("empty body")
    try:
        return parse_json(body)
    except UnicodeDecodeError:
        return NotJson("not valid UTF-8")
    except ValueError as exc:
        reason = str(exc)
        return NotJson(reason if "nested" in reason or "digits" in reason else "not valid JSON")


def deeper_than(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def non_finite_paths(value: Any, prefix: str = "") -> list[str]:
    """Where NaN / Infinity literals were, as field paths (`usage.cost`)."""
    found: list[str] = []
    stack = [(value, prefix)]
    while stack:
        item, path = stack.pop()
        if isinstance(item, NonFinite):
            found.append(path or "(root)")
        elif isinstance(item, dict):
            stack.extend((v, f"{path}.{k}" if path else str(k)) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(item))
    return sorted(found)
