"""The simulator's /v1/responses and /v1/embeddings: the healthy answers (raw HTTP and the official OpenAI
SDK), every responses_* / embeddings_* scenario, and every other scenario's errors on the new paths."""

from __future__ import annotations

import base64
import json
import math
import re
import struct
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL, SCENARIOS, WAITING_SCENARIOS, Simulator
from gate.simulator.embeddings import DEFAULT_DIMENSIONS
from gate.simulator.embeddings import FAULTS as EMBEDDING_FAULTS
from gate.simulator.responses import EMBEDDING_MODEL
from gate.simulator.responses_api import FAULTS as RESPONSES_FAULTS
from gate.simulator.responses_api import REFUSAL

openai = pytest.importorskip("openai")

AUTH = {"Authorization": f"Bearer {DEFAULT_API_KEY}"}
PROMPT = "Reply with exactly the word: pong"
INSTRUCTIONS = "You are a health check. Answer in one word."
API_SCENARIOS = sorted(n for n in SCENARIOS if n.startswith(("responses_", "embeddings_")))
#: Scenarios that never answer in time, or answer megabytes: their own tests cover every path.
UNANSWERED = WAITING_SCENARIOS | {"huge", "huge_chunked", "disconnect"}
STREAM_END = {"response.completed", "response.incomplete", "response.failed"}


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator() as s:
        yield s


def responses(base: str, headers: dict[str, str] | None = None, **fields: Any) -> requests.Response:
    """POST /v1/responses as the gate sends it (valid by default)."""
    body = {"model": DEFAULT_MODEL, "input": PROMPT, "instructions": INSTRUCTIONS, "max_output_tokens": 16}
    return requests.post(
        base + "/v1/responses",
        json={**body, **fields},
        headers=headers or AUTH,
        timeout=5,
        allow_redirects=False,
    )


def embeddings(base: str, headers: dict[str, str] | None = None, **fields: Any) -> requests.Response:
    """POST /v1/embeddings with two inputs (valid by default)."""
    body = {"model": EMBEDDING_MODEL, "input": [PROMPT, INSTRUCTIONS], **fields}
    return requests.post(
        base + "/v1/embeddings", json=body, headers=headers or AUTH, timeout=5, allow_redirects=False
    )


def chat(base: str) -> requests.Response:
    body = {"model": DEFAULT_MODEL, "messages": [{"role": "user", "content": PROMPT}]}
    return requests.post(
        base + "/v1/chat/completions", json=body, headers=AUTH, timeout=5, allow_redirects=False
    )


def events(r: requests.Response) -> list[tuple[str, dict[str, Any]]]:
    """The (event name, data) pairs of a typed SSE body; every event has both lines."""
    assert r.headers["Content-Type"].startswith("text/event-stream")
    out = []
    for block in r.text.strip().split("\n\n"):
        name, data = block.split("\n")
        assert name.startswith("event: ") and data.startswith("data: ")
        out.append((name[7:], json.loads(data[6:])))
    return out


def output_text(response: dict[str, Any]) -> str:
    parts = [p for item in response["output"] for p in item.get("content", [])]
    return "".join(p["text"] for p in parts if p["type"] == "output_text")


# -- /v1/responses, healthy --------------------------------------------------------------------------


def test_responses_ok_is_a_completed_response(sim: Simulator) -> None:
    r = responses(sim.base_url, temperature=0)
    assert r.status_code == 200 and r.headers["x-request-id"].startswith("req_")
    body = r.json()
    assert re.fullmatch(r"resp_[0-9a-f]+", body["id"]) and body["object"] == "response"
    assert isinstance(body["created_at"], int) and body["status"] == "completed"
    assert body["model"] == DEFAULT_MODEL and body["error"] is None and body["incomplete_details"] is None
    (item,) = body["output"]
    assert re.fullmatch(r"msg_[0-9a-f]+", item["id"])
    assert (item["type"], item["status"], item["role"]) == ("message", "completed", "assistant")
    assert item["content"] == [{"type": "output_text", "text": "pong", "annotations": []}]
    assert (body["instructions"], body["max_output_tokens"], body["temperature"]) == (INSTRUCTIONS, 16, 0)
    usage = body["usage"]
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert usage["input_tokens_details"] == {"cached_tokens": 0}
    assert usage["output_tokens_details"] == {"reasoning_tokens": 0} and usage["output_tokens"] >= 1


