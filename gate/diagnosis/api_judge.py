"""Judging an answer of the Responses API or the Embeddings API (--api responses | embeddings): classified
as chat's are (with the API named, so a missing route reads as the API not being relayed), parsed once, and
checked against the API's own contract (gate/core/contract: response_object.schema.json,
embeddings.schema.json).

A Response with status "failed" is the upstream's failure (class upstream, its error's message); one still
queued or in progress was not asked for (the gate never sets background) and breaks the contract. An
incomplete Response is a success here: like chat's finish_reason "length", the output check judges its text.
Sources: openai-python types/responses/response.py, types/create_embedding_response.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gate.core.contract import violations
from gate.core.failures import FailureClass
from gate.core.jsonbody import NotJson, try_parse
from gate.core.text import INTAKE_LIMIT, one_line
from gate.diagnosis.classify import classify_status, describe_non_json
from gate.diagnosis.judge import Judged, _excerpt, attempt_facts
from gate.http.client import HttpResponse
from gate.http.headers import request_ids

SCHEMAS = {"responses": "response_object", "embeddings": "embeddings"}
CONTRACT_HINT = (
    "Capture the response and compare it with the API's reference (the Responses API's response object, the "
    "Embeddings API's list of embeddings): the client's parser would break on it too."
)


def evaluate_api(response: HttpResponse, api: str) -> Judged:
    """Classify, parse and check one answer of `api` (responses or embeddings)."""
    payload = try_parse(response.body)
    common = attempt_facts(response)
    ids = request_ids(response.headers)
    if api == "responses" and _is_response(response, payload):  # its `error` member is judged with status
        problems = violations(payload, SCHEMAS[api])
        if problems:
            return _broken(response, payload, problems, ids, common)
        return response_status(payload, ids, common) or Judged(
            None, f"HTTP {response.status}", payload, ids, **common
        )
    failure = classify_status(response, payload, api)
    if failure is None and isinstance(payload, NotJson):
        failure = describe_non_json(response, payload)
    if failure is not None:
        return Judged.failed(failure, _excerpt(response.body, payload), **common)
    problems = violations(payload, SCHEMAS[api])
    if problems:
        return _broken(response, payload, problems, ids, common)
    return Judged(None, f"HTTP {response.status}", payload, ids, **common)


def _is_response(response: HttpResponse, payload: Any) -> bool:
    return (
        200 <= response.status < 300 and isinstance(payload, Mapping) and payload.get("object") == "response"
    )


def _broken(
    response: HttpResponse, payload: Any, problems: list[str], ids: Any, common: Mapping[str, Any]
) -> Judged:
    message = f"response breaks the contract: {'; '.join(problems[:3])}"
    excerpt = _excerpt(response.body, payload)
    return Judged(FailureClass.CONTRACT, message, None, ids, None, excerpt, hint=CONTRACT_HINT, **common)


def response_status(payload: Mapping[str, Any], ids: Any, common: Mapping[str, Any]) -> Judged | None:
    """The failure a Response's status says (failed, cancelled, not finished), else None."""
    status = payload.get("status")
    if status in ("failed", "cancelled"):
        error = payload.get("error") if isinstance(payload.get("error"), Mapping) else {}
        code = one_line(str(error.get("code") or "no code"), 80)
        said = one_line(str(error.get("message") or "no message"), INTAKE_LIMIT)
        return Judged(
            FailureClass.UPSTREAM,
            f"the response's status is '{status}' ({code}): {said}",
            ids=ids,
            hint="The model failed behind the API (the Response's error says why): keep the response id for "
            "the provider's support, retry later.",
            **common,
        )
    if status in ("queued", "in_progress"):
        message = f"the response's status is '{status}': the gate did not ask for background mode"
        return Judged(FailureClass.CONTRACT, message, ids=ids, **common)
    return None


def message_parts(payload: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    """Every content part of the Response's assistant message items, in order."""
    parts: list[Mapping[str, Any]] = []
    for item in (payload or {}).get("output") or []:
        if isinstance(item, Mapping) and item.get("type") == "message":
            parts += [p for p in item.get("content") or [] if isinstance(p, Mapping)]
    return parts


def output_text(payload: Mapping[str, Any] | None) -> str | None:
    """The Response's text, assembled from its output_text parts (None when it has none)."""
    texts = [str(p.get("text") or "") for p in message_parts(payload) if p.get("type") == "output_text"]
    return "".join(texts) if texts else None


def refusal(payload: Mapping[str, Any] | None) -> str | None:
    """The refusal the Response carries, if any."""
    said = [str(p.get("refusal") or "") for p in message_parts(payload) if p.get("type") == "refusal"]
    return " ".join(s for s in said if s) or None


def finish_reason(payload: Mapping[str, Any] | None) -> str | None:
    """What ended the Response: its incomplete_details.reason when incomplete, else its status."""
    payload = payload or {}
    if payload.get("status") == "incomplete":
        details = payload.get("incomplete_details")
        reason = details.get("reason") if isinstance(details, Mapping) else None
        return str(reason or "incomplete")
    status = payload.get("status")
    return str(status) if status is not None else None
