"""Property tests for `merge`'s inputs (gate/outcome/merge.py): whatever a job's report file holds (a real
report with any member replaced, removed or added, at any depth), the merge never raises, every reporter
renders the merged run, the merged JSON report matches the report schema, and a report that could not be
used fails the merge as `config` (exit 2), never as a pass."""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gate.cli import main
from gate.config.settings import RunSettings
from gate.core.failures import ExitCode
from gate.outcome.merge import merge_reports
from gate.outcome.merge_inputs import MergeOptions, read_report
from gate.publish.reporters import json_report, junit, summary
from tests.support import report_problems

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PLAIN = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)
BIG = st.integers(min_value=0, max_value=10**400)
# (not response_shape or chunk_shape: the schema types them, so other values make the report unusable)
DETAIL_KEYS = [
    "attempt_log", "request_id", "gateway_request_id", "provider_request_id", "http_status",
    "response_excerpt", "usage", "response_model", "finish_reason", "given", "latency_ms",
]  # fmt: skip
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | PLAIN,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(PLAIN, inner, max_size=3),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A passing and a failing report, as the gate wrote them against the simulator."""
    root = tmp_path_factory.mktemp("jobs")
    written = {}
    for name, scenario in (("pass", "ok"), ("fail", "auth")):
        path = root / f"{name}.json"
        args = [
            "run",
            "--base-url",
            f"sim://{scenario}",
            "--json",
            str(path),
            "--stream",
            "--negative",
            "all",
        ]
        CliRunner().invoke(main, args, env={"GITHUB_ACTIONS": None}, catch_exceptions=False)
        written[name] = json.loads(path.read_text(encoding="utf-8"))
    return written


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a member or item of a JSON value."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


@st.composite
def mutated(draw: st.DrawFn, report: dict[str, Any]) -> dict[str, Any]:
    """The report with one to three members replaced by any JSON value, removed, or added beside."""
    body = copy.deepcopy(report)
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(body) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = body
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "remove", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(JSON_VALUES)
        elif action == "remove":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(PLAIN)] = draw(JSON_VALUES)
    return body


def _another_run(report: dict[str, Any], number: int) -> dict[str, Any]:
    """The same report as another job's run (another start): not the same run given twice."""
    return {**report, "started_at": f"2026-01-01T00:00:{number:02d}+00:00"}


def _merged(bodies: list[Any]) -> Any:
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for index, body in enumerate(bodies):
            path = Path(folder) / f"job-{index}" / "report.json"
            path.parent.mkdir()
            path.write_text(json.dumps(body), encoding="utf-8")
            paths.append(path)
        return merge_reports(paths, MergeOptions(expect_count=len(bodies)), RunSettings())


@SETTINGS
@given(data=st.data(), which=st.sampled_from(["pass", "fail"]))
def test_any_mutated_report_merges_into_a_valid_run_and_never_a_silent_pass(reports, data, which):
    body = data.draw(mutated(reports[which]))
    run = _merged([body, _another_run(reports["pass"], 59)])
    assert report_problems(json.loads(json_report.render(run))) == []
    junit.render(run)
    summary.render(run)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "report.json"
        path.write_text(json.dumps(body), encoding="utf-8")
        try:
            read_report(path)
            usable = True
        except ValueError:
            usable = False
    if not usable:
        assert run.verdict.exit_code is ExitCode.USAGE
        assert run.targets[0].verdict.failure_class == "config"
    if which == "fail" or not usable:
        assert not run.verdict.passed


@SETTINGS
@given(st.lists(st.sampled_from(["pass", "fail"]), min_size=1, max_size=5))
def test_the_merged_verdict_is_the_worst_of_the_jobs(reports, picks):
    run = _merged([_another_run(reports[pick], number) for number, pick in enumerate(picks)])
    assert run.verdict.passed == all(pick == "pass" for pick in picks)
    assert [t.verdict.passed for t in run.targets] == sorted(pick == "pass" for pick in picks)
    expected = ExitCode.FAILED if "fail" in picks else ExitCode.PASSED
    assert run.verdict.exit_code is expected


@SETTINGS
@given(st.data())
def test_any_details_or_figures_merge(reports, data):
    """`details` is display data the schema leaves open, and a number may be any size: a report whose
    details, figures or attempt log hold anything merges (no bug), its verdict as it was."""
    body = copy.deepcopy(reports["fail"])
    for check in body["checks"]:
        check["details"] = data.draw(
            st.dictionaries(st.sampled_from(DETAIL_KEYS), JSON_VALUES | BIG, max_size=6)
        )
        check["duration_ms"] = data.draw(BIG | st.floats(min_value=0, allow_infinity=False))
    body["latency_ms"] = {"p50": data.draw(BIG), "p95": 1, "max": data.draw(BIG)}
    run = _merged([body])
    assert report_problems(json.loads(json_report.render(run))) == []
    junit.render(run)
    summary.render(run)
    assert (run.verdict.failure_class, run.verdict.exit_code) == ("auth", ExitCode.FAILED)
