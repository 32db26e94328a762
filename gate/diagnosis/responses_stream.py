"""Reading a streamed Response (--api responses --stream) as it arrives: typed events, each with its type and
sequence_number (gate/core/contract/response_stream_event.schema.json), the text reassembled from the
`response.output_text.delta` events, and `response.completed` as the end of the stream (there is no
[DONE]). A `response.failed` or `error` event is the upstream's failure. Source: openai-python
types/responses/response_stream_event.py and the Responses streaming guide.

It keeps the same facts as the chat stream's collector (gate.diagnosis.stream_reader), so the stream check
reports both alike."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gate.core.contract import violations
from gate.core.failures import FailureClass
from gate.core.jsonbody import parse_json
from gate.core.text import INTAKE_LIMIT, one_line
from gate.diagnosis.api_judge import finish_reason, refusal
from gate.http.sse import SSEParser

END_EVENTS = ("response.completed", "response.incomplete")  # either ends a stream that worked
DONE_EVENT = "response.completed"


@dataclass(eq=False)
class ResponsesStreamCollector:
    """Feeds the SSE parser as bytes arrive and keeps what the check needs; the first problem wins."""

    started: float
    parser: SSEParser = field(default_factory=SSEParser)
    first_byte_ms: float | None = None
    first_token_ms: float | None = None
    parts: list[str] = field(default_factory=list)
    chunks: int = 0  # events
    done: bool = False  # response.completed (or response.incomplete) arrived
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    model: str | None = None
    chunk_shape: set[str] = field(default_factory=set)  # the event types seen
    problem: tuple[FailureClass, str] | None = None
    refusal: str | None = None
    last_sequence: int = -1
    final: dict[str, Any] | None = None  # the Response the end event carries

    def feed(self, data: bytes) -> None:
        now = (time.monotonic() - self.started) * 1000
        if self.first_byte_ms is None:
            self.first_byte_ms = now
        for event in self.parser.feed(data):
            if self.done or self.problem is not None or event.data.strip() == "[DONE]":
                continue  # after the end event nothing counts; a [DONE] some relays add is harmless
            self._event(event.event, event.data, now)

    def _fail(self, failure: FailureClass, message: str) -> None:
        if self.problem is None:
            self.problem = (failure, message)

    def _event(self, name: str | None, data: str, now: float) -> None:
        try:
            payload = parse_json(data.encode("utf-8", "surrogatepass"))
        except ValueError:
            self._fail(
                FailureClass.PROTOCOL, f"stream event {self.chunks + 1} is not JSON: {one_line(data, 80)}"
            )
            return
        self.chunks += 1
        kind = payload.get("type") if isinstance(payload, Mapping) else None
        if name == "error" or kind == "error":
            said = payload.get("message") if isinstance(payload, Mapping) else None
            code = payload.get("code") if isinstance(payload, Mapping) else None
            text = one_line(str(said or data), INTAKE_LIMIT)
            self._fail(
                FailureClass.UPSTREAM, f"error event inside the 200 stream ({code or 'no code'}): {text}"
            )
            return
        problems = violations(payload, "response_stream_event", limit=2)
        if problems:
            self._fail(
                FailureClass.CONTRACT, f"event {self.chunks} breaks the contract: {'; '.join(problems)}"
            )
            return
        if payload["sequence_number"] <= self.last_sequence:
            self._fail(
                FailureClass.PROTOCOL,
                f"event {self.chunks} ({kind}) has sequence_number {payload['sequence_number']} after "
                f"{self.last_sequence}: events out of order",
            )
            return
        self.last_sequence = payload["sequence_number"]
        self.chunk_shape.add(str(kind))
        self._take(str(kind), payload, now)

    def _take(self, kind: str, payload: Mapping[str, Any], now: float) -> None:
        if kind == "response.output_text.delta" and payload["delta"]:
            if self.first_token_ms is None:
                self.first_token_ms = now
            self.parts.append(payload["delta"])
        elif kind == "response.refusal.delta" and isinstance(payload.get("delta"), str):
            self.refusal = (self.refusal or "") + payload["delta"]
        response = payload.get("response")
        if not isinstance(response, Mapping):
            return
        if isinstance(response.get("model"), str):
            self.model = self.model or response["model"]
        if kind == "response.failed":
            self._fail(FailureClass.UPSTREAM, f"response.failed event: {_error_message(response)}")
        elif kind in END_EVENTS:
            self._end(response)

    def _end(self, response: Mapping[str, Any]) -> None:
        """The end event's Response: the status, the usage, a refusal."""
        self.done = True
        self.final = dict(response)
        self.finish_reason = finish_reason(response)
        self.usage = response["usage"] if isinstance(response.get("usage"), dict) else None
        self.refusal = self.refusal or refusal(response)

    @property
    def text(self) -> str:
        return "".join(self.parts)


def _error_message(response: Mapping[str, Any]) -> str:
    error = response.get("error")
    said = error.get("message") if isinstance(error, Mapping) else None
    return one_line(str(said or "no message"), INTAKE_LIMIT)
