"""Turn one HTTP response into a classified failure, or None when it is a success. Pure: no I/O.

The gateway's own answers (one-api / new-api, `gate.diagnosis.gateway_rules`) are recognised first, by code
and message; then the status decides, with the codes OpenAI, LiteLLM and vLLM send.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from gate.core.failures import FailureClass
from gate.core.jsonbody import NotJson
from gate.core.text import INTAKE_LIMIT, decode, one_line
from gate.http.client import HttpResponse
from gate.http.headers import RequestIds, request_ids, retry_after_seconds

# "The model `x` does not exist." (OpenAI, vLLM's 404), "model not found", "no such model".
_MODEL_MISSING = re.compile(
    r"\bmodel\b.{0,200}?\b(does not exist|not found)|\bno such model\b", re.IGNORECASE
)
_RETRYABLE_STATUS = frozenset({408, 409, 429, 524})
# Key problems some gateways answer with 400 (LiteLLM without a key database: 400 no_db_connection).
_AUTH_CODES = frozenset({"invalid_api_key", "authentication_error", "no_db_connection", "unauthorized"})
_QUOTA_CODES = frozenset({"insufficient_quota", "quota_exceeded", "billing_hard_limit_reached"})
_MODEL_CODES = frozenset({"model_not_found", "invalid_model", "model_not_available"})
_REQUEST_CODES = frozenset({"invalid_request", "invalid_request_error", "bad_request"})


@dataclass(frozen=True, eq=False)
class HttpFailure:
    failure_class: FailureClass
    message: str
    status: int
    request_ids: RequestIds
    retry_after_s: float | None
    error_code: str | None = None
    hint: str | None = None  # the specific next step, when the answer says more than its class
    param: str | None = None  # the request parameter the error names (OpenAI's error.param)


@dataclass(frozen=True, eq=False)
class NonJsonFailure:
    failure_class: FailureClass
    message: str
    hint: str | None = None


def error_object(payload: Any) -> dict[str, Any] | None:
    """The `error` member of an OpenAI/CometAPI error body, normalised to a dict."""
    if not isinstance(payload, dict) or "error" not in payload or payload.get("error") in (None, ""):
        return None
    error = payload["error"]
    if isinstance(error, dict):
        return error
    return {"message": str(error)}


def classify_status(response: HttpResponse, payload: Any) -> HttpFailure | None:
    """A failure for any non-2xx answer (and for a 2xx that carries an error body), else None.

    `payload` is the body's one parse (`jsonbody.try_parse`), a NotJson when it is not JSON."""
    status = response.status
    error = error_object(payload)
    message = one_line(str(error.get("message", "")), INTAKE_LIMIT) if error else ""
    code = str(error.get("code") or error.get("type") or "") if error else ""
    if error and str(error.get("type") or "") in _AUTH_CODES:
        code = str(error["type"])  # LiteLLM puts the status in `code` and the reason in `type`
    detail = message
    if not detail and response.body and status >= 300:
        detail = "HTML page" if looks_like_html(response) else one_line(decode(response.body, 200))
    suffix = f": {detail}" if detail else ""
    ids = request_ids(response.headers, message)
    param = str(error.get("param") or "") or None if error else None

    def fail(failure_class: FailureClass, text: str, hint: str | None = None) -> HttpFailure:
        retry_after = retry_after_seconds(response.headers)
        return HttpFailure(failure_class, text, status, ids, retry_after, code or None, hint, param)

    if 200 <= status < 300 and error is None:
        return None
    from gate.diagnosis import gateway_rules as gateway  # its rule table is needed only when something failed

    rule = gateway.match(status, code, message)
    if rule is not None:
        return fail(rule.failure_class, f"HTTP {status} {rule.what}{suffix}", rule.hint)
    if 200 <= status < 300:
        if code in _AUTH_CODES:  # a revoked key must not look transient
            return fail(FailureClass.AUTH, f"HTTP {status} carried an authentication error body{suffix}")
        return fail(FailureClass.UPSTREAM, f"HTTP {status} carried an error body{suffix}")
    if 300 <= status < 400:
        location = response.headers.get("location", "")
        target = _host_of(location) or one_line(location, 120) or "no Location header"
        return fail(FailureClass.ENDPOINT, f"HTTP {status} redirect to {target} (redirects are not followed)")
    if status == 407:
        return fail(FailureClass.PROXY, f"HTTP 407 the proxy wants authentication{suffix}")
    if status in (401, 403) or (400 <= status < 500 and code in _AUTH_CODES):
        return fail(
            FailureClass.AUTH, f"HTTP {status} {'unauthorized' if status == 401 else 'forbidden'}{suffix}"
        )
    if status == 402 or code in _QUOTA_CODES:
        return fail(FailureClass.QUOTA, f"HTTP {status} quota or credit exhausted{suffix}")
    if status == 429:
        return fail(FailureClass.RATE_LIMIT, f"HTTP 429 rate limited{suffix or ' (empty body)'}")
    if code in _MODEL_CODES or (400 <= status < 500 and _MODEL_MISSING.search(detail)):
        return fail(FailureClass.REQUEST, f"HTTP {status} model rejected{suffix}")
    if status in (404, 405):
        return fail(
            FailureClass.ENDPOINT,
            f"HTTP {status} {'not found' if status == 404 else 'method not allowed'}{suffix}",
        )
    if status == 408:
        return fail(FailureClass.TIMEOUT, f"HTTP 408 request timeout{suffix}")
    if status >= 500 and code in _REQUEST_CODES:
        return fail(FailureClass.REQUEST, f"HTTP {status} with code {code}: the request was rejected{suffix}")
    if status >= 500 or status in _RETRYABLE_STATUS:
        return fail(FailureClass.UPSTREAM, f"HTTP {status} upstream error{suffix}")
    return fail(FailureClass.REQUEST, f"HTTP {status} request rejected{suffix}")


