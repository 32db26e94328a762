"""Turn one HTTP response into a parsed body or a classified failure. Pure: no I/O."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from gate.client import HttpResponse
from gate.failures import FailureClass
from gate.jsonbody import NotJson
from gate.text import INTAKE_LIMIT, decode, one_line

_REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-oneapi-request-id", "x-litellm-call-id", "cf-ray")
_REQUEST_ID_IN_MESSAGE = re.compile(r"\(request id:\s*([^)\s]+)\s*\)", re.IGNORECASE)
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


@dataclass(frozen=True)
class HttpFailure:
    failure_class: FailureClass
    message: str
    status: int
    request_id: str | None
    retry_after_s: float | None
    error_code: str | None = None

    @property
    def retryable(self) -> bool:
        return self.failure_class.transient


def error_object(payload: Any) -> dict[str, Any] | None:
    """The `error` member of an OpenAI/CometAPI error body, normalised to a dict."""
    if not isinstance(payload, dict) or "error" not in payload or payload.get("error") in (None, ""):
        return None
    error = payload["error"]
    if isinstance(error, dict):
        return error
    return {"message": str(error)}


def request_id(response: HttpResponse, error: dict[str, Any] | None = None) -> str | None:
    for name in _REQUEST_ID_HEADERS:
        value = response.headers.get(name)
        if value:
            return one_line(value, INTAKE_LIMIT)
    if error is not None:
        match = _REQUEST_ID_IN_MESSAGE.search(str(error.get("message", "")))
        if match:
            return match.group(1)
    return None


def retry_after_seconds(headers: dict[str, str] | Any) -> float | None:
    """Seconds the server asks us to wait (`retry-after-ms` wins over `Retry-After`), or None.

    A value that is not a finite, non-negative number (NaN, inf, 1e400, a date that does not parse) counts
    as absent; a huge one is capped later by --max-retry-after."""
    millis = _finite(headers.get("retry-after-ms"))
    if millis is not None:
        return millis / 1000.0
    text = headers.get("retry-after")
    seconds = _finite(text)
    if seconds is not None or not text:
        return seconds
    try:
        when = parsedate_to_datetime(text)
        return max((when - dt.datetime.now(dt.UTC)).total_seconds(), 0.0)
    except (TypeError, ValueError, OverflowError):
        return None


def _finite(text: str | None) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except (ValueError, OverflowError):
        return None
    return value if math.isfinite(value) and value >= 0 else None


def _host_of(url: str) -> str:
    """The host of a URL as sent, case kept (urlsplit().hostname lower-cases it, which would hide a key
    from a case-sensitive match), without userinfo or port."""
    netloc = urlsplit(url).netloc.rpartition("@")[2]
    if netloc.startswith("["):
        return netloc.partition("]")[0] + "]"
    return netloc.partition(":")[0]


def _looks_like_html(response: HttpResponse) -> bool:
    content_type = response.headers.get("content-type", "").lower()
    head = response.body[:512].lstrip().lower()
    return "html" in content_type or head.startswith((b"<!doctype", b"<html"))


def classify_status(response: HttpResponse, payload: Any) -> HttpFailure | None:
    """A failure for any non-2xx answer (and for a 2xx that carries an error body), else None.

    `payload` is the body's one parse (`jsonbody.try_parse`), a NotJson when it is not JSON."""
    status = response.status
    error = error_object(payload)
    rid = request_id(response, error)
    code = str(error.get("code") or error.get("type") or "") if error else ""
    if error and str(error.get("type") or "") in _AUTH_CODES:
        code = str(error["type"])  # LiteLLM puts the status in `code` and the reason in `type`
    detail = one_line(str(error.get("message", "")), INTAKE_LIMIT) if error else ""
    if not detail and response.body and status >= 300:
        detail = "HTML page" if _looks_like_html(response) else one_line(decode(response.body, 200))
    suffix = f": {detail}" if detail else ""
    retry_after = retry_after_seconds(response.headers)

    def fail(failure_class: FailureClass, message: str) -> HttpFailure:
        return HttpFailure(failure_class, message, status, rid, retry_after, code or None)

    if 200 <= status < 300:
        if error is None:
            return None
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
    if status == 402 or (status == 429 and code in _QUOTA_CODES) or code in _QUOTA_CODES:
        return fail(FailureClass.QUOTA, f"HTTP {status} quota or credit exhausted{suffix}")
    if status == 429:
        return fail(FailureClass.RATE_LIMIT, f"HTTP 429 rate limited{suffix}")
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


def describe_non_json(response: HttpResponse, payload: NotJson) -> str:
    """Why a 2xx body is not the API's JSON, in words an operator can act on."""
    content_type = response.headers.get("content-type", "none")
    if _looks_like_html(response):
        return (
            f"HTTP {response.status} returned an HTML page (content-type {one_line(content_type, 60)}), "
            "not JSON: likely a proxy, captive portal or wrong host"
        )
    if not response.body:
        return f"HTTP {response.status} returned an empty body"
    return f"HTTP {response.status} body is {payload.reason} (content-type {one_line(content_type, 60)})"
