"""The gate through the Portkey AI gateway (npm @portkey-ai/gateway, pinned in scripts/peers_setup.sh), run
as CI runs it, with the simulator as Portkey's only upstream.

Each case sends the same request twice: once as the gate (a subprocess, its report read back) and once as a
plain HTTP call through Portkey, whose exact answer the test asserts. Portkey relays an OpenAI-style error
of the upstream with its status, but re-serialises the body: `openai error: ` before the message, `param`
and `code` null when absent, `"provider": "openai"` after `error`. Its own answers are
`{"status": "failure", "message": ...}` (request validation, 400), a 408 `timeout_error` in OpenAI's shape
(x-portkey-request-timeout) and a 500 `{"html-message": ...}` when the upstream cannot be reached.
Portkey's own answers and a relayed one are replayed byte for byte by gate/simulator/replays/relays.py.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import requests

from gate.core.jsonbody import try_parse
from gate.diagnosis.classify import classify_status
from gate.http.client import HttpResponse
from tests.peers.portkey_peer import (
    API_KEY,
    MODEL,
    PORTKEY_VERSION,
    PortkeyGateRun,
    PortkeyPeer,
    observe_portkey,
)

pytestmark = pytest.mark.peers

SMOKE_BODY = {
    "model": MODEL,
    "messages": [
        {"role": "system", "content": "Reply with exactly the word: pong"},
        {"role": "user", "content": "ping"},
    ],
    "max_tokens": 16,
    "temperature": 0,
}
AUTH = {"Authorization": f"Bearer {API_KEY}"}
FAST = ("--samples", "1", "--retries", "1", "--max-retry-after", "0.05")
# What Portkey adds to every answer once a provider is picked (src/globals.ts RESPONSE_HEADER_KEYS and
# x-portkey-provider); x-portkey-trace-id echoes the request's, empty when none was sent.
PORTKEY_ANSWER_HEADERS = {
    "x-portkey-cache-status": "DISABLED",
    "x-portkey-last-used-option-index": "config",
    "x-portkey-provider": "openai",
    "x-portkey-retry-attempt-count": "0",
}
MISSING_PROVIDER = (
    b'{"status":"failure","message":"Either x-portkey-config or x-portkey-provider header is required"}'
)


def through_portkey(
    http: requests.Session, peer: PortkeyPeer, headers: dict[str, str], body: Any = None
) -> requests.Response:
    return http.post(peer.chat_url, json=body or SMOKE_BODY, headers={**AUTH, **headers}, timeout=30)


def gate_class_of(response: requests.Response) -> str | None:
    """The class the gate's own classifier gives this answer (None: a success)."""
    headers = {name.lower(): value for name, value in response.headers.items()}
    answer = HttpResponse(response.status_code, response.reason, headers, response.content, 0.0, 0.0)
    failure = classify_status(answer, try_parse(answer.body))
    return None if failure is None else str(failure.failure_class)


def portkey_headers_of(response: requests.Response) -> dict[str, str]:
    return {k.lower(): v for k, v in response.headers.items() if k.lower().startswith("x-portkey-")}


def gate_said(run: PortkeyGateRun) -> dict[str, Any]:
    """What the gate said, for the observations: exit code, class, the completion check, next step."""
    completion = next((c for c in run.report.get("checks", []) if c["id"] == "completion"), {})
    details = completion.get("details") or {}
    return {
        "exit": run.exit_code,
        "class": run.report.get("failure_class"),
        "message": completion.get("message"),
        "next_step": run.report.get("next_step"),
        "http_status": details.get("http_status"),
        "attempts": details.get("attempts"),
        "request_id": details.get("request_id"),
    }


def without_request_id(text: str) -> str:
    return re.sub(r"\(request id: [^)]*\)", "(request id: …)", text)


# ---------------------------------------------------------------------------------------------------------
# The happy path


