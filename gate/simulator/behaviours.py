"""Scenario behaviours: functions that answer one request (an :class:`Exchange`) in a particular way.

Faults at the HTTP level (status codes, framing, timing) apply to every endpoint and ignore the API key.
Content faults (``null_content``, ``contract``, ``stream_split`` ...) run the full ``ok`` validation first
and only alter the chat completion (or its stream); ``GET /v1/models`` is served normally for them. The
``models_*`` scenarios alter only ``GET /v1/models``; ``accept_any_*`` relax one check of the ok flow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from gate.simulator.apis import API_ENDPOINTS, serve_api
from gate.simulator.exchange import Exchange
from gate.simulator.responses import (
    EMBEDDING_MODEL,
    NOT_JSON,
    Completion,
    comet_request_id,
    completion_body,
    count_tokens,
    error_body,
    models_body,
    prompt_tokens,
    reply_text,
    stream_chunks,
    validate_chat,
)
from gate.simulator.streaming import (
    send_stream,
    stream_azure,
    stream_split_pieces,
    stream_with_done,
    stream_without_done,
)

Behaviour = Callable[[Exchange], None]
Transform = Callable[[dict[str, Any]], dict[str, Any]]
#: Writes a streamed completion: (exchange, chat.completion.chunk objects, extra headers).
StreamWriter = Callable[[Exchange, list[dict[str, Any]], list[tuple[str, str]] | None], None]


# -- error helpers ---------------------------------------------------------------------------------


def _error(ex: Exchange, status: int, message: str, type_: str, code: str | None, **kw: Any) -> None:
    headers = kw.pop("headers", ())
    ex.send_json(status, error_body(message, type_, code, **kw), headers=headers)


def comet_error(ex: Exchange, status: int, message: str, code: str, **kw: Any) -> None:
    _error(ex, status, f"{message} (request id: {comet_request_id()})", "comet_api_error", code, **kw)


def invalid_token(ex: Exchange) -> None:
    """401 ``invalid_api_key`` with the request id inside the message (no x-request-id header)."""
    comet_error(ex, 401, "Invalid token", "invalid_api_key")


def _model_not_found(ex: Exchange, model: str) -> None:
    _error(
        ex, 404, f"The model `{model}` does not exist", "invalid_request_error", "model_not_found", param=None
    )


def bad_request(
    ex: Exchange, message: str = "'messages' must be a non-empty array", param: str = "messages"
) -> None:
    """400 ``invalid_request_error`` / ``invalid_request``."""
    _error(ex, 400, message, "invalid_request_error", "invalid_request", param=param)


def rate_limited(headers: list[tuple[str, str]]) -> Behaviour:
    """429 ``rate_limit_exceeded`` carrying the given (retry hint) headers."""

    def behaviour(ex: Exchange) -> None:
        comet_error(ex, 429, "Rate limit reached for requests", "rate_limit_exceeded", headers=headers)

    return behaviour


def error_200(ex: Exchange) -> None:
    """200 whose body is a CometAPI error object."""
    comet_error(ex, 200, "upstream provider error", "upstream_error")


def not_json(ex: Exchange) -> None:
    """200 ``application/json`` with a body that does not parse."""
    ex.send(200, NOT_JSON)


# -- the ok flow -----------------------------------------------------------------------------------


def default_models(ex: Exchange) -> Any:
    """The ``GET /v1/models`` body of the ok flow: the configured model plus an embedding model."""
    return models_body([ex.state.model, EMBEDDING_MODEL])


def complete(
    ex: Exchange,
    *,
    check_auth: bool = True,
    check_model: bool = True,
    tweak: Callable[[Completion], Completion] | None = None,
    transform: Transform | None = None,
    headers: list[tuple[str, str]] | None = None,
    models: Callable[[Exchange], Any] = default_models,
    usage_chunk: bool | None = None,
    stream_writer: StreamWriter | None = None,
    api_faults: dict[str, str] | None = None,
) -> None:
    """The real contract: auth, /v1/models, request validation, model check, JSON or SSE completion.

    ``models`` builds the /v1/models body; ``usage_chunk`` forces the final usage chunk on (True) or off
    (False) instead of following ``stream_options.include_usage``; ``stream_writer`` sends the stream
    (default: every chunk, then ``[DONE]``). ``/v1/responses`` and ``/v1/embeddings`` are answered by
    :func:`serve_api`, with the fault ``api_faults`` names for the endpoint (healthy by default)."""
    if check_auth and not ex.authorized:
        return invalid_token(ex)
    if ex.endpoint == "models":
        ex.send_json(200, models(ex), request_id=True)
        return None
    if ex.endpoint in API_ENDPOINTS:
        return serve_api(ex, check_model=check_model, headers=headers, faults=api_faults)
    problem = validate_chat(ex.payload)
    if problem:
        return bad_request(ex, problem[1], problem[0])
    payload = ex.payload
    if check_model and payload["model"] != ex.state.model:
        return _model_not_found(ex, payload["model"])
    text = reply_text(payload["messages"])
    c = Completion(
        model=payload["model"],
        content=text,
        prompt_tokens=prompt_tokens(payload["messages"]),
        completion_tokens=count_tokens(text),
    )
    c = tweak(c) if tweak else c
    shape = transform or (lambda d: d)
    if ex.wants_stream:
        with_usage = ex.include_usage if usage_chunk is None else usage_chunk
        (stream_writer or stream_with_done)(ex, [shape(ch) for ch in stream_chunks(c, with_usage)], headers)
    else:
        ex.send_json(200, shape(completion_body(c)), headers=headers or (), request_id=True)
    return None


def ok(ex: Exchange) -> None:
    """Behave like the real service."""
    complete(ex)


def accept_any_key(ex: Exchange) -> None:
    """Ok, but any Authorization (or none) is accepted; the model is still checked."""
    complete(ex, check_auth=False)


def accept_any_model(ex: Exchange) -> None:
    """Ok, but any model id is accepted and echoed in the response."""
    complete(ex, check_model=False)


def models_malformed(ex: Exchange) -> None:
    """Ok, but ``GET /v1/models`` answers a list object whose ``data`` is a string."""
    complete(ex, models=lambda ex: {"object": "list", "data": "not a list"})


def models_missing(ex: Exchange) -> None:
    """Ok, but ``GET /v1/models`` lists a dated variant of the configured model instead of the model."""
    complete(ex, models=lambda ex: models_body([f"{ex.state.model}-2024-07-18", EMBEDDING_MODEL]))


def stream_split(ex: Exchange) -> None:
    """Ok; a stream always ends with a usage chunk and is written in tiny, awkwardly cut pieces."""
    complete(ex, usage_chunk=True, stream_writer=stream_split_pieces)


def stream_no_done(ex: Exchange) -> None:
    """Ok; a stream ends cleanly (chunked terminator) without ``data: [DONE]``."""
    complete(ex, stream_writer=stream_without_done)


def azure_stream(ex: Exchange) -> None:
    """Ok; a stream starts with Azure OpenAI's prompt-filter event (``choices: []``, empty id and model)."""
    complete(ex, stream_writer=stream_azure)


