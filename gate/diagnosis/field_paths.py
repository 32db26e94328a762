"""The shape of a JSON document: the set of field paths it has, for drift detection against a baseline."""

from __future__ import annotations

from typing import Any

MAX_PATHS = 200


def shape(value: Any, prefix: str = "") -> set[str]:
    """Field paths such as `choices[].message.content`; list items are merged, values ignored."""
    paths: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            paths.add(path)
            paths |= shape(item, path)
    elif isinstance(value, list):
        for item in value:
            paths |= shape(item, f"{prefix}[]")
    return paths if len(paths) <= MAX_PATHS else set(sorted(paths)[:MAX_PATHS])
