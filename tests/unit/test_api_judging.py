"""The judges of --api responses | embeddings, pure: the rule rows for an API the gateway does not relay, the
embedding vectors' checks (property-tested over vectors and encodings) and the Responses stream reader."""

from __future__ import annotations

import base64
import json
import math
import struct

from hypothesis import given
from hypothesis import strategies as st

from gate.checks.api_answers import vector_problem
from gate.core.failures import FailureClass
from gate.core.jsonbody import try_parse
from gate.diagnosis import rules
from gate.diagnosis.api_judge import evaluate_api, finish_reason, output_text
from gate.diagnosis.classify import classify_status
from gate.diagnosis.envelope import ErrorRecord
from gate.diagnosis.responses_stream import ResponsesStreamCollector
from gate.http.client import HttpResponse


def _answer(status: int, body: dict | None = None) -> HttpResponse:
    raw = json.dumps(body).encode() if body is not None else b""
    return HttpResponse(status, "", {"content-type": "application/json"}, raw, 1.0, 1.0)


def _rule(status: int, body: dict | None, api: str) -> str:
    response = _answer(status, body)
    found = classify_status(response, try_parse(response.body), api)
    assert found is not None
    return f"{found.failure_class.value} {found.rule}"


INVALID_URL = {"error": {"message": "Invalid URL (POST /v1/responses)", "type": "invalid_request_error"}}


def test_a_missing_route_is_the_api_not_relayed_only_off_chat():
    assert _rule(404, INVALID_URL, "responses") == "endpoint newapi.responses_not_relayed"
    assert _rule(404, INVALID_URL, "chat") == "endpoint newapi.invalid_url"  # chat: as before --api
    doubled = {"error": {"message": "Invalid URL (POST /v1/v1/responses)"}}
    assert _rule(404, doubled, "responses") == "endpoint newapi.invalid_url"  # the base URL's path
    assert _rule(404, None, "embeddings") == "endpoint status.embeddings_not_served"
    assert _rule(404, None, "chat") == "endpoint status.not_found"
    assert _rule(501, {"error": {"message": "not implemented"}}, "responses") == (
        "endpoint status.responses_not_served"
    )
    assert _rule(501, {"error": {"message": "not implemented"}}, "chat") == (
        "endpoint self_hosted.llamacpp_embeddings_only"
    )
    new_api = {
        "error": {"message": "not implemented", "type": "new_api_error", "code": "convert_request_failed"}
    }
    assert _rule(500, new_api, "responses") == "endpoint newapi.responses_not_implemented"
    assert _rule(404, {"error": {"code": "model_not_found", "message": "no"}}, "responses") == (
        "request status.model_rejected"
    )


def test_every_api_row_gives_the_specific_next_step():
    for _, rows in rules.tables():
        for row in rows:
            if row.name.startswith(("responses_", "embeddings_")):
                assert row.failure_class is FailureClass.ENDPOINT
                assert "use --api chat, or a channel that supports it" in (row.hint or "")
    assert rules.Answer(404, ErrorRecord(), "", {}).api == "chat"


def _response(**changes) -> dict:
    body = {
        "id": "resp_1",
        "object": "response",
        "created_at": 1,
        "status": "completed",
        "model": "m",
        "output": [
            {"type": "reasoning", "id": "rs_1", "summary": []},
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "po"}, {"type": "output_text", "text": "ng"}],
            },
        ],
        "usage": {"input_tokens": 3, "output_tokens": 2},
    }
    return {**body, **changes}


def test_a_response_is_judged_by_its_contract_and_status():
    judged = evaluate_api(_answer(200, _response()), "responses")
    assert judged.failure is None and output_text(judged.payload) == "pong"
    failed = _response(status="failed", error={"code": "server_error", "message": "boom"}, output=[])
    judged = evaluate_api(_answer(200, failed), "responses")
    assert judged.failure is FailureClass.UPSTREAM and "boom" in judged.message
    judged = evaluate_api(_answer(200, _response(object="chat.completion")), "responses")
    assert judged.failure is FailureClass.CONTRACT
    judged = evaluate_api(
        _answer(200, _response(output=[{"type": "message", "role": "assistant"}])), "responses"
    )
    assert judged.failure is FailureClass.CONTRACT and "content" in judged.message
    incomplete = _response(status="incomplete", incomplete_details={"reason": "max_output_tokens"})
    assert finish_reason(incomplete) == "max_output_tokens"
    assert (
        evaluate_api(_answer(200, {"object": "list", "data": "x"}), "embeddings").failure
        is FailureClass.CONTRACT
    )


