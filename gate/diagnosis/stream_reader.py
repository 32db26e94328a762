"""Reading a Server-Sent Events completion as it arrives: timings, contract per chunk, the text, a refusal
and tool calls reassembled across chunks (index, id, arguments split into pieces), and the usage chunk."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from gate.core.contract import violations
from gate.core.failures import FailureClass
from gate.core.jsonbody import parse_json
from gate.core.text import INTAKE_LIMIT, one_line
from gate.diagnosis.field_paths import shape
from gate.http.sse import SSEParser


@dataclass(eq=False)
class StreamCollector:
    """Feeds the SSE parser as bytes arrive and keeps what the check needs; the first problem wins."""

    started: float
    parser: SSEParser = field(default_factory=SSEParser)
    first_byte_ms: float | None = None
    first_token_ms: float | None = None
    parts: list[str] = field(default_factory=list)
    chunks: int = 0
    done: bool = False
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    model: str | None = None
    chunk_shape: set[str] = field(default_factory=set)
    problem: tuple[FailureClass, str] | None = None
    chunk_id: str | None = None
    refusal: str | None = None
    tool_calls: dict[Any, dict[str, Any]] = field(default_factory=dict)

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
        """One event's data: [DONE] ends the stream (anything after it is ignored), else a chunk."""
        if self.done:
            return
        if data.strip() == "[DONE]":
            self.done = True
            return
        chunk = self._chunk(data)
        if chunk is not None:
            self._take(chunk, now)

    def _chunk(self, data: str) -> dict[str, Any] | None:
        """The event as a chunk that meets the contract, or None with the problem recorded."""
        try:
            chunk = parse_json(data.encode("utf-8", "surrogatepass"))
        except ValueError:
            self._fail(
                FailureClass.PROTOCOL, f"stream event {self.chunks + 1} is not JSON: {one_line(data, 80)}"
            )
            return None
        if isinstance(chunk, dict) and chunk.get("error") not in (None, ""):
            error = chunk["error"]
            message = error.get("message", error) if isinstance(error, dict) else error
            self._fail(
                FailureClass.UPSTREAM,
                f"error event inside the 200 stream: {one_line(str(message), INTAKE_LIMIT)}",
            )
            return None
        if _filter_annotation(chunk):
            return None
        self.chunks += 1
        problems = violations(chunk, "chat_completion_chunk", limit=2)
        if problems:
            self._fail(
                FailureClass.CONTRACT, f"chunk {self.chunks} breaks the contract: {'; '.join(problems)}"
            )
            return None
        return chunk

    def _take(self, chunk: dict[str, Any], now: float) -> None:
        """Keep what the check needs from a valid chunk: model, id, usage, and each choice's delta."""
        self.chunk_shape |= shape(chunk)
        self.model = self.model or chunk.get("model")
        if isinstance(chunk.get("usage"), dict):
            self.usage = chunk["usage"]
        self.chunk_id = self.chunk_id or chunk.get("id")
        for choice in chunk.get("choices") or []:
            self._delta(choice.get("delta") or {}, now)
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]

    def _delta(self, delta: dict[str, Any], now: float) -> None:
        content = delta.get("content")
        if isinstance(content, str) and content:
            if self.first_token_ms is None:
                self.first_token_ms = now
            self.parts.append(content)
        if isinstance(delta.get("refusal"), str):
            self.refusal = (self.refusal or "") + delta["refusal"]
        for call in delta.get("tool_calls") or []:
            self._tool_call(call, now)

    def _tool_call(self, delta: Any, now: float) -> None:
        """Reassemble a streamed tool call: the first delta of an index carries id, type and name; later
        ones only pieces of the arguments."""
        if not isinstance(delta, dict):
            return
        index = delta.get("index", 0)
        call = self.tool_calls.setdefault(
            index, {"id": None, "type": "function", "name": "", "arguments": ""}
        )
        if self.first_token_ms is None:
            self.first_token_ms = now
        call["id"] = delta.get("id") or call["id"]
        call["type"] = delta.get("type") or call["type"]
        function = delta.get("function") or {}
        if isinstance(function, dict):
            call["name"] += function.get("name") or ""
            call["arguments"] += function.get("arguments") or ""

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def as_completion(self) -> dict[str, Any]:
        """The stream as the chat.completion a non-streaming request would have returned."""
        calls = [
            {"id": c["id"], "type": c["type"], "function": {"name": c["name"], "arguments": c["arguments"]}}
            for _, c in sorted(self.tool_calls.items(), key=lambda item: str(item[0]))
        ]
        message: dict[str, Any] = {"role": "assistant", "content": self.text if self.parts else None}
        if calls:
            message["tool_calls"] = calls
        if self.refusal is not None:
            message["refusal"] = self.refusal
        body: dict[str, Any] = {
            "id": self.chunk_id or "stream",
            "object": "chat.completion",
            "created": 0,
            "model": self.model or "",
            "choices": [{"index": 0, "message": message, "finish_reason": self.finish_reason}],
        }
        if self.usage is not None:
            body["usage"] = self.usage
        return body


def _filter_annotation(chunk: Any) -> bool:
    """Azure OpenAI's content-filter events: empty `id` and `object`, and the prompt's verdict
    (`prompt_filter_results`, `prompt_annotations` before 2023-10) or, with asynchronous filtering, the
    completion's (`content_filter_offsets`). Documented, carrying no text: skipped, not a broken chunk."""
    if not (isinstance(chunk, dict) and chunk.get("id") == "" and chunk.get("object") == ""):
        return False
    choices = chunk.get("choices")
    offsets = isinstance(choices, list) and any(
        isinstance(c, dict) and "content_filter_offsets" in c for c in choices
    )
    return offsets or "prompt_filter_results" in chunk or "prompt_annotations" in chunk
