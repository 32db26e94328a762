"""Negative tests, streaming, model listing, warnings, baseline drift, decision record and several targets."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from gate.checks import RunContext
from gate.checks.stream import check_stream
from gate.http.client import new_session
from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL
from tests.support import target_config

AUTH = ["--api-key", DEFAULT_API_KEY, "--model", DEFAULT_MODEL]


# --- negative tests ---


def test_negative_tests_pass_when_the_service_refuses(sim, gate):
    run = gate("--base-url", sim.url_for("ok"), *AUTH, "--samples", "1", "--negative", "all").expect_exit(0)
    key, model = run.check("negative-invalid-key"), run.check("negative-invalid-model")
    assert key["status"] == "pass" and "rejected as auth (HTTP 401" in key["message"]
    assert model["status"] == "pass" and "rejected as request (HTTP 404" in model["message"]
    assert key["details"]["attempts"] == 1 and model["details"]["attempts"] == 1
    assert sim.count("ok") == 3  # one positive request, one per negative test, none retried


def test_a_gateway_that_accepts_any_key_fails_negative(sim, gate):
    run = gate(
        "--base-url", sim.url_for("accept_any_key"), *AUTH, "--samples", "1", "--negative", "invalid-key"
    ).expect_exit(1)
    assert run.failure_class == "negative"
    assert "ACCEPTED an invalid key" in run.check("negative-invalid-key")["message"]


def test_a_gateway_that_accepts_any_model_fails_negative(sim, gate):
    run = gate(
        "--base-url", sim.url_for("accept_any_model"), *AUTH, "--samples", "1", "--negative", "invalid-model"
    ).expect_exit(1)
    assert run.failure_class == "negative"


def test_negative_note_in_summary_names_production(sim, gate, tmp_path):
    summary = tmp_path / "s.md"
    gate(
        "--base-url",
        sim.url_for("ok"),
        *AUTH,
        "--samples",
        "1",
        "--negative",
        "invalid-key",
        "--summary",
        str(summary),
        "--environment",
        "production",
    ).expect_exit(0)
    text = summary.read_text(encoding="utf-8")
    assert "run them in staging or scheduled jobs" in text and "These ran against production" in text


def test_a_run_nobody_labelled_is_not_called_production(sim, gate, tmp_path):
    """The environment defaults to 'unspecified' (GitLab's CI_ENVIRONMENT_NAME when set), never production."""
    summary = tmp_path / "s.md"
    args = ["--base-url", sim.url_for("ok"), *AUTH, "--samples", "1", "--negative", "invalid-key"]
    run = gate(*args, "--summary", str(summary)).expect_exit(0)
    assert run.report["environment"] == "unspecified"
    assert "production" not in summary.read_text(encoding="utf-8")
    run = gate(*args, env={"CI_ENVIRONMENT_NAME": "review/feature-x"}).expect_exit(0)
    assert run.report["environment"] == "review/feature-x"


# --- streaming ---


def _stream(sim, scenario: str, timeout: float = 5.0):
    config = target_config(
        {
            "base_url": sim.url_for(scenario),
            "api_key": DEFAULT_API_KEY,
            "model": DEFAULT_MODEL,
            "timeout": str(timeout),
        },
        {},
    )
    session = new_session()
    try:
        return check_stream(RunContext(config=config, session=session, env={}))
    finally:
        session.close()


def test_stream_passes_end_to_end(sim, gate):
    run = gate("--base-url", sim.url_for("ok"), *AUTH, "--samples", "1", "--stream").expect_exit(0)
    stream = run.check("stream")
    assert stream["status"] == "pass" and stream["details"]["done"] is True
    assert stream["details"]["chunks"] >= 2 and stream["details"]["first_token_ms"] is not None
    assert "[DONE]" in stream["message"]


@pytest.mark.parametrize(
    ("scenario", "failure_class", "fragment"),
    [
        ("stream_error_event", "upstream", "error event inside the 200 stream"),
        ("broken_stream", "protocol", "is not JSON"),
        ("stream_no_done", "protocol", "without data: [DONE]"),
    ],
)
def test_stream_failures(sim, scenario, failure_class, fragment):
    result = _stream(sim, scenario)
    assert result.status == "fail" and result.failure_class == failure_class
    assert fragment in result.message


def test_stream_split_across_reads_with_comments_and_crlf(sim):
    result = _stream(sim, "stream_split")
    assert result.status == "pass", result.message
    assert result.details["comments"] >= 1 and result.details["usage"] is not None


def test_a_stalled_stream_ends_at_the_deadline(sim):
    result = _stream(sim, "stream_stall", timeout=1.0)  # the server holds the stream open until stopped
    assert result.failure_class == "timeout" and "stalled" in result.message


# --- model listing ---


def test_models_lists_the_model(sim, gate):
    run = gate("--base-url", sim.url_for("ok"), *AUTH, "--samples", "1", "--check-models").expect_exit(0)
    assert run.check("models")["status"] == "pass"


@pytest.mark.parametrize(
    ("scenario", "failure_class"),
    [
        ("models_malformed", "contract"),
        ("models_missing", "request"),
    ],
)
def test_models_failures(sim, gate, scenario, failure_class):
    run = gate("--base-url", sim.url_for(scenario), *AUTH, "--samples", "1", "--check-models").expect_exit(1)
    assert run.failure_class == failure_class and run.report["failed_check"] == "models"


# --- warnings ---


def test_latency_warning_and_fail_on_warn(sim, gate):
    args = ["--base-url", sim.url_for("latency_100ms"), *AUTH, "--samples", "2", "--warn-latency-ms", "20"]
    warned = gate(*args).expect_exit(0)
    assert warned.check("samples")["status"] == "warn"
    strict = gate(*args, "--fail-on-warn").expect_exit(1)
    assert strict.failure_class == "latency" and "--fail-on-warn" in strict.check("samples")["message"]


def test_rerouted_model_fails_under_fail_on_warn(sim, gate):
    run = gate("--base-url", sim.url_for("rerouted_model"), *AUTH, "--fail-on-warn").expect_exit(1)
    assert run.failure_class == "contract" and run.report["failed_check"] == "completion"


# --- baseline ---


@pytest.fixture
def baseline(sim, gate, tmp_path) -> Path:
    path = tmp_path / "known-good.json"
    gate("--base-url", sim.url_for("ok"), *AUTH, "--samples", "2", "--json", str(path)).expect_exit(0)
    return path


def test_no_drift_against_the_same_service(sim, gate, baseline):
    run = gate(
        "--base-url",
        sim.url_for("ok"),
        *AUTH,
        "--samples",
        "2",
        "--baseline",
        str(baseline),
        "--max-latency-regression",
        "1000",
    ).expect_exit(0)
    assert run.check("baseline")["status"] == "pass"


def test_shape_and_model_drift_warn_then_fail(sim, gate, baseline):
    args = [
        "--base-url",
        sim.url_for("rerouted_model"),
        *AUTH,
        "--samples",
        "2",
        "--baseline",
        str(baseline),
        "--max-latency-regression",
        "1000",
    ]
    run = gate(*args).expect_exit(0)
    check = run.check("baseline")
    assert check["status"] == "warn"
    assert any("answering model changed" in w for w in check["warnings"])
    strict = gate(*args, "--fail-on-drift").expect_exit(1)
    assert strict.failure_class == "contract" and strict.report["failed_check"] == "baseline"


def test_missing_usage_is_shape_drift(sim, gate, baseline):
    run = gate(
        "--base-url",
        sim.url_for("no_usage"),
        *AUTH,
        "--samples",
        "2",
        "--baseline",
        str(baseline),
        "--max-latency-regression",
        "1000",
    ).expect_exit(0)
    assert any("lost field(s): usage" in w for w in run.check("baseline")["warnings"])


def test_latency_regression(sim, gate, baseline):
    run = gate(
        "--base-url",
        sim.url_for("latency_100ms"),
        *AUTH,
        "--samples",
        "2",
        "--baseline",
        str(baseline),
        "--fail-on-drift",
    ).expect_exit(1)
    assert run.failure_class == "latency" and "baseline's" in run.check("baseline")["message"]


@pytest.mark.not_gate_reports
@pytest.mark.parametrize(
    "content", ["not json", '{"schema_version": "1", "result": "fail", "checks": []}', "{}"]
)
def test_unusable_baseline_is_a_config_error(sim, gate, tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_text(content)
    run = gate("--base-url", sim.url_for("ok"), *AUTH, "--baseline", str(path), report=False).expect_exit(2)
    assert "--baseline" in run.stderr and sim.count() == 0


# --- decision record ---


def test_decision_record_fields(sim, gate, tmp_path):
    summary = tmp_path / "s.md"
    run = gate(
        "--base-url",
        sim.url_for("ok"),
        *AUTH,
        "--samples",
        "1",
        "--phase",
        "rollback",
        "--change-id",
        "CHG-7",
        "--deployment-version",
        "v1.2.3",
        "--config-version",
        "cfg-42",
        "--summary",
        str(summary),
    ).expect_exit(0)
    record = run.report["decision_record"]
    assert (record["phase"], record["change_id"], record["deployment_version"], record["config_version"]) == (
        "rollback",
        "CHG-7",
        "v1.2.3",
        "cfg-42",
    )
    text = summary.read_text(encoding="utf-8")
    assert "| phase | rollback |" in text and "| config version | cfg-42 |" in text
    assert "Rollback verification" in text


# --- several targets ---


def _targets_file(tmp_path: Path, sim, second: str = "auth", extra: str = "") -> Path:
    path = tmp_path / "targets.toml"
    path.write_text(f'''
[defaults]
samples = 1
model = "{DEFAULT_MODEL}"

[[target]]
name = "primary"
base-url = "{sim.url_for("ok")}"
api-key-env = "PRIMARY_KEY"

[[target]]
name = "secondary"
base-url = "{sim.url_for(second)}"
api-key-env = "SECONDARY_KEY"
environment = "staging"
{extra}
''')
    return path


def test_several_targets(sim, gate, tmp_path):
    junit = tmp_path / "junit.xml"
    run = gate(
        "--targets",
        str(_targets_file(tmp_path, sim)),
        "--junit",
        str(junit),
        env={"PRIMARY_KEY": DEFAULT_API_KEY, "SECONDARY_KEY": DEFAULT_API_KEY},
    ).expect_exit(1)
    report = run.report
    assert report["result"] == "fail" and report["failure_class"] == "auth"
    assert [t["name"] for t in report["targets"]] == ["primary", "secondary"]
    assert [t["result"] for t in report["targets"]] == ["pass", "fail"]
    assert "=== target primary ===" in run.stdout and "1 of 2 targets failed: secondary (auth)" in run.stdout
    suites = ET.parse(junit).getroot().findall("testsuite")
    assert [s.get("name") for s in suites] == ["cometapi-smoke-gate/primary", "cometapi-smoke-gate/secondary"]
    xmlschema = pytest.importorskip("xmlschema")
    xmlschema.XMLSchema(str(Path(__file__).parents[1] / "schemas" / "junit-jenkins.xsd")).validate(str(junit))


def test_all_targets_pass(sim, gate, tmp_path):
    run = gate(
        "--targets",
        str(_targets_file(tmp_path, sim, second="ok")),
        env={"PRIMARY_KEY": DEFAULT_API_KEY, "SECONDARY_KEY": DEFAULT_API_KEY},
    ).expect_exit(0)
    assert run.report["result"] == "pass"


@pytest.mark.parametrize(
    ("extra", "env", "fragment"),
    [
        ("", {"PRIMARY_KEY": DEFAULT_API_KEY}, "SECONDARY_KEY is empty"),
        (
            'api-key = "sk-in-the-file-123"',
            {"PRIMARY_KEY": "x" * 10, "SECONDARY_KEY": "y" * 10},
            "key in the file",
        ),
        ('samples = "zero"', {"PRIMARY_KEY": "x" * 10, "SECONDARY_KEY": "y" * 10}, "target 'secondary'"),
    ],
)
def test_bad_targets_file_is_a_config_error(sim, gate, tmp_path, extra, env, fragment):
    run = gate("--targets", str(_targets_file(tmp_path, sim, extra=extra)), env=env, report=False)
    run.expect_exit(2)
    assert fragment in run.stderr and sim.count() == 0


def test_target_keys_never_reach_artifacts(sim, gate, tmp_path):
    key_a, key_b = "sk-fleet-AAAA-1234567890", "sk-fleet-BBBB-1234567890"
    path = tmp_path / "t.toml"
    path.write_text(f'''
[[target]]
name = "a"
base-url = "{sim.url_for("echo_key_error")}"
model = "{DEFAULT_MODEL}"
api-key-env = "KEY_A"

[[target]]
name = "b"
base-url = "{sim.url_for("echo_key")}"
model = "{DEFAULT_MODEL}"
api-key-env = "KEY_B"
''')
    summary = tmp_path / "s.md"
    run = gate(
        "--targets",
        str(path),
        "--summary",
        str(summary),
        "--junit",
        str(tmp_path / "j.xml"),
        env={"KEY_A": key_a, "KEY_B": key_b},
    )
    assert run.exit_code == 1
    texts = [run.stdout, run.stderr] + [
        p.read_text() for p in tmp_path.iterdir() if p.is_file() and p != path
    ]
    assert not any(k in t for k in (key_a, key_b) for t in texts)
    json.loads(run.report_path.read_text())
