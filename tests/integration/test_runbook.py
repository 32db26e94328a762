"""The runbook on record: evidence on every exit, proceed/hold/rollback, the decision template, pre-flight,
honest flakiness, progress and no silent shadowing (README, "Runbook mapping")."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from gate.checks import exchange as probe
from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL

AUTH = ["--api-key", DEFAULT_API_KEY, "--model", DEFAULT_MODEL]


def _github(tmp_path: Path) -> tuple[dict[str, str], Path]:
    outputs = tmp_path / "github_output"
    return {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(outputs)}, outputs


def _outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


# --- 1. evidence on every exit ---


def test_a_config_error_leaves_every_report_and_sends_nothing(sim, gate, tmp_path):
    env, outputs = _github(tmp_path)
    env.update({"INPUT_API-KEY": "", "INPUT_MODEL": DEFAULT_MODEL})
    junit, summary = tmp_path / "junit.xml", tmp_path / "summary.md"
    run = gate(
        "--base-url", sim.url_for("ok"), "--junit", str(junit), "--summary", str(summary), env=env
    ).expect_exit(2)
    assert sim.count() == 0
    report = run.report
    assert (report["result"], report["failure_class"], report["exit_code"]) == ("fail", "config", 2)
    assert report["checks"][0]["details"]["option"] == "api-key"
    failure = ET.parse(junit).getroot().find("testsuite/testcase/failure")
    assert failure is not None and failure.get("type") == "config"
    assert "failure class `config`" in summary.read_text()
    values = _outputs(outputs)
    assert (values["result"], values["failure-class"], values["decision"]) == ("fail", "config", "hold")
    assert "::error title=smoke gate%3A config::" in run.stdout
    assert run.stderr.startswith("cometapi-smoke-gate: configuration error [config]: --api-key")


def test_an_unwritable_report_path_is_a_config_error_and_never_called_written(gate, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    run = gate("--base-url", "sim://ok", "--samples", "1", "--junit", str(blocker / "junit.xml"))
    run.expect_exit(2)
    assert f"NOT WRITTEN: {blocker / 'junit.xml'}: {blocker} is not a directory" in run.stdout
    assert f"wrote      : {blocker / 'junit.xml'}" not in run.stdout
    assert run.report["failure_class"] == "config"


# --- 2. proceed / hold / rollback ---


@pytest.mark.parametrize(
    ("phase", "scenario", "decision", "code"),
    [
        ("canary", "auth", "rollback", 1),
        ("post-deploy", "contract", "rollback", 1),
        ("canary", "upstream", "hold", 3),
        ("pre-deploy", "auth", "hold", 1),
        ("canary", "ok", "proceed", 0),
    ],
)
def test_the_decision_follows_the_runbook(sim, gate, tmp_path, phase, scenario, decision, code):
    env, outputs = _github(tmp_path)
    run = gate(
        "--base-url", sim.url_for(scenario), *AUTH, "--phase", phase, "--retries", "0", env=env
    ).expect_exit(code)
    assert run.report["decision"] == decision and _outputs(outputs)["decision"] == decision
    assert run.report["decision_record"]["decision"] == decision


def test_rollback_on_chooses_the_triggers(sim, gate):
    run = gate("--base-url", sim.url_for("auth"), *AUTH, "--phase", "canary", "--rollback-on", "contract")
    assert run.expect_exit(1).report["decision"] == "hold"
    bad = gate("--base-url", sim.url_for("ok"), *AUTH, "--rollback-on", "auth,nonsense", report=False)
    assert "unknown class(es): nonsense" in bad.expect_exit(2).stderr


def test_the_rollback_phase_records_the_rollback_test_and_fails_loudly(sim, gate):
    passed = gate("--base-url", sim.url_for("ok"), *AUTH, "--phase", "rollback").expect_exit(0)
    assert passed.report["decision_record"]["rollback_test_result"] == "pass: the rolled-back path serves"
    failed = gate("--base-url", sim.url_for("auth"), *AUTH, "--phase", "rollback").expect_exit(1)
    assert failed.report["decision_record"]["rollback_test_result"].startswith("FAIL: the rollback did not")
    assert "THE ROLLBACK DID NOT RESTORE SERVICE" in failed.stdout


# --- 3. the decision template's fields, identical everywhere ---


def test_the_decision_record_is_the_same_in_every_report(sim, gate, tmp_path):
    junit, summary = tmp_path / "junit.xml", tmp_path / "summary.md"
    env = {
        "GITHUB_RUN_ID": "42",
        "GITHUB_REPOSITORY": "acme/app",
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_ACTOR": "octocat",
        "GITHUB_REF": "refs/heads/main",
        "COMETAPI_ENDPOINT_REFERENCE_CHECKED": "false",
    }
    run = gate(
        "--base-url", sim.url_for("ok"), *AUTH, "--samples", "1", "--phase", "canary",  # the full record
        "--reviewer", "alice", "--docs-checked",
        "--secret-version", "v7", "--notes", "first canary of the new gateway",
        "--junit", str(junit), "--summary", str(summary), env=env,
    ).expect_exit(0)  # fmt: skip
    record = run.report["decision_record"]
    assert record["reviewer"] == "alice" and record["docs_checked"] == "yes"
    assert record["endpoint_reference_checked"] == "no" and record["secret_version"] == "v7"
    assert record["run_url"] == "https://github.example/acme/app/actions/runs/42"
    assert (record["actor"], record["ref"]) == ("octocat", "refs/heads/main")
    properties = {p.get("name"): p.get("value") for p in ET.parse(junit).getroot().iter("property")}
    text = summary.read_text()
    for key, value in record.items():
        if value is None:
            assert key not in properties
            continue
        assert properties[key] == value, key
        assert value.replace("_", "\\_") in text or value in text, key


# --- 4. pre-flight ---


PREFLIGHT_TOML = """
change-owner = "alice"
rollback-owner = "bob"
previous-version = "v2.13.4"
previous-config-version = "gateway-config@40"
previous-model = "gpt-4o-mini"
previous-request-template = "templates/chat@3"
feature-flag = "llm.cometapi"
feature-flag-rollback-value = "off"
traffic-router = "argo rollouts: app-canary"
dashboard-url = "https://grafana.example/d/llm"
comms-channel = "#llm-releases"
"""


def test_preflight_file_fills_the_rollback_plan_and_names_what_is_missing(sim, gate, tmp_path):
    preflight = tmp_path / "preflight.toml"
    preflight.write_text(PREFLIGHT_TOML)
    summary = tmp_path / "summary.md"
    run = gate(
        "--base-url", sim.url_for("ok"), *AUTH, "--samples", "1", "--preflight", str(preflight),
        "--summary", str(summary),
    ).expect_exit(0)  # fmt: skip
    check = run.check("preflight")
    assert check["status"] == "warn" and check["details"]["missing"] == ["escalation path"]
    text = summary.read_text()
    assert "### Rollback plan" in text and "| rollback owner | bob |" in text
    assert "| **missing** | escalation path |" in text
    full = gate(
        "--base-url", sim.url_for("ok"), *AUTH, "--samples", "1", "--preflight", str(preflight),
        "--escalation-path", "pager: llm-oncall",
    ).expect_exit(0)  # fmt: skip
    assert full.check("preflight")["status"] == "pass"


def test_preflight_from_yaml_and_an_option_wins(sim, gate, tmp_path):
    preflight = tmp_path / "preflight.yml"
    preflight.write_text("rollback-owner: bob\nprevious_model: gpt-4o\n")
    run = gate(
        "--base-url", sim.url_for("ok"), *AUTH, "--samples", "1", "--preflight", str(preflight),
        "--rollback-owner", "carol",
    ).expect_exit(0)  # fmt: skip
    given = run.check("preflight")["details"]["given"]
    assert given["rollback owner"] == "carol" and given["previous known-good model"] == "gpt-4o"


@pytest.mark.parametrize(
    ("content", "fragment"),
    [("owner = 'x'\n", "unknown item(s): owner"), ("rollback-owner = \n", "does not parse")],
)
def test_a_bad_preflight_file_is_a_config_error(sim, gate, tmp_path, content, fragment):
    preflight = tmp_path / "preflight.toml"
    preflight.write_text(content)
    run = gate("--base-url", sim.url_for("ok"), *AUTH, "--preflight", str(preflight), report=False)
    assert fragment in run.expect_exit(2).stderr and sim.count() == 0


def test_require_preflight_stops_before_anything_is_sent(sim, gate):
    run = gate("--base-url", sim.url_for("ok"), *AUTH, "--phase", "canary", "--require-preflight")
    run.expect_exit(2)
    assert sim.count() == 0 and "the pre-flight checklist misses: change owner" in run.stderr
    assert run.report["failure_class"] == "config"


# --- 5. honest about flakiness ---


def test_a_success_that_needed_retries_warns(sim, gate):
    run = gate("--base-url", sim.url_for("flaky"), *AUTH, "--samples", "1", "--max-retry-after", "0.01")
    run.expect_exit(0)
    completion = run.check("completion")
    assert completion["status"] == "warn"
    warning = completion["warnings"][0]
    assert "needed retries: 3 attempts for 1 request(s), classes seen: upstream x2" in warning
    assert "s spent waiting between attempts" in warning
    assert "RESULT: PASS: proceed (exit 0) with 1 warning(s)" in run.stdout


def test_latency_says_what_it_measures_when_retries_happened(sim, gate):
    run = gate(
        "--base-url", sim.url_for("one_sample_fails"), *AUTH, "--samples", "3", "--max-retry-after", "0.3"
    )
    run.expect_exit(0)
    latency = run.report["latency_ms"]
    assert latency["basis"] == "successful attempts only"
    assert latency["with_retries"]["max"] >= latency["max"] + 200  # the retried sample waited >= 0.3 s / 2
    assert "samples needed retries" in run.check("samples")["warnings"][0]


def test_min_success_rate_accepts_a_share_of_failed_samples(sim, gate):
    args = ["--base-url", sim.url_for("one_sample_fails"), *AUTH, "--samples", "10", "--retries", "0"]
    strict = gate(*args).expect_exit(3)
    assert strict.failure_class == "upstream" and strict.check("samples")["details"]["succeeded"] == 9
    sim.clear_log()
    lenient = gate(*args, "--min-success-rate", "0.9").expect_exit(0)
    samples = lenient.check("samples")
    assert samples["status"] == "warn" and samples["details"]["success_rate"] == 0.9
    assert "1 of 10 samples failed, accepted by --min-success-rate 0.9" in samples["warnings"][0]


# --- 6. progress ---


def test_a_line_per_retry_and_a_heartbeat_while_waiting(sim, gate, monkeypatch):
    run = gate("--base-url", sim.url_for("upstream"), *AUTH, "--retries", "1", "--max-retry-after", "0.01")
    run.expect_exit(3)
    assert "retry      : completion attempt 1 of 2 failed (upstream, HTTP 502); next attempt in" in run.stdout
    monkeypatch.setattr(probe, "HEARTBEAT_S", 0.2)
    slow = gate("--base-url", sim.url_for("slow"), *AUTH, "--timeout", "1", "--retries", "0").expect_exit(3)
    # the elapsed seconds depend on the machine's load; that a heartbeat came, and its form, do not
    assert re.search(r"waiting    : completion attempt 1, \d+ s of the 1 s deadline", slow.stdout), (
        slow.stdout
    )


# --- 7. no silent shadowing ---


def test_a_shadowed_variable_is_warned_about_and_every_source_shown(sim, gate, tmp_path):
    env, _ = _github(tmp_path)
    env.update({"INPUT_SAMPLES": "3", "COMETAPI_SAMPLES": "1", "INPUT_API-KEY": DEFAULT_API_KEY})
    run = gate("--base-url", sim.url_for("ok"), "--model", DEFAULT_MODEL, env=env).expect_exit(0)
    notice = (
        "INPUT_SAMPLES='3' (the action's input, set to its default when `with:` does not set it) "
        "shadows COMETAPI_SAMPLES='1'"
    )
    assert f"warning: {notice}" in run.stdout
    assert "::warning title=smoke gate%3A configuration::" in run.stdout
    assert run.report["notices"][0].startswith(notice)
    assert "samples (INPUT_SAMPLES)" in run.stdout and "model (--model)" in run.stdout
    assert json.dumps(run.report).count("COMETAPI_SAMPLES") == 1