def _payload(vectors: list) -> dict:
    return {
        "object": "list",
        "data": [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)],
    }


FLOATS = st.floats(min_value=-1, max_value=1, allow_nan=False, width=32)


@given(
    st.integers(min_value=1, max_value=64).flatmap(
        lambda n: st.lists(st.lists(FLOATS, min_size=n, max_size=n), min_size=2, max_size=2)
    ),
    st.booleans(),
)
def test_good_vectors_pass_as_floats_and_as_base64(vectors, encoded):
    if encoded:
        vectors = [base64.b64encode(struct.pack(f"<{len(v)}f", *v)).decode() for v in vectors]
    problem, summary = vector_problem(_payload(vectors), 2, None)
    assert problem is None
    dimension = len(vectors[0]) if not encoded else len(base64.b64decode(vectors[0])) // 4
    assert summary == f"2 vector(s) of {dimension} dimensions, every value finite"
    wrong = dimension + 1
    problem, _ = vector_problem(_payload(vectors), 2, wrong)
    assert problem is not None and f"not the --expect-dimensions {wrong}" in problem


@given(st.lists(FLOATS, min_size=1, max_size=16), st.sampled_from([math.nan, math.inf, -math.inf]), st.data())
def test_a_non_finite_value_is_found_wherever_it_is(vector, bad, data):
    at = data.draw(st.integers(min_value=0, max_value=len(vector) - 1))
    broken = [*vector[:at], bad, *vector[at + 1 :]]
    raw = json.dumps(_payload([vector, broken])).encode()  # Python writes the NaN / Infinity literals
    problem, _ = vector_problem(try_parse(raw), 2, None)
    assert problem is not None and f"at {at}: not a finite number" in problem
    packed = base64.b64encode(struct.pack(f"<{len(broken)}f", *broken)).decode()
    problem, _ = vector_problem(_payload([vector, packed]), 2, None)
    assert problem is not None and "not a finite number" in problem


def test_count_order_ragged_and_bad_base64_are_named():
    assert "answered with 1 vector(s)" in vector_problem(_payload([[1.0]]), 2, None)[0]
    swapped = _payload([[1.0], [2.0]])
    swapped["data"].reverse()
    assert "not 0..1 in order" in vector_problem(swapped, 2, None)[0]
    assert "differ in dimension: [2, 1]" in vector_problem(_payload([[1.0, 2.0], [1.0]]), 2, None)[0]
    assert "not valid base64" in vector_problem(_payload(["%%%", "%%%"]), 2, None)[0]
    odd = base64.b64encode(b"abcde").decode()
    assert "not a multiple of 4" in vector_problem(_payload([odd, odd]), 2, None)[0]
    assert "dimension 0" in vector_problem(_payload([[], []]), 2, None)[0]


def _sse(*events: tuple[str, dict]) -> bytes:
    return b"".join(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode() for name, data in events)


def _event(kind: str, number: int, **fields) -> tuple[str, dict]:
    return kind, {"type": kind, "sequence_number": number, **fields}


def test_the_stream_reader_reassembles_and_needs_the_completed_event():
    collector = ResponsesStreamCollector(0.0)
    completed = _response()
    collector.feed(
        _sse(
            _event("response.created", 0, response={**completed, "status": "in_progress", "output": []}),
            _event("response.output_text.delta", 1, delta="po"),
            _event("response.output_text.delta", 2, delta="ng"),
        )
    )
    assert collector.text == "pong" and not collector.done
    collector.feed(_sse(_event("response.completed", 3, response=completed)))
    assert collector.done and collector.problem is None and collector.finish_reason == "completed"
    assert collector.usage == {"input_tokens": 3, "output_tokens": 2}


def test_the_stream_reader_names_each_broken_stream():
    cases = {
        "out of order": (
            _event("response.created", 5, response={}),
            _event("response.in_progress", 5, response={}),
        ),
        "breaks the contract": (
            ("response.output_text.delta", {"type": "response.output_text.delta", "delta": "x"}),
        ),
        "response.failed event: boom": (
            _event("response.failed", 0, response={"error": {"message": "boom"}}),
        ),
        "error event inside the 200 stream (server_error)": (
            ("error", {"type": "error", "code": "server_error", "message": "m"}),
        ),
    }
    for words, events in cases.items():
        collector = ResponsesStreamCollector(0.0)
        collector.feed(_sse(*events))
        assert collector.problem is not None and words in collector.problem[1], (words, collector.problem)
