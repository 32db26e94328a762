"""The fault-injecting HTTP(S) server: routing, request log and the :class:`Simulator` lifecycle."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

from gate.simulator.exchange import Exchange, SimState
from gate.simulator.responses import error_body
from gate.simulator.scenarios import SCENARIOS

DEFAULT_API_KEY = "sk-sim-4f1c9a7e2b6d8035"
DEFAULT_MODEL = "gpt-4o-mini"

#: API path -> (endpoint name, allowed methods)
ROUTES: dict[str, tuple[str, frozenset[str]]] = {
    "/v1/chat/completions": ("chat", frozenset({"POST"})),
    "/v1/models": ("models", frozenset({"GET"})),
}
_MAX_BODY = 64 * 1024 * 1024
_HANDSHAKE_TIMEOUT = 10.0
#: Bind addresses reachable as ``localhost``; TLS URLs use that name so "localhost" certificates verify.
_LOCAL_HOSTS = frozenset({"127.0.0.1", "::1", "0.0.0.0", "::", "", "localhost"})


@dataclass(frozen=True)
class LoggedRequest:
    """One request as received. ``headers`` keys are lower-cased; ``at`` is ``time.monotonic()``."""

    method: str
    path: str
    scenario: str
    headers: dict[str, str]
    body: bytes
    at: float


def split_scenario(path: str, default: str) -> tuple[str, str]:
    """``/s/<name>/rest`` -> ``(name, "/rest")``; any other path -> ``(default, path)``."""
    if path == "/s" or path.startswith("/s/"):
        name, _, rest = path[3:].partition("/")
        return name, "/" + rest
    return default, path


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    sim: Simulator
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


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "cometapi-sim"
    # Headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm and the client's
    # delayed ACK add ~40 ms to every response on a reused keep-alive connection.
    disable_nagle_algorithm = True
    server: _Server

    def version_string(self) -> str:
        """The ``Server`` header value."""
        return self.server_version

    def setup(self) -> None:
        sim = self.server.sim
        sim._track(self.request, add=True)  # tracked first, so stop() can cut a hanging TLS handshake
        try:
            if isinstance(self.request, ssl.SSLSocket):
                previous = self.request.gettimeout()
                self.request.settimeout(_HANDSHAKE_TIMEOUT)
                self.request.do_handshake()  # a failure is swallowed by _Server.handle_error
                self.request.settimeout(previous)
            super().setup()
        except BaseException:
            sim._track(self.request, add=False)
            raise

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.sim._track(self.connection, add=False)

    def log_message(self, format: str, *args: object) -> None:
        """Silence the default stderr access log."""

    def _dispatch(self) -> None:
        ex: Exchange | None = None
        try:
            ex = self._exchange()
            self._route(ex)
        except Exception:
            self.close_connection = True
            if ex is not None and not ex.started:
                with contextlib.suppress(Exception):
                    ex.send_json(
                        500, error_body("simulator internal error", "server_error", "internal_error")
                    )

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

    def _exchange(self) -> Exchange:
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
        sim._record(LoggedRequest(self.command, self.path, scenario, headers, body, time.monotonic()))
        endpoint = ROUTES[api_path][0] if api_path in ROUTES else ""
        return Exchange(
            self,
            sim.state,
            scenario=scenario,
            endpoint=endpoint,
            headers=headers,
            body=body,
            base_url=f"{sim.scheme}://{headers['host']}" if headers.get("host") else sim.base_url,
        )

    def _route(self, ex: Exchange) -> None:
        path = urlsplit(self.path).path
        if ex.scenario not in SCENARIOS:
            message = f"Unknown simulator scenario '{ex.scenario}' ({self.command} {path})"
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


class Simulator:
    """A CometAPI-compatible, fault-injecting HTTP server running on a background thread.

    Requests under ``/s/<scenario>/`` are served as that scenario; all others as ``scenario``. With
    ``ssl_context`` (a server-side context holding a certificate) it serves HTTPS, and :attr:`base_url` names
    the host ``localhost`` when bound to a loopback or wildcard address.
    """

    def __init__(
        self,
        scenario: str = "ok",
        api_key: str = DEFAULT_API_KEY,
        model: str = DEFAULT_MODEL,
        host: str = "127.0.0.1",
        port: int = 0,
        slow_seconds: float = 30.0,
        drip_interval: float = 1.0,
        flaky_failures: int = 2,
        huge_bytes: int = 64 * 1024 * 1024,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r}; choose one of: {', '.join(SCENARIOS)}")
        self.scenario = scenario
        self.host = host
        self.port = port
        self.ssl_context = ssl_context
        self.state = SimState(api_key, model, slow_seconds, drip_interval, flaky_failures, huge_bytes)
        self._log: list[LoggedRequest] = []
        self._lock = threading.Lock()
        self._conns: set[socket.socket] = set()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> Simulator:
        """Bind and serve on a daemon thread; returns self. ``port`` becomes the bound port."""
        if self._httpd is not None:
            raise RuntimeError("simulator already started")
        self.state.stop.clear()
        httpd = _Server((self.host, self.port), _Handler)
        httpd.sim = self
        httpd.ssl_context = self.ssl_context
        self.port = httpd.server_address[1]
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="gate-simulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake sleeping handlers, cut open connections and close the socket (idempotent)."""
        self.state.stop.set()
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
            self._thread = None

    def serve_forever(self) -> None:
        """Serve in the foreground until KeyboardInterrupt (or :meth:`stop`), then close."""
        if self._httpd is None:
            self.start()
        try:
            while not self.state.stop.wait(0.2):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------------------------------

    @property
    def scheme(self) -> str:
        """``https`` when serving TLS, else ``http``."""
        return "http" if self.ssl_context is None else "https"

    @property
    def base_url(self) -> str:
        """``http://host:port`` (TLS: ``https://localhost:port``) serving the default scenario."""
        host = self.host
        if self.ssl_context is not None and host in _LOCAL_HOSTS:
            host = "localhost"
        if ":" in host:
            host = f"[{host}]"
        return f"{self.scheme}://{host}:{self.port}"

    def url_for(self, scenario: str) -> str:
        """``<base_url>/s/<scenario>``: a base URL whose requests are served as ``scenario``."""
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r}")
        return f"{self.base_url}/s/{scenario}"

    # -- request log -------------------------------------------------------------------------------

    @property
    def log(self) -> list[LoggedRequest]:
        """A snapshot of every request received so far, oldest first."""
        with self._lock:
            return list(self._log)

    def count(self, scenario: str | None = None, path_suffix: str | None = None) -> int:
        """Requests received, optionally only those served as ``scenario`` and/or whose path (query string
        excluded) ends with ``path_suffix``."""
        return sum(
            1
            for r in self.log
            if (scenario is None or r.scenario == scenario)
            and (path_suffix is None or r.path.split("?", 1)[0].endswith(path_suffix))
        )

    def clear_log(self) -> None:
        """Forget logged requests and per-scenario counters (so ``flaky`` fails again)."""
        with self._lock:
            self._log.clear()
        self.state.reset()

    def _record(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._log.append(entry)

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)
