"""Every shape of the JSON report the gate writes matches gate/core/contract/report.schema.json, with every
member documented: one target, several targets, a configuration error and the minimal fallback. (The autouse
fixture in tests/conftest.py checks every other report a test makes the gate write, too.)"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from gate.app import execute
from gate.config.resolve import resolve
from gate.core.redact import Redactor
from gate.publish.reporters import json_report
from gate.publish.terminal import Console
from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL
from tests.support import report_problems

AUTH = ["--api-key", DEFAULT_API_KEY, "--model", DEFAULT_MODEL]
KEYS = {"PRIMARY_KEY": DEFAULT_API_KEY, "SECONDARY_KEY": DEFAULT_API_KEY}


def _valid(report: Any) -> Any:
    assert report_problems(report) == []
    assert report_problems(report, strict=False) == []
    return report


def _targets(tmp_path: Path, sim, second: str) -> Path:
    path = tmp_path / "targets.toml"
    path.write_text(
        f'[defaults]\nsamples = 2\nmodel = "{DEFAULT_MODEL}"\n\n'
        f'[[target]]\nname = "primary"\nbase-url = "{sim.url_for("ok")}"\napi-key-env = "PRIMARY_KEY"\n\n'
        f'[[target]]\nname = "secondary"\nbase-url = "{sim.url_for(second)}"\napi-key-env = "SECONDARY_KEY"\n'
    )
    return path


@pytest.mark.parametrize(
    ("scenario", "args", "code"),
    [
        ("ok", ["--stream", "--check-models", "--negative", "all", "--phase", "canary"], 0),
        ("flaky", ["--retries", "3", "--samples", "3"], 0),  # latency with retries: basis, with_retries
        ("rerouted_model", ["--fail-on-warn"], 1),
        ("auth", [], 1),
        ("contract_types", ["--stream"], 1),
    ],
)
def test_a_one_target_report_matches_the_schema(sim, gate, scenario, args, code):
    report = _valid(gate("--base-url", sim.url_for(scenario), *AUTH, *args).expect_exit(code).report)
    assert "targets" not in report and report["tool"]["name"] == "cometapi-smoke-gate"


def test_a_report_with_a_baseline_and_preflight_matches_the_schema(sim, gate, tmp_path):
    baseline = tmp_path / "known-good.json"
    gate("--base-url", sim.url_for("ok"), *AUTH, "--json", str(baseline)).expect_exit(0)
    preflight = tmp_path / "preflight.yml"
    preflight.write_text("rollback-owner: bob\nprevious-version: 2024-05-01\n")
    run = gate(
        "--base-url", sim.url_for("no_usage"), *AUTH, "--baseline", str(baseline), "--preflight",
        str(preflight), "--max-latency-regression", "1000",
    ).expect_exit(0)  # fmt: skip
    _valid(run.report)
    assert run.check("baseline")["status"] == "warn"


@pytest.mark.parametrize(("second", "code"), [("ok", 0), ("auth", 1)])
def test_a_several_targets_report_matches_the_schema(sim, gate, tmp_path, second, code):
    run = gate("--targets", str(_targets(tmp_path, sim, second)), env=KEYS).expect_exit(code)
    report = _valid(run.report)
    assert [t["name"] for t in report["targets"]] == ["primary", "secondary"]
    assert all(
        check["id"].startswith(f"{check['target']}/") for check in report["checks"] if "target" in check
    )


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--samples", "many"], {}),
        (["--targets", "missing.toml"], {}),
        (["--api-key", "short"], {}),
    ],
)
def test_a_config_error_report_matches_the_schema(sim, gate, args, env):
    run = gate("--base-url", sim.url_for("ok"), "--model", DEFAULT_MODEL, *args, env=env).expect_exit(2)
    report = _valid(run.report)
    assert report["failure_class"] == "config" and report["exit_code"] == 2


def _run(flags: dict[str, object], env: dict[str, str]):
    return execute(resolve(flags, env), Console(io.StringIO(), Redactor()), env, artifacts=[])


@pytest.mark.parametrize("several", [False, True])
def test_the_minimal_report_matches_the_schema(sim, tmp_path, several):
    if several:
        run = _run({"targets": str(_targets(tmp_path, sim, "auth"))}, KEYS)
    else:
        run = _run({"base_url": sim.url_for("ok"), "api_key": DEFAULT_API_KEY, "model": DEFAULT_MODEL}, {})
    report = _valid(json.loads(json_report.minimal(run)))
    assert "tool" not in report and report["checks"]
    assert {check["target"] for check in report["checks"]} == (
        {"primary", "secondary"} if several else {None}
    )


def test_a_member_the_schema_does_not_document_is_caught(sim, gate):
    report = gate("--base-url", sim.url_for("ok"), *AUTH, "--samples", "1").expect_exit(0).report
    report["surprise"] = 1
    report["checks"][0]["also"] = True
    problems = report_problems(report)
    assert any("'surprise' was unexpected" in p for p in problems), problems
    assert any(p.startswith("checks/0:") and "'also' was unexpected" in p for p in problems), problems
    assert report_problems(report, strict=False) == []  # the shipped schema lets consumers meet new members
