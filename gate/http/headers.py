"""What the gate reads from a response's headers (and message): request ids and the server's retry hints."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from gate.core.text import INTAKE_LIMIT, one_line

GATEWAY_ID_HEADER = "x-oneapi-request-id"  # one-api / new-api, on every response (docs/gateway.md)
# The provider's or relay's own id, in the order a support desk asks for it (docs/dialects.md): OpenAI's,
# Groq's and vLLM's x-request-id (copied through by new-api on a success), Anthropic's request-id, Azure's
# apim-request-id, OpenRouter's generation id, LiteLLM's call id, Portkey's trace id, Cloudflare AI
# Gateway's log ids. An id in the error body comes after these; a CDN's ray id (Cloudflare's cf-ray) only
# when nothing else names the request.
_PROVIDER_ID_HEADERS = (
    "x-request-id",
    "request-id",
    "apim-request-id",
    "x-generation-id",
    "x-litellm-call-id",
    "x-portkey-trace-id",
    "cf-aig-log-id",
    "cf-aig-request-id",
    "cf-aig-event-id",
)
_CDN_ID_HEADERS = ("cf-ray",)
_ID_IN_MESSAGE = re.compile(r"\(request id:\s*([^)\s]+)\s*\)", re.IGNORECASE)


@dataclass(frozen=True)
class RequestIds:
    """The gateway's id (what CometAPI support asks for) and the upstream provider's, when sent."""

    gateway: str | None = None
    provider: str | None = None

    @property
    def primary(self) -> str | None:
        """The id to quote: the gateway's first, the provider's when there is no gateway in between."""
        return self.gateway or self.provider


def request_ids(headers: Mapping[str, str], message: str = "", body_id: str = "") -> RequestIds:
    """The gateway's id (its header, else the `(request id: …)` new-api appends to a message) and the
    provider's: its own header, else the id in the error body, else a CDN's ray id."""
    gateway = headers.get(GATEWAY_ID_HEADER)
    if not gateway:
        found = _ID_IN_MESSAGE.search(message)
        gateway = found.group(1) if found else None
    provider = next((headers[name] for name in _PROVIDER_ID_HEADERS if headers.get(name)), None)
    provider = provider or body_id or next((headers[n] for n in _CDN_ID_HEADERS if headers.get(n)), None)
    return RequestIds(
        one_line(gateway, INTAKE_LIMIT) if gateway else None,
        one_line(provider, INTAKE_LIMIT) if provider else None,
    )


def should_retry(headers: Mapping[str, str]) -> bool | None:
    """The server's own say (`x-should-retry: true/false`, honoured as the official openai SDK does)."""
    value = headers.get("x-should-retry", "").strip().lower()
    return True if value == "true" else False if value == "false" else None


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """Seconds the server asks us to wait (`retry-after-ms` wins over `Retry-After`), or None.

    A value that is not a finite, non-negative number (NaN, inf, 1e400, a date that does not parse) counts
    as absent; a huge one is capped later by --max-retry-after."""
    millis = _finite(headers.get("retry-after-ms"))
    if millis is not None:
        return millis / 1000.0
    text = headers.get("retry-after")
    seconds = _finite(text)
    if seconds is not None or not text:
        return seconds
    try:
        when = parsedate_to_datetime(text)
        return max((when - dt.datetime.now(dt.UTC)).total_seconds(), 0.0)
    except (TypeError, ValueError, OverflowError):
        return None


def _finite(text: str | None) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except (ValueError, OverflowError):
        return None
    return value if math.isfinite(value) and value >= 0 else None
