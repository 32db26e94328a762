"""Scenarios of the Responses and Embeddings APIs: each alters one of them (chat completions and the other
API stay healthy), as a gateway without the route, a channel that cannot convert the request, or a model or
server answering badly."""

from __future__ import annotations

from gate.simulator import behaviours as b
from gate.simulator import responses_api
from gate.simulator.behaviours import Behaviour
from gate.simulator.exchange import Exchange
from gate.simulator.newapi import gateway_error, send_gin_json

NOT_IMPLEMENTED = "not implemented"


def unsupported(endpoint: str) -> Behaviour:
    """``endpoint`` answers one-api / new-api's NoRoute 404 ``Invalid URL (POST /v1/<endpoint>)`` with no
    request id in the message, whatever the key (as gate.simulator.newapi.gw_invalid_url); else ok."""

    def behaviour(ex: Exchange) -> None:
        if ex.endpoint != endpoint:
            return b.ok(ex)
        err = {"message": f"Invalid URL ({ex.method} /v1/{endpoint})", "type": "invalid_request_error"}
        send_gin_json(ex, 404, {"error": {**err, "param": "", "code": ""}})
        return None

    return behaviour


def responses_not_implemented(ex: Exchange) -> None:
    """A valid ``/v1/responses`` request for the model answers new-api's relay error for a channel whose
    adaptor has no Responses conversion: 500 ``{"error": {"message": "not implemented (request id: <id>)",
    "type": "new_api_error", "param": "", "code": "convert_request_failed"}}``; else ok (a wrong key, a bad
    body or another model as the ok flow answers them). Source: QuantumNous/new-api relay/responses_handler.go
    (``ConvertOpenAIResponsesRequest`` error -> ``types.NewError(err, ErrorCodeConvertRequestFailed)``, status
    500), relay/channel/*/adaptor.go (``errors.New("not implemented")``)."""
    p = ex.payload
    if (
        ex.endpoint == "responses"
        and ex.authorized
        and responses_api.validate(p) is None
        and p["model"] == ex.state.model
    ):
        return gateway_error(ex, 500, NOT_IMPLEMENTED, "convert_request_failed", param="")
    return b.ok(ex)


def faulty(endpoint: str, fault: str) -> Behaviour:
    """The ok flow, with ``endpoint`` answered with ``fault``."""
    return lambda ex: b.complete(ex, api_faults={endpoint: fault})


_ELSE = "chat and embeddings ok"
SCENARIOS: list[tuple[str, str, Behaviour]] = [
    (
        "responses_unsupported",
        f"/v1/responses: 404 Invalid URL (POST /v1/responses), one-api's NoRoute (any key); {_ELSE}",
        unsupported("responses"),
    ),
    (
        "responses_not_implemented",
        f"/v1/responses: new-api's 500 convert_request_failed 'not implemented' (channel lacks it); {_ELSE}",
        responses_not_implemented,
    ),
    (
        "responses_incomplete",
        f"/v1/responses: status incomplete (reason max_output_tokens), empty text; {_ELSE}",
        faulty("responses", "incomplete"),
    ),
    (
        "responses_refusal",
        f'/v1/responses: the message content is a refusal part "{responses_api.REFUSAL}"; {_ELSE}',
        faulty("responses", "refusal"),
    ),
    (
        "responses_failed",
        f"/v1/responses: status failed, error server_error, no output; streams response.failed; {_ELSE}",
        faulty("responses", "failed"),
    ),
    (
        "responses_stream_error",
        "/v1/responses stream: response.created, then an error event (no completed); non-stream, chat "
        "and embeddings ok",
        faulty("responses", "stream_error"),
    ),
    (
        "embeddings_ragged",
        "/v1/embeddings: every second vector has half the dimension; chat and responses ok",
        faulty("embeddings", "ragged"),
    ),
    (
        "embeddings_nan",
        "/v1/embeddings: the first vector holds a bare NaN token (invalid JSON); chat and responses ok",
        faulty("embeddings", "nan"),
    ),
    ("embeddings_empty", "/v1/embeddings: data is []; chat and responses ok", faulty("embeddings", "empty")),
    (
        "embeddings_count",
        "/v1/embeddings: one vector fewer than inputs; chat and responses ok",
        faulty("embeddings", "count"),
    ),
    (
        "embeddings_unsupported",
        "/v1/embeddings: 404 Invalid URL (POST /v1/embeddings), a gateway without the route (any key); "
        "chat and responses ok",
        unsupported("embeddings"),
    ),
]
