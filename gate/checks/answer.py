"""Judging an answer: its typed facts and display details, its warnings, and the test condition on its text.

Shared by completion, output, samples, stream, the request-file checks and the negative tests.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from gate.checks.exchange import Exchange
from gate.checks.results import CheckResult, ResponseFacts, Status, Tokens
from gate.config.resolve import GateConfig
from gate.core.failures import FailureClass
from gate.core.jsonbody import non_finite_paths
from gate.core.text import one_line
from gate.diagnosis.api_judge import refusal
from gate.diagnosis.field_paths import shape


def exchange_result(check_id: str, status: Status, message: str, ex: Exchange, **fields: Any) -> CheckResult:
    """A check's result about one exchange: its attempts, HTTP status, excerpt, answer facts, request ids and
    tokens typed, the same shown in `details`. `fields` sets the rest (duration, class, ...) or overrides."""
    facts = response_facts(ex)
    typed: dict[str, Any] = {
        "attempts": ex.attempts,
        "http_status": ex.http_status,
        "excerpt": None if ex.ok else (ex.detail or None),
        "facts": facts,
        "request_ids": ex.request_ids,
        "tokens": Tokens.of(ex.usage),
        "details": exchange_details(ex, facts),
    }
    return CheckResult(id=check_id, status=status, message=message, **{**typed, **fields})


def response_facts(ex: Exchange) -> ResponseFacts | None:
    """What a successful answer said about itself (None for a failed exchange)."""
    if not ex.ok:
        return None
    return ResponseFacts(
        model=ex.model, finish_reason=ex.finish_reason, usage=ex.usage, shape=tuple(sorted(shape(ex.payload)))
    )


def exchange_details(ex: Exchange, facts: ResponseFacts | None) -> dict[str, Any]:
    """The exchange for display in the JSON report (its `details`): request ids, model, usage, finish reason,
    attempts. Nothing in the gate reads it back."""
    details: dict[str, Any] = {
        "http_status": ex.http_status,
        "request_id": ex.request_id,
        "gateway_request_id": ex.ids.gateway,
        "provider_request_id": ex.ids.provider,
        "latency_ms": round(ex.latency_ms, 1) if ex.latency_ms is not None else None,
        "attempts": len(ex.attempts),
        "retried": ex.retried,
        "attempt_log": [a.as_dict() for a in ex.attempts],
    }
    if ex.rule:
        details["diagnosis_rule"] = ex.rule
    if ex.fields is not None:
        details["request"] = ex.fields.as_dict()
    if facts is not None:
        details["response_shape"] = list(facts.shape)
        details.update(
            response_model=facts.model,
            finish_reason=facts.finish_reason,
            usage=facts.usage,
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
        warnings.append(
            f"finish_reason is 'length': the answer was cut at the token limit ({raise_budget(config)})"
        )
    if ex.api == "responses" and (ex.payload or {}).get("status") == "incomplete":
        warnings.append(
            f"the response is incomplete ({ex.finish_reason}): the answer was cut short (at the token limit "
            f"when max_output_tokens: {raise_budget(config)})"
        )
    if ex.usage is None:
        warnings.append("the response carries no usage: cost tracking will not see this call")
    odd = non_finite_paths(ex.payload)
    if odd:
        warnings.append(
            f"the response holds NaN/Infinity at {', '.join(odd[:5])}: not JSON (RFC 8259); "
            "JavaScript's JSON.parse and strict parsers reject this body"
        )
    return tuple(warnings)


def retry_warning(what: str, exchanges: Sequence[Exchange]) -> tuple[FailureClass, str] | None:
    """A success that needed retries passes, but says so: how many attempts, which classes were seen and
    how long the gate waited (a flaky service must not look clean)."""
    retried = [ex for ex in exchanges if ex.retried]
    if not retried:
        return None
    seen = Counter(a.failure_class for ex in retried for a in ex.attempts if a.failure_class is not None)
    classes = ", ".join(f"{cls} x{n}" for cls, n in seen.most_common())
    attempts = sum(len(ex.attempts) for ex in retried)
    waited = sum(ex.waited_s for ex in retried)
    first = seen.most_common(1)[0][0] if seen else FailureClass.UPSTREAM
    return first, (
        f"{what} needed retries: {attempts} attempts for {len(retried)} request(s), classes seen: {classes}; "
        f"{waited:.1f} s spent waiting between attempts"
    )


def assert_output(config: GateConfig, ex: Exchange) -> tuple[FailureClass | None, str]:
    """(failure, message) of the test condition on the answer. A refusal is named as one. With a request
    file and no --expect, any answer the request implies passes (text, JSON or tool calls), since the
    application's own prompt has no predictable answer. Another --api's answer is judged its own way."""
    if ex.api == "responses":
        return assert_response_output(config, ex)
    if ex.api == "embeddings":
        from gate.checks.api_answers import assert_embeddings

        return assert_embeddings(config, ex)
    message = ex.choice.get("message") or {}
    refusal = _refusal(message, ex)
    if refusal is not None:
        return FailureClass.EMPTY, refusal
    if config.request_file is not None and not config.expect_set:
        implied = _any_answer(message.get("tool_calls"), ex.text)
        if implied is not None:
            return None, implied
    budget = ex.fields.max_tokens if ex.fields else _budget(config)
    return assert_text(config, ex.text, ex.finish_reason, ex.usage, budget)


def assert_response_output(config: GateConfig, ex: Exchange) -> tuple[FailureClass | None, str]:
    """(failure, message) of the test condition on a Response's text. A refusal is named as one (class
    empty, as chat's); an incomplete Response without text names why it stopped and the budget to raise."""
    refused = refusal(ex.payload)
    if refused is not None and not (ex.text or "").strip():
        return (
            FailureClass.EMPTY,
            f"the model refused: '{one_line(refused, 200)}' (status {ex.finish_reason})",
        )
    if config.request_file is not None and not config.expect_set and (ex.text or "").strip():
        return None, f"the response said '{one_line(ex.text or '', 120)}' (no --expect: any answer passes)"
    return _response_text(config, ex)


