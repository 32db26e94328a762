"""OpenAI's Responses API (``POST /v1/responses``): request validation, the Response object and its typed
event stream, healthy or with one of the ``responses_*`` faults.

Sources: openai/openai-python ``src/openai/types/responses/`` (``response.py``, ``response_usage.py``,
``response_stream_event.py`` and the event types it lists) and the OpenAI API reference's streaming events:
every event is ``event: <type>`` + ``data: {"type": <type>, ..., "sequence_number": n}``, the last one
``response.completed`` (``response.incomplete`` / ``response.failed``); there is no ``[DONE]``.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from gate.simulator.exchange import Exchange
from gate.simulator.responses import count_tokens, new_request_id, prompt_tokens, reply_text

REFUSAL = "I can't help with that."
FAILED_MESSAGE = "The model failed to generate a response."
STREAM_ERROR_MESSAGE = "The server had an error while processing your request. Sorry about that!"
INCOMPLETE_TOKENS = 16  # output tokens spent by responses_incomplete when the request sets no budget
SSE_HEADERS = [("Content-Type", "text/event-stream; charset=utf-8"), ("Cache-Control", "no-cache")]
#: The Responses faults (scenario ``responses_<fault>``); ``ok`` is the healthy answer.
FAULTS = ("ok", "incomplete", "refusal", "failed", "stream_error")


def validate(payload: Any) -> tuple[str, str] | None:
    """Check a Responses request body; returns ``(param, message)`` describing the problem or None."""
    if not isinstance(payload, dict):
        return "input", "Request body must be a JSON object"
    if not isinstance(payload.get("model"), str) or not payload["model"]:
        return "model", "Missing required parameter: 'model'."
    return _input_problem(payload.get("input")) or _field_problem(payload)


def _input_problem(given: Any) -> tuple[str, str] | None:
    if not given or not isinstance(given, str | list):
        return "input", "Missing required parameter: 'input' (a string or a non-empty array of items)."
    if isinstance(given, list) and not all(isinstance(item, dict) for item in given):
        return "input", "Invalid type for 'input': every item must be an object."
    return None


def _field_problem(payload: dict[str, Any]) -> tuple[str, str] | None:
    for name, kind in (("instructions", str), ("stream", bool), ("reasoning", dict)):
        if payload.get(name) is not None and not isinstance(payload[name], kind):
            return name, f"Invalid type for '{name}'."
    budget = payload.get("max_output_tokens")
    if budget is not None and (not isinstance(budget, int) or isinstance(budget, bool) or budget < 16):
        return "max_output_tokens", "Invalid 'max_output_tokens': expected an integer >= 16."
    return None


def wants_stream(payload: Any) -> bool:
    """Whether a (valid) Responses request asks for the event stream."""
    return isinstance(payload, dict) and payload.get("stream") is True


def as_messages(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The request's instructions and input items as chat-style messages (for the reply and token count)."""
    messages = [{"role": "system", "content": payload["instructions"]}] if payload.get("instructions") else []
    given = payload["input"]
    if isinstance(given, str):
        return [*messages, {"role": "user", "content": given}]
    return [*messages, *({"role": i.get("role", "user"), "content": i.get("content")} for i in given)]


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(24)}"


def _echoed(payload: dict[str, Any]) -> dict[str, Any]:
    """The request parameters a Response repeats (their defaults when the request leaves them out)."""
    effort = (
        payload.get("reasoning", {}).get("effort") if isinstance(payload.get("reasoning"), dict) else None
    )
    return {
        "instructions": payload.get("instructions"),
        "max_output_tokens": payload.get("max_output_tokens"),
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": {"effort": effort, "summary": None},
        "store": payload.get("store", True) is not False,
        "temperature": payload.get("temperature", 1.0),
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [],
        "top_p": payload.get("top_p", 1.0),
        "truncation": "disabled",
        "user": None,
        "metadata": {},
    }


def usage(input_tokens: int, output_tokens: int, reasoning_tokens: int = 0) -> dict[str, Any]:
    """A Responses ``usage`` object (``output_tokens`` includes the reasoning tokens)."""
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
        "total_tokens": input_tokens + output_tokens,
    }


