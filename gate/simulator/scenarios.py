"""The scenario registry: every behaviour the simulator can play, by name, with a one-line description."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from gate.simulator import api_scenarios, newapi, reasoning, replays, request_files
from gate.simulator import behaviours as b
from gate.simulator import hostile as h
from gate.simulator import responses as r
from gate.simulator import timing as t
from gate.simulator.behaviours import Behaviour


@dataclass(frozen=True)
class Scenario:
    """A named simulator behaviour."""

    name: str
    description: str
    behaviour: Behaviour
    waits: bool = False  # holds the client until its deadline: a test needs a short --timeout for it


_TABLE = [
    Scenario(
        "ok",
        "Behave like the real CometAPI chat completions service; honours response_format and tools",
        request_files.service,
    ),
    Scenario("auth", "401 invalid_api_key for every request, whatever the key", b.invalid_token),
    Scenario(
        "forbidden",
        "403 forbidden: token group has no access",
        b.fixed_error(
            403, "Access denied for this token group", "forbidden", request_id=False, with_param=False
        ),
    ),
    Scenario(
        "wrong_path",
        "404 with an HTML (non-JSON) body, as from a misrouted base URL",
        b.static_body(404, r.HTML_404, "text/html"),
    ),
    Scenario(
        "method_not_allowed",
        "405 JSON error for every request",
        b.fixed_error(
            405,
            "Method not allowed",
            "method_not_allowed",
            "invalid_request_error",
            request_id=False,
            param=None,
        ),
    ),
    Scenario(
        "bad_model", "404 model_not_found for any model; /v1/models omits the configured model", b.bad_model
    ),
    Scenario(
        "bad_request",
        "400 invalid_request_error (param messages) for every request",
        b.bad_request,
    ),
    Scenario(
        "invalid_request_500",
        "500 comet_api_error with code invalid_request (a request error, not retryable)",
        b.fixed_error(500, "invalid request", "invalid_request"),
    ),
    Scenario(
        "rate_limit",
        "Always 429 rate_limit_exceeded with Retry-After: 1",
        b.rate_limited([("Retry-After", "1")]),
    ),
    Scenario(
        "rate_limit_once",
        "First request 429 with retry-after-ms: 50, then ok",
        b.counted(lambda ex: 1, b.rate_limited([("retry-after-ms", "50")])),
    ),
    Scenario(
        "quota",
        "429 insufficient_quota (billing, not retryable)",
        b.fixed_error(429, r.QUOTA_MESSAGE, "insufficient_quota", "insufficient_quota"),
    ),
    Scenario(
        "payment_required",
        "402 Insufficient account balance (code insufficient_quota)",
        b.fixed_error(402, "Insufficient account balance", "insufficient_quota"),
    ),
    Scenario(
        "one_sample_fails",
        "Only the second request 500s (one bad sample among good ones), every other is ok",
        b.nth_fails(2, b.fixed_error(500, "internal server error", "internal_error")),
    ),
    Scenario(
        "flaky",
        "First flaky_failures requests 503 service_unavailable, then ok",
        b.counted(
            lambda ex: ex.state.flaky_failures,
            b.fixed_error(503, "Service temporarily unavailable", "service_unavailable"),
        ),
    ),
    Scenario(
        "upstream",
        "Always 502 bad_gateway (comet_api_error)",
        b.fixed_error(502, "Bad gateway", "bad_gateway"),
    ),
    Scenario(
        "gateway_timeout_524",
        "Always 524 with a Cloudflare-style HTML body",
        b.static_body(524, r.HTML_524, "text/html"),
    ),
    Scenario(
        "server_error",
        "Always 500 internal_error (a plain, retryable server error)",
        b.fixed_error(500, "internal server error", "internal_error"),
    ),
    Scenario("slow", "Wait slow_seconds before sending anything, then ok", t.slow_ok, waits=True),
    Scenario("latency_100ms", "Sleep 0.1 s, then ok (for benchmarks)", t.latency_ok),
    Scenario(
        "drip",
        "Headers with Content-Length, then one body byte every drip_interval seconds",
        t.drip,
        waits=True,
    ),
    Scenario(
        "stall_body", "Headers (Content-Length: 500), then nothing until stop", t.stall_body, waits=True
    ),
    Scenario("disconnect", "Read the request, then close the connection without any response", t.disconnect),
    Scenario(
        "html", "200 text/html captive-portal login page", b.static_body(200, r.HTML_PORTAL, "text/html")
    ),
    Scenario("not_json", "200 application/json whose body is not JSON", b.not_json),
    Scenario("error_200", "200 with an error object instead of a completion", b.error_200),
    Scenario(
        "contract",
        "200 JSON completion missing choices",
        b.reshaped(b.missing_choices),
    ),
    Scenario(
        "contract_types",
        "200 JSON where choices is an object and created a string",
        b.reshaped(b.wrong_types),
    ),
    Scenario(
        "null_content", "Completion with content null and finish_reason stop", b.content_change(content=None)
    ),
    Scenario(
        "empty_content", 'Completion with content "" and finish_reason stop', b.content_change(content="")
    ),
    Scenario(
        "wrong_answer",
        "Completion that refuses instead of answering",
        b.content_change(content=r.WRONG_ANSWER, completion_tokens=10),
    ),
    Scenario(
        "length",
        "Content null, finish_reason length, 16 completion tokens",
        b.content_change(content=None, finish_reason="length", completion_tokens=16),
    ),
    Scenario(
        "rerouted_model",
        f"Ok, but the response model is {r.REROUTED_MODEL}",
        b.content_change(model=r.REROUTED_MODEL),
    ),
    Scenario(
        "no_usage",
        "Ok without the usage field (and no usage chunk when streaming)",
        b.content_change(usage=False),
    ),
    Scenario(
        "huge", "200 JSON of huge_bytes with Content-Length, written in 64 KiB pieces", t.huge(chunked=False)
    ),
    Scenario("huge_chunked", "200 JSON of huge_bytes, chunked transfer encoding", t.huge(chunked=True)),
    Scenario(
        "echo_key", "Ok, but echoes the presented key in a header, system_fingerprint and debug", h.echo_key
    ),
    Scenario(
        "echo_key_error",
        "401 whose message and x-echo-authorization header contain the presented key",
        h.echo_key_error,
    ),
    Scenario(
        "redirect", "301 to https://evil.example.net/v1/chat/completions (credential leak bait)", h.redirect
    ),
    Scenario("redirect_same_host", "308 to /v2/chat/completions on the same server", h.redirect_same_host),
    Scenario(
        "broken_stream",
        "Stream: one chunk, then malformed JSON and close without [DONE]; else not_json",
        b.broken_stream,
    ),
    Scenario(
        "stream_error_event",
        "Stream: one chunk, then an error event and [DONE]; else error_200",
        b.stream_error_event,
    ),
    Scenario(
        "stream_stall",
        "Stream: the role chunk, then nothing until stop or client disconnect; else stall_body",
        t.stream_stall,
        waits=True,
    ),
    Scenario(
        "stream_split",
        "Stream in 3-7 byte writes: CRLF, keep-alive comments, 2-line data, split UTF-8, usage; else ok",
        b.stream_split,
    ),
    Scenario(
        "stream_no_done",
        "Stream: role, content and finish chunks, clean end without data: [DONE]; else ok",
        b.stream_no_done,
    ),
    Scenario(
        "accept_any_key", "Ok, but any API key (or none) is accepted; model still checked", b.accept_any_key
    ),
    Scenario(
        "accept_any_model", "Ok, but any model id is accepted and echoed in the response", b.accept_any_model
    ),
    Scenario(
        "models_malformed",
        'GET /v1/models answers 200 {"object":"list","data":"not a list"}; chat is ok',
        b.models_malformed,
    ),
    Scenario(
        "models_missing",
        "GET /v1/models lists <model>-2024-07-18 but not the configured model; chat is ok",
        b.models_missing,
    ),
    Scenario(
        "control_chars",
        "500 whose message has ANSI escapes, control chars, emoji, markup, 10 KB padding",
        h.control_chars,
    ),
]

# The gateway CometAPI runs (one-api / new-api), answering in its own dialect, and a reasoning model.
# ... and the application's own requests: structured outputs and tool calls, honoured or not.
_TABLE += [Scenario(*entry) for entry in (*newapi.SCENARIOS, *reasoning.SCENARIOS, *request_files.SCENARIOS)]
# ... and the other APIs: /v1/responses and /v1/embeddings, each broken in one way (chat stays healthy).
_TABLE += [Scenario(*entry) for entry in api_scenarios.SCENARIOS]

# Other servers' answers, replayed byte for byte (docs/dialects.md), and Azure OpenAI's stream.
_TABLE += [Scenario(r.name, f"{r.family}: {r.description}", replays.behaviour(r)) for r in replays.every()]
_TABLE.append(
    Scenario(
        "azure_stream", "Ok; a stream starts with Azure's prompt-filter event (choices: [])", b.azure_stream
    )
)

SCENARIOS: dict[str, Scenario] = {s.name: s for s in _TABLE}

# The scenarios that wait for the client's deadline; every test that runs them all shares this set.
WAITING_SCENARIOS = frozenset(name for name, scenario in SCENARIOS.items() if scenario.waits)


def closest_scenarios(name: str, count: int = 3) -> list[str]:
    """The scenario names nearest a mistyped one (difflib), best first; [] when none is close."""
    return difflib.get_close_matches(name.strip().lower()[:100], SCENARIOS, n=count, cutoff=0.6)


def unknown_scenario_hint(name: str, prefix: str = "") -> str:
    """What to say about a name that is no scenario: the closest names (each after ``prefix``, e.g.
    ``sim://``), never all of them."""
    close = [f"{prefix}{match}" for match in closest_scenarios(name)]
    listing = f"`cometapi-smoke-gate simulate --list` shows all {len(SCENARIOS)}"
    return f"did you mean {' or '.join(close)}? ({listing})" if close else f"no scenario is close; {listing}"
