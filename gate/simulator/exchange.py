"""The per-request object scenario behaviours act on: the parsed request plus response-writing helpers."""

from __future__ import annotations

import contextlib
import json
import select
import socket
import ssl
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from http.server import BaseHTTPRequestHandler
from typing import Any, Literal

from gate.simulator.responses import json_bytes, new_request_id

Framing = Literal["length", "chunked", "close"]

_INVALID = object()
_REASONS = {524: "A Timeout Occurred", 529: "Site Overloaded"}
_POLL = 0.1


@dataclass
class SimState:
    """Configuration plus the mutable state shared by every handler thread of one simulator."""

    api_key: str
    model: str
    slow_seconds: float
    drip_interval: float
    flaky_failures: int
    huge_bytes: int
    stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _counts: dict[str, int] = field(default_factory=dict)

    def bump(self, scenario: str) -> int:
        """Count one more request for ``scenario``; returns its 1-based sequence number."""
        with self._lock:
            self._counts[scenario] = self._counts.get(scenario, 0) + 1
            return self._counts[scenario]

    def reset(self) -> None:
        """Forget the per-scenario request counters (flaky, rate_limit_once)."""
        with self._lock:
            self._counts.clear()


class Exchange:
    """One request being answered: read-only request data plus framing-aware write helpers."""

    def __init__(
        self,
        handler: BaseHTTPRequestHandler,
        state: SimState,
        *,
        scenario: str,
        endpoint: str,
        headers: dict[str, str],
        body: bytes,
        base_url: str,
    ) -> None:
        self._handler = handler
        self.state = state
        self.scenario = scenario
        self.endpoint = endpoint
        self.headers = headers
        self.body = body
        self.base_url = base_url
        self.started = False
        self._framing: Framing = "length"

    @property
    def method(self) -> str:
        """The HTTP method."""
        return self._handler.command

    @cached_property
    def _parsed(self) -> Any:
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            return _INVALID

    @property
    def payload(self) -> Any:
        """The request body parsed as JSON, or None when it is not valid JSON."""
        return None if self._parsed is _INVALID else self._parsed

    @property
    def presented_key(self) -> str:
        """The credential the client sent (the Authorization value minus any ``Bearer `` prefix)."""
        auth = self.headers.get("authorization", "")
        return auth[7:] if auth[:7].lower() == "bearer " else auth

    @property
    def authorized(self) -> bool:
        """Whether ``Authorization: Bearer <api_key>`` matches exactly."""
        return self.headers.get("authorization") == f"Bearer {self.state.api_key}"

    @property
    def wants_stream(self) -> bool:
        """Whether this is a chat request with ``"stream": true``."""
        p = self.payload
        return self.endpoint == "chat" and isinstance(p, dict) and p.get("stream") is True

    @property
    def include_usage(self) -> bool:
        """Whether ``stream_options.include_usage`` is true."""
        p = self.payload
        opts = p.get("stream_options") if isinstance(p, dict) else None
        return isinstance(opts, dict) and opts.get("include_usage") is True

    # -- writing ---------------------------------------------------------------------------------

    def start(
        self, status: int, headers: Iterable[tuple[str, str]] = (), framing: Framing = "length"
    ) -> bool:
        """Send the status line and headers. ``length`` framing expects the caller's Content-Length header;
        ``chunked`` adds Transfer-Encoding; ``close`` delimits the body by closing the connection."""
        h = self._handler
        self.started = True
        self._framing = framing
        try:
            h.send_response(status, _REASONS.get(status))
            for name, value in headers:
                h.send_header(name, value)
            if framing == "chunked":
                h.send_header("Transfer-Encoding", "chunked")
            elif framing == "close":
                h.send_header("Connection", "close")
                h.close_connection = True
            h.end_headers()
            return True
        except OSError:
            self.abort()
            return False

    def write(self, data: bytes) -> bool:
        """Write body bytes (chunk-framed if needed); False when the client has gone."""
        if not data or self.method == "HEAD":
            return True
        if self._framing == "chunked":
            data = b"%x\r\n%s\r\n" % (len(data), data)
        try:
            self._handler.wfile.write(data)
            self._handler.wfile.flush()
            return True
        except OSError:
            self.abort()
            return False

    def finish(self) -> bool:
        """Terminate a chunked body (no-op for other framings)."""
        if self._framing != "chunked" or self.method == "HEAD":
            return True
        try:
            self._handler.wfile.write(b"0\r\n\r\n")
            self._handler.wfile.flush()
            return True
        except OSError:
            self.abort()
            return False

    def send(
        self,
        status: int,
        body: bytes,
        content_type: str = "application/json",
        headers: Iterable[tuple[str, str]] = (),
    ) -> bool:
        """Send a complete response with Content-Length (keeps the connection reusable)."""
        all_headers = [("Content-Type", content_type), ("Content-Length", str(len(body))), *headers]
        return self.start(status, all_headers) and self.write(body)

    def send_json(
        self,
        status: int,
        obj: Any,
        headers: Iterable[tuple[str, str]] = (),
        *,
        request_id: bool = False,
        ascii_only: bool = True,
    ) -> bool:
        """Send a JSON body; ``request_id`` adds an ``x-request-id`` header (success responses only)."""
        extra = [("x-request-id", new_request_id())] if request_id else []
        return self.send(status, json_bytes(obj, ascii_only=ascii_only), headers=[*extra, *headers])

    def abort(self) -> None:
        """Close the connection after this handler returns (no further requests on it)."""
        self._handler.close_connection = True

    # -- waiting ---------------------------------------------------------------------------------

    def client_gone(self) -> bool:
        """Whether the client closed its side of the connection.

        On TLS anything readable mid-response counts as gone: HTTP clients send nothing while awaiting a
        response, so it is a close_notify alert (encrypted under TLS 1.3, so it cannot be told apart by
        peeking) or the end of the connection."""
        sock: socket.socket = self._handler.connection
        try:
            readable, _, _ = select.select([sock], [], [], 0)
            if not readable:
                return False
            if isinstance(sock, ssl.SSLSocket):
                return True
            return sock.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True

    def no_delay(self) -> None:
        """Send each write at once (TCP_NODELAY) instead of letting the kernel coalesce small writes."""
        with contextlib.suppress(OSError):
            self._handler.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True (abort) as soon as the simulator stops or the client leaves."""
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            if self.state.stop.wait(min(remaining, _POLL)) or self.client_gone():
                self.abort()
                return True
        if self.state.stop.is_set():
            self.abort()
            return True
        return False

    def hold(self) -> None:
        """Keep the connection open, sending nothing, until the simulator stops or the client leaves."""
        while not self.wait(3600.0):
            pass
