"""The application's own request templates: structured outputs (``response_format``) and tool calls.

Answers as OpenAI's Chat Completions API does: a ``json_schema`` response format gets a minimal instance of
its schema as the content, ``json_object`` gets ``{"answer": "pong"}``; declared ``tools`` with
``tool_choice`` ``required``, ``auto`` (the default) or a named function get one call (finish_reason
``tool_calls``, content null, arguments a minimal instance of ``parameters``), streamed the OpenAI way. Key,
body and model are checked as the ok flow does; ``GET /v1/models`` is normal; each fault misbehaves once.

The ``ok`` scenario answers the same way (:func:`service`), except that with ``tool_choice`` ``auto`` it
calls a tool only when the prompt asks for one (as a model would); a request without ``response_format`` or
``tools`` gets the ok flow's answer, byte for byte the same as before.
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

from gate.simulator.behaviours import Behaviour, complete
from gate.simulator.exchange import Exchange
from gate.simulator.responses import (
    Completion,
    completion_body,
    count_tokens,
    error_body,
    message_text,
    prompt_tokens,
    reply_text,
    validate_chat,
)
from gate.simulator.schema_instances import minimal_instance, violating_instance
from gate.simulator.streaming import stream_with_done

#: Top-level request fields of the Chat Completions spec that ``tmpl_rejects_unknown_field`` accepts.
KNOWN_FIELDS = (
    frozenset({"model", "messages", "tools", "tool_choice", "response_format", "stream", "stream_options"})
    | {"max_tokens", "max_completion_tokens", "temperature", "top_p", "n", "stop", "seed", "user", "metadata"}
    | {"reasoning_effort", "frequency_penalty", "presence_penalty", "logit_bias", "logprobs", "top_logprobs"}
    | {"parallel_tool_calls", "service_tier", "store", "modalities", "audio", "prediction"}
)
REFUSAL = "I'm sorry, I can't help with that."
UNKNOWN_TOOL = "get_wether"
JSON_OBJECT_ANSWER = {"answer": "pong"}
#: The function ``tmpl_tool_calls_unasked`` calls although the request declares no tools.
_CITY = {"type": "object", "properties": {"city": {"enum": ["Paris"]}}, "required": ["city"]}
UNASKED_TOOL = {"name": "get_weather", "parameters": _CITY}
SCHEMA_REJECTED = "Invalid value: 'json_schema'. Supported values are: 'text' and 'json_object'."
PIECE = 3  # argument characters per delta of tmpl_tools_streamed_pieces
_INVALID = "invalid_request_error"
#: Words by which a prompt asks for a tool (with tool_choice auto, the ok scenario calls one only then).
_ASKS_FOR_TOOLS = re.compile(r"\b(tools?|function)\b", re.IGNORECASE)


# -- answers -----------------------------------------------------------------------------------------


def _functions(p: dict[str, Any]) -> list[dict[str, Any]]:
    """The declared function tools (``{"name", "parameters", ...}``)."""
    tools = p.get("tools") if isinstance(p.get("tools"), list) else []
    fns = [t.get("function") for t in tools if isinstance(t, dict) and t.get("type") == "function"]
    return [f for f in fns if isinstance(f, dict) and isinstance(f.get("name"), str)]


def _asks_for_tools(p: dict[str, Any], fns: list[dict[str, Any]]) -> bool:
    """Whether the prompt asks for a tool: a message mentions tools or a declared function's name, and the
    last message is not already a tool's result (a model answers that in text)."""
    messages = [m for m in p["messages"] if isinstance(m, dict)]
    if messages and messages[-1].get("role") == "tool":
        return False
    text = " ".join(message_text(m.get("content")) for m in messages)
    return bool(_ASKS_FOR_TOOLS.search(text)) or any(
        f["name"] and f["name"].lower() in text.lower() for f in fns
    )


def _declines_tools(p: dict[str, Any]) -> bool:
    """Whether a model free to choose (``tool_choice`` ``auto``) answers in text: the prompt asks for no
    tool."""
    choice = p.get("tool_choice", "auto")
    return not isinstance(choice, dict) and choice != "required" and not _asks_for_tools(p, _functions(p))


