"""The APIs served besides chat completions: ``POST /v1/responses`` (gate.simulator.responses_api) and
``POST /v1/embeddings`` (gate.simulator.embeddings), answered alike once the key is checked: 400 for a bad
body, 404 ``model_not_found`` for another model, else the (possibly faulty) answer.

The ok flow (gate.simulator.behaviours.complete) hands these endpoints here, so every scenario built on it
answers them healthily; scenarios that answer a fixed error answer it on every path."""

from __future__ import annotations

from gate.simulator import embeddings, responses_api
from gate.simulator.exchange import Exchange
from gate.simulator.responses import EMBEDDING_MODEL, error_body

#: Endpoint name (gate.simulator.handler.ROUTES) -> the module with its ``validate`` and ``answer``.
API_ENDPOINTS = {"responses": responses_api, "embeddings": embeddings}


def accepted_models(ex: Exchange) -> set[str]:
    """The models the endpoint serves: the configured one, and for embeddings also ``EMBEDDING_MODEL``."""
    return {ex.state.model, EMBEDDING_MODEL} if ex.endpoint == "embeddings" else {ex.state.model}


def request_error(ex: Exchange) -> bool:
    """Answer the 400 for an invalid body (True), or nothing (False)."""
    problem = API_ENDPOINTS[ex.endpoint].validate(ex.payload)
    if problem:
        param, message = problem
        ex.send_json(400, error_body(message, "invalid_request_error", "invalid_request", param=param))
    return problem is not None


def serve_api(
    ex: Exchange,
    *,
    check_model: bool = True,
    headers: list[tuple[str, str]] | None = None,
    faults: dict[str, str] | None = None,
) -> None:
    """An authorised ``/v1/responses`` or ``/v1/embeddings`` request: 400 for a bad body, 404
    ``model_not_found`` for a model the endpoint does not serve (unless not ``check_model``), else the
    answer, shaped by the fault ``faults`` names for the endpoint (one of its module's ``FAULTS``)."""
    if request_error(ex):
        return
    model = ex.payload["model"]
    if check_model and model not in accepted_models(ex):
        message = f"The model `{model}` does not exist"
        ex.send_json(404, error_body(message, "invalid_request_error", "model_not_found", param=None))
        return
    fault = faults.get(ex.endpoint, "ok") if faults else "ok"
    API_ENDPOINTS[ex.endpoint].answer(ex, fault, headers)
