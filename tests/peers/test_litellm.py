"""The gate against the LiteLLM proxy (a real OpenAI-compatible gateway), run as CI runs it.

Each test asserts what LiteLLM really answers and how the gate really classifies it. Where that differs
from what the gate expects of an OpenAI-compatible service, the test says so in its docstring and asserts
the observed behaviour: a change on either side then fails here and is decided on purpose, not by accident.
The answers are tabulated in docs/peers.md.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
import requests

from gate.core.jsonbody import try_parse
from gate.diagnosis.classify import classify_status
from gate.http.client import HttpResponse
from tests.peers.litellm_peer import MASTER_KEY, MODEL, ROOT, Peer, RunGate, observe

pytestmark = pytest.mark.peers

SMOKE_MESSAGES = [
    {"role": "system", "content": "Reply with exactly the word: pong"},
    {"role": "user", "content": "ping"},
]
AUTH = {"Authorization": f"Bearer {MASTER_KEY}"}
WRONG_KEY = "sk-peer-wrong-key-0123456789"


def chat_url(peer: Peer) -> str:
    return f"{peer.base_url}/v1/chat/completions"


def smoke_body(model: str = MODEL, **extra: Any) -> dict[str, Any]:
    return {"model": model, "messages": SMOKE_MESSAGES, "max_tokens": 16, "temperature": 0, **extra}


def json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def gate_class_of(response: requests.Response) -> str | None:
    """The class the gate's own classifier gives this answer (None: a success)."""
    headers = {name.lower(): value for name, value in response.headers.items()}
    answer = HttpResponse(response.status_code, response.reason, headers, response.content, 0.0, 0.0)
    failure = classify_status(answer, try_parse(answer.body))
    return None if failure is None else str(failure.failure_class)


def excerpt_error(check: dict[str, Any]) -> dict[str, Any]:
    """The `error` object of the response excerpt the gate put in a failed check's details."""
    body = json.loads(check["details"]["response_excerpt"])
    return body["error"]


# ---------------------------------------------------------------------------------------------------------
# The happy path


def test_master_key_passes(run_gate: RunGate, http: requests.Session, litellm_peer: Peer) -> None:
    run = run_gate("--samples", "3")
    assert run.exit_code == 0, run.explain()
    report = run.report
    assert (report["result"], report["failure_class"], report["failed_check"]) == ("pass", None, None)
    completion = run.check("completion")
    assert completion["status"] == "pass"
    assert completion["details"]["http_status"] == 200
    assert completion["details"]["response_model"] == MODEL
    assert {"prompt_tokens", "completion_tokens", "total_tokens"} <= set(completion["details"]["usage"])
    assert run.check("output")["status"] == "pass"
    assert run.check("samples")["status"] == "pass"
    assert report["warnings"] == []

    # LiteLLM identifies each call with x-litellm-call-id and sends no x-request-id; the gate reads it.
    response = http.post(chat_url(litellm_peer), json=smoke_body(), headers=AUTH, timeout=30)
    assert response.status_code == 200
    assert response.headers.get("x-litellm-call-id")
    assert response.headers.get("x-litellm-version")
    assert "x-request-id" not in response.headers
    assert completion["details"]["request_id"]
    assert len(report["request_ids"]) == 3
    assert response.json()["choices"][0]["message"] == {"content": "pong", "role": "assistant"}
    observe(
        "chat, master key",
        200,
        response.json(),
        "pass",
        f"x-litellm-call-id (no x-request-id), LiteLLM {response.headers['x-litellm-version']}",
    )


def test_every_opt_in_check_together_passes(run_gate: RunGate) -> None:
    """The invocation a pipeline would use against LiteLLM (the invalid-key test is left out: see below)."""
    run = run_gate("--samples", "3", "--stream", "--check-models", "--negative", "invalid-model")
    assert run.exit_code == 0, run.explain()
    assert run.report["result"] == "pass"
    ids = [c["id"] for c in run.report["checks"]]
    for check_id in ("completion", "output", "samples", "stream", "models", "negative-invalid-model"):
        assert check_id in ids
        assert run.check(check_id)["status"] == "pass", run.explain()


# ---------------------------------------------------------------------------------------------------------
# Wrong model, wrong key, no key


def test_wrong_model_is_request(run_gate: RunGate) -> None:
    """400 invalid_request_error; `code` is the string "400", not model_not_found: classified as request."""
    run = run_gate("--retries", "2", model="peer-no-such-model")
    assert run.exit_code == 1, run.explain()
    assert (run.report["failure_class"], run.report["failed_check"]) == ("request", "completion")
    completion = run.check("completion")
    assert completion["details"]["http_status"] == 400
    assert completion["details"]["attempts"] == 1  # never retried
    error = excerpt_error(completion)
    assert error["type"] == "invalid_request_error"
    assert error["code"] == "400"
    assert "Invalid model name passed in model=peer-no-such-model" in error["message"]
    observe("chat, unknown model", 400, {"error": error}, "request", "message names /v1/models")


