"""stream: the same prompt with `stream: true`, read as Server-Sent Events under the same hard deadline."""

from __future__ import annotations

import json
import time
from typing import Any

from gate.checks import RunContext, elapsed_ms
from gate.checks.answer import assert_text
from gate.checks.results import CheckResult, Status, Tokens
from gate.core.failures import FailureClass
from gate.core.jsonbody import try_parse
from gate.core.text import one_line
from gate.diagnosis.classify import classify_status
from gate.diagnosis.stream_reader import StreamCollector
from gate.http.client import TransportError
from gate.http.endpoint import call, completion_body
from gate.http.headers import request_ids
from gate.http.model_families import shape_for


def check_stream(ctx: RunContext) -> CheckResult:
    config = ctx.config
    started = time.monotonic()
    collector = StreamCollector(started)
    shape = ctx.state.request_shape or shape_for(config)
    try:
        response = call(
            config,
            ctx.session,
            "POST",
            "/chat/completions",
            body=json.dumps(completion_body(config, shape, stream=True)).encode("utf-8"),
            sink=collector.feed,
        )
    except TransportError as error:
        stalled = " (the stream stalled)" if collector.first_byte_ms is not None else ""
        return CheckResult(
            "stream",
            Status.FAIL,
            f"{error.message}{stalled}",
            elapsed_ms(started),
            error.failure_class,
            _details(collector, None),
        )
    rid = request_ids(response.headers).primary
    failure = classify_status(response, try_parse(response.body))  # the body is empty unless not a stream
    if failure is not None:
        return CheckResult(
            "stream",
            Status.FAIL,
            failure.message,
            elapsed_ms(started),
            failure.failure_class,
            {**_details(collector, failure.request_ids.primary or rid), "http_status": response.status},
            hint=failure.hint,
        )
    details = {
        **_details(collector, rid),
        "http_status": response.status,
        "ttfb_ms": round(response.ttfb_ms, 1),
    }
    content_type = response.headers.get("content-type", "none")
    if "text/event-stream" not in content_type.lower():
        return CheckResult(
            "stream",
            Status.FAIL,
            f"stream: true was answered with content-type {one_line(content_type, 60)}, "
            "not text/event-stream",
            elapsed_ms(started),
            FailureClass.PROTOCOL,
            details,
        )
    if collector.problem is not None:
        failure_class, message = collector.problem
        return CheckResult("stream", Status.FAIL, message, elapsed_ms(started), failure_class, details)
    if not collector.done:
        return CheckResult(
            "stream",
            Status.FAIL,
            f"the stream ended after {collector.chunks} chunk(s) without data: [DONE]",
            elapsed_ms(started),
            FailureClass.PROTOCOL,
            details,
        )
    text = "".join(collector.parts)
    failure_class, message = assert_text(
        config, text, collector.finish_reason, collector.usage, shape.max_tokens
    )
    if failure_class is not None:
        return CheckResult(
            "stream", Status.FAIL, f"streamed text: {message}", elapsed_ms(started), failure_class, details
        )
    ttft = f", first token {collector.first_token_ms:.0f} ms" if collector.first_token_ms is not None else ""
    summary = f"{collector.chunks} chunks + [DONE], first byte {response.ttfb_ms:.0f} ms{ttft}; {message}"
    return CheckResult(
        "stream", Status.PASS, summary, elapsed_ms(started), None, details, tokens=Tokens.of(collector.usage)
    )


def _details(collector: StreamCollector, rid: str | None) -> dict[str, Any]:
    return {
        "request_id": rid,
        "chunks": collector.chunks,
        "done": collector.done,
        "comments": collector.parser.comments,
        "first_byte_ms": round(collector.first_byte_ms, 1) if collector.first_byte_ms is not None else None,
        "first_token_ms": round(collector.first_token_ms, 1)
        if collector.first_token_ms is not None
        else None,
        "finish_reason": collector.finish_reason,
        "usage": collector.usage,
        "response_model": collector.model,
        "chunk_shape": sorted(collector.chunk_shape),
    }
