"""Turn one HTTP response into a diagnosis (a classified failure), or None when it is a success. Pure.

The error is read out of whatever envelope the server wrapped it in (`gate.diagnosis.envelope`), then the
rule tables decide (`gate.diagnosis.rules`: the gateway CometAPI runs, relays, hosted providers,
self-hosted servers, then what the status means anywhere); the first row that fits gives the class, and
with it whether to retry, and the next step.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from gate.core.failures import FailureClass
from gate.core.jsonbody import NotJson
from gate.core.text import decode, one_line
from gate.diagnosis import envelope
from gate.diagnosis.envelope import ErrorRecord
from gate.http.client import HttpResponse, TransportError
from gate.http.headers import RequestIds, request_ids, retry_after_seconds


@dataclass(frozen=True, eq=False)
class Diagnosis:
    """What one failed answer means: the class, the message, the specific next step and the facts beside
    them (status, ids, the wait the server asked for) and the rule that decided (`table.row`)."""

    failure_class: FailureClass
    message: str
    hint: str | None = None  # the specific next step, when the answer says more than its class
    status: int | None = None
    param: str | None = None  # the request parameter the error names (OpenAI's error.param)
    request_ids: RequestIds = field(default_factory=RequestIds)
    retry_after_s: float | None = None
    rule: str = ""


def classify_status(response: HttpResponse, payload: Any, api: str = "chat") -> Diagnosis | None:
    """A diagnosis for any non-2xx answer (and for a 2xx that carries an error body), else None.

    `payload` is the body's one parse (`jsonbody.try_parse`), a NotJson when it is not JSON; `api` the API
    the request went to (--api)."""
    success = 200 <= response.status < 300
    error = envelope.read(payload, success=success)
    if success and error is None:
        return None
    from gate.diagnosis import rules  # its tables are needed only when something failed

    record = error or ErrorRecord()
    answer = rules.Answer(response.status, record, _detail(response, record), response.headers, api)
    table, row = rules.match(answer)
    return Diagnosis(
        row.failure_class,
        row.message(answer),
        row.hint,
        response.status,
        record.param,
        request_ids(response.headers, record.message, record.request_id),
        retry_after_seconds(response.headers),
        f"{table}.{row.name}",
    )


def of_transport(error: TransportError) -> Diagnosis:
    """A request that produced no complete answer (DNS, connect, TLS, proxy, deadline), as a diagnosis."""
    return Diagnosis(error.failure_class, error.message, rule=f"transport.{error.failure_class}")


def _detail(response: HttpResponse, error: ErrorRecord) -> str:
    """What the failure message quotes: the error's message (with the relayed provider's own answer), else
    the start of a non-2xx body."""
    message = error.message
    if error.raw:
        message = f"{message} ({error.provider or 'provider'}: {error.raw})"
    if message or not response.body or response.status < 300:
        return message
    return "HTML page" if looks_like_html(response) else one_line(decode(response.body, 200))


def describe_non_json(response: HttpResponse, payload: NotJson) -> Diagnosis:
    """Why a 2xx body is not the API's JSON (`_non_json`), with the status and the ids the headers carry."""
    found = _non_json(response, payload)
    return replace(found, status=response.status, request_ids=request_ids(response.headers))


def _non_json(response: HttpResponse, payload: NotJson) -> Diagnosis:
    """Why a 2xx body is not the API's JSON, in words an operator can act on. An HTML page is the gateway's
    own web UI (served with 200 for any path it does not route: the base URL's path is wrong, class
    endpoint) when the page says so, else something in the way (a proxy or captive portal: protocol)."""
    content_type = one_line(response.headers.get("content-type", "none"), 60)
    if looks_like_html(response):
        from gate.diagnosis.rules import newapi

        evidence = newapi.web_ui_evidence(response.headers, response.body)
        if evidence:
            return Diagnosis(
                FailureClass.ENDPOINT,
                f"HTTP {response.status} returned the gateway's web UI (index.html), not the API: "
                f"{'; '.join(evidence)}",
                "The base URL's path does not reach the API (the gateway serves its web UI for any path it "
                "does not route): use https://<host> or https://<host>/v1 as --base-url.",
                rule="body.web_ui",
            )
        return Diagnosis(
            FailureClass.PROTOCOL,
            f"HTTP {response.status} returned an HTML page (content-type {content_type}), not JSON, and "
            "nothing on it names the gateway: likely a proxy, captive portal or wrong host",
            rule="body.html",
        )
    if not response.body:
        return Diagnosis(
            FailureClass.PROTOCOL, f"HTTP {response.status} returned an empty body", rule="body.empty"
        )
    return Diagnosis(
        FailureClass.PROTOCOL,
        f"HTTP {response.status} body is {payload.reason} (content-type {content_type})",
        rule="body.not_json",
    )


def looks_like_html(response: HttpResponse) -> bool:
    content_type = response.headers.get("content-type", "").lower()
    head = response.body[:512].lstrip().lower()
    return "html" in content_type or head.startswith((b"<!doctype", b"<html"))