@pytest.mark.parametrize(
    "given_input",
    [
        "Reply with exactly the word: banana",
        [
            {
                "role": "user",
                "content": [{"type": "input_text", "text": "Reply with exactly the word: banana."}],
            }
        ],
    ],
)
def test_responses_answer_the_prompt_as_chat_does(sim: Simulator, given_input: Any) -> None:
    assert output_text(responses(sim.base_url, input=given_input).json()) == "banana"


def test_responses_stream_is_typed_events_without_done(sim: Simulator) -> None:
    r = responses(sim.base_url, stream=True)
    assert r.status_code == 200 and "[DONE]" not in r.text
    stream = events(r)
    names = [name for name, _ in stream]
    assert names == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert all(data["type"] == name for name, data in stream)
    assert [data["sequence_number"] for _, data in stream] == list(range(len(stream)))
    assert stream[0][1]["response"]["status"] == "in_progress"
    assert [data["delta"] for name, data in stream if name.endswith(".delta")] == ["po", "ng"]
    final = stream[-1][1]["response"]
    assert final["status"] == "completed" and output_text(final) == "pong"
    assert final["id"] == stream[0][1]["response"]["id"]


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"input": None}, "input"),
        ({"input": []}, "input"),
        ({"input": [1]}, "input"),
        ({"model": ""}, "model"),
        ({"max_output_tokens": 8}, "max_output_tokens"),
        ({"stream": "yes"}, "stream"),
    ],
)
def test_responses_bad_body_is_a_400(sim: Simulator, fields: dict[str, Any], param: str) -> None:
    r = responses(sim.base_url, **fields)
    assert r.status_code == 400 and r.json()["error"]["param"] == param


def test_responses_check_the_key_and_the_model(sim: Simulator) -> None:
    r = responses(sim.base_url, headers={"Authorization": "Bearer sk-wrong"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"
    r = responses(sim.base_url, model=EMBEDDING_MODEL)
    assert r.status_code == 404 and r.json()["error"]["code"] == "model_not_found"
    assert responses(sim.url_for("accept_any_model"), model="gpt-nope").json()["model"] == "gpt-nope"
    r = requests.get(sim.base_url + "/v1/responses", headers=AUTH, timeout=5)
    assert r.status_code == 405 and r.headers["Allow"] == "POST"


def test_reasoning_scenario_counts_reasoning_tokens_in_responses(sim: Simulator) -> None:
    base = sim.url_for("reasoning")
    r = responses(base, model="gpt-5", temperature=0)
    assert r.status_code == 400 and r.json()["error"]["param"] == "temperature"
    body = responses(base, model="gpt-5", max_output_tokens=512, reasoning={"effort": "low"}).json()
    assert body["status"] == "completed" and output_text(body) == "pong"
    assert body["usage"]["output_tokens_details"]["reasoning_tokens"] == 32
    short = responses(base, model="gpt-5", max_output_tokens=16).json()
    assert short["status"] == "incomplete" and short["incomplete_details"] == {"reason": "max_output_tokens"}
    assert responses(base, reasoning={"effort": "huge"}).status_code == 400


# -- /v1/embeddings, healthy -------------------------------------------------------------------------


@pytest.mark.parametrize("model", [EMBEDDING_MODEL, DEFAULT_MODEL])
def test_embeddings_ok_gives_one_unit_vector_per_input(sim: Simulator, model: str) -> None:
    r = embeddings(sim.base_url, model=model)
    assert r.status_code == 200 and r.headers["x-request-id"].startswith("req_")
    body = r.json()
    assert body["object"] == "list" and body["model"] == model
    assert [(d["object"], d["index"]) for d in body["data"]] == [("embedding", 0), ("embedding", 1)]
    for d in body["data"]:
        assert len(d["embedding"]) == DEFAULT_DIMENSIONS
        assert math.isclose(math.fsum(x * x for x in d["embedding"]), 1.0, rel_tol=1e-5)
    assert body["data"][0]["embedding"] != body["data"][1]["embedding"]
    assert body["usage"]["prompt_tokens"] == body["usage"]["total_tokens"] >= 2


def test_embeddings_base64_is_little_endian_float32(sim: Simulator) -> None:
    floats = embeddings(sim.base_url, dimensions=32).json()["data"]
    encoded = embeddings(sim.base_url, dimensions=32, encoding_format="base64").json()["data"]
    for as_floats, as_base64 in zip(floats, encoded, strict=True):
        raw = base64.b64decode(as_base64["embedding"])
        assert len(raw) == 4 * 32
        decoded = struct.unpack("<32f", raw)
        assert all(
            math.isclose(a, b, abs_tol=1e-6) for a, b in zip(decoded, as_floats["embedding"], strict=True)
        )


@settings(max_examples=30, deadline=None)
@given(
    texts=st.one_of(
        st.text(min_size=1, max_size=40), st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=5)
    ),
    dimensions=st.integers(min_value=1, max_value=300),
)
def test_embeddings_honour_any_input_and_dimensions(
    sim: Simulator, texts: str | list[str], dimensions: int
) -> None:
    body = embeddings(sim.base_url, input=texts, dimensions=dimensions).json()
    count = 1 if isinstance(texts, str) else len(texts)
    assert [d["index"] for d in body["data"]] == list(range(count))
    assert {len(d["embedding"]) for d in body["data"]} == {dimensions}
    assert all(math.isfinite(x) for d in body["data"] for x in d["embedding"])


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"input": ""}, "input"),
        ({"input": []}, "input"),
        ({"input": ["a", 3]}, "input"),
        ({"dimensions": 0}, "dimensions"),
        ({"dimensions": True}, "dimensions"),
        ({"encoding_format": "int8"}, "encoding_format"),
    ],
)
def test_embeddings_bad_body_is_a_400(sim: Simulator, fields: dict[str, Any], param: str) -> None:
    r = embeddings(sim.base_url, **fields)
    assert r.status_code == 400 and r.json()["error"]["param"] == param


