"""Error envelopes: the shapes servers wrap an error in, read into one record the rule tables match on.

The shapes, with who sends them (docs/dialects.md has a replay of each):
- ``{"error": {"message", "type", "code", "param"}}``: OpenAI and most servers; Azure adds ``innererror``,
  Google ``status`` and ``details[].reason``, OpenRouter ``metadata.raw`` / ``metadata.provider_name``.
- ``{"error": "text"}``: Ollama's native API, LM Studio; with ``error_type`` beside it:
  text-generation-inference.
- ``{"message", ...}`` at the top: vLLM's older servers (``"object": "error"``, also with status 200),
  Mistral's gateway (``request_id``), Cloudflare AI Gateway (``internalCode``), Portkey's own answers
  (``"status": "failure"``).
- ``[{"error": {...}}]``: Google's APIs (the Gemini endpoints) answer in a one-element list.
- ``{"success": false, "errors": [{"code", "message"}]}``: Cloudflare's API (Workers AI).
- ``{"detail": "text"}`` or ``{"detail": [{"loc", "msg", "type"}]}``: FastAPI servers (a wrong path on vLLM,
  request validation, Mistral).
A 2xx is read only for the ``error`` member: a success that happens to carry ``detail`` is the contract's
business, not an error.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from gate.core.text import INTAKE_LIMIT, one_line


@dataclass(frozen=True, eq=False)
class ErrorRecord:
    """One error, whatever envelope it came in."""

    message: str = ""  # one line
    code: str = ""  # error.code as text ("invalid_api_key", "404", "3042")
    type: str = ""  # error.type, Google's status, TGI's error_type
    reasons: tuple[str, ...] = ()  # Google's details[].reason, Azure's innererror.code, OpenRouter's reasons
    param: str | None = None
    provider: str = ""  # the provider a router relayed (OpenRouter's metadata.provider_name)
    raw: str = ""  # the provider's own answer a router relayed (OpenRouter's metadata.raw), one line
    request_id: str = ""  # an id carried in the body (Anthropic's request_id)
    envelope: str = "openai"  # which shape it came in, for the record

    @property
    def keys(self) -> frozenset[str]:
        """Every identifier the rules match codes on, lower-cased."""
        return frozenset(k.lower() for k in (self.code, self.type, *self.reasons) if k)

    @property
    def words(self) -> str:
        """What message patterns search: the message and the relayed provider's own text."""
        return f"{self.message} {self.raw}" if self.raw else self.message

    @property
    def primary_code(self) -> str:
        """The code to report: a word when the server gave one (LiteLLM puts the status in `code` and the
        reason in `type`; Cloudflare gives only a number)."""
        if self.code and not self.code.isdigit():
            return self.code
        return self.type or self.code or (self.reasons[0] if self.reasons else "")


def read(payload: Any, *, success: bool = False) -> ErrorRecord | None:
    """The error a body carries, or None when it carries none. `success`: the status was 2xx, where only an
    `error` member (or Google's list of them) counts."""
    if isinstance(payload, list):
        return _google_list(payload)
    if not isinstance(payload, Mapping):
        return None
    if _has_error(payload):
        return _from_error_member(payload)
    if success:  # only vLLM's older flat error, which it can answer with 200 (a pooling model asked to chat)
        return _top_level(payload) if payload.get("object") == "error" else None
    if payload.get("success") is False and isinstance(payload.get("errors"), list):
        return _cloudflare(payload["errors"])
    if "detail" in payload and "choices" not in payload:
        return _fastapi(payload["detail"])
    if "message" in payload and "choices" not in payload:
        return _top_level(payload)
    return None


def _google_list(payload: list[Any]) -> ErrorRecord | None:
    first = payload[0] if payload else None
    if isinstance(first, Mapping) and _has_error(first):
        found = _from_error_member(first)
        return _with(found, envelope="list") if found else None
    return None


def _has_error(payload: Mapping[str, Any]) -> bool:
    return payload.get("error") not in (None, "", {}, [])


def _from_error_member(payload: Mapping[str, Any]) -> ErrorRecord | None:
    error = payload["error"]
    body_id = _text(payload.get("request_id") or payload.get("id"))  # Anthropic; Together, OpenRouter
    if isinstance(error, Mapping):
        record = _openai(error)
        return _with(record, request_id=record.request_id or body_id, message=_unprefixed(record, payload))
    if isinstance(error, list) and error and isinstance(error[0], Mapping):
        return _with(_openai(error[0]), request_id=body_id)
    kind = _text(payload.get("error_type"))
    envelope = "tgi" if kind else "string"
    return ErrorRecord(message=_line(error), type=kind, request_id=body_id, envelope=envelope)