def test_wrong_key_is_400_no_db_connection_classified_auth(run_gate: RunGate) -> None:
    """LiteLLM without a database cannot look up virtual keys: any key other than the master key gets
    400 {"type": "no_db_connection", "code": "400", "message": "No connected db."}. The gate reads the
    error type and classifies it as auth: the key was not accepted."""
    run = run_gate("--retries", "2", api_key=WRONG_KEY)
    assert run.exit_code == 1, run.explain()
    assert (run.report["failure_class"], run.report["failed_check"]) == ("auth", "completion")
    completion = run.check("completion")
    assert completion["details"]["http_status"] == 400
    assert completion["details"]["attempts"] == 1
    error = excerpt_error(completion)
    assert (error["type"], error["code"], error["message"]) == ("no_db_connection", "400", "No connected db.")
    assert WRONG_KEY not in run.stdout + run.stderr + json.dumps(run.report)
    observe(
        "chat, wrong key (proxy without database)", 400, {"error": error}, "auth", "type no_db_connection"
    )


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/v1/chat/completions", WRONG_KEY),
        ("/v1/chat/completions", "not-an-sk-key"),
        ("/v1/models", WRONG_KEY),
    ],
)
def test_wrong_key_answers(http: requests.Session, litellm_peer: Peer, path: str, key: str) -> None:
    """Whatever the key looks like and whichever route, the database check answers first."""
    headers = {"Authorization": f"Bearer {key}"}
    url = f"{litellm_peer.base_url}{path}"
    if path.endswith("/models"):
        response = http.get(url, headers=headers, timeout=30)
    else:
        response = http.post(url, json=smoke_body(), headers=headers, timeout=30)
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["type"] == "no_db_connection"
    assert "x-litellm-call-id" not in response.headers  # rejected before a call id is assigned
    assert gate_class_of(response) == "auth"
    observe(f"{path}, wrong key {'sk-…' if key.startswith('sk-') else 'not sk-…'}", 400, body, "auth")


def test_missing_key_cannot_be_sent_by_the_gate(run_gate: RunGate) -> None:
    run = run_gate(api_key="")
    assert run.exit_code == 2, run.explain()
    assert "--api-key" in run.stderr
    # nothing was sent, but the run still leaves its evidence: the report says class config
    assert (run.report["failure_class"], run.report["exit_code"]) == ("config", 2)
    assert run.report["checks"][0]["details"]["option"] == "api-key"


@pytest.mark.parametrize(
    ("path", "authorization"),
    [("/v1/chat/completions", None), ("/v1/chat/completions", "Bearer"), ("/v1/models", None)],
)
def test_missing_key_is_a_500_text_page(
    http: requests.Session, litellm_peer: Peer, path: str, authorization: str | None
) -> None:
    """DISCREPANCY (LiteLLM's, the gate cannot send it). With a master key set and no key presented, LiteLLM
    raises "No api key passed in." and its auth error handler then fails on `import prisma` (not part of
    litellm[proxy]): the client gets 500 text/plain "Internal Server Error". The gate's classifier calls
    that upstream (transient, retried), not auth."""
    headers = {} if authorization is None else {"Authorization": authorization}
    url = f"{litellm_peer.base_url}{path}"
    if path.endswith("/models"):
        response = http.get(url, headers=headers, timeout=30)
    else:
        response = http.post(url, json=smoke_body(), headers=headers, timeout=30)
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "Internal Server Error"
    assert gate_class_of(response) == "upstream"
    what = "no Authorization header" if authorization is None else f"Authorization: {authorization!r}"
    observe(f"{path}, {what}", 500, None, "upstream", "text/plain 'Internal Server Error'")


# ---------------------------------------------------------------------------------------------------------
# Malformed requests: the gate only sends well-formed ones


def test_gate_extremes_are_accepted(run_gate: RunGate) -> None:
    """The gate's widest --max-tokens and --temperature are valid for the API; LiteLLM's mock accepts them,
    and values outside them are refused by the gate itself (exit 2) before anything is sent."""
    run = run_gate("--samples", "1", "--max-tokens", "100000", "--temperature", "2")
    assert run.exit_code == 0, run.explain()
    assert run.report["result"] == "pass"
    observe("chat, max_tokens 100000 + temperature 2", 200, None, "pass", "the gate's bounds")
    refused = run_gate("--temperature", "2.5")
    assert refused.exit_code == 2
    assert "--temperature" in refused.stderr


