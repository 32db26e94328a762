"""Judging one answer: classified, parsed once, the contract checked, and the shapes client code trips on
named (content as a list of parts, a refusal, tool calls nobody asked for). A streamed answer is read as it
arrives and judged as the completion it adds up to."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from gate.core.contract import violations
from gate.core.failures import FailureClass
from gate.core.jsonbody import NotJson, try_parse
from gate.core.text import INTAKE_LIMIT, clean, decode
from gate.diagnosis.classify import Diagnosis, classify_status, describe_non_json
from gate.http.client import HttpResponse
from gate.http.headers import RequestIds, request_ids, should_retry

if TYPE_CHECKING:  # imported only when a request file streams
    from gate.diagnosis.stream_reader import StreamCollector


@dataclass(frozen=True, eq=False)
class Judged:
    """One response or transport failure, judged: a contract-valid payload, or the failure with what to
    report about it."""

    failure: FailureClass | None
    message: str
    payload: dict[str, Any] | None = None
    ids: RequestIds = field(default_factory=RequestIds)
    retry_after: float | None = None
    excerpt: str = ""
    hint: str | None = None
    param: str | None = None  # the request field a 400 names
    http_status: int | None = None
    latency_ms: float | None = None
    ttfb_ms: float | None = None
    retry_allowed: bool | None = None  # the server's x-should-retry, when it sent one
    rule: str = ""  # the rule row that classified a failed answer (`table.row`, gate.diagnosis.rules)

    @classmethod
    def failed(cls, diagnosis: Diagnosis, excerpt: str, **common: Any) -> Judged:
        """A failed answer, as diagnosed."""
        return cls(
            diagnosis.failure_class,
            diagnosis.message,
            ids=diagnosis.request_ids,
            retry_after=diagnosis.retry_after_s,
            excerpt=excerpt,
            hint=diagnosis.hint,
            param=diagnosis.param,
            rule=diagnosis.rule,
            **common,
        )


def _clean_strings(value: Any) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean(str(k)): _clean_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_strings(v) for v in value]
    return value


def _excerpt(body: bytes, payload: Any) -> str:
    """The start of a failed response's body for diagnostics; JSON is re-serialised so escaped control
    characters become real ones that the reporters can strip."""
    if isinstance(payload, NotJson):
        text = clean(decode(body, INTAKE_LIMIT + 1))
    else:
        text = json.dumps(_clean_strings(payload), ensure_ascii=False)
    return text if len(text) <= INTAKE_LIMIT else text[:INTAKE_LIMIT] + "…"


def attempt_facts(response: HttpResponse) -> dict[str, Any]:
    """What every Judged of an answer carries, whatever the API: status, timings, the server's retry word."""
    return {
        "http_status": response.status,
        "latency_ms": response.elapsed_ms,
        "ttfb_ms": response.ttfb_ms,
        "retry_allowed": should_retry(response.headers),
    }


def evaluate(response: HttpResponse) -> Judged:
    """Classify, parse and check one response; its body is parsed exactly once."""
    payload = try_parse(response.body)
    common = attempt_facts(response)
    failure = classify_status(response, payload)  # also catches an {"error": ...} body with a 2xx status
    if failure is None and isinstance(payload, NotJson):
        failure = describe_non_json(response, payload)
    if failure is not None:
        return Judged.failed(failure, _excerpt(response.body, payload), **common)
    ids = request_ids(response.headers)
    named = structure_problem(payload, tools_sent=True) if isinstance(payload, Mapping) else None
    problems = violations(payload) if named is None else [named]
    if problems:
        message = named or f"response breaks the contract: {'; '.join(problems[:3])}"
        excerpt = _excerpt(response.body, payload)
        return Judged(FailureClass.CONTRACT, message, None, ids, None, excerpt, **common)
    return Judged(None, f"HTTP {response.status}", payload, ids, **common)


def structure_problem(payload: Mapping[str, Any], tools_sent: bool) -> str | None:
    """The answer shapes the runbook tells parsers to expect, named (class contract) when client code
    expecting the usual string would break on them."""
    choices = payload.get("choices")
    first = choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], Mapping) else {}
    message = first.get("message")
    if not isinstance(message, Mapping):
        return None  # the contract says what is wrong with it
    content = message.get("content")
    if isinstance(content, list):
        kinds = ", ".join(sorted({str(p.get("type")) for p in content if isinstance(p, Mapping)})) or "?"
        return (
            f"the assistant content is a list of parts ({kinds}), not a string: most client code expects a "
            "string and breaks on this shape"
        )
    if message.get("tool_calls") and not tools_sent:
        return "the answer is a tool call although the request declared no tools (content is null)"
    return None


def judge_stream(response: HttpResponse, collector: StreamCollector, tools_sent: bool) -> Judged:
    """A streamed answer: the stream's own problems first, then the completion it adds up to."""
    common = {"http_status": response.status, "latency_ms": response.elapsed_ms, "ttfb_ms": response.ttfb_ms}
    ids = request_ids(response.headers)
    if collector.problem is not None:
        failure, message = collector.problem
        return Judged(failure, message, ids=ids, **common)
    if not collector.done:
        message = f"the stream ended after {collector.chunks} chunk(s) without data: [DONE]"
        return Judged(FailureClass.PROTOCOL, message, ids=ids, **common)
    payload = collector.as_completion()
    problem = structure_problem(payload, tools_sent)
    if problem is not None:
        return Judged(FailureClass.CONTRACT, problem, ids=ids, **common)
    return Judged(None, f"HTTP {response.status} (stream, {collector.chunks} chunks)", payload, ids, **common)


def with_structure_check(judged: Judged, tools_sent: bool) -> Judged:
    if judged.failure is not None or judged.payload is None:
        return judged
    problem = structure_problem(judged.payload, tools_sent)
    return (
        judged
        if problem is None
        else replace(judged, failure=FailureClass.CONTRACT, message=problem, payload=None)
    )