def test_pass_through_portkey(
    run_gate_portkey: Any, portkey: PortkeyPeer, portkey_http: requests.Session
) -> None:
    """The gate passes through Portkey with its routing headers, one extra header and a masked gateway key
    (--header-env); neither key appears in anything the run wrote, and no x-portkey-* header reaches the
    upstream, which sees the gate's Authorization as sent."""
    gateway_key = "pk-peer-gateway-key-0123456789"
    run = run_gate_portkey(
        "ok",
        "--samples",
        "1",
        "--header",
        "x-portkey-trace-id: gate-peer-trace",
        "--header-env",
        "x-portkey-api-key=PORTKEY_TEST_KEY",
        extra_env={"PORTKEY_TEST_KEY": gateway_key},
    )
    assert run.exit_code == 0, run.explain()
    assert (run.report["result"], run.report["failure_class"]) == ("pass", None)
    assert run.check("completion")["details"]["http_status"] == 200
    # The console's config block lists every extra header, the credential one masked.
    headers_line = next(line for line in run.stdout.splitlines() if line.strip().startswith("headers"))
    assert "x-portkey-provider: openai" in headers_line
    assert f"x-portkey-custom-host: {portkey.upstream('ok')}" in headers_line
    assert "x-portkey-trace-id: gate-peer-trace" in headers_line
    assert "x-portkey-api-key: ***" in headers_line
    written = run.written()
    assert API_KEY not in written
    assert gateway_key not in written
    # What the simulator received through Portkey: the gate's key, no Portkey header.
    (request,) = portkey.sim.log
    assert request.path == "/s/ok/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert not [name for name in request.headers if name.startswith("x-portkey-")]

    response = through_portkey(portkey_http, portkey, portkey.headers("ok", x_portkey_trace_id="raw-trace"))
    assert response.status_code == 200
    assert portkey_headers_of(response) == {**PORTKEY_ANSWER_HEADERS, "x-portkey-trace-id": "raw-trace"}
    assert response.headers["x-request-id"].startswith("req_")  # the upstream's, copied through
    assert response.json()["choices"][0]["message"]["content"] == "pong"
    observe_portkey("ok", response, gate_said(run))


def test_report_config_records_the_headers(run_gate_portkey: Any) -> None:
    """EXPECTATION: the JSON report's config records the extra headers as the console does (names, and
    values with credentials masked), so a report says which gateway route it tested."""
    run = run_gate_portkey(
        "ok",
        "--samples",
        "1",
        "--header-env",
        "x-portkey-api-key=PORTKEY_TEST_KEY",
        extra_env={"PORTKEY_TEST_KEY": "pk-peer-gateway-key-0123456789"},
    )
    assert run.exit_code == 0, run.explain()
    config = json.dumps(run.report["config"])
    assert "x-portkey-provider" in config, run.report["config"]
    assert "x-portkey-custom-host" in config
    assert "x-portkey-api-key" in config
    assert "pk-peer-gateway-key-0123456789" not in config


def test_custom_host_needs_v1(portkey: PortkeyPeer, portkey_http: requests.Session) -> None:
    """Portkey appends only /chat/completions to the custom host: without /v1 the upstream is asked for
    /s/ok/chat/completions (the simulator's 404, relayed with Portkey's prefix)."""
    headers = {"x-portkey-provider": "openai", "x-portkey-custom-host": portkey.sim.url_for("ok")}
    response = through_portkey(portkey_http, portkey, headers)
    assert response.status_code == 404
    assert [r.path for r in portkey.sim.log] == ["/s/ok/chat/completions"]
    assert response.json()["error"]["message"].startswith("openai error: ")
    observe_portkey("custom host without /v1", response)


# ---------------------------------------------------------------------------------------------------------
# Portkey's own answers