def test_embeddings_check_the_key_and_the_model(sim: Simulator) -> None:
    assert embeddings(sim.base_url, headers={"Authorization": "Bearer sk-wrong"}).status_code == 401
    r = embeddings(sim.base_url, model="text-embedding-nope")
    assert r.status_code == 404 and r.json()["error"]["code"] == "model_not_found"


# -- the new scenarios -----------------------------------------------------------------------------


def test_every_api_fault_has_its_scenario() -> None:
    faults = {f"responses_{f}" for f in RESPONSES_FAULTS[1:]} | {
        f"embeddings_{f}" for f in EMBEDDING_FAULTS[1:]
    }
    assert faults | {"responses_unsupported", "responses_not_implemented", "embeddings_unsupported"} == set(
        API_SCENARIOS
    )


@pytest.mark.parametrize("name", API_SCENARIOS)
def test_api_scenarios_keep_chat_healthy(sim: Simulator, name: str) -> None:
    r = chat(sim.url_for(name))
    assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"] == "pong"
    other = embeddings if name.startswith("responses_") else responses
    assert other(sim.url_for(name)).status_code == 200


@pytest.mark.parametrize(
    ("name", "path"), [("responses_unsupported", "responses"), ("embeddings_unsupported", "embeddings")]
)
def test_unsupported_answers_invalid_url_whatever_the_key(sim: Simulator, name: str, path: str) -> None:
    send = responses if path == "responses" else embeddings
    for headers in (AUTH, {"Authorization": "Bearer sk-wrong"}):
        r = send(sim.url_for(name), headers=headers)
        assert r.status_code == 404 and r.headers["Content-Type"] == "application/json; charset=utf-8"
        error = {
            "message": f"Invalid URL (POST /v1/{path})",
            "type": "invalid_request_error",
            "param": "",
            "code": "",
        }
        assert r.json() == {"error": error}


