"""The plan (which checks, in which order) and the runner that executes it."""

from __future__ import annotations

import datetime as dt
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial

from gate.checks import RunContext
from gate.checks.completion import check_completion, check_output
from gate.checks.network import check_dns, check_tls
from gate.checks.results import CheckResult, Status, internal_failure, passed, skipped
from gate.checks.samples import check_samples
from gate.config.resolve import GateConfig
from gate.core.failures import ExitCode, FailureClass

CheckFn = Callable[[RunContext], CheckResult]


@dataclass(frozen=True, eq=False)
class PlannedCheck:
    id: str
    run: CheckFn


def config_result(ctx: RunContext) -> CheckResult:
    c = ctx.config
    request = f", request file {c.request_file.path}" if c.request_file else ""
    api = f", {c.api} API" if c.api != "chat" else ""
    result = passed(
        "config",
        f"{c.endpoint_host}, model {c.model}{api}, {c.samples} sample(s), deadline {c.timeout:g} s{request}",
        endpoint_host=c.endpoint_host,
        model=c.model,
        environment=c.environment,
    )
    notes = c.request_file.notes if c.request_file else ()
    if not notes:
        return result
    return replace(result, status=Status.WARN, warnings=notes, warning_class=FailureClass.REQUEST)


def plan(ctx: RunContext) -> list[PlannedCheck]:
    """The ordered checks this config asks for (docs/design.md, "Checks"); opt-in ones only when asked."""
    checks = [PlannedCheck("config", config_result)]
    if ctx.preflight is not None and ctx.preflight.wanted:
        from gate.checks.preflight import check_preflight

        checks.append(PlannedCheck("preflight", check_preflight))
    checks += [
        PlannedCheck("dns", check_dns),
        PlannedCheck("tls", check_tls),
        PlannedCheck("completion", check_completion),
        PlannedCheck("output", check_output),
        PlannedCheck("samples", check_samples),
    ]
    if ctx.config.api == "embeddings":
        from gate.checks.api_answers import check_embeddings

        checks.insert(-1, PlannedCheck("embeddings", check_embeddings))  # the vectors before more samples
    return checks + _answer_checks(ctx.config) + _opt_in_checks(ctx.config)


# Opt-in checks are imported only when asked for (about 5 ms of imports a default run does not need).


def _answer_checks(config: GateConfig) -> list[PlannedCheck]:
    """What the request file implies of the answer (or the options ask for): structured output, tool calls,
    SDK parity, the usage chunk."""
    checks = []
    request_file = config.request_file
    if config.check_structured_output or (
        request_file is not None and request_file.response_format is not None
    ):
        from gate.checks.request_file import check_structured_output

        checks.append(PlannedCheck("structured-output", check_structured_output))
    if config.check_tools or (request_file is not None and request_file.tools):
        from gate.checks.request_file import check_tool_calls

        checks.append(PlannedCheck("tool-calls", check_tool_calls))
    if config.sdk_parity:
        from gate.checks.sdk import check_sdk_parity

        checks.append(PlannedCheck("sdk-parity", check_sdk_parity))
    if request_file is not None and request_file.wants_usage_chunk:
        from gate.checks.request_file import check_usage_chunk

        checks.append(PlannedCheck("usage-chunk", check_usage_chunk))
    return checks


def _opt_in_checks(config: GateConfig) -> list[PlannedCheck]:
    """The stream, the model list, the negative tests and the baseline comparison, when asked for."""
    checks = []
    if config.stream:
        from gate.checks.stream import check_stream

        checks.append(PlannedCheck("stream", check_stream))
    if config.check_models:
        from gate.checks.models import check_models

        checks.append(PlannedCheck("models", check_models))
    if config.negative != "none":
        from gate.checks.negative import check_negative
        from gate.checks.negative import wanted as negative_cases

        for case in negative_cases(config.negative):
            checks.append(PlannedCheck(f"negative-{case}", partial(check_negative, case=case)))
    if config.baseline_report is not None:
        from gate.checks.baseline import check_baseline

        checks.append(PlannedCheck("baseline", check_baseline))
    return checks


def promote_warning(result: CheckResult) -> CheckResult:
    """--fail-on-warn: a warning fails the check with the class it carries."""
    if result.status is not Status.WARN:
        return result
    return replace(
        result,
        status=Status.FAIL,
        failure_class=result.warning_class or FailureClass.CONTRACT,
        message=f"{'; '.join(result.warnings) or result.message} (a warning, failed by --fail-on-warn)",
    )


def _run_guarded(check: PlannedCheck, ctx: RunContext) -> CheckResult:
    """The check's result; a bug inside it (any exception) becomes a failure of class internal, with the
    traceback in its details (redacted, like every detail, before it is written)."""
    try:
        return check.run(ctx)
    except Exception:  # the crash-proof boundary: never a bare traceback, always every report
        return internal_failure(check.id, traceback.format_exc(limit=30))


@dataclass(eq=False)
class Progress:
    """How far one target's run got: what was planned and what has ended, read when a run is interrupted
    (by another thread, for a target running on a worker)."""

    started: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    planned: list[str] = field(default_factory=list)
    results: list[CheckResult] = field(default_factory=list)

    def cut_short(self, signal_name: str, code: ExitCode) -> list[CheckResult]:
        """The results so far, the check under way failed as `interrupted`, the ones not reached skipped."""
        done = list(self.results)
        rest = self.planned[len(done) :] or ([] if done else ["config"])
        stopped = CheckResult(
            id=rest[0] if rest else "interrupted",
            status=Status.FAIL,
            message=f"interrupted by {signal_name} before the run finished: no verdict on the integration",
            failure_class=FailureClass.INTERRUPTED,
            exit_code=code,
        )
        reason = f"not run: the run was interrupted by {signal_name}"
        return [*done, stopped, *(skipped(check_id, reason) for check_id in rest[1:])]


def run_checks(
    ctx: RunContext,
    on_result: Callable[[CheckResult], None] = lambda r: None,
    progress: Progress | None = None,
) -> list[CheckResult]:
    """Run the plan in order; after the first failure the remaining checks are skipped with the reason."""
    results: list[CheckResult] = []
    blocker: CheckResult | None = None
    checks = plan(ctx)
    if progress is not None:
        progress.planned = [check.id for check in checks]
    for check in checks:
        if blocker is not None:
            reason = f"not run: {blocker.id} failed ({blocker.failure_class})"
            result = skipped(check.id, reason)
        else:
            started = time.monotonic()
            result = _run_guarded(check, ctx)
            if not result.duration_ms:
                result = replace(result, duration_ms=round((time.monotonic() - started) * 1000, 1))
            if ctx.config.fail_on_warn:
                result = promote_warning(result)
            if result.status is Status.FAIL:
                blocker = result
        results.append(result)
        ctx.state.results.append(result)
        if progress is not None:
            progress.results.append(result)
        on_result(result)
    return results
