"""Each reporter's exact output for a run report built by hand (no server, no clock)."""

from __future__ import annotations

import datetime as dt
import socket
from dataclasses import replace
from pathlib import Path

from gate.checks.results import (
    Attempt,
    CheckResult,
    Latency,
    ResponseFacts,
    SampleStats,
    Status,
    TlsFacts,
    Tokens,
)
from gate.config.resolve import RunSettings, resolve_target
from gate.core.failures import FailureClass
from gate.outcome.report import TargetReport, run_report, target_report
from gate.publish.github import outputs
from gate.publish.reporters import console_lines as console
from gate.publish.reporters import json_report, junit, metrics, summary
from gate.publish.reporters.events import check_events

EXPECTED = Path(__file__).parent / "expected"
T0 = dt.datetime(2026, 11, 28, 3, 0, 0, tzinfo=dt.UTC)
SETTINGS = RunSettings(phase="pre-deploy", change_id="CHG-1", deployment_version="v2")


def config(**flags: object):
    base = {"base_url": "https://api.cometapi.com", "api_key": "sk-test-0123456789", "model": "gpt-4o-mini"}
    return resolve_target({**base, "environment": "staging", **flags}, {})


EXCERPT = '{"error": {"message": "Invalid token"}}'
PASSING = (
    CheckResult(
        id="config",
        status=Status.PASS,
        message="api.cometapi.com, model gpt-4o-mini, 3 sample(s), deadline 30 s",
    ),
    CheckResult(
        id="completion",
        status=Status.PASS,
        message="HTTP 200 in 412 ms, contract holds",
        duration_ms=415.0,
        latency=Latency.of_one(412.0),
        request_ids=("req_a1",),
        tokens=Tokens(prompt=9, completion=1, reasoning=0),
        attempts=(Attempt(number=1, status=200, failure_class=None, elapsed_ms=412.0, request_id="req_a1"),),
        http_status=200,
        facts=ResponseFacts(model="gpt-4o-mini", usage={"total_tokens": 12}, shape=("id", "usage")),
        details={"usage": {"total_tokens": 12}},
    ),
    CheckResult(id="output", status=Status.PASS, message="assistant said 'pong' (contains 'pong')"),
    CheckResult(
        id="samples",
        status=Status.WARN,
        message="3/3 succeeded; p50 400 ms, p95 530 ms, max 530 ms",
        duration_ms=540.0,
        warnings=("p95 latency 530 ms is over --warn-latency-ms 500",),
        warning_class=FailureClass.LATENCY,
        latency=Latency(p50=400.0, p95=530.0, max=530.0),
        request_ids=("req_a1", "req_b2", "req_c3"),
        tokens=Tokens(prompt=18, completion=2, reasoning=0),
        attempts=(
            Attempt(number=1, status=200, failure_class=None, elapsed_ms=400.0, request_id="req_b2"),
            Attempt(number=1, status=200, failure_class=None, elapsed_ms=530.0, request_id="req_c3"),
        ),
        facts=SampleStats(samples=3, succeeded=3, min_success_rate=1.0),
    ),
)
FAILING = (
    CheckResult(
        id="config",
        status=Status.PASS,
        message="api.cometapi.com, model gpt-4o-mini, 3 sample(s), deadline 30 s",
    ),
    CheckResult(
        id="completion",
        status=Status.FAIL,
        message="HTTP 401 unauthorized: Invalid token (request id: 20261128030000abc) (1 attempt)",
        duration_ms=12.0,
        failure_class=FailureClass.AUTH,
        request_ids=("20261128030000abc",),
        http_status=401,
        excerpt=EXCERPT,
        details={"http_status": 401, "request_id": "20261128030000abc", "response_excerpt": EXCERPT},
    ),
    CheckResult(id="output", status=Status.SKIP, message="not run: completion failed (auth)"),
)


