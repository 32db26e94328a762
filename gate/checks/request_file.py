"""structured-output, tool-calls and usage-chunk: what the application's request implies, checked on the
answer; or, with --check-structured-output / --check-tools, the same on a tiny request of the gate's own.

- structured-output: with `response_format: json_schema` the content parses as JSON and validates against
  that schema (plain text where JSON was asked means the gateway dropped the field: said so); with
  `json_object` it parses.
- tool-calls: each call names a declared tool and its arguments parse as JSON and validate against that
  tool's parameters; a `tool_choice` that forces a tool answered with plain text fails. Streamed calls are
  reassembled first (gate.diagnosis.stream_reader).
- usage-chunk: with `stream_options.include_usage`, the final usage chunk arrived.
All fail with class contract: the application's parser would break on the answer too.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from gate.checks import RunContext, elapsed_ms
from gate.checks.answer import exchange_result
from gate.checks.exchange import Exchange, exchange
from gate.checks.results import CheckResult, Status, Tokens
from gate.core.contract import readable
from gate.core.failures import FailureClass
from gate.core.text import one_line
from gate.http.endpoint import completion_body
from gate.http.model_families import fields_for

_ANSWER = {
    "type": "object",
    "properties": {"answer": {"type": "string"}},
    "required": ["answer"],
    "additionalProperties": False,
}
STRUCTURED_PROBE = {
    "response_format": {
        "type": "json_schema",
        "json_schema": {"name": "smoke_answer", "strict": True, "schema": _ANSWER},
    }
}
TOOLS_PROBE = {
    "tools": [
        {
            "type": "function",
            "function": {
                "name": "record_answer",
                "description": "Record the answer to the user's message.",
                "parameters": _ANSWER,
                "strict": True,
            },
        }
    ],
    "tool_choice": "required",
}


def _message(payload: Mapping[str, Any] | None) -> Mapping[str, Any]:
    choices = (payload or {}).get("choices")
    first = choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], Mapping) else {}
    message = first.get("message")
    return message if isinstance(message, Mapping) else {}


def _errors(schema: Mapping[str, Any], instance: Any) -> list[str]:
    from jsonschema import Draft202012Validator

    found = sorted(Draft202012Validator(schema).iter_errors(instance), key=lambda e: list(map(str, e.path)))
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {one_line(readable(e), 160, words=True)}"
        for e in found[:3]
    ]


def examine_structured(
    payload: Mapping[str, Any] | None, response_format: Mapping[str, Any]
) -> tuple[FailureClass | None, str]:
    kind = response_format.get("type")
    content = _message(payload).get("content")
    if not isinstance(content, str) or not content.strip():
        return (
            FailureClass.CONTRACT,
            f"response_format {kind} asked for JSON, but the answer has no text content",
        )
    try:
        document = json.loads(content)
    except ValueError:
        return FailureClass.CONTRACT, (
            f"response_format {kind} asked for JSON, but the content is plain text "
            f"('{one_line(content, 80)}'): the gateway or the model dropped response_format"
        )
    spec = response_format.get("json_schema") if kind == "json_schema" else None
    schema = spec.get("schema") if isinstance(spec, Mapping) else None
    if not isinstance(schema, Mapping):
        return None, f"the content is JSON, as response_format {kind} asks"
    name = spec.get("name") if isinstance(spec, Mapping) else "schema"
    problems = _errors(schema, document)
    if problems:
        return (
            FailureClass.CONTRACT,
            f"the content does not validate against json_schema '{name}': {'; '.join(problems)}",
        )
    return None, f"the content is JSON that validates against json_schema '{name}'"


def examine_tool_calls(
    payload: Mapping[str, Any] | None, tools: list[Mapping[str, Any]], forced: str | None
) -> tuple[FailureClass | None, str]:
    declared = {
        str(t["function"].get("name")): t["function"].get("parameters") or {}
        for t in tools
        if isinstance(t.get("function"), Mapping)
    }
    calls = _message(payload).get("tool_calls") or []
    if not calls:
        if forced is None:
            return None, "the model answered in text (tool_choice lets it)"
        what = "a tool call" if forced == "required" else f"a call of {forced}"
        return FailureClass.CONTRACT, (
            f"tool_choice forces {what}, but the answer is plain text: the gateway or the model dropped "
            "tools or tool_choice"
        )
    names = []
    for number, call in enumerate(calls, start=1):
        function = (call.get("function") if isinstance(call, Mapping) else None) or {}
        names.append(str(function.get("name")))
        problem = _call_problem(number, function, declared)
        if problem is not None:
            return FailureClass.CONTRACT, problem
    if forced not in (None, "required") and forced not in names:
        return FailureClass.CONTRACT, f"tool_choice forces {forced}, but the answer calls {', '.join(names)}"
    return None, f"{len(calls)} tool call(s) ({', '.join(names)}), each declared, arguments valid"


def _call_problem(number: int, function: Mapping[str, Any], declared: Mapping[str, Any]) -> str | None:
    """What is wrong with one tool call: an undeclared name, arguments that are not JSON or break the
    tool's parameters schema; None when nothing is."""
    name = str(function.get("name"))
    if name not in declared:
        return f"tool call {number} names '{one_line(name, 64)}', which the request did not declare"
    arguments = function.get("arguments")
    try:
        parsed = json.loads(arguments) if isinstance(arguments, str) else None
    except ValueError:
        parsed = None
    if parsed is None and arguments != "null":
        return f"the arguments of tool call {number} ({name}) are not JSON: '{one_line(str(arguments), 80)}'"
    problems = _errors(declared[name], parsed) if declared[name] else []
    if problems:
        return f"the arguments of tool call {number} ({name}) break its parameters schema: " + "; ".join(
            problems
        )
    return None