def content_change(**changes: Any) -> Behaviour:
    """Ok flow, with the given :class:`Completion` fields replaced."""
    return lambda ex: complete(ex, tweak=lambda c: replace(c, **changes))


def reshaped(transform: Transform) -> Behaviour:
    """Ok flow, with every emitted completion/chunk object passed through ``transform``."""
    return lambda ex: complete(ex, transform=transform)


def missing_choices(d: dict[str, Any]) -> dict[str, Any]:
    """Keep only id/object/created/model."""
    return {k: v for k, v in d.items() if k in ("id", "object", "created", "model")}


def wrong_types(d: dict[str, Any]) -> dict[str, Any]:
    """``choices`` as an object keyed by index, ``created`` as a string."""
    choices = d.get("choices") or []
    return {**d, "created": str(d.get("created")), "choices": {str(i): ch for i, ch in enumerate(choices)}}


# -- fault behaviours ------------------------------------------------------------------------------


def counted(failures: Callable[[Exchange], int], fail: Behaviour) -> Behaviour:
    """Fail the first N requests to the scenario (N computed per request), then behave as ok."""

    def behaviour(ex: Exchange) -> None:
        (fail if ex.state.bump(ex.scenario) <= failures(ex) else ok)(ex)

    return behaviour


def nth_fails(n: int, fail: Behaviour) -> Behaviour:
    """Only the n-th request to the scenario fails (a flaky sample among good ones), every other is ok."""

    def behaviour(ex: Exchange) -> None:
        (fail if ex.state.bump(ex.scenario) == n else ok)(ex)

    return behaviour


def bad_model(ex: Exchange) -> None:
    """404 ``model_not_found`` for any chat request; the models list lacks the configured model."""
    if ex.endpoint == "models":
        ex.send_json(200, models_body([EMBEDDING_MODEL]), request_id=True)
        return
    p = ex.payload
    model = p.get("model") if isinstance(p, dict) and isinstance(p.get("model"), str) else ex.state.model
    _model_not_found(ex, model)


def broken_stream(ex: Exchange) -> None:
    """Stream one chunk, then malformed JSON, then close (no ``[DONE]``); non-stream: :func:`not_json`."""
    if not ex.wants_stream:
        return not_json(ex)
    c = Completion(model=ex.state.model, content="pong")
    first = stream_chunks(c, False)[0]
    send_stream(ex, [first, b'data: {"id": broken\n\n'], chunked=False)
    return None


def stream_error_event(ex: Exchange) -> None:
    """Stream one chunk, an error event, ``[DONE]``; non-stream: :func:`error_200`."""
    if not ex.wants_stream:
        return error_200(ex)
    c = Completion(model=ex.state.model, content="pong")
    err = error_body("upstream overloaded", "comet_api_error", "upstream_error", with_param=False)
    send_stream(ex, [stream_chunks(c, False)[0], err, "[DONE]"])
    return None


def fixed_error(
    status: int,
    message: str,
    code: str,
    type_: str = "comet_api_error",
    *,
    request_id: bool = True,
    **kw: Any,
) -> Behaviour:
    """A behaviour that always answers the same JSON error (``request_id`` appends a CometAPI request id)."""

    def behaviour(ex: Exchange) -> None:
        text = f"{message} (request id: {comet_request_id()})" if request_id else message
        _error(ex, status, text, type_, code, **kw)

    return behaviour


def static_body(status: int, body: bytes, content_type: str) -> Behaviour:
    """Always the same non-JSON body."""

    def behaviour(ex: Exchange) -> None:
        ex.send(status, body, content_type)

    return behaviour
