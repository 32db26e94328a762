"""The verdict and exit codes are a pure function of the results and the mode."""

from __future__ import annotations

from gate.checks.results import CheckResult, Status, failed, passed, skipped
from gate.core.failures import ExitCode, FailureClass
from gate.outcome.verdict import Policy, decide


def test_all_pass_proceeds():
    verdict = decide([passed("config", "ok"), skipped("tls", "http")])
    assert (verdict.result, verdict.decision, verdict.exit_code) == ("pass", "proceed", ExitCode.PASSED)
    assert verdict.failure_class is None


def test_warnings_still_pass():
    warn = CheckResult("completion", Status.WARN, "ok", warnings=("usage missing",))
    verdict = decide([passed("config", "ok"), warn])
    assert verdict.passed and verdict.warnings == 1 and verdict.exit_code == 0


def test_first_failure_names_the_class():
    results = [
        passed("config", "ok"),
        failed("completion", FailureClass.AUTH, "401"),
        failed("output", FailureClass.TIMEOUT, "late"),
    ]
    verdict = decide(results)
    assert (verdict.result, verdict.decision) == ("fail", "hold")
    assert verdict.failure_class is FailureClass.AUTH and verdict.failed_check == "completion"
    assert verdict.exit_code is ExitCode.FAILED


def test_transient_failure_exits_3_and_report_mode_exits_0():
    results = [failed("completion", FailureClass.UPSTREAM, "502")]
    assert decide(results).exit_code is ExitCode.TRANSIENT
    report = decide(results, Policy(mode="report"))
    assert report.exit_code is ExitCode.PASSED and report.result == "fail"
