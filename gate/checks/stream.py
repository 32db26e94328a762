"""stream: the same prompt with `stream: true`, read as Server-Sent Events under the same hard deadline (chat
chunks ending in [DONE], or with --api responses the typed events ending in response.completed)."""

from __future__ import annotations

import json
import time
from functools import partial
from typing import Any

from gate.checks import RunContext, elapsed_ms
from gate.checks.answer import assert_text
from gate.checks.results import CheckResult, Status, StreamFacts, Tokens
from gate.core.failures import FailureClass
from gate.core.jsonbody import try_parse
from gate.core.text import one_line
from gate.diagnosis.classify import classify_status
from gate.diagnosis.stream_reader import StreamCollector
from gate.http.client import HttpResponse, TransportError
from gate.http.endpoint import call, request_body
from gate.http.headers import request_ids
from gate.http.model_families import fields_for


def check_stream(ctx: RunContext) -> CheckResult:
    config = ctx.config
    started = time.monotonic()
    collector = _collector(config.api, started)
    fields = ctx.state.request_fields or fields_for(config)
    try:
        response = call(
            config,
            ctx.session,
            "POST",
            config.api_path,
            body=json.dumps(request_body(config, fields, stream=True)).encode("utf-8"),
            sink=collector.feed,
        )
    except TransportError as error:
        stalled = " (the stream stalled)" if collector.first_byte_ms is not None else ""
        return _result(started, collector, Status.FAIL, f"{error.message}{stalled}", error.failure_class)
    rid = request_ids(response.headers).primary
    failure = classify_status(response, try_parse(response.body), config.api)  # empty body unless no stream
    if failure is not None:
        rid = failure.request_ids.primary or rid
        return _result(
            started,
            collector,
            Status.FAIL,
            failure.message,
            failure.failure_class,
            response=response,
            rid=rid,
            hint=failure.hint,
        )
    seen = partial(_result, started, collector, response=response, rid=rid, ttfb=True)
    content_type = response.headers.get("content-type", "none")
    if "text/event-stream" not in content_type.lower():
        message = (
            f"stream: true was answered with content-type {one_line(content_type, 60)}, not text/event-stream"
        )
        return seen(Status.FAIL, message, FailureClass.PROTOCOL)
    if collector.problem is not None:
        failure_class, message = collector.problem
        return seen(Status.FAIL, message, failure_class)
    if not collector.done:
        message = f"the stream ended after {collector.chunks} {_end(config.api)}"
        return seen(Status.FAIL, message, FailureClass.PROTOCOL)
    text = "".join(collector.parts)
    failure_class, message = assert_text(
        config, text, collector.finish_reason, collector.usage, fields.max_tokens
    )
    if failure_class is not None:
        return seen(Status.FAIL, f"streamed text: {message}", failure_class)
    ttft = f", first token {collector.first_token_ms:.0f} ms" if collector.first_token_ms is not None else ""
    ending = "events + response.completed" if config.api == "responses" else "chunks + [DONE]"
    summary = f"{collector.chunks} {ending}, first byte {response.ttfb_ms:.0f} ms{ttft}; {message}"
    return seen(Status.PASS, summary, None, tokens=Tokens.of(collector.usage))


def _collector(api: str, started: float) -> StreamCollector:
    """The reader of the API's stream: chat chunks and [DONE], or the Responses API's typed events."""
    if api == "responses":
        from gate.diagnosis.responses_stream import ResponsesStreamCollector

        return ResponsesStreamCollector(started)  # type: ignore[return-value]  # the same facts, duck-typed
    return StreamCollector(started)


def _end(api: str) -> str:
    if api == "responses":
        return "event(s) without response.completed (the Responses API's end of stream)"
    return "chunk(s) without data: [DONE]"


def _result(
    started: float,
    collector: StreamCollector,
    status: Status,
    message: str,
    failure: FailureClass | None,
    *,
    response: HttpResponse | None = None,
    rid: str | None = None,
    hint: str | None = None,
    ttfb: bool = False,
    tokens: Tokens | None = None,
) -> CheckResult:
    """The stream check's result: the facts read so far, typed and (as the report's details) for display."""
    facts = StreamFacts(
        chunks=collector.chunks,
        done=collector.done,
        comments=collector.parser.comments,
        first_byte_ms=_ms(collector.first_byte_ms),
        first_token_ms=_ms(collector.first_token_ms),
        finish_reason=collector.finish_reason,
        usage=collector.usage,
        model=collector.model,
        shape=tuple(sorted(collector.chunk_shape)),
        ttfb_ms=round(response.ttfb_ms, 1) if ttfb and response is not None else None,
    )
    status_code = response.status if response is not None else None
    details: dict[str, Any] = {
        "request_id": rid,
        "chunks": facts.chunks,
        "done": facts.done,
        "comments": facts.comments,
        "first_byte_ms": facts.first_byte_ms,
        "first_token_ms": facts.first_token_ms,
        "finish_reason": facts.finish_reason,
        "usage": facts.usage,
        "response_model": facts.model,
        "chunk_shape": list(facts.shape),
    }
    if response is not None:
        details["http_status"] = status_code
    if facts.ttfb_ms is not None:
        details["ttfb_ms"] = facts.ttfb_ms
    return CheckResult(
        id="stream",
        status=status,
        message=message,
        duration_ms=elapsed_ms(started),
        failure_class=failure,
        hint=hint,
        request_ids=(rid,) if rid else (),
        tokens=tokens,
        http_status=status_code,
        facts=facts,
        details=details,
    )


def _ms(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None
