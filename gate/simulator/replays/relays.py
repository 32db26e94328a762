"""Portkey's AI gateway (npm @portkey-ai/gateway 1.15.2, the open-source Portkey-AI/gateway), observed on
loopback by tests/peers/test_portkey.py with the simulator as its only upstream (x-portkey-provider: openai,
x-portkey-custom-host: <simulator>/s/<scenario>/v1).

Portkey's own answers: its request validator's 400 ``{"status": "failure", "message": ...}``, the 408
``timeout_error`` of x-portkey-request-timeout, and the 500 ``{"html-message": ...}`` when it cannot reach
the upstream. The upstream's own errors come back with their status and headers (Retry-After kept), the body
re-serialised by Portkey: ``openai error: `` before the message, ``"provider": "openai"`` after ``error``.
Once a provider is picked every answer carries the x-portkey-* headers below; x-portkey-trace-id is empty
unless the request sent one (Portkey echoes it), and there is no request id of Portkey's own. The relayed
bodies keep the simulator's request id, as seen on the wire.
"""

from __future__ import annotations

from gate.simulator.replays.replay import Replay

_SOURCE = "Portkey-AI/gateway 1.15.2 (npm @portkey-ai/gateway), observed on loopback; "
_VALIDATOR = "src/middlewares/requestValidator/index.ts requestValidator"
_RELAYED = (
    "src/providers/openai/chatComplete.ts OpenAIChatCompleteResponseTransform, "
    "src/providers/utils.ts generateErrorResponse"
)
# On every answer once a provider is picked (src/globals.ts RESPONSE_HEADER_KEYS), in the order sent.
_PORTKEY_HEADERS = (
    ("x-portkey-cache-status", "DISABLED"),
    ("x-portkey-last-used-option-index", "config"),
    ("x-portkey-provider", "openai"),
    ("x-portkey-retry-attempt-count", "0"),
    ("x-portkey-trace-id", ""),
)

