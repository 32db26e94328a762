"""Reading the baseline: the JSON report of the last known-good run (`--baseline`), checked at config time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gate.config.input_files import MAX_BYTES, InputFileError, parse_json, read_text


class BaselineError(ValueError):
    """The baseline file cannot be used (a configuration error: nothing is sent)."""


def read_report_file(path: Path, limit: int = MAX_BYTES) -> dict[str, Any]:
    """A JSON report of this tool, read with the input-file limits (gate/config/input_files.py) and valid
    against the report's own schema (gate/core/contract/report.schema.json). Raises BaselineError naming
    the problem (the merge's inputs re-raise it as theirs)."""
    try:
        data = parse_json(read_text(path, limit), path)
    except InputFileError as exc:
        raise BaselineError(exc.problem) from None
    if not isinstance(data, dict) or data.get("schema_version") != "1":
        raise BaselineError(f"{path} is not a cometapi-smoke-gate JSON report (schema_version 1)")
    from gate.core.contract import violations

    problems = violations(data, "report", limit=3)
    if problems:
        raise BaselineError(
            f"{path} does not match the JSON report's schema (gate/core/contract/report.schema.json): "
            + "; ".join(problems)
        )
    return data


def load_baseline(path: Path) -> dict[str, Any]:
    """The report (read_report_file) before anything uses it; it must be from a passing run."""
    data = read_report_file(path)
    if data.get("result") != "pass":
        raise BaselineError(f"{path} is from a failed run: a baseline must be a known-good (passing) report")
    return data
