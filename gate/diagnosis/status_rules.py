"""The generic answers: what an HTTP status (and the error code beside it) means when no gateway rule
(`gate.diagnosis.gateway_rules`) recognised the answer. Each row cites where the status or code is defined.

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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from gate.core.failures import FailureClass
from gate.core.text import one_line

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


@dataclass(frozen=True, eq=False)
class Answer:
    """What the status rules look at: the status, the error code and the body's one-line detail."""

    status: int
    code: str
    detail: str  # the error message, else the start of the body (or "HTML page")
    headers: Mapping[str, str]

    @property
    def suffix(self) -> str:
        return f": {self.detail}" if self.detail else ""

    @property
    def said(self) -> str:
        """The suffix, or that the body was empty (a bare 429 is worth saying so)."""
        return self.suffix or " (empty body)"

    @property
    def client_error(self) -> bool:
        return 400 <= self.status < 500

    @property
    def redirect_target(self) -> str:
        """Where a redirect points: its host (case kept), else the Location as given."""
        location = self.headers.get("location", "")
        return _host_of(location) or one_line(location, 120) or "no Location header"


@dataclass(frozen=True, eq=False)
class StatusRule:
    name: str
    failure_class: FailureClass
    message: str  # a str.format template over `a`, the Answer: formatted only for the rule that matched
    applies: Callable[[Answer], bool]
    source: str


def _success(a: Answer) -> bool:
    return 200 <= a.status < 300


# First match wins. A 2xx reaches these rules only when it carries an error body.
RULES: tuple[StatusRule, ...] = (
    StatusRule(
        "error_body_auth",
        FailureClass.AUTH,
        "HTTP {a.status} carried an authentication error body{a.suffix}",
        lambda a: _success(a) and a.code in AUTH_CODES,
        "a key error inside a 2xx: a revoked key must not look transient (OpenAI error codes: "
        "invalid_api_key)",
    ),
    StatusRule(
        "error_body",
        FailureClass.UPSTREAM,
        "HTTP {a.status} carried an error body{a.suffix}",
        _success,
        "a gateway relaying an upstream error with 200 (new-api `RelayErrorHandler`, docs/gateway.md)",
    ),
    StatusRule(
        "redirect",
        FailureClass.ENDPOINT,
        "HTTP {a.status} redirect to {a.redirect_target} (redirects are not followed)",
        lambda a: 300 <= a.status < 400,
        "RFC 9110 15.4: the API is not at this URL; the gate never follows a redirect with the key",
    ),
    StatusRule(
        "proxy_auth",
        FailureClass.PROXY,
        "HTTP 407 the proxy wants authentication{a.suffix}",
        lambda a: a.status == 407,
        "RFC 9110 15.5.8 Proxy Authentication Required",
    ),
    StatusRule(
        "unauthorized",
        FailureClass.AUTH,
        "HTTP 401 unauthorized{a.suffix}",
        lambda a: a.status == 401,
        "RFC 9110 15.5.2; OpenAI error codes: 401 Invalid Authentication, Incorrect API key provided",
    ),
    StatusRule(
        "forbidden",
        FailureClass.AUTH,
        "HTTP {a.status} forbidden{a.suffix}",
        lambda a: a.status == 403 or (a.client_error and a.code in AUTH_CODES),
        "RFC 9110 15.5.4; OpenAI error codes: 403 Country, region, or territory not supported; LiteLLM 400 "
        "no_db_connection for a key it cannot check",
    ),
    StatusRule(
        "quota",
        FailureClass.QUOTA,
        "HTTP {a.status} quota or credit exhausted{a.suffix}",
        lambda a: a.status == 402 or a.code in _QUOTA_CODES,
        "RFC 9110 15.5.3 Payment Required; OpenAI error codes: 429 insufficient_quota, You exceeded your "
        "current quota",
    ),
    StatusRule(
        "rate_limited",
        FailureClass.RATE_LIMIT,
        "HTTP 429 rate limited{a.said}",
        lambda a: a.status == 429,
        "RFC 6585 4 Too Many Requests; OpenAI error codes: 429 Rate limit reached for requests",
    ),
    StatusRule(
        "model_rejected",
        FailureClass.REQUEST,
        "HTTP {a.status} model rejected{a.suffix}",
        lambda a: a.code in _MODEL_CODES or (a.client_error and bool(_MODEL_MISSING.search(a.detail))),
        "OpenAI: 404 model_not_found, The model `x` does not exist; vLLM `_check_model`: the same message",
    ),
    StatusRule(
        "not_found",
        FailureClass.ENDPOINT,
        "HTTP 404 not found{a.suffix}",
        lambda a: a.status == 404,
        "RFC 9110 15.5.5: no API at this path (the base URL's path is wrong)",
    ),
    StatusRule(
        "method_not_allowed",
        FailureClass.ENDPOINT,
        "HTTP 405 method not allowed{a.suffix}",
        lambda a: a.status == 405,
        "RFC 9110 15.5.6: the path exists but is not the API's POST endpoint",
    ),
    StatusRule(
        "request_timeout",
        FailureClass.TIMEOUT,
        "HTTP 408 request timeout{a.suffix}",
        lambda a: a.status == 408,
        "RFC 9110 15.5.9 Request Timeout; retried by openai-python `_should_retry`",
    ),
    StatusRule(
        "request_as_5xx",
        FailureClass.REQUEST,
        "HTTP {a.status} with code {a.code}: the request was rejected{a.suffix}",
        lambda a: a.status >= 500 and a.code in _REQUEST_CODES,
        "new-api `types.NewError` answers a bad request with 500 by default (docs/gateway.md)",
    ),
    StatusRule(
        "upstream",
        FailureClass.UPSTREAM,
        "HTTP {a.status} upstream error{a.suffix}",
        lambda a: a.status >= 500 or a.status in _RETRYABLE_STATUS,
        "RFC 9110 15.6 server errors and 409 Conflict, retried by openai-python `_should_retry`; "
        "OpenAI error codes: 500, 503; Cloudflare 524",
    ),
    StatusRule(
        "rejected",
        FailureClass.REQUEST,
        "HTTP {a.status} request rejected{a.suffix}",
        lambda a: True,
        "RFC 9110 15.5: any other client error (400, 413, 422, ...) is the request's",
    ),
)


def match(answer: Answer) -> StatusRule:
    """The first rule that applies (the last one always does)."""
    return next(rule for rule in RULES if rule.applies(answer))


def _host_of(url: str) -> str:
    """The host of a URL as sent, case kept (urlsplit().hostname lower-cases it, which would hide a key
    from a case-sensitive match), without userinfo or port."""
    netloc = urlsplit(url).netloc.rpartition("@")[2]
    if netloc.startswith("["):
        return netloc.partition("]")[0] + "]"
    return netloc.partition(":")[0]