def describe_non_json(response: HttpResponse, payload: NotJson) -> NonJsonFailure:
    """Why a 2xx body is not the API's JSON, in words an operator can act on. An HTML page is the gateway's
    own web UI (served with 200 for any path it does not route: the base URL's path is wrong, class
    endpoint) when the page says so, else something in the way (a proxy or captive portal: protocol)."""
    content_type = one_line(response.headers.get("content-type", "none"), 60)
    if looks_like_html(response):
        from gate.diagnosis import gateway_rules as gateway

        evidence = gateway.web_ui_evidence(response.headers, response.body)
        if evidence:
            return NonJsonFailure(
                FailureClass.ENDPOINT,
                f"HTTP {response.status} returned the gateway's web UI (index.html), not the API: "
                f"{'; '.join(evidence)}",
                "The base URL's path does not reach the API (the gateway serves its web UI for any path it "
                "does not route): use https://<host> or https://<host>/v1 as --base-url.",
            )
        return NonJsonFailure(
            FailureClass.PROTOCOL,
            f"HTTP {response.status} returned an HTML page (content-type {content_type}), not JSON, and "
            "nothing on it names the gateway: likely a proxy, captive portal or wrong host",
        )
    if not response.body:
        return NonJsonFailure(FailureClass.PROTOCOL, f"HTTP {response.status} returned an empty body")
    return NonJsonFailure(
        FailureClass.PROTOCOL,
        f"HTTP {response.status} body is {payload.reason} (content-type {content_type})",
    )


def looks_like_html(response: HttpResponse) -> bool:
    content_type = response.headers.get("content-type", "").lower()
    head = response.body[:512].lstrip().lower()
    return "html" in content_type or head.startswith((b"<!doctype", b"<html"))


def _host_of(url: str) -> str:
    """The host of a URL as sent, case kept (urlsplit().hostname lower-cases it, which would hide a key
    from a case-sensitive match), without userinfo or port."""
    netloc = urlsplit(url).netloc.rpartition("@")[2]
    if netloc.startswith("["):
        return netloc.partition("]")[0] + "]"
    return netloc.partition(":")[0]