def test_missing_provider_is_a_request_error(
    run_gate_portkey: Any, portkey: PortkeyPeer, portkey_http: requests.Session
) -> None:
    """Without x-portkey-provider (or x-portkey-config) Portkey's request validator answers 400 itself
    (src/middlewares/requestValidator/index.ts): a request error, and the next step names the header."""
    headers = {"x-portkey-custom-host": portkey.upstream("ok")}
    run = run_gate_portkey("ok", *FAST, headers=headers)
    said = gate_said(run)
    response = through_portkey(portkey_http, portkey, headers)
    observe_portkey("no x-portkey-provider", response, said)
    assert portkey.sim.log == []  # never reached the upstream
    assert response.status_code == 400
    assert response.content == MISSING_PROVIDER
    assert response.headers["content-type"] == "application/json"
    assert portkey_headers_of(response) == {}  # rejected before a provider was chosen

    assert run.exit_code == 1, run.explain()
    assert (run.report["failure_class"], run.report["failed_check"]) == ("request", "completion")
    assert said["attempts"] == 1
    next_step = run.report["next_step"] or ""
    assert "x-portkey-provider" in next_step or "x-portkey-config" in next_step, next_step


@pytest.mark.parametrize(
    ("case", "headers", "message"),
    [
        ("unknown provider", {"x-portkey-provider": "no-such-provider"}, "Invalid provider passed"),
        ("custom host not http(s)", {"x-portkey-custom-host": "ftp://127.0.0.1/v1"}, "Invalid custom host"),
    ],
)
def test_other_validation_answers(
    portkey: PortkeyPeer, portkey_http: requests.Session, case: str, headers: dict[str, str], message: str
) -> None:
    """The request validator's other 400s, on the wire, and the class the gate's classifier gives them."""
    response = through_portkey(portkey_http, portkey, {**portkey.headers("ok"), **headers})
    assert response.status_code == 400
    assert response.json() == {"status": "failure", "message": message}
    assert portkey.sim.log == []
    assert gate_class_of(response) == "request"
    observe_portkey(case, response, {"class": gate_class_of(response)})


def test_portkey_request_timeout(
    run_gate_portkey: Any, portkey: PortkeyPeer, portkey_http: requests.Session
) -> None:
    """x-portkey-request-timeout: 500 against the simulator's slow scenario: Portkey aborts the upstream call
    and answers 408 timeout_error itself (src/handlers/retryHandler.ts fetchWithTimeout), in OpenAI's shape
    and without the `openai error: ` prefix. A timeout: transient, retried, exit 3."""
    headers = portkey.headers("slow", x_portkey_request_timeout="500")
    run = run_gate_portkey("slow", *FAST, headers=headers)
    said = gate_said(run)
    response = through_portkey(portkey_http, portkey, headers)
    observe_portkey("408 x-portkey-request-timeout 500", response, said)
    assert response.status_code == 408
    assert response.content == (
        b'{"error":{"message":"Request exceeded the timeout sent in the request: 500ms",'
        b'"type":"timeout_error","param":null,"code":null}}'
    )
    assert portkey_headers_of(response) == {**PORTKEY_ANSWER_HEADERS, "x-portkey-trace-id": ""}

    assert run.exit_code == 3, run.explain()
    assert (run.report["failure_class"], run.report["failed_check"]) == ("timeout", "completion")
    assert said["http_status"] == 408
    assert said["attempts"] == 2


def test_upstream_unreachable_is_portkey_500(
    run_gate_portkey: Any, portkey: PortkeyPeer, portkey_http: requests.Session
) -> None:
    """The upstream closes the connection without answering (simulator `disconnect`): Portkey's fetch fails
    and it answers 500 {"html-message": "Message: fetch failed Cause: ..."} (src/handlers/retryHandler.ts,
    wrapped by src/handlers/streamHandler.ts handleTextResponse). Upstream: transient, exit 3."""
    run = run_gate_portkey("disconnect", *FAST)
    said = gate_said(run)
    response = through_portkey(portkey_http, portkey, portkey.headers("disconnect"))
    observe_portkey("upstream closes the connection", response, said)
    assert response.status_code == 500
    assert response.content == (
        b'{"html-message":"Message: fetch failed Cause: SocketError: other side closed Name: TypeError"}'
    )
    assert portkey_headers_of(response) == {**PORTKEY_ANSWER_HEADERS, "x-portkey-trace-id": ""}

    assert run.exit_code == 3, run.explain()
    assert (run.report["failure_class"], said["http_status"]) == ("upstream", 500)


