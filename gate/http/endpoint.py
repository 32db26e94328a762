"""How the gate talks to the API: the request bodies it sends and the one function every check sends with.

`call` builds the headers (the target's extra headers for a gateway in the middle, then auth and content
type, which config forbids them to replace), applies the target's timeouts and size cap, and sends through
the run's session, which carries the CA bundle and the proxy settings. A new transport option is one edit.
"""

from __future__ import annotations

from collections.abc import Callable

import requests

from gate.config.resolve import GateConfig
from gate.http.client import HttpResponse, send
from gate.http.model_families import RequestFields


def completion_body(
    config: GateConfig, fields: RequestFields, model: str | None = None, stream: bool = False
) -> dict[str, object]:
    """The gate's smoke request: the configured prompts, with the model-dependent fields of `fields`."""
    body: dict[str, object] = {
        "model": model or config.model,
        "messages": [
            {"role": "system", "content": config.system_prompt},
            {"role": "user", "content": config.prompt},
        ],
        fields.token_param: fields.max_tokens,
        "stream": stream,
    }
    if fields.temperature is not None:
        body["temperature"] = fields.temperature
    if fields.reasoning_effort is not None:
        body["reasoning_effort"] = fields.reasoning_effort
    return body


def responses_body(
    config: GateConfig, fields: RequestFields, model: str | None = None, stream: bool = False
) -> dict[str, object]:
    """The smoke request for the Responses API: the system prompt as `instructions`, the prompt as `input`,
    the budget as `max_output_tokens` (the API has no other limit field) and, for a reasoning model, its
    effort as `reasoning.effort` (no temperature: the model family leaves it out)."""
    body: dict[str, object] = {
        "model": model or config.model,
        "input": config.prompt,
        "instructions": config.system_prompt,
        "max_output_tokens": fields.max_tokens,
    }
    if fields.temperature is not None:
        body["temperature"] = fields.temperature
    if fields.reasoning_effort is not None:
        body["reasoning"] = {"effort": fields.reasoning_effort}
    if stream:
        body["stream"] = True
    return body


def embeddings_body(config: GateConfig, model: str | None = None) -> dict[str, object]:
    """The smoke request for the Embeddings API: two inputs (the prompt and the system prompt), so the count
    and equal dimensions of the answer mean something."""
    return {"model": model or config.model, "input": [config.prompt, config.system_prompt]}


def request_body(
    config: GateConfig, fields: RequestFields, model: str | None = None, stream: bool = False
) -> dict[str, object]:
    """The gate's smoke request for the configured --api."""
    if config.api == "responses":
        return responses_body(config, fields, model, stream)
    if config.api == "embeddings":
        return embeddings_body(config, model)
    return completion_body(config, fields, model, stream)


def call(
    config: GateConfig,
    session: requests.Session,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    api_key: str | None = None,
    timeout: float | None = None,
    max_bytes: int | None = None,
    sink: Callable[[bytes], None] | None = None,
) -> HttpResponse:
    """One request to `{api_root}{path}`; raises client.TransportError when no full response came."""
    headers = {"Accept": "application/json", **{h.name: h.value for h in config.headers}}
    headers["Authorization"] = f"Bearer {api_key or config.api_key}"  # the negative test's key replaces it
    if body is not None:
        headers["Content-Type"] = "application/json"
    return send(
        session,
        method,
        f"{config.api_root}{path}",
        headers=headers,
        body=body,
        connect_timeout=config.connect_timeout,
        timeout=config.timeout if timeout is None else timeout,
        max_bytes=config.max_response_bytes if max_bytes is None else max_bytes,
        sink=sink,
    )