def response_object(
    payload: dict[str, Any], fault: str = "ok", *, model: str | None = None, reasoning_tokens: int = 0
) -> dict[str, Any]:
    """The final Response for a valid request, as ``fault`` shapes it (``stream_error`` streams the error
    but its Response is the healthy one). ``reasoning_tokens`` are spent before the visible text; when they
    and the text do not fit ``max_output_tokens`` the Response is incomplete."""
    messages = as_messages(payload)
    text = reply_text(messages)
    budget = payload.get("max_output_tokens")
    needed = reasoning_tokens + count_tokens(text)
    if fault == "incomplete" or (budget is not None and budget < needed):
        status, text, spent = "incomplete", "", budget or INCOMPLETE_TOKENS
    else:
        status, spent = ("failed" if fault == "failed" else "completed"), needed
    part: dict[str, Any] = {"type": "output_text", "text": text, "annotations": []}
    if fault == "refusal":
        part = {"type": "refusal", "refusal": REFUSAL}
        spent = reasoning_tokens + count_tokens(REFUSAL)
    item = {"type": "message", "id": _new_id("msg"), "status": status, "role": "assistant", "content": [part]}
    body: dict[str, Any] = {
        "id": _new_id("resp"),
        "object": "response",
        "created_at": int(time.time()),
        "status": status,
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if status == "incomplete" else None,
        "model": model or payload["model"],
        "output": [item],
        **_echoed(payload),
        "usage": usage(prompt_tokens(messages), spent, min(reasoning_tokens, spent)),
    }
    if status == "failed":
        body.update(output=[], usage=None, error={"code": "server_error", "message": FAILED_MESSAGE})
    return body


def events(final: dict[str, Any], fault: str = "ok") -> list[dict[str, Any]]:
    """The typed stream of ``final``: created, in_progress, the output item's events (the text in two
    deltas), then ``response.completed`` / ``.incomplete`` / ``.failed`` carrying ``final``; with the
    ``stream_error`` fault: created, then an ``error`` event."""
    start = {**final, "status": "in_progress", "output": [], "usage": None, "error": None}
    start["incomplete_details"] = None
    out: list[dict[str, Any]] = [
        {"type": "response.created", "response": start},
        {"type": "response.in_progress", "response": start},
    ]
    if fault == "stream_error":
        error = {"type": "error", "code": "server_error", "message": STREAM_ERROR_MESSAGE, "param": None}
        return _numbered([out[0], error])
    for index, item in enumerate(final["output"]):
        out += _item_events(index, item)
    out.append({"type": f"response.{final['status']}", "response": final})
    return _numbered(out)


def _item_events(index: int, item: dict[str, Any]) -> list[dict[str, Any]]:
    """The events of one output message: added, each content part (added, deltas, done), done."""
    where = {"item_id": item["id"], "output_index": index}
    opened = {**item, "status": "in_progress", "content": []}
    out: list[dict[str, Any]] = [
        {"type": "response.output_item.added", "output_index": index, "item": opened}
    ]
    for content_index, part in enumerate(item["content"]):
        at = {**where, "content_index": content_index}
        kind = "refusal" if part["type"] == "refusal" else "output_text"
        key = "refusal" if kind == "refusal" else "text"
        text = part[key]
        out.append({"type": "response.content_part.added", **at, "part": {**part, key: ""}})
        middle = (len(text) + 1) // 2
        extra = {} if kind == "refusal" else {"logprobs": []}
        for piece in (text[:middle], text[middle:]):
            if piece:
                out.append({"type": f"response.{kind}.delta", **at, "delta": piece, **extra})
        out.append({"type": f"response.{kind}.done", **at, key: text, **extra})
        out.append({"type": "response.content_part.done", **at, "part": part})
    out.append({"type": "response.output_item.done", "output_index": index, "item": item})
    return out


def _numbered(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**event, "sequence_number": number} for number, event in enumerate(events)]


def typed_event(event: dict[str, Any]) -> bytes:
    """One ``event: <type>`` / ``data: <json>`` server-sent event."""
    return f"event: {event['type']}\ndata: {json.dumps(event, separators=(',', ':'))}\n\n".encode()


def send_events(ex: Exchange, stream: list[dict[str, Any]], headers: list[tuple[str, str]] | None) -> None:
    """200 ``text/event-stream`` (chunked): every event, then the end of the body."""
    all_headers = [*SSE_HEADERS, ("x-request-id", new_request_id()), *(headers or [])]
    if ex.start(200, all_headers, framing="chunked") and all(ex.write(typed_event(e)) for e in stream):
        ex.finish()


def answer(
    ex: Exchange,
    fault: str = "ok",
    headers: list[tuple[str, str]] | None = None,
    *,
    model: str | None = None,
    reasoning_tokens: int = 0,
) -> None:
    """Answer a valid, authorised Responses request: the Response JSON, or its event stream."""
    final = response_object(ex.payload, fault, model=model, reasoning_tokens=reasoning_tokens)
    if wants_stream(ex.payload):
        send_events(ex, events(final, fault), headers)
    else:
        ex.send_json(200, final, headers=headers or (), request_id=True)