def target(results: tuple[CheckResult, ...], name: str | None = None) -> TargetReport:
    report = target_report(name, config(), results, T0, SETTINGS.policy)
    return replace(report, completed_at=T0 + dt.timedelta(seconds=1))


def run(*targets: TargetReport, settings: RunSettings = SETTINGS):
    return replace(run_report(settings, targets, (), T0), completed_at=T0 + dt.timedelta(seconds=2))


def test_console_footer_of_a_pass_with_a_warning():
    assert console.footer(run(target(PASSING))) == [
        "",
        "RESULT: PASS: proceed (exit 0) with 1 warning(s)",
        "  latency    : p50 400 ms, p95 530 ms, max 530 ms",
        "  request id : req_a1",  # no support case on a pass
        "  request ids: req_a1, req_b2, req_c3",
        "  tokens     : 30 (prompt 27, completion 3, reasoning 0) spent by the gate",
    ]


def test_console_footer_and_lines_of_a_failure():
    report = run(target(FAILING))
    assert console.footer(report) == [
        "",
        "RESULT: FAIL: hold (exit 1: fix before release). Failure class: auth (check 'completion')",
        "  what broke : authentication rejected",
        "  next step  : Check the secret's path (CI variable / secret name), that it is not expired or "
        "revoked, and that it is sent as 'Authorization: Bearer <key>'.",
        "  request id : 20261128030000abc (quote it to support)",
    ]
    assert console.check_line(FAILING[1]) == [
        "FAIL  completion  [auth] HTTP 401 unauthorized: Invalid token (request id: 20261128030000abc) "
        "(1 attempt) (12 ms)"
    ]
    assert console.check_line(FAILING[2]) == ["SKIP  output      not run: completion failed (auth)"]
    assert (
        console.check_line(PASSING[3])[1] == "      warning: p95 latency 530 ms is over --warn-latency-ms 500"
    )


def test_console_of_several_targets_has_one_result_line():
    report = run(
        target(PASSING, "primary"), target(FAILING, "secondary"), settings=replace(SETTINGS, targets=None)
    )
    assert (
        console.target_status(report.targets[0]) == "target primary: PASS; p50 400 ms, p95 530 ms, max 530 ms"
    )
    assert console.target_status(report.targets[1]) == "target secondary: FAIL [auth] in check 'completion'"
    footer = console.footer(report)
    assert (
        footer[1]
        == "RESULT: FAIL: hold (exit 1: fix before release). 1 of 2 targets failed: secondary (auth)"
    )
    assert sum(line.startswith("RESULT") for line in footer) == 1


def test_summary_of_a_failure():
    assert summary.render(run(target(FAILING))) == (EXPECTED / "summary-fail.md").read_text(encoding="utf-8")


def test_junit_of_a_failure():
    xml = junit.render(run(target(FAILING))).replace(f'hostname="{socket.gethostname()}"', 'hostname="HOST"')
    assert xml == (EXPECTED / "junit-fail.xml").read_text(encoding="utf-8")


def test_json_of_a_failure():
    body = json_report.build(run(target(FAILING)))
    verdict = {k: body[k] for k in ("result", "decision", "failure_class", "failed_check", "exit_code")}
    assert verdict == {
        "result": "fail",
        "decision": "hold",
        "failure_class": "auth",
        "failed_check": "completion",
        "exit_code": 1,
    }
    assert body["latency_ms"] is None and body["request_ids"] == ["20261128030000abc"]
    assert body["decision_record"] == {
        "phase": "pre-deploy",
        "change_id": "CHG-1",
        "environment": "staging",
        "deployment_version": "v2",
        "config_version": None,
        "endpoint_host": "api.cometapi.com",
        "model": "gpt-4o-mini",
        "smoke_test_result": "fail (auth)",
        "parser_result": "not reached (no 2xx body)",
        "observability_result": "request id recorded",
        "request_ids": "20261128030000abc",
        "tokens_spent": "0",
        "started": "2026-11-28T03:00:00+00:00",
        "completed": "2026-11-28T03:00:01+00:00",
        "rollback_test_result": "not run (phase pre-deploy)",
        "reviewer": None,
        "docs_checked": None,
        "endpoint_reference_checked": None,
        "secret_version": None,
        "preflight_missing": (
            "change owner, rollback owner, previous known-good deployment version, previous known-good "
            "configuration version, previous known-good model, previous known-good request template, "
            "feature flag, feature flag rollback value, traffic router control, dashboard, communication "
            "channel, escalation path"
        ),
        "run_url": None,
        "actor": None,
        "ref": None,
        "notes": None,
        "decision": "hold",
    }
    assert [c["id"] for c in body["checks"]] == ["config", "completion", "output"]
    assert body["checks"][1]["next_step"] == FailureClass.AUTH.next_step


