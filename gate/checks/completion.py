"""completion and output: one minimal deterministic chat completion, then the test condition on its text."""

from __future__ import annotations

import re
import time
from typing import Any

from gate.checks import RunContext, elapsed_ms
from gate.config import GateConfig
from gate.failures import FailureClass
from gate.jsonbody import non_finite_paths
from gate.probe import Exchange, exchange
from gate.results import CheckResult, Latency, Status
from gate.shape import shape
from gate.text import one_line


def exchange_details(ex: Exchange) -> dict[str, Any]:
    """Response metadata for reports: request id, model, usage, finish reason, attempts."""
    details: dict[str, Any] = {
        "http_status": ex.http_status,
        "request_id": ex.request_id,
        "latency_ms": round(ex.latency_ms, 1) if ex.latency_ms is not None else None,
        "attempts": len(ex.attempts),
        "retried": ex.retried,
        "attempt_log": [
            {
                "attempt": a.number,
                "status": a.status,
                "failure_class": a.failure_class,
                "elapsed_ms": round(a.elapsed_ms, 1),
                "waited_s": round(a.waited_s, 3),
            }
            for a in ex.attempts
        ],
    }
    if ex.ok:
        details["response_shape"] = sorted(shape(ex.payload))
        details.update(
            response_model=ex.model,
            finish_reason=ex.finish_reason,
            usage=ex.usage,
            response_id=(ex.payload or {}).get("id"),
        )
    elif ex.detail:
        details["response_excerpt"] = ex.detail
    return details


_SNAPSHOT_SUFFIX = re.compile(r"-\d{4}-\d{2}-\d{2}$|-\d{4}$")


def same_model(requested: str, answered: str) -> bool:
    """True when the answer names the requested model or a dated snapshot of it (gpt-4o-mini-2024-07-18)."""
    if answered == requested:
        return True
    return answered.startswith(requested) and bool(_SNAPSHOT_SUFFIX.fullmatch(answered[len(requested) :]))


def response_warnings(config: GateConfig, ex: Exchange) -> tuple[str, ...]:
    warnings = []
    if ex.model and not same_model(config.model, ex.model):
        warnings.append(
            f"response names model '{one_line(ex.model, 80)}', not the requested '{config.model}' "
            "(rerouted by the gateway?)"
        )
    if ex.finish_reason == "length":
        warnings.append("finish_reason is 'length': the answer was cut at --max-tokens")
    if ex.usage is None:
        warnings.append("the response carries no usage: cost tracking will not see this call")
    odd = non_finite_paths(ex.payload)
    if odd:
        warnings.append(
            f"the response holds NaN/Infinity at {', '.join(odd[:5])}: not JSON (RFC 8259); "
            "JavaScript's JSON.parse and strict parsers reject this body"
        )
    return tuple(warnings)


def _attempts_note(ex: Exchange) -> str:
    return f"{len(ex.attempts)} attempt{'s' if len(ex.attempts) != 1 else ''}"


def check_completion(ctx: RunContext) -> CheckResult:
    started = time.monotonic()
    ex = exchange(ctx.config, ctx.session, rng=ctx.rng, sleep=ctx.sleep)
    ctx.state.first_exchange = ex
    details = exchange_details(ex)
    request_ids = (ex.request_id,) if ex.request_id else ()
    if not ex.ok:
        return CheckResult(
            "completion",
            Status.FAIL,
            f"{ex.message} ({_attempts_note(ex)})",
            elapsed_ms(started),
            ex.failure,
            details,
            request_ids=request_ids,
        )
    warnings = response_warnings(ctx.config, ex)
    message = (
        f"HTTP {ex.http_status} in {ex.latency_ms:.0f} ms, contract holds "
        f"(model {one_line(str(ex.model), 80)}, finish_reason {ex.finish_reason}, {_attempts_note(ex)})"
    )
    status = Status.WARN if warnings else Status.PASS
    single = round(ex.latency_ms or 0.0, 1)
    return CheckResult(
        "completion",
        status,
        message,
        elapsed_ms(started),
        None,
        details,
        warnings,
        FailureClass.CONTRACT,
        latency=Latency(single, single, single),
        request_ids=request_ids,
    )


def assert_output(config: GateConfig, ex: Exchange) -> tuple[FailureClass | None, str]:
    """(failure, message) of the test condition on the assistant text."""
    return assert_text(config, ex.text, ex.finish_reason)


def assert_text(
    config: GateConfig, text: str | None, finish_reason: str | None
) -> tuple[FailureClass | None, str]:
    """(failure, message) of the test condition on an assistant text (streamed or not)."""
    if text is None or not text.strip():
        what = "null" if text is None else "empty"
        if finish_reason == "length":
            return FailureClass.EMPTY, (
                f"assistant content is {what} with finish_reason 'length': raise "
                f"--max-tokens (now {config.max_tokens})"
            )
        return FailureClass.EMPTY, f"assistant content is {what} (finish_reason {finish_reason})"
    answer = text.strip()
    expected = config.expect.strip()
    if config.expect_mode == "equals":
        ok = answer.casefold() == expected.casefold()
    elif config.expect_mode == "regex":
        ok = re.search(config.expect, answer, re.IGNORECASE) is not None
    else:
        ok = expected.casefold() in answer.casefold()
    shown = one_line(answer, 120)
    if ok:
        return None, f"assistant said '{shown}' ({config.expect_mode} '{expected}')"
    return (
        FailureClass.ASSERTION,
        f"assistant said '{shown}', which does not meet: {config.expect_mode} '{expected}'",
    )


def check_output(ctx: RunContext) -> CheckResult:
    ex = ctx.state.first_exchange
    assert ex is not None, "output runs only after completion passed"
    failure, message = assert_output(ctx.config, ex)
    status = Status.FAIL if failure else Status.PASS
    return CheckResult(
        "output",
        status,
        message,
        0.0,
        failure,
        {"text_length": len(ex.text or ""), "finish_reason": ex.finish_reason},
    )
