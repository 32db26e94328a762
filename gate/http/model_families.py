"""Model families, and the smoke request each accepts by default.

Reasoning models (OpenAI's GPT-5 family and o-series) reject `max_tokens` (400 unsupported_parameter: they
take `max_completion_tokens`), reject any temperature but the default 1 (400 unsupported_value), and spend
a small budget entirely on reasoning (200, empty content, finish_reason `length`). So the gate's own request
is picked by family: the token field the model accepts, no temperature where only the default is allowed,
and a reasoning effort and budget that yield "pong" cheaply. Values the user sets (--max-tokens,
--token-param, --temperature) are never changed. For a model the table does not know, the completion check
adapts once per parameter the gate chose by default when a 400 names it (`adapt`), with a warning.
Sources: openai-python (types/chat/completion_create_params.py, types/shared/reasoning_effort.py) and the
public error bodies recorded in docs/gateway.md. The Responses API (types/responses/response_create_params.py)
takes the same choices as `max_output_tokens`, and the effort as `reasoning: {"effort": ...}`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from gate.config.resolve import GateConfig

STANDARD_BUDGET = 16  # some models reject less
REASONING_BUDGET = 256  # reasoning and answer share max_completion_tokens
RESPONSES_TOKEN_PARAM = (
    "max_output_tokens"  # the Responses API's only limit (openai-python response_create_params)
)


@dataclass(frozen=True, eq=False)
class Family:
    name: str
    pattern: re.Pattern[str]
    token_param: str
    budget: int
    temperature: float | None  # None: not sent (the model allows only its default)
    reasoning_effort: str | None  # None: not sent


def _family(
    name: str, pattern: str, token_param: str, budget: int, temperature: float | None, effort: str | None
) -> Family:
    return Family(name, re.compile(pattern, re.IGNORECASE), token_param, budget, temperature, effort)


# First match wins. The model name is matched after any provider prefix ("openai/gpt-5" -> "gpt-5").
FAMILIES: tuple[Family, ...] = (
    # gpt-5.1 and later: effort "none" answers without reasoning (they do not accept "minimal").
    _family("gpt-5.1+", r"^gpt-5\.[1-9]", "max_completion_tokens", REASONING_BUDGET, None, "none"),
    # gpt-5-chat is not a reasoning model: the standard request, adapted if it rejects a field.
    _family("gpt-5-chat", r"^gpt-5-chat", "max_tokens", STANDARD_BUDGET, 0.0, None),
    # gpt-5, gpt-5-mini, gpt-5-nano and their snapshots: "minimal" effort is the cheapest.
    _family("gpt-5", r"^gpt-5(\b|-|$)", "max_completion_tokens", REASONING_BUDGET, None, "minimal"),
    # o1-mini and o1-preview take no reasoning_effort at all.
    _family("o1-mini", r"^o1-(mini|preview)", "max_completion_tokens", 4 * REASONING_BUDGET, None, None),
    _family("o-series", r"^o[1-9](\b|-|$)", "max_completion_tokens", 2 * REASONING_BUDGET, None, "low"),
    _family("standard", r"", "max_tokens", STANDARD_BUDGET, 0.0, None),
)


def family_of(model: str) -> Family:
    name = model.strip().rsplit("/", 1)[-1]
    return next(f for f in FAMILIES if f.pattern.search(name))


@dataclass(frozen=True)
class RequestFields:
    """The parameters of the gate's smoke request that depend on the model, and which the gate chose."""

    family: str
    token_param: str
    max_tokens: int
    temperature: float | None
    reasoning_effort: str | None
    chosen: frozenset[str]  # the fields the gate picked by default (only those may be adapted)
    adapted: tuple[str, ...] = ()  # what a 400 made the gate change, in words, for the warning

    def as_dict(self) -> dict[str, object]:
        return {
            "family": self.family,
            self.token_param: self.max_tokens,
            "temperature": self.temperature,
            "reasoning_effort": self.reasoning_effort,
            "chosen_by_default": sorted(self.chosen),
        }


def fields_for(config: GateConfig) -> RequestFields:
    family = family_of(config.model)
    chosen = {"reasoning_effort"}
    if config.token_param is None:
        chosen.add("token_param")
    if config.max_tokens is None:
        chosen.add("max_tokens")
    if config.temperature is None:
        chosen.add("temperature")
    token_param = config.token_param or family.token_param
    if config.api == "responses":  # the Responses API has one limit field, whatever the model
        token_param = RESPONSES_TOKEN_PARAM
        chosen.discard("token_param")
    return RequestFields(
        family=family.name,
        token_param=token_param,
        max_tokens=config.max_tokens if config.max_tokens is not None else family.budget,
        temperature=config.temperature if config.temperature is not None else family.temperature,
        reasoning_effort=family.reasoning_effort,
        chosen=frozenset(chosen),
    )


_NAMED = re.compile(r"Unsupported (?:parameter|value): '([\w.]+)'", re.IGNORECASE)


def rejected_parameter(param: str | None, message: str) -> str | None:
    """The request field a 400 names: OpenAI's `error.param`, else the field quoted in its message."""
    if param:
        return param.rsplit(".", 1)[-1]
    found = _NAMED.search(message)
    return found.group(1).rsplit(".", 1)[-1] if found else None


def adapt(fields: RequestFields, rejected: str | None) -> RequestFields | None:
    """The fields without the field the model rejected, when the gate chose that field; else None (a value
    the user set is never changed: its rejection is the finding)."""
    if rejected == "max_tokens" and fields.token_param == "max_tokens" and "token_param" in fields.chosen:
        budget = (
            max(fields.max_tokens, REASONING_BUDGET) if "max_tokens" in fields.chosen else fields.max_tokens
        )
        note = "max_tokens (sent max_completion_tokens instead)"
        return replace(
            fields, token_param="max_completion_tokens", max_tokens=budget, adapted=(*fields.adapted, note)
        )
    if rejected == "temperature" and fields.temperature is not None and "temperature" in fields.chosen:
        return replace(fields, temperature=None, adapted=(*fields.adapted, "temperature (left out)"))
    if rejected in ("reasoning_effort", "effort") and fields.reasoning_effort is not None:
        return replace(
            fields, reasoning_effort=None, adapted=(*fields.adapted, "reasoning_effort (left out)")
        )
    return None
