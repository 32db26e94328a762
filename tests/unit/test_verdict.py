"""The verdict's truth table, on the pure functions: `decide` (one target's results) and `decide_run` (the
targets' verdicts and the run-level checks), case by case.

Each row names its inputs (phase, rollback triggers, retryable override, targets, mode, an interruption, a
configuration error) and the whole expected verdict: result, decision, failure class, failed check, exit
code (and, for a run, the failed target). The expectation is written out, never recomputed.
"""

from __future__ import annotations

import json

import pytest

from gate.checks.results import CheckResult, Status, failed, passed, skipped
from gate.config.settings import DEFAULT_ROLLBACK_ON
from gate.core.failures import ExitCode, FailureClass, Mode
from gate.outcome.verdict import Decision, Outcome, Policy, Verdict, decide, decide_run

C = FailureClass
E = ExitCode
PASS, FAIL = Outcome.PASS, Outcome.FAIL
PROCEED, HOLD, ROLLBACK = Decision.PROCEED, Decision.HOLD, Decision.ROLLBACK


def policy(phase: str | None = None, mode: Mode = Mode.ENFORCE, rollback_on=DEFAULT_ROLLBACK_ON) -> Policy:
    return Policy(mode=mode, phase=phase, rollback_on=frozenset(rollback_on))


def fail(
    cls: FailureClass | None,
    check: str = "completion",
    *,
    retryable: bool | None = None,
    exit_code: ExitCode | None = None,
) -> CheckResult:
    return CheckResult(
        id=check,
        status=Status.FAIL,
        message="failed",
        failure_class=cls,
        retryable=retryable,
        exit_code=exit_code,
    )


OK = (passed("config", "ok"), passed("dns", "ok"), passed("completion", "ok"))
WARN = CheckResult(id="samples", status=Status.WARN, message="ok", warnings=("p95 over 500 ms",))
INTERRUPTED = fail(C.INTERRUPTED, "samples", exit_code=E.INTERRUPTED)
TERMINATED = fail(C.INTERRUPTED, "samples", exit_code=E.TERMINATED)
CONFIG = fail(C.CONFIG, "config")
LEAK = fail(C.LEAK, "leak-scan")
EVIDENCE = fail(C.EVIDENCE, "evidence")


def then(*results: CheckResult) -> tuple[CheckResult, ...]:
    """The passing checks, then `results`, then a check skipped after the failure."""
    return (*OK, *results, skipped("output", "not run"))


