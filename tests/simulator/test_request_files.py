"""The request-template scenarios of the simulator (gate/simulator/request_files.py): structured outputs and
tool calls answered from the request body, and the faults around them, over real sockets."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest
import requests

from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL, Simulator
from gate.simulator import request_files as sim_request_files
from gate.simulator import scenarios as registry
from gate.simulator.scenarios import Scenario

AUTH = {"Authorization": f"Bearer {DEFAULT_API_KEY}"}
MESSAGES = [{"role": "user", "content": "Reply with exactly the word: pong"}]
CALL_ID = re.compile(r"^call_[0-9a-f]+$")
INVALID = "invalid_request_error"
ADDRESS = {
    "type": "object",
    "properties": {"street": {"type": "string"}, "zip": {"type": "string", "minLength": 5}},
    "required": ["street", "zip"],
    "additionalProperties": False,
}
PERSON = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer", "minimum": 18},
        "score": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
        "active": {"type": "boolean"},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "role": {"type": "string", "enum": ["admin", "user"]},
        "kind": {"const": "person"},
        "nickname": {"type": ["string", "null"]},
        "address": ADDRESS,
        "friends": {"type": "array", "items": {"$ref": "#/$defs/friend"}},
    },
    "required": ["name", "age", "score", "active", "tags", "role", "kind", "nickname", "address", "friends"],
    "additionalProperties": False,
    "$defs": {"friend": {"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]}},
}
SCHEMAS = [PERSON, ADDRESS, {"type": "array", "items": {"type": "number"}}, {"type": "string", "enum": ["x"]}]
WEATHER = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        "days": {"type": "integer", "minimum": 1, "maximum": 7},
    },
    "required": ["city", "unit", "days"],
    "additionalProperties": False,
}
TIME = {"type": "object", "properties": {"zone": {"type": "string"}}, "required": ["zone"]}


PARAMS = {"get_weather": WEATHER, "get_time": TIME}
TOOLS = [{"type": "function", "function": {"name": n, "parameters": p}} for n, p in PARAMS.items()]
NAMED = {"type": "function", "function": {"name": "get_time"}}


def json_schema(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema, "strict": True}}


@pytest.fixture(autouse=True)
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, description, behaviour in sim_request_files.SCENARIOS:
        monkeypatch.setitem(registry.SCENARIOS, name, Scenario(name, description, behaviour))


def post(sim: Simulator, session: requests.Session, name: str, headers: Any = None, **fields: Any) -> Any:
    body = {"model": DEFAULT_MODEL, "messages": MESSAGES, **fields}
    url = sim.url_for(name) + "/v1/chat/completions"
    return session.post(url, json=body, headers=AUTH if headers is None else headers, timeout=5)


def message(sim: Simulator, session: requests.Session, name: str, **fields: Any) -> tuple[Any, str]:
    """The assistant message and finish_reason of a 200 non-streamed completion (usage checked)."""
    r = post(sim, session, name, **fields)
    assert r.status_code == 200, r.text
    body = r.json()
    usage = body["usage"]
    assert usage["prompt_tokens"] >= 1 and usage["completion_tokens"] >= 1
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    [choice] = body["choices"]
    return choice["message"], choice["finish_reason"]


def stream(sim: Simulator, session: requests.Session, name: str, **fields: Any) -> list[dict[str, Any]]:
    """The chunks of a streamed completion (ending with ``data: [DONE]``)."""
    r = post(sim, session, name, stream=True, **fields)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/event-stream")
    data = [line[6:] for line in r.text.split("\n") if line.startswith("data: ")]
    assert data[-1] == "[DONE]"
    return [json.loads(d) for d in data[:-1]]


def reassemble(chunks: list[dict[str, Any]]) -> tuple[dict[int, dict[str, Any]], list[str]]:
    """Streamed tool calls by index, checking the OpenAI delta shapes, and every argument piece."""
    calls: dict[int, dict[str, Any]] = {}
    pieces: list[str] = []
    for chunk in chunks:
        for choice in chunk["choices"]:
            for delta in choice["delta"].get("tool_calls", []):
                if delta["index"] not in calls:
                    assert set(delta) == {"index", "id", "type", "function"}
                    assert delta["type"] == "function" and CALL_ID.match(delta["id"])
                    assert delta["function"]["arguments"] == ""
                    calls[delta["index"]] = {"id": delta["id"], **delta["function"]}
                else:
                    assert set(delta) == {"index", "function"} and set(delta["function"]) == {"arguments"}
                    calls[delta["index"]]["arguments"] += delta["function"]["arguments"]
                    pieces.append(delta["function"]["arguments"])
    return calls, pieces


def finish_reasons(chunks: list[dict[str, Any]]) -> list[str | None]:
    return [ch["choices"][0]["finish_reason"] for ch in chunks if ch["choices"]]


def test_every_scenario_is_tested() -> None:
    faults = {"json_schema_dropped", "json_schema_rejected", "json_schema_invalid", "tools_ignored"}
    faults |= {"tools_bad_arguments", "tools_unknown_name", "tools_schema_violation", "tools_streamed_pieces"}
    faults |= {"refusal", "content_parts", "tool_calls_unasked", "rejects_unknown_field", "ok"}
    assert {name for name, _, _ in sim_request_files.SCENARIOS} == {f"tmpl_{f}" for f in faults}
    for _, description, behaviour in sim_request_files.SCENARIOS:
        assert description and "\n" not in description and callable(behaviour)


@pytest.mark.parametrize("name", [name for name, _, _ in sim_request_files.SCENARIOS])
def test_key_model_and_models_list(sim: Simulator, session: requests.Session, name: str) -> None:
    assert post(sim, session, name, headers={"Authorization": "Bearer sk-wrong"}).status_code == 401
    r = post(sim, session, name, model="no-such-model")
    assert r.status_code == 404 and r.json()["error"]["code"] == "model_not_found"
    r = session.get(sim.url_for(name) + "/v1/models", headers=AUTH, timeout=5)
    assert r.status_code == 200 and DEFAULT_MODEL in [m["id"] for m in r.json()["data"]]


@pytest.mark.parametrize("schema", SCHEMAS, ids=["person", "address", "array", "enum"])
def test_ok_json_schema_validates(sim: Simulator, session: requests.Session, schema: Any) -> None:
    msg, finish = message(sim, session, "tmpl_ok", response_format=json_schema(schema))
    assert finish == "stop" and "tool_calls" not in msg
    jsonschema.validate(json.loads(msg["content"]), schema)


def test_ok_json_object_and_text(sim: Simulator, session: requests.Session) -> None:
    msg, _ = message(sim, session, "tmpl_ok", response_format={"type": "json_object"})
    assert json.loads(msg["content"]) == {"answer": "pong"}
    assert message(sim, session, "tmpl_ok") == ({"role": "assistant", "content": "pong"}, "stop")
    answer = message(sim, session, "tmpl_ok", tools=TOOLS, tool_choice="none")
    assert answer == ({"role": "assistant", "content": "pong"}, "stop")


@pytest.mark.parametrize(
    ("choice", "expected"),
    [("required", "get_weather"), ("auto", "get_weather"), (None, "get_weather"), (NAMED, "get_time")],
)
def test_ok_tool_call(sim: Simulator, session: requests.Session, choice: Any, expected: str) -> None:
    fields = {"tools": TOOLS} if choice is None else {"tools": TOOLS, "tool_choice": choice}
    msg, finish = message(sim, session, "tmpl_ok", **fields)
    assert finish == "tool_calls" and msg["content"] is None
    [call] = msg["tool_calls"]
    assert set(call) == {"id", "type", "function"} and call["type"] == "function"
    assert CALL_ID.match(call["id"]) and call["function"]["name"] == expected
    jsonschema.validate(json.loads(call["function"]["arguments"]), PARAMS[expected])


def test_ok_streamed_tool_call_with_usage(sim: Simulator, session: requests.Session) -> None:
    chunks = stream(sim, session, "tmpl_ok", tools=TOOLS, stream_options={"include_usage": True})
    calls, _ = reassemble(chunks)
    assert list(calls) == [0] and calls[0]["name"] == "get_weather"
    jsonschema.validate(json.loads(calls[0]["arguments"]), WEATHER)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert finish_reasons(chunks) == [None] * (len(chunks) - 2) + ["tool_calls"]
    assert chunks[-1]["choices"] == []
    usage = chunks[-1]["usage"]
    assert usage["completion_tokens"] >= 1
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert all(ch["usage"] is None for ch in chunks[:-1])


def test_ok_streamed_json_schema(sim: Simulator, session: requests.Session) -> None:
    chunks = stream(sim, session, "tmpl_ok", response_format=json_schema(PERSON))
    assert all(ch["choices"] and "usage" not in ch for ch in chunks)  # no include_usage: no usage chunk
    content = "".join(ch["choices"][0]["delta"].get("content") or "" for ch in chunks)
    jsonschema.validate(json.loads(content), PERSON)
    assert finish_reasons(chunks)[-1] == "stop"


def test_json_schema_dropped(sim: Simulator, session: requests.Session) -> None:
    msg, finish = message(sim, session, "tmpl_json_schema_dropped", response_format=json_schema(PERSON))
    assert (msg, finish) == ({"role": "assistant", "content": "pong"}, "stop")


def test_json_schema_rejected(sim: Simulator, session: requests.Session) -> None:
    r = post(sim, session, "tmpl_json_schema_rejected", response_format=json_schema(PERSON))
    message_ = "Invalid value: 'json_schema'. Supported values are: 'text' and 'json_object'."
    error = {"message": message_, "type": INVALID, "param": "response_format.type", "code": "invalid_value"}
    assert r.status_code == 400 and r.json() == {"error": error}
    msg, _ = message(sim, session, "tmpl_json_schema_rejected", response_format={"type": "json_object"})
    assert json.loads(msg["content"]) == {"answer": "pong"}


def test_json_schema_invalid(sim: Simulator, session: requests.Session) -> None:
    msg, _ = message(sim, session, "tmpl_json_schema_invalid", response_format=json_schema(PERSON))
    errors = list(jsonschema.Draft202012Validator(PERSON).iter_errors(json.loads(msg["content"])))
    assert [e.validator for e in errors] == ["required"]


def test_tools_ignored(sim: Simulator, session: requests.Session) -> None:
    answer = message(sim, session, "tmpl_tools_ignored", tools=TOOLS, tool_choice="required")
    assert answer == ({"role": "assistant", "content": "pong"}, "stop")


def test_tools_bad_arguments(sim: Simulator, session: requests.Session) -> None:
    msg, finish = message(sim, session, "tmpl_tools_bad_arguments", tools=TOOLS, tool_choice="required")
    [call] = msg["tool_calls"]
    assert finish == "tool_calls" and call["function"]["name"] == "get_weather"
    with pytest.raises(json.JSONDecodeError):
        json.loads(call["function"]["arguments"])


def test_tools_unknown_name(sim: Simulator, session: requests.Session) -> None:
    msg, finish = message(sim, session, "tmpl_tools_unknown_name", tools=TOOLS, tool_choice="required")
    [call] = msg["tool_calls"]
    assert finish == "tool_calls" and call["function"]["name"] == "get_wether"
    assert isinstance(json.loads(call["function"]["arguments"]), dict)


def test_tools_schema_violation(sim: Simulator, session: requests.Session) -> None:
    msg, _ = message(sim, session, "tmpl_tools_schema_violation", tools=TOOLS, tool_choice="required")
    [call] = msg["tool_calls"]
    errors = list(
        jsonschema.Draft202012Validator(WEATHER).iter_errors(json.loads(call["function"]["arguments"]))
    )
    assert [e.validator for e in errors] == ["required"]


def test_tools_streamed_pieces(sim: Simulator, session: requests.Session) -> None:
    chunks = stream(sim, session, "tmpl_tools_streamed_pieces", tools=TOOLS, tool_choice="required")
    calls, pieces = reassemble(chunks)
    assert [calls[i]["name"] for i in sorted(calls)] == ["get_weather", "get_time"]
    assert calls[0]["id"] != calls[1]["id"]
    assert len(pieces) > 10 and all(1 <= len(p) <= 3 for p in pieces)
    for call in calls.values():
        jsonschema.validate(json.loads(call["arguments"]), PARAMS[call["name"]])
    assert finish_reasons(chunks)[-1] == "tool_calls"
    calls, _ = reassemble(stream(sim, session, "tmpl_tools_streamed_pieces", tools=TOOLS[:1]))
    assert list(calls) == [0]


def test_refusal(sim: Simulator, session: requests.Session) -> None:
    refusal = "I'm sorry, I can't help with that."
    answer = message(sim, session, "tmpl_refusal", response_format=json_schema(PERSON))
    assert answer == ({"role": "assistant", "content": None, "refusal": refusal}, "stop")
    chunks = stream(sim, session, "tmpl_refusal")
    assert "".join(ch["choices"][0]["delta"].get("refusal") or "" for ch in chunks) == refusal


def test_content_parts(sim: Simulator, session: requests.Session) -> None:
    answer = message(sim, session, "tmpl_content_parts")
    assert answer == ({"role": "assistant", "content": [{"type": "text", "text": "pong"}]}, "stop")


def test_tool_calls_unasked(sim: Simulator, session: requests.Session) -> None:
    msg, finish = message(sim, session, "tmpl_tool_calls_unasked")
    assert finish == "tool_calls" and msg["content"] is None
    [call] = msg["tool_calls"]
    assert call["type"] == "function" and CALL_ID.match(call["id"])
    assert json.loads(call["function"]["arguments"]) == {"city": "Paris"}


def test_rejects_unknown_field(sim: Simulator, session: requests.Session) -> None:
    r = post(sim, session, "tmpl_rejects_unknown_field", temperature=0, foo_bar=1)
    error = {"message": "Unrecognized request argument supplied: foo_bar", "type": INVALID}
    assert r.status_code == 400 and r.json() == {"error": {**error, "param": None, "code": None}}
    known = {"temperature": 0.2, "seed": 1, "metadata": {"a": "b"}, "max_completion_tokens": 16, "n": 1}
    assert message(sim, session, "tmpl_rejects_unknown_field", **known)[0]["content"] == "pong"
    assert message(sim, session, "tmpl_ok", foo_bar=1)[0]["content"] == "pong"


def test_openai_sdk_parses_the_answers(sim: Simulator) -> None:
    openai = pytest.importorskip("openai")
    pydantic = pytest.importorskip("pydantic")
    person = pydantic.create_model("Person", name=(str, ...), age=(int, ...), tags=(list[str], ...))
    client = openai.OpenAI(base_url=sim.url_for("tmpl_ok") + "/v1", api_key=DEFAULT_API_KEY, max_retries=0)
    with client:
        parsed = client.chat.completions.parse(model=DEFAULT_MODEL, messages=MESSAGES, response_format=person)
        assert parsed.choices[0].message.parsed == person(name="pong", age=0, tags=["pong"])
        tools = [openai.pydantic_function_tool(person, name="save_person")]
        with client.chat.completions.stream(model=DEFAULT_MODEL, messages=MESSAGES, tools=tools) as events:
            [call] = events.get_final_completion().choices[0].message.tool_calls
    assert call.function.name == "save_person" and call.function.parsed_arguments.name == "pong"
