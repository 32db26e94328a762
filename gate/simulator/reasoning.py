"""A reasoning-model personality: chat completions answered as OpenAI's reasoning models (GPT-5 family,
o-series) answer them, whatever model is requested (the name is echoed back, never checked).

Sources: the 400 bodies as relayed in public issues (griptape-ai/ComfyUI-Griptape#312, fish2018/YPrompt#26,
gabrii/Cursor-Azure-GPT-5#33, anomalyco/opencode#4451); openai/openai-python
``src/openai/types/chat/completion_create_params.py`` (``max_completion_tokens`` bounds visible plus
reasoning tokens), ``src/openai/types/shared/reasoning_effort.py`` (the effort values) and
``src/openai/types/completion_usage.py`` (``completion_tokens_details.reasoning_tokens``, included in
``completion_tokens``).
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from gate.simulator import responses_api
from gate.simulator.apis import request_error
from gate.simulator.behaviours import Behaviour, complete
from gate.simulator.exchange import Exchange
from gate.simulator.responses import count_tokens, error_body, reply_text, validate_chat

#: Reasoning tokens spent per ``reasoning_effort``; ``medium`` when the field is absent.
REASONING_TOKENS = {"none": 0, "minimal": 8, "low": 32, "medium": 192, "high": 800}
DEFAULT_EFFORT = "medium"
MAX_TOKENS_MESSAGE = (
    "Unsupported parameter: 'max_tokens' is not supported with this model. "
    "Use 'max_completion_tokens' instead."
)
_EFFORTS = "'none', 'minimal', 'low', 'medium', and 'high'"
_KINDS = {str: "a string", bool: "a boolean", float: "a decimal", dict: "an object", list: "an array"}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _as_sent(body: bytes, name: str) -> str:
    """The JSON text of the top-level number ``name`` as the client wrote it (``0``, ``0.0``, ``2e-1``)."""
    raw = json.loads(body, parse_float=str, parse_int=str)
    return str(raw.get(name))


def request_problem(ex: Exchange) -> tuple[str, str, str] | None:
    """The 400 the API gives this (valid) chat request as ``(message, param, code)``, or None.

    One error per request, in the API's order: ``max_tokens``, ``temperature``, ``reasoning_effort``, then
    the type and range of ``max_completion_tokens``."""
    p = ex.payload
    if p.get("max_tokens") is not None:
        return MAX_TOKENS_MESSAGE, "max_tokens", "unsupported_parameter"
    temperature = p.get("temperature")
    if temperature is not None and not (_is_number(temperature) and temperature == 1):
        shown = _as_sent(ex.body, "temperature") if _is_number(temperature) else json.dumps(temperature)
        message = (
            f"Unsupported value: 'temperature' does not support {shown} with this model. "
            "Only the default (1) value is supported."
        )
        return message, "temperature", "unsupported_value"
    effort = p.get("reasoning_effort")
    if effort is not None and (not isinstance(effort, str) or effort not in REASONING_TOKENS):
        shown = effort if isinstance(effort, str) else json.dumps(effort)
        message = (
            f"Unsupported value: '{shown}' is not supported with the '{p['model']}' model. "
            f"Supported values are: {_EFFORTS}."
        )
        return message, "reasoning_effort", "unsupported_value"
    limit = p.get("max_completion_tokens")
    is_int = isinstance(limit, int) and not isinstance(limit, bool)
    if limit is None or (is_int and limit >= 1):
        return None
    if is_int:
        message = (
            "Invalid 'max_completion_tokens': integer below minimum value. "
            f"Expected a value >= 1, but got {limit} instead."
        )
        return message, "max_completion_tokens", "integer_below_min_value"
    kind = _KINDS.get(type(limit), "a value")
    message = f"Invalid type for 'max_completion_tokens': expected an integer, but got {kind} instead."
    return message, "max_completion_tokens", "invalid_type"


def budget(reasoning: int, answer: int, limit: int | None) -> tuple[bool, int, int]:
    """``(fits, completion_tokens, reasoning_tokens)``: whether reasoning plus the answer fit in ``limit``
    (None: unlimited); when not, the whole budget is spent and nothing visible is produced."""
    if limit is not None and limit < reasoning + answer:
        return False, limit, min(limit, reasoning)
    return True, reasoning + answer, reasoning


def _with_details(reasoning_tokens: int) -> Any:
    """Add OpenAI's ``prompt_tokens_details`` / ``completion_tokens_details`` to any ``usage`` object."""
    prompt = {"cached_tokens": 0, "audio_tokens": 0}
    completion = {
        "reasoning_tokens": reasoning_tokens,
        "audio_tokens": 0,
        "accepted_prediction_tokens": 0,
        "rejected_prediction_tokens": 0,
    }

    def transform(d: dict[str, Any]) -> dict[str, Any]:
        usage = d.get("usage")
        if not isinstance(usage, dict):
            return d
        details = {"prompt_tokens_details": prompt, "completion_tokens_details": completion}
        return {**d, "usage": {**usage, **details}}

    return transform


