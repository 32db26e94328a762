"""The verdict: a pure function of the check results and the policy, for one target and for the run."""

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
    failed_target: str | None = None  # with several targets: the first target that failed

    @property
    def passed(self) -> bool:
        return self.result == "pass"


def _exit_code(failures: Sequence[FailureClass], mode: str) -> ExitCode:
    """Transient (3) only when every failure is transient: a pipeline may then retry the job later."""
    if not failures or mode == "report":
        return ExitCode.PASSED
    return ExitCode.TRANSIENT if all(f.transient for f in failures) else ExitCode.FAILED


def decide(results: Sequence[CheckResult], mode: str = "enforce") -> Verdict:
    """Pass only when no check failed. The first failure names the class."""
    failures = [r for r in results if r.status is Status.FAIL]
    warnings = sum(1 for r in results if r.status is Status.WARN)
    if not failures:
        return Verdict("pass", "proceed", None, None, warnings, ExitCode.PASSED)
    classes = [r.failure_class or FailureClass.UPSTREAM for r in failures]
    return Verdict("fail", "hold", classes[0], failures[0].id, warnings, _exit_code(classes, mode))


def decide_run(
    targets: Sequence[tuple[str | None, Verdict]], run_results: Sequence[CheckResult], mode: str = "enforce"
) -> Verdict:
    """The run passes only if every target and every run-level check (the leak scan) passed."""
    own = decide(run_results, mode)
    named = [*targets, (None, own)]
    failing = [(name, v) for name, v in named if not v.passed]
    warnings = sum(v.warnings for _, v in named)
    if not failing:
        return Verdict("pass", "proceed", None, None, warnings, ExitCode.PASSED)
    name, first = failing[0]
    classes = [v.failure_class for _, v in failing if v.failure_class is not None]
    return Verdict(
        "fail", "hold", first.failure_class, first.failed_check, warnings, _exit_code(classes, mode), name
    )