def _to_call(p: dict[str, Any], fault: str) -> list[dict[str, Any]]:
    """The functions the answer calls ([] for a text answer), following ``tool_choice``."""
    fns = [] if fault == "tools_ignored" else _functions(p)
    choice = p.get("tool_choice", "auto")
    if not fns or choice == "none":
        return [UNASKED_TOOL] if fault == "tool_calls_unasked" and not fns else []
    if isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name")
        return [f for f in fns if f["name"] == name][:1] or fns[:1]
    if fault == "tools_streamed_pieces" and p.get("parallel_tool_calls") is not False:
        return fns[:2]
    return fns[:1]


def _call(fn: dict[str, Any], fault: str) -> dict[str, Any]:
    params = fn.get("parameters") if isinstance(fn.get("parameters"), dict) else {"type": "object"}
    value = violating_instance(params) if fault == "tools_schema_violation" else minimal_instance(params)
    arguments = json.dumps(value)
    if fault == "tools_bad_arguments":
        arguments = arguments[:-1]  # e.g. '{"city": "Paris"' -- the closing brace is lost
    name = UNKNOWN_TOOL if fault == "tools_unknown_name" else fn["name"]
    function = {"name": name, "arguments": arguments}
    return {"id": "call_" + secrets.token_hex(12), "type": "function", "function": function}


def _content(p: dict[str, Any], fault: str) -> str:
    """The text content, following ``response_format``."""
    rf = p.get("response_format")
    kind = rf.get("type") if isinstance(rf, dict) and fault != "json_schema_dropped" else None
    if kind == "json_object":
        return json.dumps(JSON_OBJECT_ANSWER)
    if kind != "json_schema":
        return reply_text(p["messages"])
    spec = rf.get("json_schema") if isinstance(rf.get("json_schema"), dict) else {}
    schema = spec.get("schema") if isinstance(spec.get("schema"), dict) else {}
    value = violating_instance(schema) if fault == "json_schema_invalid" else minimal_instance(schema)
    return json.dumps(value)


def answer(p: dict[str, Any], fault: str, when_asked: bool = False) -> tuple[dict[str, Any], str]:
    """The assistant message and finish_reason for a valid request body; with ``when_asked``, ``tool_choice``
    ``auto`` calls a tool only when the prompt asks for one."""
    if fault == "refusal":
        return {"role": "assistant", "content": None, "refusal": REFUSAL}, "stop"
    to_call = [] if when_asked and _declines_tools(p) else _to_call(p, fault)
    calls = [_call(fn, fault) for fn in to_call]
    if calls:
        return {"role": "assistant", "content": None, "tool_calls": calls}, "tool_calls"
    text = _content(p, fault)
    content: Any = [{"type": "text", "text": text}] if fault == "content_parts" else text
    return {"role": "assistant", "content": content}, "stop"


