"""Reporters render a RunReport to text. They never print or write: the writer does, through the Redactor.

Each reporter module follows one contract (`Reporter`): `KIND`, `render(run)` (the full report) and
`minimal(run)` (a form that cannot fail to render, written in its place when `render` raises: the verdict and
each check's id, status and class, in the same format, so a `.prom` file stays Prometheus text and a JUnit
file stays JUnit). `reporter(kind)` looks one up; opt-in ones import only when asked for.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from gate.checks.results import CheckResult
    from gate.outcome.report import RunReport

MODULES = {"json": "json_report", "junit": "junit", "summary": "summary", "metrics": "metrics"}


class Reporter(Protocol):
    KIND: str

    def render(self, run: RunReport) -> str: ...

    def minimal(self, run: RunReport) -> str: ...


def reporter(kind: str) -> Reporter:
    """The reporter of `kind` (json, junit, summary, metrics)."""
    return importlib.import_module(f"{__name__}.{MODULES[kind]}")  # type: ignore[return-value]


def checks_of(run: RunReport) -> list[tuple[str | None, CheckResult]]:
    """(target name, result) of every check of the run, run-level checks last: what a minimal form lists."""
    return [(t.name, r) for t in run.targets for r in t.results] + [(None, r) for r in run.run_results]
