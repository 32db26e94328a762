"""The request side of the simulator: the HTTP server, the handler that routes each request to its
scenario's behaviour, and the request log's entries.

The handler serves a `Host` (gate.simulator.server.Simulator is one): the server imports this module, never
the reverse."""

from __future__ import annotations

import contextlib
import socket
import ssl
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol
from urllib.parse import urlsplit

from gate.simulator.exchange import Exchange, SimState
from gate.simulator.responses import error_body
from gate.simulator.scenarios import SCENARIOS, unknown_scenario_hint

#: API path -> (endpoint name, allowed methods)
ROUTES: dict[str, tuple[str, frozenset[str]]] = {
    "/v1/chat/completions": ("chat", frozenset({"POST"})),
    "/v1/models": ("models", frozenset({"GET"})),
    "/v1/responses": ("responses", frozenset({"POST"})),
    "/v1/embeddings": ("embeddings", frozenset({"POST"})),
}
_MAX_BODY = 64 * 1024 * 1024
_HANDSHAKE_TIMEOUT = 10.0


@dataclass(frozen=True)
class LoggedRequest:
    """One request as received. ``headers`` keys are lower-cased; ``at`` is ``time.monotonic()``."""

    method: str
    path: str
    scenario: str
    headers: dict[str, str]
    body: bytes
    at: float


class Host(Protocol):
    """What the handler needs of the server it runs in: the default scenario, the shared state, its
    address, and somewhere to log each request and track each open connection (so stop() can cut it)."""

    scenario: str
    state: SimState

    @property
    def scheme(self) -> str: ...

    @property
    def base_url(self) -> str: ...

    def record(self, entry: LoggedRequest) -> None: ...

    def served(self, entry: LoggedRequest, status: int | None) -> None: ...

    def track(self, conn: socket.socket, *, add: bool) -> None: ...


def split_scenario(path: str, default: str) -> tuple[str, str]:
    """``/s/<name>/rest`` -> ``(name, "/rest")``; any other path -> ``(default, path)``."""
    if path == "/s" or path.startswith("/s/"):
        name, _, rest = path[3:].partition("/")
        return name, "/" + rest
    return default, path


class SimServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    sim: Host
    ssl_context: ssl.SSLContext | None = None

    def get_request(self) -> tuple[socket.socket, object]:
        """Accept; with TLS, wrap server-side without handshaking (the handler thread does that, so a slow
        or hostile client cannot block the accept loop)."""
        sock, addr = super().get_request()
        if self.ssl_context is None:
            return sock, addr
        try:
            return self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr
        except Exception as exc:
            sock.close()
            raise OSError("TLS wrap failed") from exc  # serve_forever skips OSError from get_request

    def handle_error(self, request: object, client_address: object) -> None:
        """Stay silent: a broken client connection must never produce noise or stop the server."""


class SimHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "cometapi-sim"
    # Headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm and the client's
    # delayed ACK add ~40 ms to every response on a reused keep-alive connection.
    disable_nagle_algorithm = True
    server: SimServer
    sent_status: int | None = None  # the status of the response under way, once its status line is sent

    def version_string(self) -> str:
        """The ``Server`` header value."""
        return self.server_version

    def setup(self) -> None:
        sim = self.server.sim
        sim.track(self.request, add=True)  # tracked first, so stop() can cut a hanging TLS handshake
        try:
            if isinstance(self.request, ssl.SSLSocket):
                previous = self.request.gettimeout()
                self.request.settimeout(_HANDSHAKE_TIMEOUT)
                self.request.do_handshake()  # a failure is swallowed by SimServer.handle_error
                self.request.settimeout(previous)
            super().setup()
        except BaseException:
            sim.track(self.request, add=False)
            raise

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.sim.track(self.connection, add=False)

    def log_message(self, format: str, *args: object) -> None:
        """Silence the default stderr access log (the host logs each request it served: Host.served)."""

    def send_response(self, code: int, message: str | None = None) -> None:
        self.sent_status = code
        super().send_response(code, message)

    def _dispatch(self) -> None:
        ex: Exchange | None = None
        self.sent_status = None
        entry: LoggedRequest | None = None
        try:
            ex, entry = self._exchange()
            self._route(ex)
        except Exception:
            self.close_connection = True
            if ex is not None and not ex.started:
                with contextlib.suppress(Exception):
                    ex.send_json(
                        500, error_body("simulator internal error", "server_error", "internal_error")
                    )
        finally:
            if entry is not None:
                self.server.sim.served(entry, self.sent_status)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts = []
            while True:
                size = int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024).strip():
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline(8)
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > _MAX_BODY:
            raise ValueError("bad Content-Length")
        return self.rfile.read(length) if length else b""

    def _exchange(self) -> tuple[Exchange, LoggedRequest]:
        """Read the body, log the request, and wrap it for the behaviours."""
        sim = self.server.sim
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            body = b""
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        scenario, api_path = split_scenario(urlsplit(self.path).path, sim.scenario)
        entry = LoggedRequest(self.command, self.path, scenario, headers, body, time.monotonic())
        sim.record(entry)
        endpoint = ROUTES[api_path][0] if api_path in ROUTES else ""
        exchange = Exchange(
            self,
            sim.state,
            scenario=scenario,
            endpoint=endpoint,
            headers=headers,
            body=body,
            base_url=f"{sim.scheme}://{headers['host']}" if headers.get("host") else sim.base_url,
        )
        return exchange, entry

    def _route(self, ex: Exchange) -> None:
        path = urlsplit(self.path).path
        if ex.scenario not in SCENARIOS:
            hint = unknown_scenario_hint(ex.scenario)
            message = f"Unknown simulator scenario '{ex.scenario}' ({self.command} {path}); {hint}"
            ex.send_json(404, error_body(message, "invalid_request_error", "unknown_scenario", param=None))
            return
        _, api_path = split_scenario(path, ex.scenario)
        if api_path not in ROUTES:
            message = f"Invalid URL ({self.command} {api_path})"
            ex.send_json(404, error_body(message, "invalid_request_error", None, param=None))
            return
        allowed = ROUTES[api_path][1]
        if self.command not in allowed:
            message = f"Method {self.command} not allowed for {api_path}"
            body = error_body(message, "invalid_request_error", "method_not_allowed", param=None)
            ex.send_json(405, body, headers=[("Allow", ", ".join(sorted(allowed)))])
            return
        SCENARIOS[ex.scenario].behaviour(ex)