def chunks(c: Completion, message: dict[str, Any], include_usage: bool, piece: int) -> list[dict[str, Any]]:
    """The answer as ``chat.completion.chunk`` objects; text and arguments in two halves, or in pieces of
    ``piece`` characters when given."""
    base = {"id": c.id, "object": "chat.completion.chunk", "created": c.created, "model": c.model}
    base["system_fingerprint"] = c.system_fingerprint

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        out = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        return {**out, "usage": None} if include_usage else out

    def split(text: str) -> list[str]:
        size = piece or max(1, (len(text) + 1) // 2)
        return [text[i : i + size] for i in range(0, len(text), size)]

    content, deltas = message["content"], []
    if isinstance(content, str):
        deltas = [{"role": "assistant", "content": ""}, *({"content": s} for s in split(content))]
    elif content is not None:
        deltas = [{"role": "assistant"}, {"content": content}]
    elif "refusal" in message:
        deltas = [{"role": "assistant", "content": None, "refusal": ""}]
        deltas += [{"refusal": s} for s in split(message["refusal"])]
    for i, call in enumerate(message.get("tool_calls", [])):
        fn = call["function"]
        head = {"index": i, "id": call["id"], "type": "function", "function": {**fn, "arguments": ""}}
        deltas.append({**({} if i else {"role": "assistant", "content": None}), "tool_calls": [head]})
        args = split(fn["arguments"])
        deltas += [{"tool_calls": [{"index": i, "function": {"arguments": a}}]} for a in args]
    out = [chunk(d) for d in deltas] + [chunk({}, c.finish_reason)]
    return [*out, {**base, "choices": [], "usage": c.usage_dict()}] if include_usage else out


def _output_text(message: dict[str, Any]) -> str:
    calls = message.get("tool_calls", [])
    content = message["content"]
    text = content if isinstance(content, str) else json.dumps(content) if content else ""
    return text + (message.get("refusal") or "") + "".join(c["function"]["arguments"] for c in calls)


def template(fault: str = "ok", *, tools_when_asked: bool = False) -> Behaviour:
    """The request-template service, misbehaving as ``fault`` says (``ok``: not at all); with
    ``tools_when_asked``, ``tool_choice`` ``auto`` calls a tool only when the prompt asks for one."""

    def behaviour(ex: Exchange) -> None:
        if not ex.authorized or ex.endpoint == "models" or validate_chat(ex.payload):
            complete(ex)  # 401, the model list or the 400, as the ok flow answers them
            return
        p = ex.payload
        unknown = next((k for k in p if k not in KNOWN_FIELDS), None)
        if fault == "rejects_unknown_field" and unknown is not None:
            message = f"Unrecognized request argument supplied: {unknown}"
            ex.send_json(400, error_body(message, _INVALID, None, param=None))
            return
        rf = p.get("response_format")
        if fault == "json_schema_rejected" and isinstance(rf, dict) and rf.get("type") == "json_schema":
            err = error_body(SCHEMA_REJECTED, _INVALID, "invalid_value", param="response_format.type")
            ex.send_json(400, err)
            return
        if p["model"] != ex.state.model:
            complete(ex)  # the 404 model_not_found of the ok flow
            return
        message, finish = answer(p, fault, tools_when_asked)
        used = count_tokens(_output_text(message))
        c = Completion(p["model"], None, finish, prompt_tokens(p["messages"]), used)
        if ex.wants_stream:
            piece = PIECE if fault == "tools_streamed_pieces" else 0
            stream_with_done(ex, chunks(c, message, ex.include_usage, piece), None)
            return
        body = completion_body(c)
        body["choices"][0]["message"] = message
        ex.send_json(200, body, request_id=True)

    behaviour.__doc__ = f"Request templates (structured outputs, tool calls); fault: {fault}."
    return behaviour


def asks_for_more_than_text(payload: Any) -> bool:
    """Whether a request declares function tools or a JSON ``response_format``."""
    if not isinstance(payload, dict):
        return False
    rf = payload.get("response_format")
    return bool(_functions(payload)) or (isinstance(rf, dict) and rf.get("type") in _JSON_FORMATS)


_JSON_FORMATS = ("json_object", "json_schema")
_SERVICE = template("ok", tools_when_asked=True)


def service(ex: Exchange) -> None:
    """The ``ok`` scenario: a healthy model. Structured outputs and tools are answered as ``tmpl_ok`` does
    (a tool call with ``auto`` only when the prompt asks for one); any other request by the ok flow."""
    (_SERVICE if asks_for_more_than_text(ex.payload) else complete)(ex)


SCENARIOS: list[tuple[str, str, Behaviour]] = [
    (f"tmpl_{fault}", description, template(fault))
    for fault, description in (
        ("ok", "Honours response_format (json_schema/json_object) and tools/tool_choice, streams too"),
        ("json_schema_dropped", "Ignores response_format: plain text pong (a gateway dropping the field)"),
        ("json_schema_rejected", "400 invalid_value for response_format type json_schema; else honest"),
        ("json_schema_invalid", "json_schema answer lacks a required property (does not validate)"),
        ("tools_ignored", "Ignores tools and tool_choice: always the text answer, finish_reason stop"),
        ("tools_bad_arguments", "Tool call whose arguments string is truncated, invalid JSON"),
        ("tools_unknown_name", f"Tool call naming the undeclared function {UNKNOWN_TOOL}"),
        ("tools_schema_violation", "Tool call arguments lack a required property of the parameters schema"),
        ("tools_streamed_pieces", "Tool calls streamed in 3-character argument pieces, 2 calls for 2 tools"),
        ("refusal", "Content null with a refusal message, finish_reason stop"),
        ("content_parts", 'Content as a list of parts [{"type":"text","text":...}] instead of a string'),
        ("tool_calls_unasked", "Answers tool_calls (content null) to a request without tools"),
        ("rejects_unknown_field", "400 Unrecognized request argument for any non-spec top-level field"),
    )
]
