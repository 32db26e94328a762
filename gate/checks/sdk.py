"""sdk-parity (`--sdk-parity`, needs the `openai` package: the `sdk` extra): the same body sent once more
through the official openai Python SDK (`chat.completions`, `responses` or `embeddings`, as --api says), and
the two answers' parse compared.

The runbook: "compare one raw HTTP call with one SDK call in staging when upgrading dependencies". The
answers' text can differ between two calls; their shape must not: the SDK must parse what the raw call
parsed (role, whether there is text, a refusal, the tool calls' names, finish_reason). The SDK version is
recorded. The SDK call is never retried (max_retries=0) and has the same deadline as every request.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Mapping
from typing import Any

from gate.checks import RunContext, elapsed_ms
from gate.checks.results import CheckResult, Status, Tokens
from gate.core.failures import FailureClass
from gate.core.text import one_line
from gate.http.endpoint import request_body
from gate.http.model_families import fields_for

_STATUS_CLASSES = {
    401: FailureClass.AUTH,
    403: FailureClass.AUTH,
    404: FailureClass.ENDPOINT,
    429: FailureClass.RATE_LIMIT,
}


def shape_of(message: Mapping[str, Any], finish_reason: object) -> dict[str, object]:
    calls = message.get("tool_calls") or []
    return {
        "role": message.get("role"),
        "text": isinstance(message.get("content"), str) and bool(str(message.get("content")).strip()),
        "refusal": bool(message.get("refusal")),
        "tool_calls": sorted(
            str((c.get("function") or {}).get("name")) for c in calls if isinstance(c, Mapping)
        ),
        "finish_reason": finish_reason,
    }


def responses_shape(payload: Mapping[str, Any]) -> dict[str, object]:
    """What the Responses API's parse must agree on: status, the item types, text, a refusal."""
    output = [item for item in payload.get("output") or [] if isinstance(item, Mapping)]
    parts = [p for item in output for p in item.get("content") or [] if isinstance(p, Mapping)]
    text = "".join(str(p.get("text") or "") for p in parts if p.get("type") == "output_text")
    return {
        "status": payload.get("status"),
        "output_types": sorted(str(item.get("type")) for item in output),
        "text": bool(text.strip()),
        "refusal": any(p.get("type") == "refusal" for p in parts),
    }


def embeddings_shape(payload: Mapping[str, Any]) -> dict[str, object]:
    """What the Embeddings API's parse must agree on: how many vectors, of which dimensions (the SDK asks
    for base64 and decodes it; a base64 vector counts 4 bytes a value)."""
    dimensions = set()
    data = [item for item in payload.get("data") or [] if isinstance(item, Mapping)]
    for item in data:
        vector = item.get("embedding")
        if isinstance(vector, str):
            dimensions.add(len(base64.b64decode(vector, validate=False)) // 4)
        elif isinstance(vector, list):
            dimensions.add(len(vector))
    return {"vectors": len(data), "dimensions": sorted(dimensions)}


def _answer_shape(api: str, payload: Mapping[str, Any]) -> dict[str, object]:
    if api == "responses":
        return responses_shape(payload)
    if api == "embeddings":
        return embeddings_shape(payload)
    choice = (payload.get("choices") or [{}])[0]
    return shape_of(choice.get("message") or {}, choice.get("finish_reason"))


def _sdk_call(client: Any, api: str, body: Mapping[str, Any]) -> Any:
    if api == "responses":
        return client.responses.create(**body)
    if api == "embeddings":
        return client.embeddings.create(**body)
    return client.chat.completions.create(**body)


def _sdk_failure(exc: Exception) -> tuple[FailureClass, str]:
    import openai

    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        failure = _STATUS_CLASSES.get(status) or (
            FailureClass.UPSTREAM if status >= 500 else FailureClass.REQUEST
        )
        return failure, f"the SDK call got HTTP {status}: {one_line(str(exc), 200)}"
    if isinstance(exc, openai.APITimeoutError):
        return FailureClass.TIMEOUT, "the SDK call timed out"
    if isinstance(exc, openai.APIConnectionError):
        return FailureClass.CONNECT, f"the SDK call could not connect: {one_line(str(exc), 200)}"
    return FailureClass.CONTRACT, (
        "the SDK could not parse the answer the raw call parsed: "
        f"{type(exc).__name__}: {one_line(str(exc), 200)}"
    )


def check_sdk_parity(ctx: RunContext) -> CheckResult:
    import openai

    started = time.monotonic()
    config = ctx.config
    raw = ctx.state.first_exchange
    assert raw is not None and raw.payload is not None, "planned after the completion check passed"
    fields = ctx.state.request_fields or fields_for(config)
    body = dict(config.request_file.body) if config.request_file else request_body(config, fields)
    body.pop("stream", None)  # the SDK's parse of a complete answer; streams are checked by the stream check
    body.pop("stream_options", None)
    details: dict[str, object] = {"sdk": "openai", "sdk_version": openai.__version__}
    client = openai.OpenAI(
        api_key=config.api_key,
        base_url=config.api_root,
        timeout=config.timeout,
        max_retries=0,
        default_headers={h.name: h.value for h in config.headers},
    )
    try:
        sdk_payload = _sdk_call(client, config.api, body).model_dump(mode="json")
    except Exception as exc:  # the SDK's own errors, and anything its parse raises
        failure, message = _sdk_failure(exc)
        return CheckResult(
            id="sdk-parity",
            status=Status.FAIL,
            message=message,
            duration_ms=elapsed_ms(started),
            failure_class=failure,
            details=details,
        )
    finally:
        client.close()
    raw_shape, sdk_shape = _answer_shape(config.api, raw.payload), _answer_shape(config.api, sdk_payload)
    details.update(raw_shape=raw_shape, sdk_shape=sdk_shape)
    tokens = Tokens.of(sdk_payload.get("usage"))
    failure: FailureClass | None = None
    message = f"openai {openai.__version__} parses the same answer as the raw call"
    if raw_shape != sdk_shape:
        differs = ", ".join(k for k in raw_shape if raw_shape[k] != sdk_shape[k])
        failure = FailureClass.CONTRACT
        message = f"the raw call and openai {openai.__version__} parsed different answers ({differs})"
    return CheckResult(
        id="sdk-parity",
        status=Status.FAIL if failure is not None else Status.PASS,
        message=message,
        duration_ms=elapsed_ms(started),
        failure_class=failure,
        tokens=tokens,
        details=details,
    )
