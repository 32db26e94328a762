"""completion and output: one minimal deterministic chat completion, then the test condition on its text.

The request's model-dependent fields come from `gate.http.model_families`. For a model the table does not
know, a 400 that names a field the gate chose by default (not one the user set) makes the check send again
without it, once per field, and pass with a warning: the application's own request must not send that field
either.
"""

from __future__ import annotations

import time
from functools import partial

from gate.checks import RunContext, elapsed_ms
from gate.checks.answer import (
    assert_output,
    exchange_result,
    raise_budget,
    response_warnings,
    retry_warning,
)
from gate.checks.exchange import Exchange, exchange
from gate.checks.results import CheckResult, Latency, Status, skipped
from gate.config.resolve import GateConfig
from gate.core.failures import FailureClass
from gate.core.text import one_line
from gate.http.model_families import RequestFields, adapt, fields_for, rejected_parameter


def _output_hint(config: GateConfig, ex: Exchange, failure: FailureClass | None) -> str | None:
    """The next step of an answer cut short: the class's own names --max-tokens, which a request file
    (sent as it is) ignores, and a Response's incomplete_details says more."""
    if failure is not FailureClass.EMPTY:
        return None
    if ex.api != "chat" and (ex.payload or {}).get("status") == "incomplete":
        sent = "" if config.request_file else " (sent as max_output_tokens)"
        return (
            "The Response stopped before its text (incomplete_details.reason names why): for "
            f"max_output_tokens, {raise_budget(config)}{sent}; a reasoning model spends it on reasoning "
            "first."
        )
    if ex.finish_reason == "length" and config.request_file is not None:
        return f"The answer ran out of tokens (finish_reason 'length'): {raise_budget(config)}."
    return None


def _attempts_note(ex: Exchange) -> str:
    return f"{len(ex.attempts)} attempt{'s' if len(ex.attempts) != 1 else ''}"


def check_completion(ctx: RunContext) -> CheckResult:
    started = time.monotonic()
    fields = fields_for(ctx.config)
    send = partial(exchange, ctx.config, ctx.session, rng=ctx.rng, sleep=ctx.sleep, progress=ctx.progress)
    request_file = ctx.config.request_file
    if request_file is not None:  # the application's own body, sent as it is: never adapted
        ex = send(body=request_file.body, label="completion")
    else:
        ex = send(fields=fields, label="completion")
    earlier_ids: list[str] = []
    adaptable = request_file is None and ctx.config.api != "embeddings"  # embeddings send no such fields
    while adaptable and not ex.ok and ex.failure is FailureClass.REQUEST and ex.http_status == 400:
        adapted = adapt(fields, rejected_parameter(ex.param, ex.message))
        if adapted is None:
            break
        earlier_ids += ex.request_ids
        fields = adapted
        ex = send(fields=fields, label="completion (adapted)")
    ctx.state.first_exchange = ex
    ctx.state.request_fields = fields if adaptable else None
    request_ids = tuple(dict.fromkeys([*earlier_ids, *ex.request_ids]))
    if not ex.ok:
        return exchange_result(
            "completion",
            Status.FAIL,
            f"{ex.message} ({_attempts_note(ex)})",
            ex,
            duration_ms=elapsed_ms(started),
            failure_class=ex.failure,
            request_ids=request_ids,
            hint=ex.hint,
        )
    warnings, warning_class = _warnings(ctx, ex, fields)
    message = (
        f"HTTP {ex.http_status} in {ex.latency_ms:.0f} ms, contract holds "
        f"(model {one_line(str(ex.model), 80)}, {_ending(ex)}, {_attempts_note(ex)})"
    )
    return exchange_result(
        "completion",
        Status.WARN if warnings else Status.PASS,
        message,
        ex,
        duration_ms=elapsed_ms(started),
        warnings=warnings,
        warning_class=warning_class,
        latency=Latency.of_one(round(ex.latency_ms or 0.0, 1)),
        request_ids=request_ids,
    )


def _ending(ex: Exchange) -> str:
    """How the answer ended, in the API's words: chat's finish_reason, a Response's status, the vectors."""
    if ex.api == "responses":
        return f"{ex.api} API, status {ex.finish_reason}"
    if ex.api == "embeddings":
        count = len((ex.payload or {}).get("data") or [])
        return f"{ex.api} API, {count} vector(s)"
    return f"finish_reason {ex.finish_reason}"


def _warnings(ctx: RunContext, ex: Exchange, fields: RequestFields) -> tuple[tuple[str, ...], FailureClass]:
    """The answer's warnings and the class they fail with under --fail-on-warn (the first one's)."""
    warnings = list(response_warnings(ctx.config, ex))
    warning_class = FailureClass.CONTRACT
    flaky = retry_warning("the completion request", [ex])
    if flaky is not None:
        warnings.insert(0, flaky[1])
        warning_class = flaky[0]
    if fields.adapted:
        warnings.insert(
            0,
            f"the model rejected {', '.join(fields.adapted)}, which the gate chose by default for an unknown "
            f"model ({ctx.config.model}); it passed without: the application's own request must not send "
            "them either",
        )
        warning_class = FailureClass.REQUEST
    return tuple(warnings), warning_class


def check_output(ctx: RunContext) -> CheckResult:
    ex = ctx.state.first_exchange
    assert ex is not None, "output runs only after completion passed"
    if ctx.config.api == "embeddings":
        from gate.checks.api_answers import NOT_APPLICABLE

        return skipped("output", NOT_APPLICABLE)
    failure, message = assert_output(ctx.config, ex)
    return CheckResult(
        id="output",
        status=Status.FAIL if failure is not None else Status.PASS,
        message=message,
        failure_class=failure,
        hint=_output_hint(ctx.config, ex, failure),
        details={"text_length": len(ex.text or ""), "finish_reason": ex.finish_reason},
    )