def test_json_of_a_pass():
    body = json_report.build(run(target(PASSING)))
    assert (body["result"], body["decision"], body["exit_code"]) == ("pass", "proceed", 0)
    assert body["latency_ms"] == {"p50": 400.0, "p95": 530.0, "max": 530.0}
    assert body["warnings"] == [
        {"check": "samples", "message": "p95 latency 530 ms is over --warn-latency-ms 500"}
    ]


def test_github_outputs():
    assert outputs(run(target(FAILING))) == {
        "result": "fail",
        "decision": "hold",
        "failure-class": "auth",
        "latency-ms": "",
        "request-id": "20261128030000abc",
        "junit-path": "",
        "report-path": "",
    }
    passing = run(target(PASSING), settings=replace(SETTINGS, json=Path("r.json"), junit=Path("j.xml")))
    assert outputs(passing) == {
        "result": "pass",
        "decision": "proceed",
        "failure-class": "",
        "latency-ms": "400",
        "request-id": "req_a1",
        "junit-path": "j.xml",
        "report-path": "r.json",
    }


def test_a_run_level_failure_decides_a_single_target_run():
    leak = CheckResult(
        id="leak-scan",
        status=Status.FAIL,
        message="the API key was found in r.json and scrubbed",
        failure_class=FailureClass.LEAK,
    )
    report = run(target(PASSING)).with_run_result(leak)
    assert (report.verdict.result, report.verdict.failure_class, report.verdict.failed_check) == (
        "fail",
        "leak",
        "leak-scan",
    )
    assert int(report.verdict.exit_code) == 1
    assert [c["id"] for c in json_report.build(report)["checks"]][-1] == "leak-scan"


def test_the_failing_checks_specific_next_step_and_request_id_are_quoted():
    """A gateway answer that says more than its class (here: the key may not use this model) gives its own
    next step; the id quoted is the failing check's last attempt's, not a passing check's."""
    hinted = replace(
        FAILING[1],
        failure_class=FailureClass.AUTH,
        hint="This key is not allowed this model: add the model to the token's model list.",
        request_ids=("gw-first-attempt", "gw-last-attempt"),
    )
    before = CheckResult(id="dns", status=Status.PASS, message="ok", request_ids=("passing-check-id",))
    report = run(target((FAILING[0], before, hinted, FAILING[2])))
    footer = console.footer(report)
    assert (
        "  next step  : This key is not allowed this model: add the model to the token's model list."
        in footer
    )
    assert "  request id : gw-last-attempt (quote it to support)" in footer
    assert outputs(report)["request-id"] == "gw-last-attempt"
    assert json_report.build(report)["next_step"].startswith("This key is not allowed this model")
    assert "Quote request id `gw-last-attempt` to support." in summary.render(report)


