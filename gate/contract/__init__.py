"""The response contract: JSON Schema files shipped in the package, compiled once per process."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any


@functools.cache
def _validator(name: str) -> Any:
    from jsonschema import Draft202012Validator

    schema = json.loads(resources.files(__package__).joinpath(f"{name}.schema.json").read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def violations(payload: Any, name: str = "chat_completion", limit: int = 5) -> list[str]:
    """Human-readable contract violations, most specific path first; empty when the payload holds."""
    errors = sorted(
        _validator(name).iter_errors(payload), key=lambda e: (len(e.path), list(map(str, e.path)))
    )
    out = []
    for error in errors[:limit]:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        out.append(f"{where}: {_short(error.message)}")
    return out


def _short(message: str, limit: int = 160) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"
