"""The verdict: a pure function of the check results and the policy, for one target and for the run.

The decision follows the runbook: `proceed` when every check passed; after a failure, `rollback` when the
run is a canary or post-deploy check and the failure is one of the rollback triggers (--rollback-on: auth,
request, endpoint, contract, leak by default), else `hold`. In the `rollback` phase the run re-verifies the
rolled-back path: it records the rollback test result, and a failure there is a hold (escalate: the
rollback did not restore service). Exit codes do not depend on the decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gate.checks.results import CheckResult, Status
from gate.config.settings import Policy
from gate.core.failures import ExitCode, FailureClass

ROLLBACK_PHASES = frozenset({"canary", "post-deploy"})


@dataclass(frozen=True)
class Verdict:
    result: str  # pass / fail
    decision: str  # proceed / hold / rollback
    failure_class: FailureClass | None
    failed_check: str | None
    warnings: int
    exit_code: ExitCode
    failed_target: str | None = None  # with several targets: the first target that failed

    @property
    def passed(self) -> bool:
        return self.result == "pass"


def _exit_code(failures: Sequence[FailureClass], mode: str) -> ExitCode:
    """Usage (2) for a configuration error, whatever the mode (nothing was sent: there is nothing to
    monitor). Transient (3) only when every failure is transient: a pipeline may then retry the job later."""
    if FailureClass.CONFIG in failures:
        return ExitCode.USAGE
    if not failures or mode == "report":
        return ExitCode.PASSED
    return ExitCode.TRANSIENT if all(f.transient for f in failures) else ExitCode.FAILED


def _decision(failures: Sequence[FailureClass], policy: Policy) -> str:
    if not failures:
        return "proceed"
    if policy.phase in ROLLBACK_PHASES and any(f in policy.rollback_on for f in failures):
        return "rollback"
    return "hold"


def decide(results: Sequence[CheckResult], policy: Policy | None = None) -> Verdict:
    """Pass only when no check failed. The first failure names the class."""
    policy = policy or Policy()
    failures = [r for r in results if r.status is Status.FAIL]
    warnings = sum(1 for r in results if r.status is Status.WARN)
    if not failures:
        return Verdict("pass", "proceed", None, None, warnings, ExitCode.PASSED)
    classes = [r.failure_class or FailureClass.UPSTREAM for r in failures]
    code = _exit_code(classes, policy.mode)
    forced = next((r.exit_code for r in failures if r.exit_code is not None), None)
    if forced is not None:  # an interrupted run exits 130 or 143, in any mode
        return Verdict("fail", "hold", classes[0], failures[0].id, warnings, forced)
    if code is ExitCode.TRANSIENT and any(r.retryable is False for r in failures):
        code = ExitCode.FAILED
    if code is ExitCode.FAILED and all(r.retryable for r in failures):
        code = ExitCode.TRANSIENT
    return Verdict("fail", _decision(classes, policy), classes[0], failures[0].id, warnings, code)


def decide_run(
    targets: Sequence[tuple[str | None, Verdict]],
    run_results: Sequence[CheckResult],
    policy: Policy | None = None,
) -> Verdict:
    """The run passes only if every target and every run-level check (the leak scan) passed."""
    policy = policy or Policy()
    own = decide(run_results, policy)
    named = [*targets, (None, own)]
    failing = [(name, v) for name, v in named if not v.passed]
    warnings = sum(v.warnings for _, v in named)
    if not failing:
        return Verdict("pass", "proceed", None, None, warnings, ExitCode.PASSED)
    name, first = failing[0]
    classes = [v.failure_class for _, v in failing if v.failure_class is not None]
    codes = {v.exit_code for _, v in failing}
    signalled = sorted(codes & {ExitCode.INTERRUPTED, ExitCode.TERMINATED})
    if signalled:
        code = signalled[0]
    elif ExitCode.USAGE in codes:
        code = ExitCode.USAGE
    elif policy.mode == "report":
        code = ExitCode.PASSED
    else:
        code = ExitCode.FAILED if ExitCode.FAILED in codes else ExitCode.TRANSIENT
    decision = "rollback" if any(v.decision == "rollback" for _, v in failing) else _decision(classes, policy)
    return Verdict("fail", decision, first.failure_class, first.failed_check, warnings, code, name)