def _response_text(config: GateConfig, ex: Exchange) -> tuple[FailureClass | None, str]:
    """The condition on a Response's text; an incomplete Response without text names the budget to raise."""
    status = (ex.payload or {}).get("status")
    budget = ex.fields.max_tokens if ex.fields else _budget(config)
    if status == "incomplete" and not (ex.text or "").strip():
        tokens = Tokens.of(ex.usage)
        spent = (
            f"; {tokens.reasoning} of the {budget} output tokens went to reasoning"
            if budget and tokens.reasoning
            else ""
        )
        return FailureClass.EMPTY, (
            f"the response is incomplete ({ex.finish_reason}) with no text{spent}: {raise_budget(config)} "
            f"(max_output_tokens, now {budget})"
        )
    return assert_text(config, ex.text, ex.finish_reason, ex.usage, budget)


def _refusal(message: Mapping[str, Any], ex: Exchange) -> str | None:
    """The refusal, when the model refused and said nothing else."""
    refusal = message.get("refusal")
    if isinstance(refusal, str) and refusal.strip() and not (ex.text or "").strip():
        return f"the model refused: '{one_line(refusal, 200)}' (finish_reason {ex.finish_reason})"
    return None


def _any_answer(calls: object, text: str | None) -> str | None:
    """The pass message for an answer to the application's own prompt (tool calls or text), else None."""
    if isinstance(calls, list) and calls:
        names = ", ".join(
            one_line(str((c.get("function") or {}).get("name")), 64) for c in calls if isinstance(c, dict)
        )
        return f"the answer is {len(calls)} tool call(s): {names} (no --expect: any answer passes)"
    if (text or "").strip():
        return f"assistant said '{one_line(text or '', 120)}' (no --expect: any answer passes)"
    return None


_BUDGET_FIELDS = ("max_completion_tokens", "max_tokens", "max_output_tokens")


def raise_budget(config: GateConfig) -> str:
    """What to raise when the answer ran out of tokens: --max-tokens, or under a request file (sent as it
    is, so --max-tokens does nothing) the file's own field."""
    if config.request_file is None:
        return "raise --max-tokens"
    body = config.request_file.body
    field = next((name for name in _BUDGET_FIELDS if name in body), None)
    if field is None:
        field = "max_output_tokens" if config.api == "responses" else "max_completion_tokens"
        return f"set {field} in the request file {config.request_file.path.name}"
    return f"raise {field} in the request file {config.request_file.path.name}"


def _budget(config: GateConfig) -> int | None:
    body = config.request_file.body if config.request_file else {}
    value = body.get("max_completion_tokens") or body.get("max_tokens") or body.get("max_output_tokens")
    return value if isinstance(value, int) else None


def assert_text(
    config: GateConfig,
    text: str | None,
    finish_reason: str | None,
    usage: Mapping[str, Any] | None = None,
    budget: int | None = None,
) -> tuple[FailureClass | None, str]:
    """(failure, message) of the test condition on an assistant text (streamed or not)."""
    if text is None or not text.strip():
        what = "null" if text is None else "empty"
        if finish_reason != "length":
            return FailureClass.EMPTY, f"assistant content is {what} (finish_reason {finish_reason})"
        tokens = Tokens.of(usage)
        if budget and tokens.reasoning >= budget:
            return FailureClass.EMPTY, (
                f"the reasoning budget was exhausted: {tokens.reasoning} of the {budget} completion tokens "
                f"went to reasoning and none to the answer (completion_tokens {tokens.completion}); "
                f"{raise_budget(config)}"
            )
        return FailureClass.EMPTY, (
            f"assistant content is {what} with finish_reason 'length': {raise_budget(config)} (now {budget})"
        )
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
