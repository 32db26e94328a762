"""One logical request (a chat completion, or a Response or embeddings with --api): send, retry transient
failures, classify, parse, check the contract."""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import requests

from gate.checks.results import Attempt
from gate.config.resolve import GateConfig
from gate.core.failures import FailureClass
from gate.core.text import INTAKE_LIMIT, one_line
from gate.diagnosis.api_judge import evaluate_api, finish_reason, output_text
from gate.diagnosis.classify import of_transport
from gate.diagnosis.judge import Judged, evaluate, judge_stream, with_structure_check
from gate.http.client import TransportError
from gate.http.endpoint import call, request_body
from gate.http.headers import RequestIds
from gate.http.model_families import RequestFields, fields_for
from gate.http.retry import RetryPolicy


@dataclass(frozen=True, eq=False, kw_only=True)
class Exchange:
    """What one logical request produced: a parsed, contract-valid completion or one classified failure."""

    failure: FailureClass | None
    message: str
    attempts: tuple[Attempt, ...]
    http_status: int | None = None
    ids: RequestIds = field(default_factory=RequestIds)
    latency_ms: float | None = None
    ttfb_ms: float | None = None
    payload: dict[str, Any] | None = None
    detail: str = ""
    hint: str | None = None
    param: str | None = None
    fields: RequestFields | None = None  # the model-dependent request fields it was sent with
    total_ms: float | None = None  # every attempt and every wait between them
    rule: str = ""  # the diagnosis rule that classified the last attempt's failure (`table.row`)
    api: str = "chat"  # the API it went to (--api): how its payload is read

    @property
    def waited_s(self) -> float:
        return sum(a.waited_s for a in self.attempts)

    @property
    def ok(self) -> bool:
        return self.failure is None

    @property
    def retried(self) -> int:
        return len(self.attempts) - 1

    @property
    def request_id(self) -> str | None:
        return self.ids.primary

    @property
    def request_ids(self) -> tuple[str, ...]:
        """Every attempt's id, failed attempts included, in order."""
        return tuple(dict.fromkeys(a.request_id for a in self.attempts if a.request_id))

    @property
    def choice(self) -> dict[str, Any]:
        if not self.payload:
            return {}
        choices = self.payload.get("choices") or [{}]
        return choices[0] if isinstance(choices[0], dict) else {}

    @property
    def text(self) -> str | None:
        if self.api == "responses":
            return output_text(self.payload)
        content = (self.choice.get("message") or {}).get("content")
        return content if isinstance(content, str) else None

    @property
    def finish_reason(self) -> str | None:
        """chat: the choice's finish_reason; responses: the status, or why it is incomplete."""
        if self.api == "responses":
            return finish_reason(self.payload)
        return self.choice.get("finish_reason")

    @property
    def model(self) -> str | None:
        return (self.payload or {}).get("model")

    @property
    def usage(self) -> dict[str, Any] | None:
        usage = (self.payload or {}).get("usage")
        return usage if isinstance(usage, dict) else None


def exchange(
    config: GateConfig,
    session: requests.Session,
    *,
    fields: RequestFields | None = None,
    body: Mapping[str, Any] | None = None,
    api_key: str | None = None,
    model: str | None = None,
    retry: bool = True,
    rng: random.Random | None = None,
    sleep: Callable[[float], None] = time.sleep,
    progress: Progress | None = None,
    label: str = "request",
) -> Exchange:
    """Send one chat completion with retries for transient classes (or when the server says
    `x-should-retry: true`; never when it says false), inside the retry budget. `progress` hears of each
    retry scheduled and, every HEARTBEAT_S, of a request still waiting.

    The body is the gate's own (the configured prompts, `fields` by model family) or, given `body`, exactly
    that (the application's request file); `model` replaces only the model (the negative tests)."""
    policy = RetryPolicy(config.retries if retry else 0, config.retry_budget, config.max_retry_after)
    rng = rng or random.Random()
    started = time.monotonic()
    if body is not None:
        sent: Mapping[str, Any] = {**body, "model": model} if model else body
        fields = None
    else:
        sent, fields = _gate_request(config, fields, model)
    attempts: list[Attempt] = []
    waited = 0.0
    while True:
        number = len(attempts) + 1
        remaining = policy.budget_s - (time.monotonic() - started)
        timeout = max(min(config.timeout, remaining), 0.05)
        with _heartbeat(progress, f"{label} attempt {number}", timeout):
            judged = _attempt(config, session, api_key, sent, timeout)
        attempts.append(
            Attempt(
                number=number,
                status=judged.http_status,
                failure_class=judged.failure,
                elapsed_ms=judged.latency_ms or 0.0,
                waited_s=waited,
                request_id=judged.ids.primary,
            )
        )
        final = replace(
            _exchange(judged, attempts, fields), total_ms=(time.monotonic() - started) * 1000, api=config.api
        )
        if judged.failure is None or number > policy.retries or not _retryable(judged):
            return final
        waited = policy.delay(number, judged.retry_after, rng)
        remaining = policy.budget_s - (time.monotonic() - started)
        if waited >= remaining:
            return replace(
                final, message=f"{final.message} (retry budget of {policy.budget_s:g} s exhausted)"
            )
        if progress is not None:
            status = f", HTTP {judged.http_status}" if judged.http_status else ""
            progress(
                f"retry      : {label} attempt {number} of {policy.retries + 1} failed "
                f"({judged.failure}{status}); next attempt in {waited:.1f} s"
            )
        sleep(waited)


