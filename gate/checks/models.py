"""models: `GET /v1/models` answers with a list that names the configured model."""

from __future__ import annotations

import difflib
import time

from gate.checks import RunContext, elapsed_ms
from gate.checks.results import CheckResult, Status
from gate.core.failures import FailureClass
from gate.core.jsonbody import NotJson, try_parse
from gate.core.text import one_line
from gate.diagnosis.classify import classify_status, describe_non_json
from gate.http.client import TransportError
from gate.http.endpoint import call
from gate.http.headers import request_ids


def check_models(ctx: RunContext) -> CheckResult:
    config = ctx.config
    started = time.monotonic()
    try:
        response = call(
            config, ctx.session, "GET", "/models", max_bytes=max(config.max_response_bytes, 8 * 1024 * 1024)
        )
    except TransportError as error:
        return CheckResult(
            id="models",
            status=Status.FAIL,
            message=error.message,
            duration_ms=elapsed_ms(started),
            failure_class=error.failure_class,
        )
    rid = request_ids(response.headers).primary
    details: dict[str, object] = {"http_status": response.status, "request_id": rid}

    def result(failure: FailureClass | None, message: str, hint: str | None = None) -> CheckResult:
        return CheckResult(
            id="models",
            status=Status.FAIL if failure is not None else Status.PASS,
            message=message,
            duration_ms=elapsed_ms(started),
            failure_class=failure,
            hint=hint,
            request_ids=(rid,) if rid else (),
            http_status=response.status,
            details=details,
        )

    payload = try_parse(response.body)
    failure = classify_status(response, payload)
    if failure is not None:
        return result(failure.failure_class, f"GET /v1/models: {failure.message}", failure.hint)
    if isinstance(payload, NotJson):
        found = describe_non_json(response, payload)
        return result(found.failure_class, f"GET /v1/models: {found.message}")
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, list) or not all(
        isinstance(m, dict) and isinstance(m.get("id"), str) for m in data
    ):
        return result(FailureClass.CONTRACT, "GET /v1/models is not a list object with data[].id strings")
    ids = [m["id"] for m in data]
    details["models_listed"] = len(ids)
    if config.model in ids:
        return result(None, f"{config.model} is listed among {len(ids)} models")
    close = difflib.get_close_matches(config.model, ids, n=3)
    hint = f"; similar: {', '.join(one_line(c, 60) for c in close)}" if close else ""
    return result(
        FailureClass.REQUEST, f"{config.model} is not among the {len(ids)} models GET /v1/models lists{hint}"
    )