# (id, results, policy, (result, decision, failure class, failed check, exit code))
ONE_TARGET = [
    # all passed, in every phase and mode
    ("pass", OK, policy(), (PASS, PROCEED, None, None, E.PASSED)),
    ("pass-canary", OK, policy("canary"), (PASS, PROCEED, None, None, E.PASSED)),
    ("pass-rollback-phase", OK, policy("rollback"), (PASS, PROCEED, None, None, E.PASSED)),
    ("pass-report", OK, policy(mode=Mode.REPORT), (PASS, PROCEED, None, None, E.PASSED)),
    ("warning-passes", (*OK, WARN), policy(), (PASS, PROCEED, None, None, E.PASSED)),
    ("skips-pass", (*OK, skipped("tls", "http")), policy(), (PASS, PROCEED, None, None, E.PASSED)),
    # a rollback trigger (auth is one by default) in each phase: rollback only in canary and post-deploy
    ("trigger-no-phase", then(fail(C.AUTH)), policy(), (FAIL, HOLD, C.AUTH, "completion", E.FAILED)),
    (
        "trigger-pre-deploy",
        then(fail(C.AUTH)),
        policy("pre-deploy"),
        (FAIL, HOLD, C.AUTH, "completion", E.FAILED),
    ),
    (
        "trigger-canary",
        then(fail(C.AUTH)),
        policy("canary"),
        (FAIL, ROLLBACK, C.AUTH, "completion", E.FAILED),
    ),
    (
        "trigger-post-deploy",
        then(fail(C.AUTH)),
        policy("post-deploy"),
        (FAIL, ROLLBACK, C.AUTH, "completion", E.FAILED),
    ),
    (
        "trigger-rollback-phase",
        then(fail(C.AUTH)),
        policy("rollback"),
        (FAIL, HOLD, C.AUTH, "completion", E.FAILED),
    ),
    # not a trigger: hold in every phase
    (
        "assertion-canary",
        then(fail(C.ASSERTION, "output")),
        policy("canary"),
        (FAIL, HOLD, C.ASSERTION, "output", E.FAILED),
    ),
    (
        "upstream-canary",
        then(fail(C.UPSTREAM)),
        policy("canary"),
        (FAIL, HOLD, C.UPSTREAM, "completion", E.TRANSIENT),
    ),
    (
        "auth-canary-other-triggers",
        then(fail(C.AUTH)),
        policy("canary", rollback_on={C.CONTRACT}),
        (FAIL, HOLD, C.AUTH, "completion", E.FAILED),
    ),
    (
        "upstream-made-a-trigger",
        then(fail(C.UPSTREAM)),
        policy("post-deploy", rollback_on={C.UPSTREAM}),
        (FAIL, ROLLBACK, C.UPSTREAM, "completion", E.TRANSIENT),
    ),
    # transient classes exit 3; the check's retryable override wins over its class
    (
        "timeout-transient",
        then(fail(C.TIMEOUT)),
        policy(),
        (FAIL, HOLD, C.TIMEOUT, "completion", E.TRANSIENT),
    ),
    (
        "rate-limit-transient",
        then(fail(C.RATE_LIMIT)),
        policy(),
        (FAIL, HOLD, C.RATE_LIMIT, "completion", E.TRANSIENT),
    ),
    ("quota-permanent", then(fail(C.QUOTA)), policy(), (FAIL, HOLD, C.QUOTA, "completion", E.FAILED)),
    (
        "dns-retryable-true",
        then(fail(C.DNS, "dns", retryable=True)),
        policy(),
        (FAIL, HOLD, C.DNS, "dns", E.TRANSIENT),
    ),
    (
        "upstream-retryable-false",
        then(fail(C.UPSTREAM, retryable=False)),
        policy(),
        (FAIL, HOLD, C.UPSTREAM, "completion", E.FAILED),
    ),
    ("no-class-is-upstream", then(fail(None)), policy(), (FAIL, HOLD, C.UPSTREAM, "completion", E.TRANSIENT)),
    # several failures: the first names the class; exit 3 only when every one is transient
    (
        "two-transient",
        then(fail(C.TIMEOUT), fail(C.UPSTREAM, "samples")),
        policy(),
        (FAIL, HOLD, C.TIMEOUT, "completion", E.TRANSIENT),
    ),
    (
        "transient-then-permanent",
        then(fail(C.UPSTREAM), fail(C.CONTRACT, "stream")),
        policy(),
        (FAIL, HOLD, C.UPSTREAM, "completion", E.FAILED),
    ),
    (
        "transient-then-retryable",
        then(fail(C.UPSTREAM), fail(C.DNS, "dns", retryable=True)),
        policy(),
        (FAIL, HOLD, C.UPSTREAM, "completion", E.TRANSIENT),
    ),
    (
        "second-failure-is-the-trigger",
        then(fail(C.UPSTREAM), fail(C.CONTRACT, "stream")),
        policy("canary"),
        (FAIL, ROLLBACK, C.UPSTREAM, "completion", E.FAILED),
    ),
    # --mode report: exit 0 on a failed gate, the decision unchanged
    (
        "report-trigger",
        then(fail(C.AUTH)),
        policy(mode=Mode.REPORT),
        (FAIL, HOLD, C.AUTH, "completion", E.PASSED),
    ),
    (
        "report-trigger-canary",
        then(fail(C.AUTH)),
        policy("canary", Mode.REPORT),
        (FAIL, ROLLBACK, C.AUTH, "completion", E.PASSED),
    ),
    (
        "report-transient",
        then(fail(C.UPSTREAM)),
        policy(mode=Mode.REPORT),
        (FAIL, HOLD, C.UPSTREAM, "completion", E.PASSED),
    ),
    # an interruption exits 130 or 143 in any mode and holds, whatever the triggers
    ("sigint", then(INTERRUPTED), policy(), (FAIL, HOLD, C.INTERRUPTED, "samples", E.INTERRUPTED)),
    ("sigterm", then(TERMINATED), policy(), (FAIL, HOLD, C.INTERRUPTED, "samples", E.TERMINATED)),
    (
        "sigterm-report",
        then(TERMINATED),
        policy(mode=Mode.REPORT),
        (FAIL, HOLD, C.INTERRUPTED, "samples", E.TERMINATED),
    ),
    (
        "sigint-canary-as-trigger",
        then(INTERRUPTED),
        policy("canary", rollback_on={C.INTERRUPTED}),
        (FAIL, HOLD, C.INTERRUPTED, "samples", E.INTERRUPTED),
    ),
    (
        "sigint-after-a-trigger",
        then(fail(C.AUTH), INTERRUPTED),
        policy("canary"),
        (FAIL, HOLD, C.AUTH, "completion", E.INTERRUPTED),
    ),
    # a configuration error exits 2 in any mode: nothing was sent
    ("config", (CONFIG,), policy(), (FAIL, HOLD, C.CONFIG, "config", E.USAGE)),
    ("config-report", (CONFIG,), policy(mode=Mode.REPORT), (FAIL, HOLD, C.CONFIG, "config", E.USAGE)),
    ("config-canary", (CONFIG,), policy("canary"), (FAIL, HOLD, C.CONFIG, "config", E.USAGE)),
    (
        "config-retryable",
        (fail(C.CONFIG, "config", retryable=True),),
        policy(),
        (FAIL, HOLD, C.CONFIG, "config", E.USAGE),
    ),
]


