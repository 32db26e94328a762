"""What went wrong when no complete HTTP response came: requests/urllib3 exceptions mapped to one class.

A dropped connection is `connect` (transient); a malformed answer (bad status line, header, chunk framing or
encoding) is `protocol`; the deadline firing is `timeout`, whatever exception it caused.
"""

from __future__ import annotations

import http.client
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field

import requests
import urllib3

from gate.core.failures import FailureClass


@dataclass(eq=False)
class TransportError(Exception):
    """The request produced no complete HTTP response."""

    failure_class: FailureClass
    message: str
    elapsed_ms: float = 0.0
    detail: str = field(default="")

    def __str__(self) -> str:
        return self.message


def classify_exception(exc: BaseException, elapsed_ms: float, fired: bool) -> TransportError:
    text = _describe(exc)
    if fired:
        return TransportError(FailureClass.TIMEOUT, "deadline passed", elapsed_ms, text)
    if isinstance(exc, requests.exceptions.ProxyError):
        return TransportError(FailureClass.PROXY, f"the proxy refused the request: {text}", elapsed_ms, text)
    if isinstance(exc, requests.exceptions.SSLError):
        return TransportError(FailureClass.TLS, f"TLS failed: {text}", elapsed_ms, text)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return TransportError(FailureClass.TIMEOUT, f"connect timed out: {text}", elapsed_ms, text)
    if isinstance(exc, requests.exceptions.Timeout | socket.timeout | TimeoutError):
        return TransportError(FailureClass.TIMEOUT, f"read timed out: {text}", elapsed_ms, text)
    if _is_dns_error(exc):
        return TransportError(FailureClass.DNS, f"host name did not resolve: {text}", elapsed_ms, text)
    if isinstance(exc, requests.exceptions.ConnectionError) and _is_connect_phase(exc):
        return TransportError(FailureClass.CONNECT, f"could not connect: {text}", elapsed_ms, text)
    if isinstance(exc, requests.exceptions.InvalidURL):
        return TransportError(FailureClass.CONFIG, f"invalid request: {text}", elapsed_ms, text)
    if isinstance(exc, UnicodeError | ValueError | requests.exceptions.InvalidHeader) or _is_protocol_error(
        exc
    ):
        return TransportError(FailureClass.PROTOCOL, f"malformed HTTP response: {text}", elapsed_ms, text)
    return TransportError(
        FailureClass.CONNECT, f"connection broke before a full response: {text}", elapsed_ms, text
    )


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            yield from _chain(reason)
        args_exc = [a for a in getattr(current, "args", ()) if isinstance(a, BaseException)]
        for inner in args_exc:
            yield from _chain(inner)
        current = current.__cause__ or current.__context__


def _is_protocol_error(exc: BaseException) -> bool:
    """A malformed answer (bad status line, header, chunk framing or encoding), not a dropped connection."""
    chain = list(_chain(exc))
    if any(isinstance(e, ConnectionError) for e in chain):
        return False  # a dropped connection (RemoteDisconnected, reset) is class connect, retried
    if any(isinstance(e, http.client.IncompleteRead) for e in chain):
        return False  # the body stopped short: the connection dropped mid-response
    malformed = (
        http.client.HTTPException,  # BadStatusLine, LineTooLong, "got more than 100 headers", ...
        urllib3.exceptions.DecodeError,
        urllib3.exceptions.InvalidChunkLength,
        urllib3.exceptions.HeaderParsingError,
        UnicodeError,
    )
    return any(isinstance(e, malformed) for e in chain)


def _is_dns_error(exc: BaseException) -> bool:
    return any(isinstance(e, socket.gaierror | urllib3.exceptions.NameResolutionError) for e in _chain(exc))


def _is_connect_phase(exc: BaseException) -> bool:
    return any(
        isinstance(e, urllib3.exceptions.NewConnectionError | ConnectionRefusedError) for e in _chain(exc)
    )


def _describe(exc: BaseException) -> str:
    """The innermost useful message, one line, without object reprs."""
    messages = [str(e) for e in _chain(exc) if str(e)]
    text = messages[-1] if messages else type(exc).__name__
    if "object at 0x" in text or "HTTPConnection" in text:
        text = next((m for m in reversed(messages) if "object at 0x" not in m), type(exc).__name__)
    return " ".join(text.split())[:300]