def test_loopback_guard_refuses_other_hosts(portkey: PortkeyPeer, portkey_http: requests.Session) -> None:
    """The suite's own guard: Portkey's default upstream for provider openai (api.openai.com) is refused
    before any DNS look-up, and the failure comes back as Portkey's 500."""
    response = through_portkey(portkey_http, portkey, {"x-portkey-provider": "openai"})
    assert response.status_code == 500
    assert "peer guard: connection to api.openai.com refused" in response.json()["html-message"]


# ---------------------------------------------------------------------------------------------------------
# The upstream's errors, relayed


RELAYED = [
    # scenario, exit code, class, attempts, status, error.type, error.code
    ("auth", 1, "auth", 1, 401, "comet_api_error", "invalid_api_key"),
    ("quota", 1, "quota", 1, 429, "insufficient_quota", "insufficient_quota"),
    ("rate_limit", 3, "rate_limit", 2, 429, "comet_api_error", "rate_limit_exceeded"),
    ("bad_model", 1, "request", 1, 404, "invalid_request_error", "model_not_found"),
    ("server_error", 3, "upstream", 2, 500, "comet_api_error", "internal_error"),
    ("upstream", 3, "upstream", 2, 502, "comet_api_error", "bad_gateway"),
]


@pytest.mark.parametrize(
    ("scenario", "exit_code", "failure_class", "attempts", "status", "error_type", "error_code"),
    RELAYED,
    ids=[r[0] for r in RELAYED],
)
def test_relayed_errors(
    run_gate_portkey: Any,
    portkey: PortkeyPeer,
    portkey_http: requests.Session,
    scenario: str,
    exit_code: int,
    failure_class: str,
    attempts: int,
    status: int,
    error_type: str,
    error_code: str,
) -> None:
    """Portkey relays the upstream's status and headers (retry-after, server) and re-serialises its error
    (src/providers/openai/chatComplete.ts → src/providers/utils.ts generateErrorResponse): the message gets
    `openai error: ` in front, `provider` is added; type and code are kept. Portkey does not retry (no
    x-portkey-retry-count), so every attempt of the gate is one request upstream."""
    run = run_gate_portkey(scenario, *FAST)
    said = gate_said(run)
    gate_requests = portkey.sim.count(scenario)
    direct = portkey_http.post(
        f"{portkey.upstream(scenario)}/chat/completions", json=SMOKE_BODY, headers=AUTH, timeout=30
    )
    response = through_portkey(portkey_http, portkey, portkey.headers(scenario))
    observe_portkey(f"relayed {scenario}", response, said)

    assert response.status_code == status == direct.status_code
    assert portkey_headers_of(response) == {**PORTKEY_ANSWER_HEADERS, "x-portkey-trace-id": ""}
    assert response.headers.get("retry-after") == direct.headers.get("retry-after")
    body, upstream = response.json(), direct.json()["error"]
    assert list(body) == ["error", "provider"] and body["provider"] == "openai"
    assert (body["error"]["type"], body["error"]["code"]) == (error_type, error_code)
    assert without_request_id(body["error"]["message"]) == "openai error: " + without_request_id(
        upstream["message"]
    )
    assert body["error"]["param"] == upstream.get("param")

    assert run.exit_code == exit_code, run.explain()
    assert (run.report["failure_class"], run.report["failed_check"]) == (failure_class, "completion")
    assert (said["http_status"], said["attempts"]) == (status, attempts)
    assert gate_requests == attempts  # quota: exactly one request, not retried


def test_suite_runs_the_pinned_version(portkey: PortkeyPeer) -> None:
    assert portkey.version == PORTKEY_VERSION