def test_a_rollback_trigger_after_a_canary_step_up_decides_rollback():
    canary = replace(SETTINGS, phase="canary")
    report = run(target(FAILING), settings=canary)
    assert report.verdict.decision == "rollback" and int(report.verdict.exit_code) == 1
    footer = console.footer(report)
    assert footer[1] == (
        "RESULT: FAIL: rollback (exit 1: roll back now, the plan is below). Failure class: auth "
        "(check 'completion')"
    )
    assert (
        "  decision   : roll back: auth is a rollback trigger in the canary phase (--rollback-on)" in footer
    )
    assert outputs(report)["decision"] == "rollback"
    assert "**Roll back**" in summary.render(report)
    # a class that is not a trigger holds
    not_a_trigger = replace(canary, rollback_on=frozenset({FailureClass.CONTRACT}))
    assert run(target(FAILING), settings=not_a_trigger).verdict.decision == "hold"


def test_a_failed_rollback_verification_says_so_loudly():
    rollback = replace(SETTINGS, phase="rollback")
    failing = run(target(FAILING), settings=rollback)
    assert failing.verdict.decision == "hold"
    assert any("THE ROLLBACK DID NOT RESTORE SERVICE" in line for line in console.footer(failing))
    record = json_report.build(failing)["decision_record"]
    assert record["rollback_test_result"] == "FAIL: the rollback did not restore service"
    passing = json_report.build(run(target(PASSING), settings=rollback))["decision_record"]
    assert passing["rollback_test_result"] == "pass: the rolled-back path serves"


def test_the_summary_fits_a_pull_request_comment_whatever_the_run():
    """GitHub refuses a comment over 65,536 characters: the docs' sticky-comment recipe posts the summary
    as it is, so even 32 targets with long server messages and warnings must fit (summary.fit cuts at a
    line boundary and says so)."""
    noisy = replace(
        FAILING[1],
        message="upstream said " + "x" * 5000,
        warnings=tuple(f"warning {i} " + "y" * 500 for i in range(30)),
    )
    targets = [target((FAILING[0], noisy, FAILING[2]), f"target-{i}") for i in range(32)]
    text = summary.render(run(*targets, settings=replace(SETTINGS, targets=Path("targets.toml"))))
    assert len(text) <= 65_536 and len(text.encode("utf-8")) <= summary.MAX_BYTES
    assert "summary cut to stay under the size limit" in text


RETRIED = replace(
    PASSING[1],
    attempts=(
        Attempt(
            number=1, status=429, failure_class=FailureClass.RATE_LIMIT, elapsed_ms=3.04, request_id="req_a0"
        ),
        Attempt(
            number=2, status=200, failure_class=None, elapsed_ms=412.0, waited_s=0.0504, request_id="req_a1"
        ),
    ),
)
TLS = CheckResult(
    id="tls",
    status=Status.PASS,
    message="TLSv1.3 to api.cometapi.com:443, certificate valid for 61 more days",
    duration_ms=41.0,
    facts=TlsFacts(version="TLSv1.3", days_left=61),
)


def test_metrics_of_a_pass_with_one_retry():
    """Counts come from the typed attempts: one retry is 1 (the completion's), the samples' requests count
    as attempts; the certificate's days from the tls check's facts."""
    text = metrics.render(run(target((PASSING[0], TLS, RETRIED, *PASSING[2:]))))
    assert text == (EXPECTED / "metrics-pass.prom").read_text(encoding="utf-8")


def test_events_of_a_retried_check():
    events = check_events(RETRIED, config(), SETTINGS, None)
    assert [
        (
            e["event"],
            e.get("attempt"),
            e["request_id"],
            e.get("http_status"),
            e["status_category"],
            e.get("waited_s"),
        )
        for e in events
    ] == [
        ("attempt", 1, "req_a0", 429, "4xx", 0.0),
        ("attempt", 2, "req_a1", 200, "2xx", 0.05),
        ("check", None, "req_a1", None, "2xx", None),
    ]
    assert (events[0]["latency_ms"], events[0]["failure_class"], events[-1]["retries"]) == (
        3.0,
        "rate_limit",
        1,
    )
