"""The verdict: a pure function of the check results and the policy, for one target and for the run.

The decision follows the runbook: `proceed` when every check passed; after a failure, `rollback` when the
run is a canary or post-deploy check and the failure is one of the rollback triggers (--rollback-on: auth,
request, endpoint, contract, leak by default), else `hold`. In the `rollback` phase the run re-verifies the
rolled-back path: it records the rollback test result, and a failure there is a hold (escalate: the
rollback did not restore service). Exit codes do not depend on the decision.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gate.checks.results import CheckResult, Status
from gate.config.settings import Policy
from gate.core.failures import ExitCode, FailureClass, Mode

ROLLBACK_PHASES = frozenset({"canary", "post-deploy"})
SIGNALLED = (ExitCode.INTERRUPTED, ExitCode.TERMINATED)


class Outcome(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"


class Decision(enum.StrEnum):
    PROCEED = "proceed"
    HOLD = "hold"
    ROLLBACK = "rollback"


@dataclass(frozen=True, kw_only=True, eq=False)
class Verdict:
    result: Outcome
    decision: Decision
    failure_class: FailureClass | None
    failed_check: str | None
    warnings: int
    exit_code: ExitCode
    failed_target: str | None = None  # with several targets: the first target that failed

    @property
    def passed(self) -> bool:
        return self.result is Outcome.PASS


def _passed(warnings: int) -> Verdict:
    return Verdict(
        result=Outcome.PASS,
        decision=Decision.PROCEED,
        failure_class=None,
        failed_check=None,
        warnings=warnings,
        exit_code=ExitCode.PASSED,
    )


def _transient(result: CheckResult) -> bool:
    """Whether a later retry of the job may pass: the check's own say (a temporary DNS failure), else its
    class's."""
    if result.retryable is not None:
        return result.retryable
    return (result.failure_class or FailureClass.UPSTREAM).transient


def _exit_code(failures: Sequence[CheckResult], mode: Mode) -> ExitCode:
    """Usage (2) for a configuration error, whatever the mode (nothing was sent: there is nothing to
    monitor). Transient (3) only when every failure is transient: a pipeline may then retry the job later."""
    if any(r.failure_class is FailureClass.CONFIG for r in failures):
        return ExitCode.USAGE
    if mode == Mode.REPORT:
        return ExitCode.PASSED
    return ExitCode.TRANSIENT if all(_transient(r) for r in failures) else ExitCode.FAILED


def _decision(failures: Iterable[FailureClass], policy: Policy) -> Decision:
    if policy.phase in ROLLBACK_PHASES and any(f in policy.rollback_on for f in failures):
        return Decision.ROLLBACK
    return Decision.HOLD


def decide(results: Sequence[CheckResult], policy: Policy | None = None) -> Verdict:
    """Pass only when no check failed. The first failure names the class and the check; an interrupted
    run exits 130 or 143 in any mode, and holds."""
    policy = policy or Policy()
    failures = [r for r in results if r.status is Status.FAIL]
    warnings = sum(1 for r in results if r.status is Status.WARN)
    if not failures:
        return _passed(warnings)
    classes = [r.failure_class or FailureClass.UPSTREAM for r in failures]
    forced = next((r.exit_code for r in failures if r.exit_code is not None), None)
    return Verdict(
        result=Outcome.FAIL,
        decision=Decision.HOLD if forced is not None else _decision(classes, policy),
        failure_class=classes[0],
        failed_check=failures[0].id,
        warnings=warnings,
        exit_code=forced if forced is not None else _exit_code(failures, policy.mode),
    )


def _run_exit_code(codes: set[ExitCode], mode: Mode) -> ExitCode:
    """A signal first, then a configuration error, then the mode; enforce exits 3 only when every failing
    target's failure was transient."""
    signalled = [code for code in SIGNALLED if code in codes]
    if signalled:
        return signalled[0]
    if ExitCode.USAGE in codes:
        return ExitCode.USAGE
    if mode == Mode.REPORT:
        return ExitCode.PASSED
    return ExitCode.FAILED if ExitCode.FAILED in codes else ExitCode.TRANSIENT


def decide_run(
    targets: Sequence[tuple[str | None, Verdict]],
    run_results: Sequence[CheckResult],
    policy: Policy | None = None,
) -> Verdict:
    """The run passes only if every target and every run-level check (the leak scan) passed. The first
    failing target (run-level checks last) names the class and the check; any target's rollback is the
    run's."""
    policy = policy or Policy()
    named = [*targets, (None, decide(run_results, policy))]
    failing = [(name, v) for name, v in named if not v.passed]
    warnings = sum(v.warnings for _, v in named)
    if not failing:
        return _passed(warnings)
    name, first = failing[0]
    classes = [v.failure_class for _, v in failing if v.failure_class is not None]
    rollback = any(v.decision is Decision.ROLLBACK for _, v in failing)
    return Verdict(
        result=Outcome.FAIL,
        decision=Decision.ROLLBACK if rollback else _decision(classes, policy),
        failure_class=first.failure_class,
        failed_check=first.failed_check,
        warnings=warnings,
        exit_code=_run_exit_code({v.exit_code for _, v in failing}, policy.mode),
        failed_target=name,
    )
