"""The gate's ``--api responses`` and ``--api embeddings`` through the LiteLLM proxy (docs/peers.md).

Two ways of running LiteLLM, both offline:

- **Mocked** (the session's proxy, every model answering from ``mock_response``): LiteLLM serves
  ``/v1/responses`` and ``/v1/embeddings`` from its mocks, but neither mock is a truthful answer. The
  Responses mock is a canned Response object whose ``usage.output_tokens_details.reasoning_tokens`` is
  ``null`` (the API says integer), its stream is a 500, and it ignores the error mocks; the embedding mock is
  one fixed vector whatever the input. These tests assert that the gate's verdict on each is truthful.
- **Relayed** (a second proxy, module scope, no mocks): the models point at the gate's simulator on loopback
  as their OpenAI upstream, so LiteLLM's real Responses and Embeddings routes carry real answers. The gate
  passes through them, streams included.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from gate.core.jsonbody import try_parse
from gate.diagnosis.classify import classify_status
from gate.http.client import HttpResponse
from gate.simulator import DEFAULT_API_KEY, Simulator
from tests.peers.litellm_peer import (
    EMBEDDING_MOCK_VECTOR,
    EMBEDDING_MODEL,
    LITELLM,
    MASTER_KEY,
    MODEL,
    GateRun,
    Peer,
    RunGate,
    gate_runner,
    observe,
    running_litellm,
)

pytestmark = pytest.mark.peers

AUTH = {"Authorization": f"Bearer {MASTER_KEY}"}
RESPONSES_BODY = {
    "model": MODEL,
    "input": "ping",
    "instructions": "Reply with exactly the word: pong",
    "max_output_tokens": 16,
    "temperature": 0,
}
EMBEDDINGS_BODY = {"input": ["ping", "Reply with exactly the word: pong"]}
RELAY_EMBEDDING_MODEL = "text-embedding-3-small"


def gate_class_of(response: requests.Response) -> str | None:
    """The class the gate's own classifier gives this answer (None: a success)."""
    headers = {name.lower(): value for name, value in response.headers.items()}
    answer = HttpResponse(response.status_code, response.reason, headers, response.content, 0.0, 0.0)
    failure = classify_status(answer, try_parse(answer.body))
    return None if failure is None else str(failure.failure_class)


def assert_fails(run: GateRun, exit_code: int, failure_class: str, failed_check: str) -> dict[str, Any]:
    assert run.exit_code == exit_code, run.explain()
    report = run.report
    assert (report["result"], report["failure_class"], report["failed_check"]) == (
        "fail",
        failure_class,
        failed_check,
    )
    return run.check(failed_check)


# ---------------------------------------------------------------------------------------------------------
# Mocked: the session's proxy


def test_responses_mock_breaks_the_contract(
    run_gate: RunGate, http: requests.Session, litellm_peer: Peer
) -> None:
    """LiteLLM answers ``/v1/responses`` from ``mock_response`` without any upstream: a canned Response object
    (status ``completed``, the mock's text, fixed usage 36/87, ``max_output_tokens: null`` whatever was asked)
    whose ``usage.output_tokens_details.reasoning_tokens`` is ``null``. The Responses API types it as an
    integer, so a typed client breaks on it: the gate says ``contract`` (exit 1) and names the field."""
    run = run_gate("--api", "responses")
    completion = assert_fails(run, 1, "contract", "completion")
    assert "reasoning_tokens" in completion["message"]
    assert completion["details"]["http_status"] == 200
    assert completion["details"]["attempts"] == 1
    assert "Responses API" in run.report["next_step"]
    assert run.report["config"]["api"] == "responses"

    response = http.post(
        f"{litellm_peer.base_url}/v1/responses", json=RESPONSES_BODY, headers=AUTH, timeout=30
    )
    body = response.json()
    assert response.status_code == 200
    assert (body["object"], body["status"]) == ("response", "completed")
    assert body["output"][0]["content"][0]["text"] == "pong"
    assert body["usage"]["output_tokens_details"]["reasoning_tokens"] is None
    assert (body["usage"]["input_tokens"], body["usage"]["output_tokens"]) == (36, 87)
    assert body["max_output_tokens"] is None  # the request asked for 16: the mock does not read it
    observe("responses, mock", 200, body, "contract", "canned object, reasoning_tokens null")


