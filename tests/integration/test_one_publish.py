"""Regression tests for the bugs of the two-path design: each failed before one resolve and one publish."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from gate.app import execute
from gate.config.resolve import resolve
from gate.core import jsonbody
from gate.core.redact import Redactor
from gate.diagnosis.judge import evaluate
from gate.http.client import HttpResponse
from gate.publish.reporters import json_report
from gate.publish.terminal import Console
from gate.publish.writer import Artifact
from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL

KEYS = {"PRIMARY_KEY": DEFAULT_API_KEY, "SECONDARY_KEY": DEFAULT_API_KEY}


def _two_targets(tmp_path: Path, first: str, second: str, extra_first: str = "") -> Path:
    path = tmp_path / "targets.toml"
    path.write_text(
        f"""
[defaults]
samples = 2
model = "{DEFAULT_MODEL}"

[[target]]
name = "primary"
base-url = "{first}"
api-key-env = "PRIMARY_KEY"
{extra_first}

[[target]]
name = "secondary"
base-url = "{second}"
api-key-env = "SECONDARY_KEY"
""",
        encoding="utf-8",
    )
    return path


def test_a_target_allowed_insecure_http_is_not_rejected_by_a_second_resolve(sim, gate, tmp_path):
    """allow-insecure-http in a target table used to pass load_targets, then fail a second resolve that
    blamed a --base-url nobody passed. 0.0.0.0 is not loopback by name but reaches this machine."""
    port = sim.base_url.rsplit(":", 1)[1]
    targets = _two_targets(
        tmp_path, f"http://0.0.0.0:{port}/s/ok", sim.url_for("ok"), "allow-insecure-http = true"
    )
    run = gate("--targets", str(targets), env=KEYS).expect_exit(0)
    assert [t["result"] for t in run.report["targets"]] == ["pass", "pass"]
    assert "--base-url" not in run.stderr


def test_a_leak_with_several_targets_fails_the_json_report_too(sim, tmp_path):
    """On a leak, the fleet path changed the exit code but left the JSON saying pass."""
    targets = _two_targets(tmp_path, sim.url_for("ok"), sim.url_for("ok"))
    run = resolve({"targets": str(targets)}, KEYS)
    leaky = tmp_path / "report.json"

    def buggy_write(path: Path, text: str) -> None:
        path.write_text(text + f"\n{DEFAULT_API_KEY}\n", encoding="utf-8")

    out = io.StringIO()
    report = execute(
        run,
        Console(out, Redactor()),
        KEYS,
        artifacts=[Artifact(leaky, json_report, write=buggy_write)],
    )
    assert int(report.verdict.exit_code) == 1
    written = json.loads(leaky.read_text(encoding="utf-8"))
    assert (written["result"], written["failure_class"], written["exit_code"]) == ("fail", "leak", 1)
    assert written["checks"][-1]["id"] == "leak-scan"
    assert out.getvalue().count("RESULT:") == 1 and "RESULT: FAIL" in out.getvalue()


def test_several_targets_write_latency_to_the_github_outputs(sim, gate, tmp_path):
    """The fleet's own output writer always left latency-ms empty."""
    outputs = tmp_path / "github_output"
    env = {**KEYS, "GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(outputs)}
    targets = _two_targets(tmp_path, sim.url_for("ok"), sim.url_for("auth"))
    gate("--targets", str(targets), env=env).expect_exit(1)
    values = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    assert values["result"] == "fail" and values["failure-class"] == "auth"
    assert values["latency-ms"] == ""  # the outputs speak of the failing target, which measured none
    # a passing fleet reports the first target's p50
    outputs.unlink()
    gate("--targets", str(_two_targets(tmp_path, sim.url_for("ok"), sim.url_for("ok"))), env=env).expect_exit(
        0
    )
    values = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    assert values["latency-ms"].isdigit()
    assert values["request-id"]


def test_one_result_line_for_a_run_of_several_targets(sim, gate, tmp_path):
    """Each target's block ended with its own RESULT line: the first said PASS above the run's FAIL."""
    run = gate("--targets", str(_two_targets(tmp_path, sim.url_for("ok"), sim.url_for("auth"))), env=KEYS)
    run.expect_exit(1)
    assert run.stdout.count("RESULT:") == 1
    assert "target primary: PASS" in run.stdout
    assert "target secondary: FAIL [auth] in check 'completion'" in run.stdout
    assert run.stdout.index("target secondary: FAIL") < run.stdout.index("RESULT: FAIL")


def test_server_control_characters_never_reach_the_console_or_the_json(gate):
    """The console used a one_line that only folded whitespace: ESC, BEL and backspace went to stdout."""
    run = gate("--base-url", "sim://control_chars", "--retries", "0").expect_exit(3)
    for text in (run.stdout, run.report_path.read_text(encoding="utf-8")):
        assert not any(ch in text for ch in "\x1b\x07\x08\x0b")
    assert "upstream exploded" in run.check("completion")["message"]


def test_latency_is_reported_when_the_samples_check_did_not_run(sim, gate):
    """Latency went through a string-keyed state and a fallback recomputed in app.py; now each check that
    measures hands on typed figures, and the report takes the last."""
    run = gate(
        "--base-url", sim.url_for("wrong_answer"), "--api-key", DEFAULT_API_KEY, "--model", DEFAULT_MODEL
    )
    run.expect_exit(1)
    assert run.check("samples")["status"] == "skip"
    latency = run.report["latency_ms"]
    assert latency is not None and latency["p50"] == latency["p95"] == latency["max"] > 0


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, {"id": "x", "object": "chat.completion", "created": 1, "model": "m", "choices": []}),
        (401, {"error": {"message": "bad key", "type": "x", "code": "invalid_api_key"}}),
        (200, {"error": {"message": "boom"}}),
    ],
)
def test_a_response_body_is_parsed_once(monkeypatch, status, body):
    """classify, then probe on success, then again for the excerpt on failure: two or three parses."""
    calls = []
    real = jsonbody.parse_json
    monkeypatch.setattr(jsonbody, "parse_json", lambda raw: calls.append(raw) or real(raw))
    evaluate(HttpResponse(status, "", {}, json.dumps(body).encode(), 1.0, 1.0))
    assert len(calls) == 1
