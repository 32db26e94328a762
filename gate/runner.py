"""The plan (which checks, in which order) and the runner that executes it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from gate.checks import RunContext
from gate.checks.completion import check_completion, check_output
from gate.checks.network import check_dns, check_tls
from gate.checks.samples import check_samples
from gate.results import CheckResult, Status, passed, skipped

CheckFn = Callable[[RunContext], CheckResult]


@dataclass(frozen=True)
class PlannedCheck:
    id: str
    run: CheckFn


def config_result(ctx: RunContext) -> CheckResult:
    c = ctx.config
    return passed(
        "config",
        f"{c.endpoint_host}, model {c.model}, {c.samples} sample(s), deadline {c.timeout:g} s",
        endpoint_host=c.endpoint_host,
        model=c.model,
        environment=c.environment,
    )


def plan(ctx: RunContext) -> list[PlannedCheck]:
    """The ordered checks this config asks for (DESIGN order)."""
    return [
        PlannedCheck("config", config_result),
        PlannedCheck("dns", check_dns),
        PlannedCheck("tls", check_tls),
        PlannedCheck("completion", check_completion),
        PlannedCheck("output", check_output),
        PlannedCheck("samples", check_samples),
    ]


def run_checks(
    ctx: RunContext, on_result: Callable[[CheckResult], None] = lambda r: None
) -> list[CheckResult]:
    """Run the plan in order; after the first failure the remaining checks are skipped with the reason."""
    results: list[CheckResult] = []
    blocker: CheckResult | None = None
    for check in plan(ctx):
        if blocker is not None:
            reason = f"not run: {blocker.id} failed ({blocker.failure_class})"
            result = skipped(check.id, reason)
        else:
            started = time.monotonic()
            result = check.run(ctx)
            if not result.duration_ms:
                from dataclasses import replace

                result = replace(result, duration_ms=round((time.monotonic() - started) * 1000, 1))
            if result.status is Status.FAIL:
                blocker = result
        results.append(result)
        on_result(result)
    return results
