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
        return CheckResult("models", Status.FAIL, error.message, elapsed_ms(started), error.failure_class)
    details: dict[str, object] = {
        "http_status": response.status,
        "request_id": request_ids(response.headers).primary,
    }
    payload = try_parse(response.body)
    failure = classify_status(response, payload)
    if failure is not None:
        return CheckResult(
            "models",
            Status.FAIL,
            f"GET /v1/models: {failure.message}",
            elapsed_ms(started),
            failure.failure_class,
            details,
            hint=failure.hint,
        )
    if isinstance(payload, NotJson):
        found = describe_non_json(response, payload)
        return CheckResult(
            "models",
            Status.FAIL,
            f"GET /v1/models: {found.message}",
            elapsed_ms(started),
            found.failure_class,
            details,
        )
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, list) or not all(
        isinstance(m, dict) and isinstance(m.get("id"), str) for m in data
    ):
        return CheckResult(
            "models",
            Status.FAIL,
            "GET /v1/models is not a list object with data[].id strings",
            elapsed_ms(started),
            FailureClass.CONTRACT,
            details,
        )
    ids = [m["id"] for m in data]
    details["models_listed"] = len(ids)
    if config.model in ids:
        return CheckResult(
            "models",
            Status.PASS,
            f"{config.model} is listed among {len(ids)} models",
            elapsed_ms(started),
            None,
            details,
        )
    close = difflib.get_close_matches(config.model, ids, n=3)
    hint = f"; similar: {', '.join(one_line(c, 60) for c in close)}" if close else ""
    return CheckResult(
        "models",
        Status.FAIL,
        f"{config.model} is not among the {len(ids)} models GET /v1/models lists{hint}",
        elapsed_ms(started),
        FailureClass.REQUEST,
        details,
    )
