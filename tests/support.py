"""Helpers for tests: driving the gate below the CLI, and checking its reports against their schema."""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from gate.config.resolve import GateConfig, resolve
from gate.core import contract


def target_config(flags: Mapping[str, object], env: Mapping[str, str] | None = None) -> GateConfig:
    """The config of the single target that `flags` and `env` resolve to."""
    run = resolve(flags, env or {})
    assert len(run.targets) == 1
    return run.targets[0].config


@functools.cache
def _report_validator(strict: bool) -> Draft202012Validator:
    schema = contract.schema("report")
    if strict:
        _close(schema)
    return Draft202012Validator(schema)


def _close(schema: Any) -> None:
    """Make every object the schema describes closed (additionalProperties false) unless it says otherwise:
    the shipped schema lets consumers meet new members, the tests make sure every member is documented."""
    if isinstance(schema, dict):
        if "properties" in schema and "additionalProperties" not in schema:
            schema["additionalProperties"] = False
        for value in schema.values():
            _close(value)
    elif isinstance(schema, list):
        for item in schema:
            _close(item)


def report_problems(report: Any, strict: bool = True) -> list[str]:
    """Where `report` breaks gate/core/contract/report.schema.json (strict: also any undocumented member)."""
    errors = sorted(_report_validator(strict).iter_errors(report), key=lambda e: list(map(str, e.path)))
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message[:300]}" for e in errors]


def written_reports(root: Path) -> Iterator[tuple[Path, Any]]:
    """Every JSON file under `root` with a "schema_version": the reports a test made the gate write."""
    for path in sorted(root.rglob("*.json")):
        try:
            if not path.is_file() or path.stat().st_size > 16 * 1024 * 1024:
                continue  # a FIFO, a directory or a huge input a test made: never a report (and never read)
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # not JSON (a test's deliberately broken input), or gone
        if isinstance(data, dict) and "schema_version" in data:
            yield path, data


# ru_maxrss of a forked child starts at its parent's size (the high-water mark survives exec), so the gate is
# started from a small wrapper process that reports its own child's peak (as in test_bounds.py).
_MEASURED = """
import json, resource, subprocess, sys
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"exit": proc.returncode, "out": proc.stdout, "err": proc.stderr, "peak_kib": peak}))
"""


@dataclass(frozen=True)
class ChildRun:
    exit_code: int
    stdout: str
    stderr: str
    peak_mib: float


def run_cli(*args: str, env: Mapping[str, str] | None = None, timeout: float = 60.0) -> ChildRun:
    """`cometapi-smoke-gate run ARGS` (python -m gate) in a child process: a hang ends at `timeout` as a
    failed test, and the run's peak memory is measured."""
    with subprocess.Popen(
        [sys.executable, "-c", _MEASURED, sys.executable, "-m", "gate", "run", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        start_new_session=True,  # one process group: a hung gate is ended with its wrapper
    ) as proc:
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise AssertionError(f"the gate did not end within {timeout:g} s: {args}") from None
    child = json.loads(out.strip().splitlines()[-1])
    return ChildRun(child["exit"], child["out"], child["err"], child["peak_kib"] / 1024)
