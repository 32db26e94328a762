"""One logical chat completion: send, retry transient failures, classify, parse, check the contract."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import requests

from gate.classify import classify_status, describe_non_json, request_id
from gate.client import HttpResponse, TransportError
from gate.config import GateConfig
from gate.contract import violations
from gate.endpoint import call, completion_body
from gate.failures import FailureClass
from gate.jsonbody import NotJson, try_parse
from gate.retry import RetryPolicy
from gate.text import INTAKE_LIMIT, clean, decode, one_line


@dataclass(frozen=True)
class Attempt:
    number: int
    status: int | None
    failure_class: FailureClass | None
    elapsed_ms: float
    waited_s: float = 0.0


@dataclass(frozen=True)
class Exchange:
    """What one logical request produced: a parsed, contract-valid completion or one classified failure."""

    failure: FailureClass | None
    message: str
    attempts: tuple[Attempt, ...]
    http_status: int | None = None
    request_id: str | None = None
    latency_ms: float | None = None
    ttfb_ms: float | None = None
    payload: dict[str, Any] | None = None
    detail: str = ""
    response_headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.failure is None

    @property
    def retried(self) -> int:
        return len(self.attempts) - 1

    @property
    def choice(self) -> dict[str, Any]:
        if not self.payload:
            return {}
        choices = self.payload.get("choices") or [{}]
        return choices[0] if isinstance(choices[0], dict) else {}

    @property
    def text(self) -> str | None:
        content = (self.choice.get("message") or {}).get("content")
        return content if isinstance(content, str) else None

    @property
    def finish_reason(self) -> str | None:
        return self.choice.get("finish_reason")

    @property
    def model(self) -> str | None:
        return (self.payload or {}).get("model")

    @property
    def usage(self) -> dict[str, Any] | None:
        usage = (self.payload or {}).get("usage")
        return usage if isinstance(usage, dict) else None


def _clean_strings(value: Any) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean(str(k)): _clean_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_strings(v) for v in value]
    return value


def _excerpt(body: bytes, payload: Any) -> str:
    """The start of a failed response's body for diagnostics; JSON is re-serialised so escaped control
    characters become real ones that the reporters can strip."""
    if isinstance(payload, NotJson):
        text = clean(decode(body, INTAKE_LIMIT + 1))
    else:
        text = json.dumps(_clean_strings(payload), ensure_ascii=False)
    return text if len(text) <= INTAKE_LIMIT else text[:INTAKE_LIMIT] + "…"


@dataclass(frozen=True)
class Evaluation:
    """One response judged: a contract-valid payload, or the failure with what to report about it."""

    failure: FailureClass | None
    message: str
    payload: dict[str, Any] | None
    request_id: str | None
    retry_after: float | None = None
    excerpt: str = ""


def evaluate(response: HttpResponse) -> Evaluation:
    """Classify, parse and check one response; its body is parsed exactly once."""
    payload = try_parse(response.body)
    failure = classify_status(response, payload)  # also catches an {"error": ...} body with a 2xx status
    if failure is not None:
        return Evaluation(
            failure.failure_class,
            failure.message,
            None,
            failure.request_id,
            failure.retry_after_s,
            _excerpt(response.body, payload),
        )
    rid = request_id(response)
    if isinstance(payload, NotJson):
        return Evaluation(
            FailureClass.PROTOCOL,
            describe_non_json(response, payload),
            None,
            rid,
            None,
            _excerpt(response.body, payload),
        )
    problems = violations(payload)
    if problems:
        return Evaluation(
            FailureClass.CONTRACT,
            f"response breaks the contract: {'; '.join(problems[:3])}",
            None,
            rid,
            None,
            _excerpt(response.body, payload),
        )
    return Evaluation(None, f"HTTP {response.status}", payload, rid)


def exchange(
    config: GateConfig,
    session: requests.Session,
    *,
    api_key: str | None = None,
    model: str | None = None,
    retry: bool = True,
    rng: random.Random | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Exchange:
    """Send one chat completion with retries for transient classes, inside the retry budget."""
    policy = RetryPolicy(config.retries if retry else 0, config.retry_budget, config.max_retry_after)
    rng = rng or random.Random()
    started = time.monotonic()
    body = completion_body(config, model)
    attempts: list[Attempt] = []
    waited = 0.0
    while True:
        number = len(attempts) + 1
        remaining = policy.budget_s - (time.monotonic() - started)
        timeout = max(min(config.timeout, remaining), 0.05)
        result = _attempt(config, session, api_key, body, timeout)
        attempts.append(Attempt(number, result.http_status, result.failure, result.latency_ms or 0.0, waited))
        if result.failure is None or not result.failure.transient or number > policy.retries:
            return _with_attempts(result, attempts)
        waited = policy.delay(number, result.retry_after, rng)
        remaining = policy.budget_s - (time.monotonic() - started)
        if waited >= remaining:
            final = _with_attempts(result, attempts)
            return _replace_message(
                final, f"{final.message} (retry budget of {policy.budget_s:g} s exhausted)"
            )
        sleep(waited)


@dataclass(frozen=True)
class _AttemptResult:
    failure: FailureClass | None
    message: str
    http_status: int | None
    request_id: str | None
    latency_ms: float | None
    ttfb_ms: float | None
    payload: dict[str, Any] | None
    detail: str
    headers: dict[str, str]
    retry_after: float | None


def _attempt(
    config: GateConfig, session: requests.Session, api_key: str | None, body: bytes, timeout: float
) -> _AttemptResult:
    try:
        response = call(
            config, session, "POST", "/chat/completions", body=body, api_key=api_key, timeout=timeout
        )
    except TransportError as error:
        return _AttemptResult(
            error.failure_class,
            error.message,
            None,
            None,
            error.elapsed_ms,
            None,
            None,
            error.detail,
            {},
            None,
        )
    judged = evaluate(response)
    return _AttemptResult(
        judged.failure,
        one_line(judged.message, INTAKE_LIMIT),
        response.status,
        judged.request_id,
        response.elapsed_ms,
        response.ttfb_ms,
        judged.payload,
        judged.excerpt,
        dict(response.headers),
        judged.retry_after,
    )


def _with_attempts(result: _AttemptResult, attempts: list[Attempt]) -> Exchange:
    return Exchange(
        failure=result.failure,
        message=result.message,
        attempts=tuple(attempts),
        http_status=result.http_status,
        request_id=result.request_id,
        latency_ms=result.latency_ms,
        ttfb_ms=result.ttfb_ms,
        payload=result.payload,
        detail=result.detail,
        response_headers=result.headers,
    )


def _replace_message(ex: Exchange, message: str) -> Exchange:
    return replace(ex, message=message)