MALFORMED = [
    ("body is not JSON", b'{"model":', 400, "invalid_request_error", "request_body"),
    ("no messages", {"model": MODEL}, 400, "invalid_request_error", "messages"),
    ("messages is a string", {"model": MODEL, "messages": "ping"}, 400, "invalid_request_error", None),
    ("no model", {"messages": SMOKE_MESSAGES}, 400, "invalid_request_error", None),
    ("temperature 5", smoke_body(temperature=5), 200, None, None),
    ("max_tokens -1", smoke_body(max_tokens=-1), 200, None, None),
]


@pytest.mark.parametrize(
    ("case", "body", "status", "error_type", "param"), MALFORMED, ids=[m[0] for m in MALFORMED]
)
def test_malformed_request_answers(
    http: requests.Session,
    litellm_peer: Peer,
    case: str,
    body: Any,
    status: int,
    error_type: str | None,
    param: str | None,
) -> None:
    """Sent directly. Structural errors are 400 invalid_request_error (request for the gate); parameter
    ranges are not checked by the proxy, they are the upstream's business (here a mock that accepts all)."""
    headers = {**AUTH, "Content-Type": "application/json"}
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = http.post(chat_url(litellm_peer), data=data, headers=headers, timeout=30)
    assert response.status_code == status, response.text
    payload = json_or_none(response)
    if error_type is None:
        assert gate_class_of(response) is None
    else:
        assert payload["error"]["type"] == error_type
        assert payload["error"]["code"] == str(status)
        assert payload["error"]["param"] == param
        assert gate_class_of(response) == "request"
    observe(f"chat, {case}", status, payload, gate_class_of(response) or "pass")


# ---------------------------------------------------------------------------------------------------------
# LiteLLM's own error answers (its exceptions, raised by the deployment), through the gate


ERRORS = [
    # model, --retries, exit code, class, status, attempts, error.type
    ("peer-context-window", 2, 1, "request", 400, 1, "invalid_request_error"),
    ("peer-rate-limited", 1, 3, "rate_limit", 429, 2, "throttling_error"),
    ("peer-internal-error", 1, 3, "upstream", 500, 2, "internal_server_error"),
    ("peer-timeout", 0, 3, "timeout", 408, 1, "invalid_request_error"),
]


@pytest.mark.parametrize(
    ("model", "retries", "exit_code", "failure_class", "status", "attempts", "error_type"),
    ERRORS,
    ids=[e[0] for e in ERRORS],
)
def test_litellm_error_answers_through_the_gate(
    run_gate: RunGate,
    http: requests.Session,
    litellm_peer: Peer,
    model: str,
    retries: int,
    exit_code: int,
    failure_class: str,
    status: int,
    attempts: int,
    error_type: str,
) -> None:
    run = run_gate("--retries", str(retries), "--samples", "1", model=model)
    assert run.exit_code == exit_code, run.explain()
    assert (run.report["failure_class"], run.report["failed_check"]) == (failure_class, "completion")
    completion = run.check("completion")
    assert completion["details"]["http_status"] == status
    assert completion["details"]["attempts"] == attempts
    error = excerpt_error(completion)
    assert (error["type"], error["code"]) == (error_type, str(status))
    assert "No fallback was attempted" in error["message"]

    response = http.post(chat_url(litellm_peer), json=smoke_body(model), headers=AUTH, timeout=30)
    assert response.status_code == status
    assert response.headers.get("x-litellm-call-id")
    assert "retry-after" not in response.headers  # not even on 429
    assert gate_class_of(response) == failure_class
    note = f"exit {exit_code}, {attempts} attempt(s)"
    observe(f"chat, {model}", status, response.json(), failure_class, note)


# ---------------------------------------------------------------------------------------------------------
# Streaming


def test_stream_passes(run_gate: RunGate) -> None:
    run = run_gate("--stream", "--samples", "1")
    assert run.exit_code == 0, run.explain()
    stream = run.check("stream")
    assert stream["status"] == "pass", run.explain()
    details = stream["details"]
    assert details["done"] is True
    assert details["chunks"] == 3  # role + "pon", "g", finish_reason
    assert details["finish_reason"] == "stop"
    assert details["usage"] is None  # the gate does not ask for stream_options.include_usage
    assert details["request_id"]  # x-litellm-call-id


def _sse_events(response: requests.Response) -> tuple[bytes, list[str]]:
    raw = response.content
    events = [block for block in raw.decode().split("\n\n") if block.strip()]
    return raw, events