def reasoning_personality() -> Behaviour:
    """Answer as an OpenAI reasoning model, whatever model is named (echoed back; the key is checked).

    400 ``invalid_request_error`` (JSON, before any stream) for ``max_tokens`` (``unsupported_parameter``),
    a ``temperature`` other than 1 (``unsupported_value``, the value echoed as sent) or an unknown
    ``reasoning_effort``. The effort (none 0, minimal 8, low 32, medium 192 -- the default -- high 800
    reasoning tokens) plus the reply's tokens must fit ``max_completion_tokens``: if not, content ``""``,
    finish_reason ``length``, ``completion_tokens`` = the limit and ``reasoning_tokens`` = min(limit,
    reasoning); else the reply, ``stop``, ``completion_tokens`` = reasoning + reply. Streams likewise."""

    def behaviour(ex: Exchange) -> None:
        if ex.authorized and ex.endpoint == "responses":
            return responses(ex)
        if not ex.authorized or ex.endpoint == "models" or validate_chat(ex.payload):
            complete(ex, check_model=False)  # 401, the model list or the 400, as the ok flow answers them
            return
        problem = request_problem(ex)
        if problem:
            message, param, code = problem
            ex.send_json(400, error_body(message, "invalid_request_error", code, param=param))
            return
        p = ex.payload
        reasoning = REASONING_TOKENS[p.get("reasoning_effort") or DEFAULT_EFFORT]
        text = reply_text(p["messages"])
        fits, used, spent = budget(reasoning, count_tokens(text), p.get("max_completion_tokens"))
        fields: dict[str, Any] = {"completion_tokens": used}
        if not fits:
            fields.update(content="", finish_reason="length")
        complete(ex, check_model=False, tweak=lambda c: replace(c, **fields), transform=_with_details(spent))
        return None

    return behaviour


RESPONSES_TEMPERATURE = "Unsupported parameter: 'temperature' is not supported with this model."


def responses(ex: Exchange) -> None:
    """An authorised ``/v1/responses`` request to the reasoning model: 400 for a bad body, a ``temperature``
    other than 1 (``unsupported_parameter``) or an unknown ``reasoning.effort``; else the Response, its
    ``output_tokens`` including the effort's reasoning tokens, incomplete (reason ``max_output_tokens``,
    empty text) when they and the reply do not fit ``max_output_tokens``."""
    if request_error(ex):
        return
    p = ex.payload
    temperature = p.get("temperature")
    effort = (p.get("reasoning") or {}).get("effort") or DEFAULT_EFFORT
    if temperature is not None and not (_is_number(temperature) and temperature == 1):
        err = error_body(
            RESPONSES_TEMPERATURE, "invalid_request_error", "unsupported_parameter", param="temperature"
        )
    elif not isinstance(effort, str) or effort not in REASONING_TOKENS:
        message = f"Unsupported value: '{effort}' is not supported with the '{p['model']}' model. " + (
            f"Supported values are: {_EFFORTS}."
        )
        err = error_body(message, "invalid_request_error", "unsupported_value", param="reasoning.effort")
    else:
        return responses_api.answer(ex, reasoning_tokens=REASONING_TOKENS[effort])
    ex.send_json(400, err)


SCENARIOS: list[tuple[str, str, Behaviour]] = [
    (
        "reasoning",
        "An OpenAI reasoning model: 400 for max_tokens or temperature != 1, reasoning tokens per "
        "reasoning_effort, empty content and finish_reason length when max_completion_tokens is too small",
        reasoning_personality(),
    ),
]
