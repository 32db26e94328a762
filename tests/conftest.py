"""Shared fixtures: one simulator per session on a free loopback port, and a helper that runs the CLI."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from gate.cli import main
from gate.simulator import Simulator
from tests.support import report_problems, written_reports

# CI explores the same examples on every run (a red CI must mean a regression, not a new random draw);
# local runs draw new examples each time, and Hypothesis keeps any failure it finds for the next run.
try:
    from hypothesis import settings as _hypothesis_settings

    _hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
    if os.environ.get("CI"):
        _hypothesis_settings.load_profile("ci")
except ImportError:  # the property tests skip without hypothesis
    pass

# Variables from the developer's shell must not leak into the gate's config under test.
_GATE_ENV_PREFIXES = (
    "INPUT_",
    "COMETAPI_",
    "GATE_",
    "GITHUB_",
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "https_proxy",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:

    for name in list(os.environ):
        if name.startswith(_GATE_ENV_PREFIXES):
            monkeypatch.delenv(name, raising=False)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "not_gate_reports: the test writes JSON files with a schema_version that the gate did not write "
        "(deliberately broken baselines); the report-schema check skips its tmp_path",
    )


@pytest.fixture(autouse=True)
def _reports_match_their_schema(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each test that has a tmp_path, every report under it must match
    gate/core/contract/report.schema.json, with every member documented: whatever a test makes the gate write
    is checked against the contract."""
    uses_tmp_path = "tmp_path" in request.fixturenames
    root = request.getfixturevalue("tmp_path") if uses_tmp_path else None
    yield
    if root is None or request.node.get_closest_marker("not_gate_reports"):
        return
    broken = {
        str(path.relative_to(root)): problems[:5]
        for path, report in written_reports(root)
        if (problems := report_problems(report))
    }
    if broken:
        pytest.fail(f"reports that break gate/core/contract/report.schema.json: {broken}", pytrace=False)


@pytest.fixture(scope="session")
def simulator() -> Iterator[Simulator]:
    with Simulator(slow_seconds=20.0, drip_interval=0.3, flaky_failures=2, huge_bytes=8 * 1024 * 1024) as sim:
        yield sim


@pytest.fixture
def sim(simulator: Simulator) -> Simulator:
    """The session simulator with an empty request log and fresh scenario counters."""
    simulator.clear_log()
    return simulator


@dataclass
class GateRun:
    exit_code: int
    stdout: str
    stderr: str
    report_path: Path

    @property
    def report(self) -> dict[str, Any]:
        return json.loads(self.report_path.read_text(encoding="utf-8"))

    @property
    def failure_class(self) -> str | None:
        return self.report["failure_class"]

    def check(self, check_id: str) -> dict[str, Any]:
        return next(c for c in self.report["checks"] if c["id"] == check_id)

    def expect_exit(self, code: int) -> GateRun:
        assert self.exit_code == code, (
            f"exit {self.exit_code}, expected {code}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"
        )
        return self


@pytest.fixture
def gate(tmp_path: Path):
    """Run `cometapi-smoke-gate run ARGS` in-process with a JSON report in tmp_path."""

    def run(*args: str, env: Mapping[str, str] | None = None, report: bool = True) -> GateRun:
        report_path = tmp_path / "report.json"
        argv = ["run", *args]
        if report and "--json" not in args:
            argv += ["--json", str(report_path)]
        result = CliRunner().invoke(main, argv, env=dict(env or {}), catch_exceptions=False)
        return GateRun(result.exit_code, result.stdout, result.stderr, report_path)

    return run