def _unprefixed(record: ErrorRecord, payload: Mapping[str, Any]) -> str:
    """The message without the `<provider> error: ` Portkey puts before a relayed one (it adds the provider
    beside the error: src/providers/utils.ts generateErrorResponse), so rules read the provider's words."""
    provider = payload.get("provider")
    prefix = f"{provider} error: " if isinstance(provider, str) and provider else ""
    return record.message.removeprefix(prefix) if prefix else record.message


def _openai(error: Mapping[str, Any]) -> ErrorRecord:
    metadata = error.get("metadata") if isinstance(error.get("metadata"), Mapping) else {}
    return ErrorRecord(
        message=_line(error.get("message", "")),
        code=_text(error.get("code")),
        type=_text(error.get("type")) or _text(error.get("status")),
        reasons=_reasons(error, metadata),
        param=_text(error.get("param")) or None,
        provider=_text(metadata.get("provider_name")),
        raw=_line(metadata.get("raw", "")),
        request_id=_text(error.get("request_id")),
    )


def _reasons(error: Mapping[str, Any], metadata: Mapping[str, Any]) -> tuple[str, ...]:
    """Google's details[].reason, Azure's innererror.code, OpenRouter's moderation reasons, Google's status
    beside a numeric code."""
    found: list[str] = []
    details = error.get("details")
    if isinstance(details, list):
        found += [_text(d.get("reason")) for d in details if isinstance(d, Mapping)]
    elif isinstance(details, Mapping):  # Anthropic: {"error_code": "enforced_spend_limit_reached"}
        found.append(_text(details.get("error_code")))
    inner = error.get("innererror")
    if isinstance(inner, Mapping):
        found.append(_text(inner.get("code")))
    reasons = metadata.get("reasons")
    if isinstance(reasons, list):
        found += [_text(r) for r in reasons]
    if error.get("type") and error.get("status"):
        found.append(_text(error.get("status")))
    return tuple(dict.fromkeys(r for r in found if r))


def _cloudflare(errors: list[Any]) -> ErrorRecord:
    first = errors[0] if errors and isinstance(errors[0], Mapping) else {}
    return ErrorRecord(
        message=_line(first.get("message", "")), code=_text(first.get("code")), envelope="cloudflare"
    )


def _fastapi(detail: Any) -> ErrorRecord:
    """FastAPI's `detail`: a text, or request validation's list of {loc, msg, type}."""
    if isinstance(detail, list):
        parts = [_validation_item(item) for item in detail[:5]]
        kind = next((_text(i.get("type")) for i in detail if isinstance(i, Mapping) and i.get("type")), "")
        return ErrorRecord(message=_line("; ".join(p for p in parts if p)), type=kind, envelope="detail")
    return ErrorRecord(message=_line(detail), envelope="detail")


def _validation_item(item: Any) -> str:
    if not isinstance(item, Mapping):
        return _line(item)
    loc = item.get("loc")
    where = ".".join(str(p) for p in loc) if isinstance(loc, list) else ""
    return f"{where}: {_line(item.get('msg', ''))}" if where else _line(item.get("msg", ""))


def _top_level(payload: Mapping[str, Any]) -> ErrorRecord:
    message = payload.get("message")
    if isinstance(message, Mapping) and "detail" in message:  # Mistral's validation error
        inner = _fastapi(message["detail"])
        message = inner.message
    return ErrorRecord(
        message=_line(message),
        code=_text(payload.get("code") or payload.get("internalCode")),  # Cloudflare AI Gateway: internalCode
        type=_text(payload.get("type")),
        param=_text(payload.get("param")) or None,
        request_id=_text(payload.get("request_id")),
        envelope="top-level",
    )


def _with(record: ErrorRecord, **changes: Any) -> ErrorRecord:
    return replace(record, **changes)


def _text(value: Any) -> str:
    """A short identifier as text (codes are strings, numbers or null)."""
    if value is None or isinstance(value, Mapping | list):
        return ""
    return one_line(str(value), 200)


def _line(value: Any) -> str:
    """A message as one line; a structured one (a dict, a list) as compact JSON."""
    if isinstance(value, Mapping | list):
        value = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return one_line(str(value), INTAKE_LIMIT)
