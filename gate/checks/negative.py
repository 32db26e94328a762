"""negative-*: controlled requests the service must refuse, each sent once and never retried.

An invalid key must be rejected as auth (401/403) and an invalid model as request (400/404, e.g.
model_not_found). A service that accepts either has a serious problem: class `negative`.
"""

from __future__ import annotations

import secrets
import time

from gate.checks import RunContext, elapsed_ms
from gate.checks.answer import exchange_result
from gate.checks.exchange import exchange
from gate.checks.results import CheckResult, Status
from gate.core.failures import FailureClass

CASES = {
    "invalid-key": (FailureClass.AUTH, "an invalid key"),
    "invalid-model": (FailureClass.REQUEST, "an invalid model"),
}


def wanted(setting: str) -> list[str]:
    return list(CASES) if setting == "all" else [setting] if setting in CASES else []


def check_negative(ctx: RunContext, case: str) -> CheckResult:
    config = ctx.config
    expected, what = CASES[case]
    check_id = f"negative-{case}"
    started = time.monotonic()
    fields = ctx.state.request_fields
    body = config.request_file.body if config.request_file else None
    if case == "invalid-key":
        ex = exchange(
            config,
            ctx.session,
            fields=fields,
            body=body,
            api_key=f"sk-invalid-{secrets.token_hex(16)}",
            retry=False,
        )
    else:
        ex = exchange(
            config,
            ctx.session,
            fields=fields,
            body=body,
            model=f"cometapi-smoke-gate-no-such-model-{secrets.token_hex(4)}",
            retry=False,
        )
    status = f"HTTP {ex.http_status}" if ex.http_status else "no HTTP answer"

    def result(status_: Status, message: str, failure: FailureClass | None = None) -> CheckResult:
        return exchange_result(
            check_id, status_, message, ex, duration_ms=elapsed_ms(started), failure_class=failure
        )

    if ex.failure is expected:
        return result(
            Status.PASS, f"{what} was rejected as {expected} ({status}, first attempt, not retried)"
        )
    if ex.ok:
        message = f"the service ACCEPTED {what} ({status}): it must be rejected as {expected}"
        return result(Status.FAIL, message, FailureClass.NEGATIVE)
    if ex.failure is not None and ex.failure.transient:
        return result(Status.FAIL, f"inconclusive: {ex.message}", ex.failure)
    message = f"{what} was rejected as {ex.failure}, not {expected}: {ex.message}"
    return result(Status.FAIL, message, FailureClass.NEGATIVE)