def _gate_request(
    config: GateConfig, fields: RequestFields | None, model: str | None
) -> tuple[dict[str, Any], RequestFields | None]:
    """The gate's own body for --api, and the model-dependent fields it holds (none for embeddings)."""
    fields = fields or fields_for(config)
    return request_body(config, fields, model), (None if config.api == "embeddings" else fields)


Progress = Callable[[str], None]
HEARTBEAT_S = 5.0


@contextmanager
def _heartbeat(progress: Progress | None, label: str, deadline: float) -> Iterator[None]:
    """A line every HEARTBEAT_S while one request is still waiting (silence looks like a hang)."""
    if progress is None or deadline <= HEARTBEAT_S:
        yield
        return
    started = time.monotonic()
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(HEARTBEAT_S):
            progress(
                f"waiting    : {label}, {time.monotonic() - started:.0f} s of the {deadline:g} s deadline"
            )

    thread = threading.Thread(target=beat, name="heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(1.0)


def _retryable(judged: Judged) -> bool:
    if judged.retry_allowed is not None:
        return judged.retry_allowed
    return judged.failure is not None and judged.failure.transient


def _attempt(
    config: GateConfig,
    session: requests.Session,
    api_key: str | None,
    body: Mapping[str, Any],
    timeout: float,
) -> Judged:
    if config.api != "chat":
        return _api_attempt(config, session, api_key, body, timeout)
    streaming = body.get("stream") is True
    tools_sent = bool(body.get("tools"))
    collector = None
    if streaming:  # a request file with stream: true (the gate's own request never streams here)
        from gate.diagnosis.stream_reader import StreamCollector

        collector = StreamCollector(time.monotonic())
    try:
        response = call(
            config,
            session,
            "POST",
            "/chat/completions",
            body=json.dumps(body).encode("utf-8"),
            api_key=api_key,
            timeout=timeout,
            sink=collector.feed if collector is not None else None,
        )
    except TransportError as error:
        return Judged.failed(of_transport(error), error.detail, latency_ms=error.elapsed_ms)
    if collector is not None and not response.body and 200 <= response.status < 300:
        judged = judge_stream(response, collector, tools_sent)  # the body went to the collector
    else:
        judged = with_structure_check(evaluate(response), tools_sent)
    return replace(judged, message=one_line(judged.message, INTAKE_LIMIT))


def _api_attempt(
    config: GateConfig,
    session: requests.Session,
    api_key: str | None,
    body: Mapping[str, Any],
    timeout: float,
) -> Judged:
    """One attempt at the Responses or Embeddings API (never streamed here: the stream check reads that)."""
    try:
        response = call(
            config,
            session,
            "POST",
            config.api_path,
            body=json.dumps(body).encode("utf-8"),
            api_key=api_key,
            timeout=timeout,
        )
    except TransportError as error:
        return Judged.failed(of_transport(error), error.detail, latency_ms=error.elapsed_ms)
    judged = evaluate_api(response, config.api)
    return replace(judged, message=one_line(judged.message, INTAKE_LIMIT))


def _exchange(judged: Judged, attempts: list[Attempt], fields: RequestFields | None) -> Exchange:
    return Exchange(
        failure=judged.failure,
        message=judged.message,
        attempts=tuple(attempts),
        http_status=judged.http_status,
        ids=judged.ids,
        latency_ms=judged.latency_ms,
        ttfb_ms=judged.ttfb_ms,
        payload=judged.payload,
        detail=judged.excerpt,
        hint=judged.hint,
        param=judged.param,
        fields=fields,
        rule=judged.rule,
    )