def _probe(ctx: RunContext, extra: Mapping[str, Any], label: str) -> Exchange:
    config = ctx.config
    fields = ctx.state.request_fields or fields_for(config)
    body = {**completion_body(config, fields), **extra}
    return exchange(
        config, ctx.session, body=body, rng=ctx.rng, sleep=ctx.sleep, progress=ctx.progress, label=label
    )


def _result(
    check_id: str, started: float, ex: Exchange | None, verdict: tuple[FailureClass | None, str]
) -> CheckResult:
    failure, message = verdict
    status = Status.FAIL if failure is not None else Status.PASS
    if ex is not None:  # the check's own probe
        return exchange_result(
            check_id, status, message, ex, duration_ms=elapsed_ms(started), failure_class=failure
        )
    return CheckResult(
        id=check_id, status=status, message=message, duration_ms=elapsed_ms(started), failure_class=failure
    )


def check_structured_output(ctx: RunContext) -> CheckResult:
    started = time.monotonic()
    request_file = ctx.config.request_file
    if request_file is not None and request_file.response_format is not None:
        return _result(
            "structured-output",
            started,
            None,
            examine_structured(_payload(ctx), request_file.response_format),
        )
    ex = _probe(ctx, STRUCTURED_PROBE, "structured-output")
    if not ex.ok:
        return _result("structured-output", started, ex, (ex.failure, ex.message))
    return _result(
        "structured-output", started, ex, examine_structured(ex.payload, STRUCTURED_PROBE["response_format"])
    )


def check_tool_calls(ctx: RunContext) -> CheckResult:
    started = time.monotonic()
    request_file = ctx.config.request_file
    if request_file is not None and request_file.tools:
        verdict = examine_tool_calls(_payload(ctx), request_file.tools, request_file.forced_tool)
        return _result("tool-calls", started, None, verdict)
    ex = _probe(ctx, TOOLS_PROBE, "tool-calls")
    if not ex.ok:
        return _result("tool-calls", started, ex, (ex.failure, ex.message))
    return _result(
        "tool-calls", started, ex, examine_tool_calls(ex.payload, TOOLS_PROBE["tools"], "required")
    )


def check_usage_chunk(ctx: RunContext) -> CheckResult:
    started = time.monotonic()
    usage = (_payload(ctx) or {}).get("usage")
    if isinstance(usage, Mapping):
        return _result(
            "usage-chunk",
            started,
            None,
            (None, f"the final usage chunk arrived ({Tokens.of(usage).total} tokens)"),
        )
    return _result(
        "usage-chunk",
        started,
        None,
        (
            FailureClass.CONTRACT,
            "stream_options.include_usage was sent, but no usage chunk arrived before [DONE]",
        ),
    )


def _payload(ctx: RunContext) -> Mapping[str, Any] | None:
    ex = ctx.state.first_exchange
    assert ex is not None, "planned after the completion check passed"
    return ex.payload
