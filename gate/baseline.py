"""Reading the baseline: the JSON report of the last known-good run (`--baseline`), checked at config time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class BaselineError(ValueError):
    """The baseline file cannot be used (a configuration error: nothing is sent)."""


def load_baseline(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:  # ValueError: undecodable bytes, a NUL in the path
        raise BaselineError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise BaselineError(f"{path} is not JSON") from None
    if (
        not isinstance(data, dict)
        or data.get("schema_version") != "1"
        or not isinstance(data.get("checks"), list)
    ):
        raise BaselineError(f"{path} is not a cometapi-smoke-gate JSON report (schema_version 1)")
    if data.get("result") != "pass":
        raise BaselineError(f"{path} is from a failed run: a baseline must be a known-good (passing) report")
    return data
