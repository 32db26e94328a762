"""The run report: one data model every reporter renders (none of them re-decides pass or fail).

A `RunReport` holds one `TargetReport` per target (one for a plain run), the run-level checks (the leak
scan) and the run's verdict. Reporters render both shapes from it: one target as before, several as a fleet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

from gate import __version__
from gate.checks.results import CheckResult, Latency, Tokens
from gate.config.resolve import GateConfig, RunSettings
from gate.core.text import one_line
from gate.outcome.verdict import Policy, Verdict, decide, decide_run

SCHEMA_VERSION = "1"


@dataclass(frozen=True, eq=False, kw_only=True)
class TargetReport:
    name: str | None
    config: GateConfig
    results: tuple[CheckResult, ...]
    verdict: Verdict
    started_at: dt.datetime
    completed_at: dt.datetime

    @property
    def duration_ms(self) -> float:
        return round((self.completed_at - self.started_at).total_seconds() * 1000, 1)

    @property
    def first_failure(self) -> CheckResult | None:
        return next((r for r in self.results if r.failed), None)

    @property
    def latency(self) -> Latency | None:
        """The last figures a check measured (samples, over every positive request, wins over completion)."""
        return next((r.latency for r in reversed(self.results) if r.latency is not None), None)

    @property
    def request_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(rid for r in self.results for rid in r.request_ids))

    @property
    def warnings(self) -> list[tuple[str, str]]:
        return [(r.id, w) for r in self.results for w in r.warnings]

    @property
    def tokens(self) -> Tokens:
        """What the gate's own requests cost against this target."""
        return sum((r.tokens for r in self.results if r.tokens), Tokens())

    @property
    def quoted_request_id(self) -> str | None:
        """The id to quote to support: the id of the attempt that decided the check. On a failure, the failing
        check's last attempt; otherwise (or when the failing check sent nothing, like `output`) the first
        check that sent a request, its first successful attempt (after a retried pass, the one that passed,
        not the 429 before it)."""
        failed = self.first_failure
        if failed is not None and failed.request_ids:
            return failed.request_ids[-1]
        return next((rid for r in self.results if (rid := deciding_request_id(r))), None)

    def result(self, check_id: str) -> CheckResult | None:
        return next((r for r in self.results if r.id == check_id), None)


def deciding_request_id(result: CheckResult) -> str | None:
    """The id of the attempt that decided a check that did not fail: its first successful attempt, else its
    first id that no failed attempt carried (a check that keeps no attempt log), else None."""
    succeeded = next(
        (a.request_id for a in result.attempts if a.request_id and a.failure_class is None), None
    )
    if succeeded is not None:
        return succeeded
    failed_ids = {a.request_id for a in result.attempts if a.failure_class is not None}
    return next((rid for rid in result.request_ids if rid not in failed_ids), None)


def condition_text(config: GateConfig) -> str:
    """The test condition in force, as the reports state it. With a request file and no --expect the answer
    to the application's own prompt is not predictable: any answer passes, and the request's own fields
    (response_format, tools) are checked instead."""
    request_file = config.request_file
    if request_file is None or config.expect_set:
        return f"assistant text {config.expect_mode} '{one_line(config.expect, 60, words=True)}'"
    implied = ["any answer the request file implies (text, JSON or tool calls; no --expect)"]
    if request_file.response_format is not None:
        implied.append("the content matches its response_format")
    if request_file.tools:
        implied.append("tool calls name a declared tool with valid arguments")
    return "; ".join(implied)


def target_report(
    name: str | None,
    config: GateConfig,
    results: Sequence[CheckResult],
    started: dt.datetime,
    policy: Policy,
) -> TargetReport:
    results = tuple(results)
    return TargetReport(
        name=name,
        config=config,
        results=results,
        verdict=decide(results, policy),
        started_at=started,
        completed_at=dt.datetime.now(dt.UTC),
    )


@dataclass(frozen=True, eq=False, kw_only=True)
class RunReport:
    settings: RunSettings
    targets: tuple[TargetReport, ...]
    run_results: tuple[CheckResult, ...]
    verdict: Verdict
    started_at: dt.datetime
    completed_at: dt.datetime
    version: str = __version__

    @property
    def several(self) -> bool:
        return self.settings.targets is not None or len(self.targets) > 1

    @property
    def focus(self) -> TargetReport:
        """The target a one-line output speaks of: the first that failed, else the first."""
        failing = next((t for t in self.targets if not t.verdict.passed), None)
        return failing or self.targets[0]

    @property
    def failure(self) -> CheckResult | None:
        """The check that decided a failed run."""
        if self.verdict.passed:
            return None
        failing = next((t.first_failure for t in self.targets if t.first_failure), None)
        return failing or next((r for r in self.run_results if r.failed), None)

    @property
    def duration_ms(self) -> float:
        return round((self.completed_at - self.started_at).total_seconds() * 1000, 1)

    @property
    def request_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(rid for t in self.targets for rid in t.request_ids))

    @property
    def tokens(self) -> Tokens:
        return sum((t.tokens for t in self.targets), Tokens())

    @property
    def next_step(self) -> str | None:
        """The failing check's next step (specific when the answer said more than its class)."""
        failure = self.failure
        return failure.next_step if failure is not None else None

    def single(self) -> TargetReport:
        """A one-target run as one target's report: its checks, then the run-level ones, under the run's
        verdict (a leak found while publishing fails the run, and so the target)."""
        target = self.targets[0]
        return replace(target, results=(*target.results, *self.run_results), verdict=self.verdict)

    def with_run_result(self, result: CheckResult) -> RunReport:
        """The same report with one more run-level check, the verdict decided again."""
        return run_report(self.settings, self.targets, (*self.run_results, result), self.started_at)


def run_report(
    settings: RunSettings,
    targets: Sequence[TargetReport],
    run_results: Sequence[CheckResult],
    started: dt.datetime,
) -> RunReport:
    verdict = decide_run([(t.name, t.verdict) for t in targets], run_results, settings.policy)
    return RunReport(
        settings=settings,
        targets=tuple(targets),
        run_results=tuple(run_results),
        verdict=verdict,
        started_at=started,
        completed_at=dt.datetime.now(dt.UTC),
    )


def public_config(config: GateConfig, settings: RunSettings) -> dict[str, object]:
    """The non-secret settings, as printed and reported."""
    return {
        "environment": config.environment,
        "endpoint_host": config.endpoint_host,
        "endpoint": f"{config.api_root}{config.api_path}",
        "model": config.model,
        "api": config.api,
        "expect_dimensions": config.expect_dimensions,
        "api_key": "***",
        "connect_timeout_s": config.connect_timeout,
        "timeout_s": config.timeout,
        "retries": config.retries,
        "retry_budget_s": config.retry_budget,
        "samples": config.samples,
        "max_latency_ms": config.max_latency_ms,
        "max_tokens": config.max_tokens,  # null: chosen by model family (see checks[].details.request)
        "token_param": config.token_param,
        "temperature": config.temperature,
        "expect": config.expect,
        "expect_mode": config.expect_mode,
        "mode": settings.mode,
        "simulator_scenario": config.sim_scenario,
        "stream": config.stream,
        "check_models": config.check_models,
        "negative": config.negative,
        "fail_on_warn": config.fail_on_warn,
        "baseline": str(config.baseline) if config.baseline else None,
        "fail_on_drift": config.fail_on_drift,
        "headers": [h.shown for h in config.headers],  # "Name: value", a credential's value as ***
    }