def test_stream_format(http: requests.Session, litellm_peer: Peer) -> None:
    response = http.post(chat_url(litellm_peer), json=smoke_body(stream=True), headers=AUTH, timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.headers["x-accel-buffering"] == "no"
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers.get("transfer-encoding") == "chunked"
    assert response.headers.get("x-litellm-call-id")
    raw, events = _sse_events(response)
    assert b"\r\n" not in raw  # LF only, one `data:` line per event, no comments or event names
    assert all(event.startswith("data: ") and "\n" not in event for event in events)
    assert events[-1] == "data: [DONE]"
    chunks = [json.loads(event[len("data: ") :]) for event in events[:-1]]
    assert all(chunk["object"] == "chat.completion.chunk" for chunk in chunks)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": "pon"}
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks) == "pong"
    assert not any("usage" in chunk for chunk in chunks)
    observe("chat stream", 200, None, "pass", f"{len(chunks)} chunks + [DONE], no usage chunk")


def test_stream_usage_chunk(http: requests.Session, litellm_peer: Peer) -> None:
    """With stream_options.include_usage the last chunk carries usage, with a non-empty `choices` (one choice,
    empty delta) where OpenAI sends `choices: []`, and a `cost` inside usage."""
    body = smoke_body(stream=True, stream_options={"include_usage": True})
    response = http.post(chat_url(litellm_peer), json=body, headers=AUTH, timeout=30)
    assert response.status_code == 200
    _, events = _sse_events(response)
    assert events[-1] == "data: [DONE]"
    last = json.loads(events[-2][len("data: ") :])
    assert last["choices"] == [{"index": 0, "delta": {}}]
    assert {"prompt_tokens", "completion_tokens", "total_tokens", "cost"} <= set(last["usage"])
    schema = json.loads(
        (ROOT / "gate" / "core" / "contract" / "chat_completion_chunk.schema.json").read_text()
    )
    jsonschema.validate(last, schema)  # the gate's chunk contract accepts it
    observe("chat stream, include_usage", 200, None, "pass", "usage chunk has choices=[{index 0, delta {}}]")


def test_stream_errors_come_before_the_stream(http: requests.Session, litellm_peer: Peer) -> None:
    """An error is a plain JSON answer with its status, never a 200 stream with an error event."""
    body = smoke_body("peer-no-such-model", stream=True)
    response = http.post(chat_url(litellm_peer), json=body, headers=AUTH, timeout=30)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert gate_class_of(response) == "request"
    observe("chat stream, unknown model", 400, response.json(), "request", "JSON error, not SSE")


# ---------------------------------------------------------------------------------------------------------
# Negative tests and the model list


def test_negative_all_passes(run_gate: RunGate) -> None:
    """The invalid key is rejected with 400 no_db_connection (classified auth), the invalid model with 400
    invalid_request_error (classified request): both negative tests pass, each on its first attempt."""
    run = run_gate("--negative", "all", "--samples", "1")
    assert run.exit_code == 0, run.explain()
    invalid_key = run.check("negative-invalid-key")
    assert invalid_key["status"] == "pass" and invalid_key["details"]["http_status"] == 400
    assert invalid_key["details"]["attempts"] == 1
    assert "rejected as auth" in invalid_key["message"]
    assert run.check("negative-invalid-model")["status"] == "pass"
    observe("--negative invalid-key", 400, {"error": excerpt_error(invalid_key)}, "pass", "auth, not retried")


def test_negative_invalid_model_passes(run_gate: RunGate) -> None:
    run = run_gate("--negative", "invalid-model", "--samples", "1")
    assert run.exit_code == 0, run.explain()
    check = run.check("negative-invalid-model")
    assert check["status"] == "pass"
    assert check["details"]["http_status"] == 400
    assert check["details"]["attempts"] == 1
    assert excerpt_error(check)["type"] == "invalid_request_error"
    observe("--negative invalid-model", 400, {"error": excerpt_error(check)}, "request", "passes")


def test_check_models_passes(run_gate: RunGate, http: requests.Session, litellm_peer: Peer) -> None:
    run = run_gate("--check-models", "--samples", "1")
    assert run.exit_code == 0, run.explain()
    models = run.check("models")
    assert models["status"] == "pass"
    assert models["details"]["models_listed"] == len(litellm_peer.models)

    response = http.get(f"{litellm_peer.base_url}/v1/models", headers=AUTH, timeout=30)
    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "list"
    assert [m["id"] for m in body["data"]] == litellm_peer.models
    assert all(m["object"] == "model" and isinstance(m["created"], int) for m in body["data"])
    observe("GET /v1/models, master key", 200, body, "pass", "model_name ids, plus mode/max_*_tokens fields")