def test_responses_mock_ignores_the_error_mocks(
    run_gate: RunGate, http: requests.Session, litellm_peer: Peer
) -> None:
    """The error mocks (``mock_response: litellm.RateLimitError``) raise only on chat completions: on
    ``/v1/responses`` the same model answers 200 with that string as its text. The gate still says
    ``contract`` (the canned usage comes first), never a rate limit LiteLLM did not send."""
    run = run_gate("--api", "responses", model="peer-rate-limited")
    assert_fails(run, 1, "contract", "completion")

    body = dict(RESPONSES_BODY, model="peer-rate-limited")
    response = http.post(f"{litellm_peer.base_url}/v1/responses", json=body, headers=AUTH, timeout=30)
    assert response.status_code == 200
    assert response.json()["output"][0]["content"][0]["text"] == "litellm.RateLimitError"
    observe("responses, error mock model", 200, response.json(), "contract", "error mock answered as text")


def test_responses_mock_stream_is_a_500_event(http: requests.Session, litellm_peer: Peer) -> None:
    """The Responses mock cannot stream: LiteLLM answers ``stream: true`` with HTTP 500 in a
    ``text/event-stream`` body, one ``data:`` error event ("Error processing stream start") and ``[DONE]``.
    The gate's classifier calls it ``upstream`` (transient). The gate itself never gets that far with the
    mock: its non-stream request fails the contract first (see above)."""
    body = dict(RESPONSES_BODY, stream=True)
    response = http.post(f"{litellm_peer.base_url}/v1/responses", json=body, headers=AUTH, timeout=30)
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/event-stream")
    events = [line for line in response.text.splitlines() if line.startswith("data: ")]
    assert events[-1] == "data: [DONE]"
    error = json.loads(events[0][len("data: ") :])["error"]
    assert (error["type"], error["code"]) == ("internal_server_error", "500")
    assert gate_class_of(response) == "upstream"
    observe("responses stream, mock", 500, {"error": error}, "upstream", "SSE error event + [DONE]")


@pytest.mark.parametrize("api", ["responses", "embeddings"])
def test_unknown_model_is_request(run_gate: RunGate, api: str) -> None:
    """An unknown model is LiteLLM's 400 on either route, its message naming the route: ``request``, once."""
    run = run_gate("--api", api, model="peer-no-such-model")
    completion = assert_fails(run, 1, "request", "completion")
    assert f"/{api}: Invalid model name passed in model=peer-no-such-model" in completion["message"]
    assert (completion["details"]["http_status"], completion["details"]["attempts"]) == (400, 1)
    observe(f"{api}, unknown model", 400, None, "request", f"message names /{api}")


def test_embeddings_mock_is_one_vector(run_gate: RunGate, http: requests.Session, litellm_peer: Peer) -> None:
    """LiteLLM's embedding mock (``mock_response: [0.25, -0.5, 0.125]``) answers that one vector whatever the
    input, so the gate's two inputs get one vector: the answer parses (``completion`` passes) but the
    ``embeddings`` check fails ``contract`` (exit 1), which is true of that answer."""
    run = run_gate("--api", "embeddings", model=EMBEDDING_MODEL)
    embeddings = assert_fails(run, 1, "contract", "embeddings")
    assert embeddings["message"] == "2 inputs were answered with 1 vector(s)"
    assert run.check("completion")["status"] == "pass"
    assert run.check("output")["status"] == "skip"
    assert "embedding vectors" in run.report["next_step"]

    body = dict(EMBEDDINGS_BODY, model=EMBEDDING_MODEL)
    response = http.post(f"{litellm_peer.base_url}/v1/embeddings", json=body, headers=AUTH, timeout=30)
    data = response.json()["data"]
    assert response.status_code == 200
    assert [item["embedding"] for item in data] == [EMBEDDING_MOCK_VECTOR]
    observe("embeddings, mock", 200, response.json(), "contract", "one fixed vector for 2 inputs")


