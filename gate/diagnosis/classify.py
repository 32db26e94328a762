"""Turn one HTTP response into a classified failure, or None when it is a success. Pure: no I/O.

The gateway's own answers (one-api / new-api, `gate.diagnosis.gateway_rules`) are recognised first, by code
and message; then the status decides, with the codes OpenAI, LiteLLM and vLLM send
(`gate.diagnosis.status_rules`, a table whose rows cite their sources).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gate.core.failures import FailureClass
from gate.core.jsonbody import NotJson
from gate.core.text import INTAKE_LIMIT, decode, one_line
from gate.diagnosis import status_rules
from gate.http.client import HttpResponse
from gate.http.headers import RequestIds, request_ids, retry_after_seconds


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
    error = error_object(payload)
    if 200 <= response.status < 300 and error is None:
        return None
    message, code = _message_and_code(error)
    answer = status_rules.Answer(response.status, code, _detail(response, message), response.headers)
    failure_class, text, hint = _meaning(answer, message)
    return HttpFailure(
        failure_class,
        text,
        answer.status,
        request_ids(response.headers, message),
        retry_after_seconds(response.headers),
        error_code=code or None,
        hint=hint,
        param=str(error.get("param") or "") or None if error else None,
    )


def _meaning(answer: status_rules.Answer, message: str) -> tuple[FailureClass, str, str | None]:
    """(class, failure message, the specific next step): the gateway's own answer first, else the status."""
    from gate.diagnosis import gateway_rules as gateway  # its rule table is needed only when something failed

    rule = gateway.match(answer.status, answer.code, message)
    if rule is not None:
        return rule.failure_class, f"HTTP {answer.status} {rule.what}{answer.suffix}", rule.hint
    generic = status_rules.match(answer)
    return generic.failure_class, generic.message.format(a=answer), None


def _message_and_code(error: dict[str, Any] | None) -> tuple[str, str]:
    """The error's message (one line) and code. LiteLLM puts the status in `code` and the reason in `type`:
    a key-related type wins over the code."""
    if not error:
        return "", ""
    message = one_line(str(error.get("message", "")), INTAKE_LIMIT)
    kind = str(error.get("type") or "")
    code = kind if kind in status_rules.AUTH_CODES else str(error.get("code") or kind)
    return message, code


def _detail(response: HttpResponse, message: str) -> str:
    """What the failure message quotes: the error's message, else the start of a non-2xx body."""
    if message or not response.body or response.status < 300:
        return message
    return "HTML page" if looks_like_html(response) else one_line(decode(response.body, 200))


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