@pytest.mark.parametrize(
    ("results", "policy_", "expected"), [row[1:] for row in ONE_TARGET], ids=[r[0] for r in ONE_TARGET]
)
def test_one_target(results, policy_, expected):
    verdict = decide(results, policy_)
    assert (
        verdict.result,
        verdict.decision,
        verdict.failure_class,
        verdict.failed_check,
        verdict.exit_code,
    ) == expected
    assert verdict.passed is (expected[0] is PASS) and verdict.failed_target is None


A_OK = ("a", OK)
B_OK = ("b", (*OK, WARN))
A_AUTH = ("a", then(fail(C.AUTH)))
B_AUTH = ("b", then(fail(C.AUTH)))
A_UPSTREAM = ("a", then(fail(C.UPSTREAM)))
B_TIMEOUT = ("b", then(fail(C.TIMEOUT)))
A_SIGTERM = ("a", then(TERMINATED))
B_SIGINT = ("b", then(INTERRUPTED))
B_CONFIG = ("b", (CONFIG,))
ONE_OK = (None, OK)
ONE_AUTH = (None, then(fail(C.AUTH)))

# (id, [(target name, results)], run-level results, policy,
#  (result, decision, failure class, failed check, exit code, failed target))
RUNS = [
    ("one-passes", [ONE_OK], (), policy(), (PASS, PROCEED, None, None, E.PASSED, None)),
    ("one-fails", [ONE_AUTH], (), policy(), (FAIL, HOLD, C.AUTH, "completion", E.FAILED, None)),
    (
        "one-fails-canary",
        [ONE_AUTH],
        (),
        policy("canary"),
        (FAIL, ROLLBACK, C.AUTH, "completion", E.FAILED, None),
    ),
    ("two-pass", [A_OK, B_OK], (), policy(), (PASS, PROCEED, None, None, E.PASSED, None)),
    ("second-fails", [A_OK, B_AUTH], (), policy(), (FAIL, HOLD, C.AUTH, "completion", E.FAILED, "b")),
    (
        "second-fails-canary",
        [A_OK, B_AUTH],
        (),
        policy("canary"),
        (FAIL, ROLLBACK, C.AUTH, "completion", E.FAILED, "b"),
    ),
    (
        "second-fails-rollback-phase",
        [A_OK, B_AUTH],
        (),
        policy("rollback"),
        (FAIL, HOLD, C.AUTH, "completion", E.FAILED, "b"),
    ),
    (
        "second-fails-report",
        [A_OK, B_AUTH],
        (),
        policy(mode=Mode.REPORT),
        (FAIL, HOLD, C.AUTH, "completion", E.PASSED, "b"),
    ),
    # both fail: the first names the class and the target; exit 3 only when both were transient
    (
        "both-transient",
        [A_UPSTREAM, B_TIMEOUT],
        (),
        policy(),
        (FAIL, HOLD, C.UPSTREAM, "completion", E.TRANSIENT, "a"),
    ),
    (
        "both-fail-one-permanent",
        [A_UPSTREAM, B_AUTH],
        (),
        policy(),
        (FAIL, HOLD, C.UPSTREAM, "completion", E.FAILED, "a"),
    ),
    (
        "both-fail-the-second-rolls-back",
        [A_UPSTREAM, B_AUTH],
        (),
        policy("canary"),
        (FAIL, ROLLBACK, C.UPSTREAM, "completion", E.FAILED, "a"),
    ),
    (
        "both-fail-report",
        [A_UPSTREAM, B_AUTH],
        (),
        policy(mode=Mode.REPORT),
        (FAIL, HOLD, C.UPSTREAM, "completion", E.PASSED, "a"),
    ),
    # run-level failures (the leak scan, missing evidence) fail a run whose targets passed
    ("leak", [ONE_OK], (LEAK,), policy(), (FAIL, HOLD, C.LEAK, "leak-scan", E.FAILED, None)),
    ("leak-two-targets", [A_OK, B_OK], (LEAK,), policy(), (FAIL, HOLD, C.LEAK, "leak-scan", E.FAILED, None)),
    (
        "leak-post-deploy",
        [ONE_OK],
        (LEAK,),
        policy("post-deploy"),
        (FAIL, ROLLBACK, C.LEAK, "leak-scan", E.FAILED, None),
    ),
    (
        "leak-report",
        [ONE_OK],
        (LEAK,),
        policy(mode=Mode.REPORT),
        (FAIL, HOLD, C.LEAK, "leak-scan", E.PASSED, None),
    ),
    ("evidence", [A_OK, B_OK], (EVIDENCE,), policy(), (FAIL, HOLD, C.EVIDENCE, "evidence", E.FAILED, None)),
    (
        "evidence-canary",
        [ONE_OK],
        (EVIDENCE,),
        policy("canary"),
        (FAIL, HOLD, C.EVIDENCE, "evidence", E.FAILED, None),
    ),
    ("target-before-leak", [ONE_AUTH], (LEAK,), policy(), (FAIL, HOLD, C.AUTH, "completion", E.FAILED, None)),
    (
        "transient-target-and-leak",
        [A_UPSTREAM, B_OK],
        (LEAK,),
        policy(),
        (FAIL, HOLD, C.UPSTREAM, "completion", E.FAILED, "a"),
    ),
    # an interruption wins over every other exit code, in any mode; SIGINT's over SIGTERM's
    (
        "sigterm-and-auth",
        [A_SIGTERM, B_AUTH],
        (),
        policy(),
        (FAIL, HOLD, C.INTERRUPTED, "samples", E.TERMINATED, "a"),
    ),
    (
        "sigterm-and-sigint",
        [A_SIGTERM, B_SIGINT],
        (),
        policy(),
        (FAIL, HOLD, C.INTERRUPTED, "samples", E.INTERRUPTED, "a"),
    ),
    (
        "sigint-report",
        [A_OK, B_SIGINT],
        (),
        policy(mode=Mode.REPORT),
        (FAIL, HOLD, C.INTERRUPTED, "samples", E.INTERRUPTED, "b"),
    ),
    (
        "sigterm-and-a-trigger-canary",
        [A_SIGTERM, B_AUTH],
        (),
        policy("canary"),
        (FAIL, ROLLBACK, C.INTERRUPTED, "samples", E.TERMINATED, "a"),
    ),
    # a configuration error exits 2 over 1 and 3, in any mode
    ("config-and-auth", [A_AUTH, B_CONFIG], (), policy(), (FAIL, HOLD, C.AUTH, "completion", E.USAGE, "a")),
    (
        "config-report",
        [A_OK, B_CONFIG],
        (),
        policy(mode=Mode.REPORT),
        (FAIL, HOLD, C.CONFIG, "config", E.USAGE, "b"),
    ),
    (
        "config-and-sigterm",
        [A_SIGTERM, B_CONFIG],
        (),
        policy(),
        (FAIL, HOLD, C.INTERRUPTED, "samples", E.TERMINATED, "a"),
    ),
]