REPLAYS: tuple[Replay, ...] = (
    Replay(
        name="portkey_missing_provider",
        family="Portkey",
        status=400,
        body=(
            '{"status":"failure","message":"Either x-portkey-config or x-portkey-provider header is '
            'required"}'
        ),
        source=_SOURCE + _VALIDATOR,
        description=(
            "no x-portkey-provider or x-portkey-config header: Portkey's request validator refuses "
            "before any upstream call"
        ),
    ),
    Replay(
        name="portkey_invalid_provider",
        family="Portkey",
        status=400,
        body='{"status":"failure","message":"Invalid provider passed"}',
        source=_SOURCE + _VALIDATOR + " (VALID_PROVIDERS)",
        description="x-portkey-provider names no provider Portkey knows",
    ),
    Replay(
        name="portkey_invalid_custom_host",
        family="Portkey",
        status=400,
        body='{"status":"failure","message":"Invalid custom host"}',
        source=_SOURCE + _VALIDATOR + " (isValidCustomHost)",
        description="x-portkey-custom-host is not an http(s) URL Portkey accepts",
    ),
    Replay(
        name="portkey_timeout",
        family="Portkey",
        status=408,
        body=(
            '{"error":{"message":"Request exceeded the timeout sent in the request: 500ms",'
            '"type":"timeout_error","param":null,"code":null}}'
        ),
        source=_SOURCE
        + (
            "src/handlers/retryHandler.ts fetchWithTimeout; passed on untransformed by "
            "src/handlers/streamHandler.ts handleNonStreamingMode"
        ),
        headers=_PORTKEY_HEADERS,
        description=(
            "the upstream took longer than x-portkey-request-timeout (500 ms): Portkey aborted and "
            "answered 408 itself"
        ),
    ),
    Replay(
        name="portkey_upstream_unreachable",
        family="Portkey",
        status=500,
        body=(
            '{"html-message":"Message: fetch failed Cause: SocketError: other side closed Name: TypeError"}'
        ),
        source=_SOURCE
        + (
            "src/handlers/retryHandler.ts retryRequest (TypeError: fetch failed), wrapped by "
            "src/handlers/streamHandler.ts handleTextResponse"
        ),
        headers=_PORTKEY_HEADERS,
        description=(
            "the upstream closed the connection without answering: Portkey's fetch failed and it "
            "answered 500 itself"
        ),
    ),
    Replay(
        name="portkey_relayed_auth",
        family="Portkey",
        status=401,
        body=(
            '{"error":{"message":"openai error: Invalid token (request id: '
            '20261204013345e54a224c353a203788e9)","type":"comet_api_error","param":"",'
            '"code":"invalid_api_key"},"provider":"openai"}'
        ),
        source=_SOURCE + _RELAYED,
        headers=_PORTKEY_HEADERS,
        description=(
            "the upstream's 401 invalid_api_key relayed, message prefixed 'openai error: ', provider added"
        ),
    ),
    Replay(
        name="portkey_relayed_quota",
        family="Portkey",
        status=429,
        body=(
            '{"error":{"message":"openai error: You exceeded your current quota, please check your '
            'plan and billing details (request id: 20261204013345d802129622c253b59f72)",'
            '"type":"insufficient_quota","param":"","code":"insufficient_quota"},"provider":"openai"}'
        ),
        source=_SOURCE + _RELAYED,
        headers=_PORTKEY_HEADERS,
        description=(
            "the upstream's 429 insufficient_quota relayed with its status, message prefixed 'openai "
            "error: ': billing, not a rate limit"
        ),
    ),
    Replay(
        name="portkey_relayed_rate_limit",
        family="Portkey",
        status=429,
        body=(
            '{"error":{"message":"openai error: Rate limit reached for requests (request id: '
            '20261204013345e67864763d75a8773f61)","type":"comet_api_error","param":"",'
            '"code":"rate_limit_exceeded"},"provider":"openai"}'
        ),
        source=_SOURCE + _RELAYED,
        headers=(("retry-after", "1"), *_PORTKEY_HEADERS),
        description=(
            "the upstream's 429 rate_limit_exceeded relayed with its Retry-After, message prefixed "
            "'openai error: '"
        ),
    ),
    Replay(
        name="portkey_relayed_model_not_found",
        family="Portkey",
        status=404,
        body=(
            '{"error":{"message":"openai error: The model `gpt-4o-mini` does not exist",'
            '"type":"invalid_request_error","param":null,"code":"model_not_found"},"provider":"openai"}'
        ),
        source=_SOURCE + _RELAYED,
        headers=_PORTKEY_HEADERS,
        description="the upstream's 404 model_not_found relayed, message prefixed 'openai error: '",
    ),
    Replay(
        name="portkey_relayed_server_error",
        family="Portkey",
        status=500,
        body=(
            '{"error":{"message":"openai error: internal server error (request id: '
            '2026120401334597f434119a422a726a76)","type":"comet_api_error","param":"",'
            '"code":"internal_error"},"provider":"openai"}'
        ),
        source=_SOURCE + _RELAYED,
        headers=_PORTKEY_HEADERS,
        description=(
            "the upstream's 500 relayed, message prefixed 'openai error: ' (Portkey does not retry "
            "without x-portkey-retry-count)"
        ),
    ),
    Replay(
        name="portkey_relayed_unavailable",
        family="Portkey",
        status=503,
        body=(
            '{"error":{"message":"openai error: Service temporarily unavailable (request id: '
            '20261204013345c805eaaeaa6f130c68f5)","type":"comet_api_error","param":"",'
            '"code":"service_unavailable"},"provider":"openai"}'
        ),
        source=_SOURCE + _RELAYED,
        headers=_PORTKEY_HEADERS,
        description="the upstream's 503 service_unavailable relayed, message prefixed 'openai error: '",
    ),
)