def test_embeddings_on_a_chat_mock_is_a_string(
    run_gate: RunGate, http: requests.Session, litellm_peer: Peer
) -> None:
    """A chat model's string mock ("pong") on ``/v1/embeddings`` comes back as the embedding itself, a string
    (what base64 vectors look like): one "vector" for two inputs, ``contract`` again."""
    run = run_gate("--api", "embeddings")
    embeddings = assert_fails(run, 1, "contract", "embeddings")
    assert embeddings["details"]["encoding"] == "base64"

    body = dict(EMBEDDINGS_BODY, model=MODEL)
    response = http.post(f"{litellm_peer.base_url}/v1/embeddings", json=body, headers=AUTH, timeout=30)
    assert [item["embedding"] for item in response.json()["data"]] == ["pong"]
    observe("embeddings, chat model mock", 200, response.json(), "contract", 'embedding is the string "pong"')


def test_embeddings_without_a_mock_is_upstream(run_gate: RunGate) -> None:
    """Without a mock LiteLLM calls the upstream, here the loopback discard port: its 500 "Connection error"
    is ``upstream``, retried, exit 3, with the next step to retry later."""
    run = run_gate("--api", "embeddings", "--retries", "1", model="peer-embedding-unmocked")
    completion = assert_fails(run, 3, "upstream", "completion")
    assert "Connection error" in completion["message"]
    assert (completion["details"]["http_status"], completion["details"]["attempts"]) == (500, 2)
    assert "retry later" in run.report["next_step"]
    observe("embeddings, no mock (discard port)", 500, None, "upstream", "retried; exit 3")


# ---------------------------------------------------------------------------------------------------------
# Relayed: a second proxy whose models call the simulator on loopback


@pytest.fixture(scope="module")
def relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Peer, Simulator]]:
    """LiteLLM without mocks, its OpenAI upstream the simulator (``sim://ok``) on 127.0.0.1."""
    if not os.access(LITELLM, os.X_OK):
        pytest.skip(f"LiteLLM is not installed ({LITELLM} is missing): run scripts/peers_setup.sh first")
    upstream = {"api_key": DEFAULT_API_KEY}
    with Simulator() as sim:
        upstream["api_base"] = f"{sim.base_url}/v1"
        models = {
            MODEL: {"model": f"openai/{MODEL}", **upstream},
            RELAY_EMBEDDING_MODEL: {"model": f"openai/{RELAY_EMBEDDING_MODEL}", **upstream},
        }
        with running_litellm(tmp_path_factory.mktemp("litellm-relay"), models) as peer:
            yield peer, sim


@pytest.fixture
def run_relayed(relay: tuple[Peer, Simulator], tmp_path: Path) -> RunGate:
    relay[1].clear_log()
    return gate_runner(relay[0], tmp_path)


def test_responses_relayed_passes(run_relayed: RunGate, relay: tuple[Peer, Simulator]) -> None:
    """LiteLLM's real Responses route (OpenAI provider: native ``/responses`` upstream) relays the simulator's
    Response object and its typed event stream: every check passes, stream included."""
    run = run_relayed("--api", "responses", "--stream", "--samples", "2")
    assert run.exit_code == 0, run.explain()
    assert run.report["result"] == "pass"
    for check_id in ("completion", "output", "samples", "stream"):
        assert run.check(check_id)["status"] == "pass", check_id
    assert "response.completed" in run.check("stream")["message"]
    upstream_paths = {request.path for request in relay[1].log}
    assert upstream_paths == {"/v1/responses"}
    observe("responses, relayed to sim", 200, None, "pass", "stream: typed events + response.completed")


def test_embeddings_relayed_passes(run_relayed: RunGate, relay: tuple[Peer, Simulator]) -> None:
    """LiteLLM's real Embeddings route relays one vector per input in order: the gate passes."""
    run = run_relayed("--api", "embeddings", "--samples", "2", model=RELAY_EMBEDDING_MODEL)
    assert run.exit_code == 0, run.explain()
    embeddings = run.check("embeddings")
    assert embeddings["status"] == "pass"
    assert embeddings["message"].startswith("2 vector(s) of ")
    assert run.check("output")["status"] == "skip"
    assert {request.path for request in relay[1].log} == {"/v1/embeddings"}
    observe("embeddings, relayed to sim", 200, None, "pass", "2 vectors for 2 inputs")