@pytest.mark.parametrize(
    ("targets", "run_results", "policy_", "expected"), [r[1:] for r in RUNS], ids=[r[0] for r in RUNS]
)
def test_run(targets, run_results, policy_, expected):
    verdicts = [(name, decide(results, policy_)) for name, results in targets]
    verdict = decide_run(verdicts, run_results, policy_)
    assert (
        verdict.result,
        verdict.decision,
        verdict.failure_class,
        verdict.failed_check,
        verdict.exit_code,
        verdict.failed_target,
    ) == expected


def test_warnings_are_counted_per_target_and_summed_for_the_run():
    assert decide((*OK, WARN, WARN)).warnings == 2
    run = decide_run([("a", decide((*OK, WARN))), ("b", decide((*OK, WARN)))], ())
    assert run.passed and run.warnings == 2


def test_without_a_policy_nothing_rolls_back_and_failures_exit_1():
    """The bare function's default: enforce, no phase, no triggers."""
    verdict = decide(then(fail(C.AUTH)))
    assert (verdict.decision, verdict.exit_code) == (HOLD, E.FAILED)


def test_the_enums_are_the_strings_every_output_writes():
    verdict = decide(then(fail(C.AUTH)), policy("canary", Mode.REPORT))
    assert (verdict.result, verdict.decision) == ("fail", "rollback")
    assert json.dumps({"result": verdict.result, "decision": verdict.decision, "mode": Mode.REPORT}) == (
        '{"result": "fail", "decision": "rollback", "mode": "report"}'
    )
    assert f"{verdict.decision}: {verdict.result}" == "rollback: fail"
    assert [str(d) for d in Decision] == ["proceed", "hold", "rollback"]


def test_a_verdict_is_built_by_keyword_only():
    with pytest.raises(TypeError):
        Verdict(FAIL, HOLD, C.AUTH, "completion", 0, E.FAILED)  # type: ignore[misc]
    with pytest.raises(TypeError):
        CheckResult("completion", Status.PASS, "ok")  # type: ignore[misc]


def test_failed_helper_and_a_failure_without_checks_before_it():
    verdict = decide([failed("completion", C.AUTH, "401")])
    assert (verdict.result, verdict.failed_check, verdict.exit_code) == (FAIL, "completion", E.FAILED)
