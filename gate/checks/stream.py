"""stream: the same prompt with `stream: true`, read as Server-Sent Events under the same hard deadline."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from gate.checks import RunContext, elapsed_ms
from gate.checks.answer import assert_text
from gate.classify import classify_status
from gate.client import TransportError
from gate.contract import violations
from gate.endpoint import call, completion_body
from gate.failures import FailureClass
from gate.families import shape_for
from gate.headers import request_ids
from gate.jsonbody import parse_json, try_parse
from gate.results import CheckResult, Status, Tokens
from gate.shape import shape
from gate.sse import SSEParser
from gate.text import INTAKE_LIMIT, one_line


@dataclass
class StreamCollector:
    """Feeds the SSE parser as bytes arrive and keeps what the check needs; the first problem wins."""

    started: float
    parser: SSEParser = field(default_factory=SSEParser)
    first_byte_ms: float | None = None
    first_token_ms: float | None = None
    parts: list[str] = field(default_factory=list)
    chunks: int = 0
    done: bool = False
    after_done: int = 0
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    model: str | None = None
    chunk_shape: set[str] = field(default_factory=set)
    problem: tuple[FailureClass, str] | None = None

    def feed(self, data: bytes) -> None:
        now = (time.monotonic() - self.started) * 1000
        if self.first_byte_ms is None:
            self.first_byte_ms = now
        for event in self.parser.feed(data):
            if event.event == "error":  # an `event: error` frame is an error whatever its data holds
                self._fail(
                    FailureClass.UPSTREAM,
                    f"error event inside the 200 stream: {one_line(event.data, INTAKE_LIMIT) or '(no data)'}",
                )
                continue
            self._event(event.data, now)

    def _fail(self, failure: FailureClass, message: str) -> None:
        if self.problem is None:
            self.problem = (failure, message)

    def _event(self, data: str, now: float) -> None:
        if self.done:
            self.after_done += 1
            return
        if data.strip() == "[DONE]":
            self.done = True
            return
        try:
            chunk = parse_json(data.encode("utf-8", "surrogatepass"))
        except ValueError:
            self._fail(
                FailureClass.PROTOCOL, f"stream event {self.chunks + 1} is not JSON: {one_line(data, 80)}"
            )
            return
        if isinstance(chunk, dict) and chunk.get("error") not in (None, ""):
            error = chunk["error"]
            message = error.get("message", error) if isinstance(error, dict) else error
            self._fail(
                FailureClass.UPSTREAM,
                f"error event inside the 200 stream: {one_line(str(message), INTAKE_LIMIT)}",
            )
            return
        self.chunks += 1
        problems = violations(chunk, "chat_completion_chunk", limit=2)
        if problems:
            self._fail(
                FailureClass.CONTRACT, f"chunk {self.chunks} breaks the contract: {'; '.join(problems)}"
            )
            return
        self.chunk_shape |= shape(chunk)
        self.model = self.model or chunk.get("model")
        if isinstance(chunk.get("usage"), dict):
            self.usage = chunk["usage"]
        for choice in chunk.get("choices") or []:
            content = (choice.get("delta") or {}).get("content")
            if isinstance(content, str) and content:
                if self.first_token_ms is None:
                    self.first_token_ms = now
                self.parts.append(content)
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]


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
            body=completion_body(config, shape, stream=True),
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