def test_responses_not_implemented_is_new_apis_conversion_error(sim: Simulator) -> None:
    r = responses(sim.url_for("responses_not_implemented"), stream=True)
    assert r.status_code == 500
    error = r.json()["error"]
    request_id = r.headers["X-Oneapi-Request-Id"]
    assert error == {
        "message": f"not implemented (request id: {request_id})",
        "type": "new_api_error",
        "param": "",
        "code": "convert_request_failed",
    }
    assert (
        responses(sim.url_for("responses_not_implemented"), headers={"Authorization": "Bearer x"}).status_code
        == 401
    )


@pytest.mark.parametrize("stream", [False, True])
def test_responses_incomplete(sim: Simulator, stream: bool) -> None:
    r = responses(sim.url_for("responses_incomplete"), stream=stream)
    final = events(r)[-1][1]["response"] if stream else r.json()
    if stream:
        assert events(r)[-1][0] == "response.incomplete"
    assert final["status"] == "incomplete" and final["incomplete_details"] == {"reason": "max_output_tokens"}
    assert output_text(final) == "" and final["usage"]["output_tokens"] == 16


@pytest.mark.parametrize("stream", [False, True])
def test_responses_refusal(sim: Simulator, stream: bool) -> None:
    r = responses(sim.url_for("responses_refusal"), stream=stream)
    final = events(r)[-1][1]["response"] if stream else r.json()
    assert final["status"] == "completed" and output_text(final) == ""
    assert final["output"][0]["content"] == [{"type": "refusal", "refusal": REFUSAL}]
    if stream:
        deltas = [data["delta"] for name, data in events(r) if name == "response.refusal.delta"]
        assert "".join(deltas) == REFUSAL and len(deltas) == 2


@pytest.mark.parametrize("stream", [False, True])
def test_responses_failed(sim: Simulator, stream: bool) -> None:
    r = responses(sim.url_for("responses_failed"), stream=stream)
    assert r.status_code == 200
    if stream:
        assert [name for name, _ in events(r)][-1] == "response.failed"
    final = events(r)[-1][1]["response"] if stream else r.json()
    assert final["status"] == "failed" and final["error"]["code"] == "server_error" and final["output"] == []


def test_responses_stream_error(sim: Simulator) -> None:
    stream = events(responses(sim.url_for("responses_stream_error"), stream=True))
    assert [name for name, _ in stream] == ["response.created", "error"]
    assert stream[1][1]["code"] == "server_error" and stream[1][1]["sequence_number"] == 1
    assert responses(sim.url_for("responses_stream_error")).json()["status"] == "completed"


