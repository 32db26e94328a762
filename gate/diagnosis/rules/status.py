"""The generic answers: what an HTTP status (and the error code beside it) means when no gateway or provider
row recognised the answer. Each row cites where the status or code is defined.

Sources, as cited in the rows:
- RFC 9110 (HTTP semantics) and RFC 6585 (429): what the status means on any server.
- OpenAI's error codes guide (platform.openai.com/docs/guides/error-codes) and the openai-python SDK
  (`_base_client.py` `_should_retry`: 408, 409, 429 and >= 500 are retried).
- LiteLLM's proxy: a key it cannot check is 400 with `type: no_db_connection` (docs/peers.md).
- vLLM's OpenAI server: an unknown model is 404 "The model `x` does not exist." (`serving_engine.py`
  `_check_model`).
- Cloudflare, in front of many gateways: 524 "a timeout occurred" (the origin did not answer in time).
"""

from __future__ import annotations

import re

from gate.core.failures import FailureClass
from gate.diagnosis.rules.row import API_NAMES, Answer, Rule, not_relayed_hint, rule

# "The model `x` does not exist." (OpenAI, vLLM's 404), "model not found", "no such model".
_MODEL_MISSING = re.compile(
    r"\bmodel\b.{0,200}?\b(does not exist|not found)|\bno such model\b", re.IGNORECASE
)
_RETRYABLE_STATUS = frozenset({408, 409, 429, 524})
# Key problems some gateways answer with 400 (LiteLLM without a key database: 400 no_db_connection).
AUTH_CODES = frozenset({"invalid_api_key", "authentication_error", "no_db_connection", "unauthorized"})
_QUOTA_CODES = frozenset({"insufficient_quota", "quota_exceeded", "billing_hard_limit_reached"})
_MODEL_CODES = frozenset({"model_not_found", "invalid_model", "model_not_available"})
_REQUEST_CODES = frozenset({"invalid_request", "invalid_request_error", "bad_request"})


def _success(a: Answer) -> bool:
    return 200 <= a.status < 300


# First match wins. A 2xx reaches these rules only when it carries an error body.
RULES: tuple[Rule, ...] = (
    rule(
        "error_body_auth",
        FailureClass.AUTH,
        "carried an authentication error body",
        "a key error inside a 2xx: a revoked key must not look transient (OpenAI error codes: "
        "invalid_api_key)",
        when=lambda a: _success(a) and bool(a.keys & AUTH_CODES),
    ),
    rule(
        "error_body",
        FailureClass.UPSTREAM,
        "carried an error body",
        "a gateway relaying an upstream error with 200 (new-api `RelayErrorHandler`, docs/gateway.md)",
        when=_success,
    ),
    rule(
        "redirect",
        FailureClass.ENDPOINT,
        "redirect to {a.redirect_target} (redirects are not followed)",
        "RFC 9110 15.4: the API is not at this URL; the gate never follows a redirect with the key",
        when=lambda a: 300 <= a.status < 400,
    ),
    rule(
        "proxy_auth",
        FailureClass.PROXY,
        "the proxy wants authentication",
        "RFC 9110 15.5.8 Proxy Authentication Required",
        statuses=(407,),
    ),
    rule(
        "firewall_page",
        FailureClass.PROTOCOL,
        "forbidden by a web page, not the API",
        "RFC 9110 15.5.4; a CDN or web application firewall answering in the API's place with its own HTML "
        "page (Cloudflare's 'Attention Required!' and error 1020 'Access denied' pages)",
        "A firewall or CDN in front of the API refused the runner (its egress IP, region or the request "
        "itself) before the API saw the key: check the page quoted in the report and the runner's egress.",
        statuses=(403,),
        when=lambda a: a.detail == "HTML page" and not a.keys,
    ),
    rule(
        "unauthorized",
        FailureClass.AUTH,
        "unauthorized",
        "RFC 9110 15.5.2; OpenAI error codes: 401 Invalid Authentication, Incorrect API key provided",
        statuses=(401,),
    ),
    rule(
        "forbidden",
        FailureClass.AUTH,
        "forbidden",
        "RFC 9110 15.5.4; LiteLLM 400 no_db_connection for a key it cannot check",
        when=lambda a: a.status == 403 or (a.client_error and bool(a.keys & AUTH_CODES)),
    ),
    rule(
        "quota",
        FailureClass.QUOTA,
        "quota or credit exhausted",
        "RFC 9110 15.5.3 Payment Required; OpenAI error codes: 429 insufficient_quota, You exceeded your "
        "current quota",
        when=lambda a: a.status == 402 or bool(a.keys & _QUOTA_CODES),
    ),
    rule(
        "rate_limited",
        FailureClass.RATE_LIMIT,
        "rate limited{a.said}",
        "RFC 6585 4 Too Many Requests; OpenAI error codes: 429 Rate limit reached for requests",
        statuses=(429,),
    ),
    rule(
        "model_rejected",
        FailureClass.REQUEST,
        "model rejected",
        "OpenAI: 404 model_not_found, The model `x` does not exist; vLLM `_check_model`: the same message",
        when=lambda a: (
            bool(a.keys & _MODEL_CODES) or (a.client_error and bool(_MODEL_MISSING.search(a.detail)))
        ),
    ),
    *(
        rule(
            f"{api}_not_served",
            FailureClass.ENDPOINT,
            f"on {path}: this API is not served here",
            "RFC 9110 15.5.5, 15.5.6, 15.6.2 (404, 405, 501 Not Implemented) on the API's own path; one-api "
            "router/relay.go `RelayNotImplemented` (501) and no /v1/responses route at all",
            not_relayed_hint(api),
            statuses=(404, 405, 501),
            when=lambda a, api=api: a.api == api,
        )
        for api, (_, path) in API_NAMES.items()
    ),
    rule(
        "not_found",
        FailureClass.ENDPOINT,
        "not found",
        "RFC 9110 15.5.5: no API at this path (the base URL's path is wrong)",
        statuses=(404,),
    ),
    rule(
        "method_not_allowed",
        FailureClass.ENDPOINT,
        "method not allowed",
        "RFC 9110 15.5.6: the path exists but is not the API's POST endpoint",
        statuses=(405,),
    ),
    rule(
        "request_timeout",
        FailureClass.TIMEOUT,
        "request timeout",
        "RFC 9110 15.5.9 Request Timeout; retried by openai-python `_should_retry`",
        statuses=(408,),
    ),
    rule(
        "request_as_5xx",
        FailureClass.REQUEST,
        "with code {a.code}: the request was rejected{a.suffix}",
        "new-api `types.NewError` answers a bad request with 500 by default (docs/gateway.md)",
        when=lambda a: a.status >= 500 and bool(a.keys & _REQUEST_CODES),
    ),
    rule(
        "upstream",
        FailureClass.UPSTREAM,
        "upstream error",
        "RFC 9110 15.6 server errors and 409 Conflict, retried by openai-python `_should_retry`; "
        "OpenAI error codes: 500, 503; Cloudflare 524",
        when=lambda a: a.status >= 500 or a.status in _RETRYABLE_STATUS,
    ),
    rule(
        "rejected",
        FailureClass.REQUEST,
        "request rejected",
        "RFC 9110 15.5: any other client error (400, 413, 422, ...) is the request's",
    ),
)
