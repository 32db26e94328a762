"""The reasoning-model personality of the simulator (gate/simulator/reasoning.py), with raw requests."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from gate.simulator import DEFAULT_API_KEY, Simulator, reasoning
from gate.simulator import scenarios as registry
from gate.simulator.scenarios import Scenario

AUTH = {"Authorization": f"Bearer {DEFAULT_API_KEY}", "Content-Type": "application/json"}
MESSAGES = [{"role": "user", "content": "Reply with exactly the word: pong"}]
MODEL = "gpt-5-mini"  # not the simulator's configured model: any name is served and echoed
ANSWER = 1  # tokens of "pong"


@pytest.fixture(autouse=True)
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, description, behaviour in reasoning.SCENARIOS:
        monkeypatch.setitem(registry.SCENARIOS, name, Scenario(name, description, behaviour))


def post(sim: Simulator, session: requests.Session, raw: str | None = None, **fields: Any) -> Any:
    """POST a chat completion; ``raw`` is sent verbatim, otherwise ``fields`` over a valid body."""
    body = raw if raw is not None else json.dumps({"model": MODEL, "messages": MESSAGES, **fields})
    url = sim.url_for("reasoning") + "/v1/chat/completions"
    return session.post(url, data=body.encode(), headers=AUTH, timeout=5)


def with_temperature(sent: str) -> str:
    """A valid body whose temperature is the JSON text ``sent``, verbatim."""
    return json.dumps({"model": MODEL, "messages": MESSAGES})[:-1] + f', "temperature": {sent}}}'


def invalid(message: str, param: str, code: str) -> Any:
    return {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}}


def temperature_error(shown: str) -> Any:
    message = (
        f"Unsupported value: 'temperature' does not support {shown} with this model. "
        "Only the default (1) value is supported."
    )
    return invalid(message, "temperature", "unsupported_value")


MAX_TOKENS_ERROR = invalid(
    "Unsupported parameter: 'max_tokens' is not supported with this model. "
    "Use 'max_completion_tokens' instead.",
    "max_tokens",
    "unsupported_parameter",
)


def test_max_tokens_rejected(sim: Simulator, session: requests.Session) -> None:
    r = post(sim, session, max_tokens=16)
    assert r.status_code == 400
    assert r.json() == MAX_TOKENS_ERROR


def test_max_tokens_checked_before_temperature(sim: Simulator, session: requests.Session) -> None:
    r = post(sim, session, max_tokens=16, temperature=0)
    assert r.status_code == 400
    assert r.json() == MAX_TOKENS_ERROR


@pytest.mark.parametrize("sent", ["0", "0.0", "0.01", "0.2", "2e-1", "1.5"])
def test_temperature_other_than_one_rejected(sim: Simulator, session: requests.Session, sent: str) -> None:
    r = post(sim, session, raw=with_temperature(sent))
    assert r.status_code == 400
    assert r.json() == temperature_error(sent)


@pytest.mark.parametrize("sent", ["1", "1.0", "null"])
def test_temperature_one_accepted(sim: Simulator, session: requests.Session, sent: str) -> None:
    r = post(sim, session, raw=with_temperature(sent))
    assert r.status_code == 200
    assert r.json()["choices"][0]["message"]["content"] == "pong"


@pytest.mark.parametrize(
    ("effort", "spent"),
    [(None, 192), ("none", 0), ("minimal", 8), ("low", 32), ("medium", 192), ("high", 800)],
)
def test_reasoning_effort_tokens(
    sim: Simulator, session: requests.Session, effort: str | None, spent: int
) -> None:
    fields = {} if effort is None else {"reasoning_effort": effort}
    r = post(sim, session, **fields)
    assert r.status_code == 200
    assert r.headers["x-request-id"].startswith("req_")
    body = r.json()
    assert body["model"] == MODEL
    choice = body["choices"][0]
    assert choice["message"]["content"] == "pong" and choice["finish_reason"] == "stop"
    usage = body["usage"]
    assert usage["completion_tokens"] == spent + ANSWER
    assert usage["total_tokens"] == usage["prompt_tokens"] + spent + ANSWER
    assert usage["completion_tokens_details"]["reasoning_tokens"] == spent


@pytest.mark.parametrize("effort", ["xhigh", "max", "", "HIGH", 3])
def test_unknown_reasoning_effort_rejected(sim: Simulator, session: requests.Session, effort: Any) -> None:
    r = post(sim, session, reasoning_effort=effort)
    assert r.status_code == 400
    err = r.json()["error"]
    assert (err["type"], err["param"], err["code"]) == (
        "invalid_request_error",
        "reasoning_effort",
        "unsupported_value",
    )
    assert err["message"].startswith(
        f"Unsupported value: '{effort}' is not supported with the '{MODEL}' model."
    )


@pytest.mark.parametrize(
    ("effort", "limit", "fits", "completion", "reasoning_tokens"),
    [
        ("low", 33, True, 33, 32),  # exactly reasoning + answer
        ("low", 32, False, 32, 32),  # the answer does not fit
        ("low", 10, False, 10, 10),  # not even the reasoning fits
        ("medium", 4096, True, 193, 192),
        (None, 100, False, 100, 100),  # medium by default
        ("none", 1, True, 1, 0),
        ("high", 1, False, 1, 1),
    ],
)
def test_max_completion_tokens_budget(
    sim: Simulator,
    session: requests.Session,
    effort: str | None,
    limit: int,
    fits: bool,
    completion: int,
    reasoning_tokens: int,
) -> None:
    fields: dict[str, Any] = {"max_completion_tokens": limit}
    if effort is not None:
        fields["reasoning_effort"] = effort
    r = post(sim, session, **fields)
    assert r.status_code == 200
    choice = r.json()["choices"][0]
    assert choice["message"]["content"] == ("pong" if fits else "")
    assert choice["finish_reason"] == ("stop" if fits else "length")
    usage = r.json()["usage"]
    assert usage["completion_tokens"] == completion
    assert usage["completion_tokens_details"]["reasoning_tokens"] == reasoning_tokens


@pytest.mark.parametrize(
    ("limit", "code", "message"),
    [
        (
            0,
            "integer_below_min_value",
            "Invalid 'max_completion_tokens': integer below minimum value. "
            "Expected a value >= 1, but got 0 instead.",
        ),
        (
            "64",
            "invalid_type",
            "Invalid type for 'max_completion_tokens': expected an integer, but got a string instead.",
        ),
    ],
)
def test_invalid_max_completion_tokens(
    sim: Simulator, session: requests.Session, limit: Any, code: str, message: str
) -> None:
    r = post(sim, session, max_completion_tokens=limit)
    assert r.status_code == 400
    assert r.json() == invalid(message, "max_completion_tokens", code)


def sse(r: requests.Response) -> list[Any]:
    events = [line[6:] for line in r.text.split("\n") if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    return [json.loads(e) for e in events[:-1]]


def test_stream_errors_are_json_before_any_event(sim: Simulator, session: requests.Session) -> None:
    r = post(sim, session, stream=True, max_tokens=5)
    assert r.status_code == 400
    assert r.headers["Content-Type"] == "application/json"
    assert r.json() == MAX_TOKENS_ERROR
    r = post(sim, session, stream=True, temperature=0.7)
    assert r.status_code == 400
    assert r.json() == temperature_error("0.7")


def test_stream_budget(sim: Simulator, session: requests.Session) -> None:
    opts = {"stream": True, "stream_options": {"include_usage": True}}
    r = post(sim, session, reasoning_effort="minimal", max_completion_tokens=5, **opts)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/event-stream")
    chunks = sse(r)
    assert all(c["model"] == MODEL for c in chunks)
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"]) == ""
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]][-1] == "length"
    usage = chunks[-1]["usage"]
    assert usage["completion_tokens"] == 5 and usage["completion_tokens_details"]["reasoning_tokens"] == 5
    r = post(sim, session, reasoning_effort="minimal", max_completion_tokens=9, **opts)
    chunks = sse(r)
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"]) == "pong"
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]][-1] == "stop"
    assert chunks[-1]["usage"]["completion_tokens_details"]["reasoning_tokens"] == 8


def test_key_checked_and_models_listed(sim: Simulator, session: requests.Session) -> None:
    url = sim.url_for("reasoning") + "/v1/chat/completions"
    body = json.dumps({"model": MODEL, "messages": MESSAGES})
    r = session.post(url, data=body, headers={"Authorization": "Bearer sk-wrong"}, timeout=5)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "invalid_api_key"
    r = session.get(sim.url_for("reasoning") + "/v1/models", headers=AUTH, timeout=5)
    assert r.status_code == 200 and r.json()["object"] == "list"
    r = post(sim, session, raw=json.dumps({"model": MODEL, "messages": []}))
    assert r.status_code == 400 and r.json()["error"]["param"] == "messages"