def test_embeddings_faults(sim: Simulator) -> None:
    ragged = embeddings(sim.url_for("embeddings_ragged")).json()["data"]
    assert [len(d["embedding"]) for d in ragged] == [DEFAULT_DIMENSIONS, DEFAULT_DIMENSIONS // 2]
    nan = embeddings(sim.url_for("embeddings_nan"))
    assert nan.status_code == 200 and ",NaN," in nan.text

    def strict(token: str) -> None:
        raise ValueError(token)

    with pytest.raises(ValueError, match="NaN"):
        json.loads(nan.text, parse_constant=strict)
    assert embeddings(sim.url_for("embeddings_empty")).json()["data"] == []
    assert len(embeddings(sim.url_for("embeddings_count")).json()["data"]) == 1


# -- every other scenario on the new paths -----------------------------------------------------------


def test_every_other_scenario_answers_the_new_paths_as_it_answers_chat() -> None:
    """An error scenario answers the same status and error code on /v1/responses and /v1/embeddings as on
    chat; a healthy one answers 200 on all three."""
    with Simulator() as sim:
        for name in sorted(set(SCENARIOS) - UNANSWERED - set(API_SCENARIOS)):
            answers = []
            for send in (chat, responses, embeddings):
                sim.clear_log()  # per-scenario counters (flaky, rate_limit_once) start again
                r = send(sim.url_for(name)) if send is chat else send(sim.url_for(name), model=DEFAULT_MODEL)
                answers.append((r.status_code, _error_code(r)))
            assert answers[1] == answers[0] == answers[2], name


def _error_code(r: requests.Response) -> Any:
    try:
        body = r.json()
    except ValueError:
        return None
    return (
        body.get("error", {}).get("code")
        if isinstance(body, dict) and isinstance(body.get("error"), dict)
        else None
    )


# -- the official SDK ----------------------------------------------------------------------------------


def client_for(base: str, api_key: str = DEFAULT_API_KEY) -> Any:
    return openai.OpenAI(base_url=base + "/v1", api_key=api_key, max_retries=0, timeout=5.0)


def test_sdk_responses_create(sim: Simulator) -> None:
    with client_for(sim.base_url) as client:
        response = client.responses.create(
            model=DEFAULT_MODEL, input=PROMPT, instructions=INSTRUCTIONS, max_output_tokens=16, temperature=0
        )
    assert response.output_text == "pong" and response.status == "completed"
    assert response.usage is not None and response.usage.total_tokens == response.usage.input_tokens + 1


def test_sdk_responses_stream_helper(sim: Simulator) -> None:
    with (
        client_for(sim.base_url) as client,
        client.responses.stream(model=DEFAULT_MODEL, input=PROMPT) as stream,
    ):
        deltas = [event.delta for event in stream if event.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(deltas) == "pong" and final.output_text == "pong"


def test_sdk_responses_create_stream(sim: Simulator) -> None:
    with client_for(sim.base_url) as client:
        stream = client.responses.create(model=DEFAULT_MODEL, input=PROMPT, stream=True)
        received = list(stream)
    assert "".join(e.delta for e in received if e.type == "response.output_text.delta") == "pong"
    assert received[-1].type == "response.completed" and received[-1].response.output_text == "pong"


def test_sdk_reads_a_refusal(sim: Simulator) -> None:
    with client_for(sim.url_for("responses_refusal")) as client:
        response = client.responses.create(model=DEFAULT_MODEL, input=PROMPT)
    assert response.output_text == "" and response.output[0].content[0].refusal == REFUSAL


@pytest.mark.parametrize(
    ("scenario", "error"),
    [
        ("auth", "AuthenticationError"),
        ("rate_limit", "RateLimitError"),
        ("responses_unsupported", "NotFoundError"),
        ("responses_not_implemented", "InternalServerError"),
    ],
)
def test_sdk_responses_errors(sim: Simulator, scenario: str, error: str) -> None:
    with client_for(sim.url_for(scenario)) as client, pytest.raises(getattr(openai, error)):
        client.responses.create(model=DEFAULT_MODEL, input=PROMPT)


def test_sdk_embeddings_default_base64_is_decoded(sim: Simulator) -> None:
    sim.clear_log()
    with client_for(sim.base_url) as client:
        decoded = client.embeddings.create(model=EMBEDDING_MODEL, input=[PROMPT, INSTRUCTIONS])
        floats = client.embeddings.create(
            model=EMBEDDING_MODEL, input=[PROMPT, INSTRUCTIONS], encoding_format="float"
        )
    sent = [json.loads(entry.body) for entry in sim.log]
    assert [s["encoding_format"] for s in sent] == ["base64", "float"]  # the SDK asks for base64 by default
    assert [len(d.embedding) for d in decoded.data] == [DEFAULT_DIMENSIONS] * 2
    for a, b in zip(decoded.data, floats.data, strict=True):
        assert all(math.isclose(x, y, abs_tol=1e-6) for x, y in zip(a.embedding, b.embedding, strict=True))


def test_sdk_embeddings_dimensions_and_explicit_base64(sim: Simulator) -> None:
    with client_for(sim.base_url) as client:
        small = client.embeddings.create(model=EMBEDDING_MODEL, input="pong", dimensions=64)
        raw = client.embeddings.create(
            model=EMBEDDING_MODEL, input="pong", dimensions=64, encoding_format="base64"
        )
    assert len(small.data) == 1 and len(small.data[0].embedding) == 64
    assert isinstance(raw.data[0].embedding, str) and len(base64.b64decode(raw.data[0].embedding)) == 4 * 64


def test_sdk_embeddings_unsupported(sim: Simulator) -> None:
    with client_for(sim.url_for("embeddings_unsupported")) as client, pytest.raises(openai.NotFoundError):
        client.embeddings.create(model=EMBEDDING_MODEL, input="pong")
