"""The verdict: a pure function of the check results and the policy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gate.failures import ExitCode, FailureClass
from gate.results import CheckResult, Status


@dataclass(frozen=True)
class Verdict:
    result: str  # pass / fail
    decision: str  # proceed / hold
    failure_class: FailureClass | None
    failed_check: str | None
    warnings: int
    exit_code: ExitCode

    @property
    def passed(self) -> bool:
        return self.result == "pass"


def decide(results: Sequence[CheckResult], mode: str = "enforce") -> Verdict:
    """Pass only when no check failed. The first failure names the class and picks the exit code."""
    first = next((r for r in results if r.status is Status.FAIL), None)
    warnings = sum(1 for r in results if r.status is Status.WARN)
    if first is None:
        return Verdict("pass", "proceed", None, None, warnings, ExitCode.PASSED)
    failure = first.failure_class or FailureClass.UPSTREAM
    if mode == "report":
        code = ExitCode.PASSED
    elif failure.transient:
        code = ExitCode.TRANSIENT
    else:
        code = ExitCode.FAILED
    return Verdict("fail", "hold", failure, first.id, warnings, code)
