"""The console's RESULT line says what to do: the exit code and its meaning, after the words pipelines grep
(`RESULT: PASS`, `RESULT: FAIL`); a rollback decision shows the rollback plan, a failed rollback the
escalation path. All against the simulator."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest

from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL

AUTH = ["--api-key", DEFAULT_API_KEY, "--model", DEFAULT_MODEL, "--samples", "1", "--retries", "0"]
RESULT = re.compile(r"^RESULT: (PASS|FAIL): (proceed|hold|rollback) \(exit (\d+)(?:: ([^)]+\)?))?\)", re.M)
HANG = 30.0  # seconds: only tells a hang from an exit


def _result(stdout: str) -> re.Match[str]:
    lines = [line for line in stdout.splitlines() if line.startswith("RESULT")]
    assert len(lines) == 1, stdout
    match = RESULT.match(lines[0])
    assert match is not None, lines[0]
    return match


@pytest.mark.parametrize(
    ("scenario", "code", "line"),
    [
        ("ok", 0, "RESULT: PASS: proceed (exit 0)"),
        (
            "auth",
            1,
            "RESULT: FAIL: hold (exit 1: fix before release). Failure class: auth (check 'completion')",
        ),
        (
            "rate_limit",
            3,
            "RESULT: FAIL: hold (exit 3: transient, re-run later). Failure class: rate_limit "
            "(check 'completion')",
        ),
    ],
)
def test_the_result_line_names_the_exit_code_and_what_it_means(sim, gate, scenario, code, line):
    run = gate("--base-url", sim.url_for(scenario), *AUTH).expect_exit(code)
    assert line in run.stdout.splitlines()
    assert int(_result(run.stdout).group(3)) == code == run.report["exit_code"]


def test_a_config_error_says_nothing_was_sent(sim, gate):
    run = gate("--base-url", sim.url_for("ok"), "--model", DEFAULT_MODEL, "--api-key", "short").expect_exit(2)
    assert _result(run.stdout).group(1, 3, 4) == ("FAIL", "2", "configuration error, nothing was sent")
    assert sim.count() == 0


def test_report_mode_says_the_code_is_0_although_the_gate_failed(sim, gate):
    run = gate("--base-url", sim.url_for("auth"), *AUTH, "--mode", "report").expect_exit(0)
    assert _result(run.stdout).group(1, 3, 4) == ("FAIL", "0", "--mode report, although the gate failed")


@pytest.mark.parametrize(
    ("signum", "code", "name"), [(signal.SIGINT, 130, "SIGINT"), (signal.SIGTERM, 143, "SIGTERM")]
)
def test_an_interrupted_run_says_so_with_its_code(sim, tmp_path, signum, code, name):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "COMETAPI_", "GATE_"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gate", "run", "--base-url", sim.url_for("slow"), *AUTH, "--timeout", "60"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**env, "NO_COLOR": "1"},
    )
    try:
        deadline = time.monotonic() + HANG
        while sim.count("slow", "/chat/completions") == 0:  # the request is in flight: then signal
            assert proc.poll() is None and time.monotonic() < deadline, "the gate never sent its request"
            time.sleep(0.02)
        proc.send_signal(signum)
        stdout, stderr = proc.communicate(timeout=HANG)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == code, stdout + stderr
    assert _result(stdout).group(1, 3, 4) == ("FAIL", str(code), f"interrupted ({name})")


def test_the_result_line_keeps_the_words_pipelines_grep(sim, gate):
    passed = gate("--base-url", sim.url_for("ok"), *AUTH).expect_exit(0)
    failed = gate("--base-url", sim.url_for("auth"), *AUTH).expect_exit(1)
    assert re.search(r"^RESULT: PASS: proceed\b", passed.stdout, re.M)
    assert re.search(r"^RESULT: FAIL: hold\b", failed.stdout, re.M)
    assert "RESULT: FAIL" not in passed.stdout and "RESULT: PASS" not in failed.stdout


# --- a rollback decision shows the plan; a failed rollback the escalation path ---

PLAN = [
    "--rollback-owner",
    "bob",
    "--previous-version",
    "v1.4.2",
    "--traffic-router",
    "kubectl argo rollouts undo checkout",
]


def test_a_rollback_decision_shows_the_rollback_plan(sim, gate):
    run = gate("--base-url", sim.url_for("auth"), *AUTH, "--phase", "canary", *PLAN).expect_exit(1)
    assert _result(run.stdout).group(2, 3, 4) == ("rollback", "1", "roll back now, the plan is below")
    lines = run.stdout.splitlines()
    plan = lines.index("  rollback plan:")
    shown = {line.split(" : ")[0].strip(): line.split(" : ", 1)[1] for line in lines[plan + 1 : plan + 5]}
    assert shown["rollback owner"] == "bob"
    assert shown["previous known-good deployment version"] == "v1.4.2"
    assert shown["traffic router control"] == "kubectl argo rollouts undo checkout"
    assert "escalation path" in shown["not recorded"]
    assert plan < lines.index(next(line for line in lines if line.startswith("  next step")))


def test_a_rollback_decision_without_a_plan_says_none_was_recorded(sim, gate):
    run = gate("--base-url", sim.url_for("auth"), *AUTH, "--phase", "post-deploy").expect_exit(1)
    assert "  rollback plan: none recorded (pass --preflight FILE" in run.stdout
    held = gate("--base-url", sim.url_for("rate_limit"), *AUTH, "--phase", "canary").expect_exit(3)
    assert not re.search(r"^  rollback plan", held.stdout, re.M)  # a hold: no plan to act on


def test_a_failed_rollback_shows_the_escalation_path_before_the_generic_advice(sim, gate):
    run = gate(
        "--base-url", sim.url_for("auth"), *AUTH, "--phase", "rollback", *PLAN,
        "--escalation-path", "page the payments on-call via PagerDuty, then #inc-payments",
        "--comms-channel", "#inc-payments",
    ).expect_exit(1)  # fmt: skip
    assert _result(run.stdout).group(2, 3, 4) == (
        "hold",
        "1",
        "escalate, the rollback did not restore service",
    )
    lines = run.stdout.splitlines()
    failed = lines.index(
        "  ROLLBACK   : THE ROLLBACK DID NOT RESTORE SERVICE: the rolled-back path fails too"
    )
    assert lines[failed + 1] == "  escalate   : page the payments on-call via PagerDuty, then #inc-payments"
    assert lines[failed + 2] == "  contacts   : rollback owner bob; comms channel #inc-payments"
    assert failed + 2 < lines.index(next(line for line in lines if line.startswith("  next step")))


def test_a_failed_rollback_without_an_escalation_path_says_to_page_the_owner(sim, gate):
    run = gate("--base-url", sim.url_for("auth"), *AUTH, "--phase", "rollback").expect_exit(1)
    lines = run.stdout.splitlines()
    escalate = next(i for i, line in enumerate(lines) if line.startswith("  escalate   :"))
    assert "the rollback did not restore service; page the owner" in lines[escalate]
    assert escalate < lines.index(next(line for line in lines if line.startswith("  next step")))


def test_a_rollback_that_restored_service_escalates_nothing(sim, gate):
    run = gate("--base-url", sim.url_for("ok"), *AUTH, "--phase", "rollback", *PLAN).expect_exit(0)
    assert "rollback test passed" in run.stdout
    assert not re.search(r"^  (escalate|contacts|rollback plan)", run.stdout, re.M)
