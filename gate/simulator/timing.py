"""Faults in time and framing: answers that come slowly, drip, stall, never end or never come.

Each waits through `Exchange.wait` / `hold`, so stopping the simulator (or the client going away) ends it
at once.
"""

from __future__ import annotations

from gate.simulator.behaviours import Behaviour, ok
from gate.simulator.exchange import Exchange
from gate.simulator.responses import (
    Completion,
    completion_body,
    json_bytes,
    new_request_id,
    padded_json,
    sse_event,
    stream_chunks,
)
from gate.simulator.streaming import SSE_HEADERS


def slow_ok(ex: Exchange) -> None:
    """Say nothing for ``slow_seconds`` (until stop / client gone), then ok."""
    if not ex.wait(ex.state.slow_seconds):
        ok(ex)


def latency_ok(ex: Exchange) -> None:
    """Sleep 0.1 s, then ok."""
    if not ex.wait(0.1):
        ok(ex)


def _ok_body(ex: Exchange) -> bytes:
    c = Completion(model=ex.state.model, content="pong", prompt_tokens=9)
    return json_bytes(completion_body(c))


def drip(ex: Exchange) -> None:
    """A valid ok body (with Content-Length) written one byte per ``drip_interval``."""
    body = _ok_body(ex)
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    if not ex.start(200, [*headers, ("x-request-id", new_request_id())]):
        return
    for i in range(len(body)):
        if not ex.write(body[i : i + 1]) or (i + 1 < len(body) and ex.wait(ex.state.drip_interval)):
            return


def stall_body(ex: Exchange) -> None:
    """Promise 500 bytes, send none."""
    if ex.start(200, [("Content-Type", "application/json"), ("Content-Length", "500")]):
        ex.hold()
    ex.abort()


def stream_stall(ex: Exchange) -> None:
    """Stream: the role chunk, then nothing until stop / client gone; non-stream: :func:`stall_body`."""
    if not ex.wants_stream:
        return stall_body(ex)
    role_chunk = stream_chunks(Completion(model=ex.state.model, content="pong"), False)[0]
    headers = [*SSE_HEADERS, ("x-request-id", new_request_id())]
    if ex.start(200, headers, framing="chunked") and ex.write(sse_event(role_chunk)):
        ex.hold()
    ex.abort()
    return None


def huge(chunked: bool) -> Behaviour:
    """``huge_bytes`` of padded JSON, with Content-Length or chunked; gives up quietly on disconnect."""

    def behaviour(ex: Exchange) -> None:
        headers = [("Content-Type", "application/json")]
        if not chunked:
            headers.append(("Content-Length", str(ex.state.huge_bytes)))
        if not ex.start(200, headers, framing="chunked" if chunked else "length"):
            return
        for piece in padded_json(ex.state.huge_bytes):
            if ex.state.stop.is_set() or not ex.write(piece):
                ex.abort()
                return
        ex.finish()

    return behaviour


def disconnect(ex: Exchange) -> None:
    """Close the connection without answering."""
    ex.abort()
