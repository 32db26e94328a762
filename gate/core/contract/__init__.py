"""The response contract: JSON Schema files shipped in the package, compiled once per process."""

from __future__ import annotations

import functools
import json
import threading
from importlib import resources
from typing import Any

from gate.core.text import cut_words

_LOCK = threading.Lock()


def schema(name: str) -> Any:
    return json.loads(resources.files(__package__).joinpath(f"{name}.schema.json").read_text("utf-8"))


@functools.cache
def _compile(name: str) -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema(name))  # the schema itself is checked by tests/unit/test_contract.py


def _validator(name: str) -> Any:
    with _LOCK:  # one compilation even when prepare() is still running
        return _compile(name)


def prepare(name: str = "chat_completion") -> threading.Thread:
    """Import jsonschema and compile `name` on a thread, e.g. while the first request is in flight."""
    thread = threading.Thread(target=_validator, args=(name,), name="contract-prepare", daemon=True)
    thread.start()
    return thread


def violations(payload: Any, name: str = "chat_completion", limit: int = 5) -> list[str]:
    """Human-readable contract violations, most specific path first; empty when the payload holds."""
    errors = sorted(
        _validator(name).iter_errors(payload), key=lambda e: (len(e.path), list(map(str, e.path)))
    )
    out = []
    for error in errors[:limit]:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        out.append(f"{where}: {_short(readable(error))}")
    return out


def readable(error: Any) -> str:
    """A jsonschema error's message with the values it quotes as JSON (`{"0": null}`), not as a Python repr
    (`{'0': None}`): reports never show a repr."""
    message = str(error.message)
    for value in (error.instance, error.validator_value):
        if isinstance(value, dict | list | bool) or value is None:
            message = message.replace(repr(value), _json(value))
    return message


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _short(message: str, limit: int = 160) -> str:
    return cut_words(message, limit)
