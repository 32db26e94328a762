"""The fault-injecting HTTP(S) server: routing, request log and the :class:`Simulator` lifecycle."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Callable
from types import TracebackType

from gate.simulator.exchange import SimState
from gate.simulator.handler import LoggedRequest, SimHandler, SimServer
from gate.simulator.scenarios import SCENARIOS, unknown_scenario_hint

DEFAULT_API_KEY = "sk-sim-4f1c9a7e2b6d8035"
DEFAULT_MODEL = "gpt-4o-mini"
#: Bind addresses reachable as ``localhost``; TLS URLs use that name so "localhost" certificates verify.
_LOCAL_HOSTS = frozenset({"127.0.0.1", "::1", "0.0.0.0", "::", "", "localhost"})


class Simulator:
    """A CometAPI-compatible, fault-injecting HTTP server running on a background thread.

    Requests under ``/s/<scenario>/`` are served as that scenario; all others as ``scenario``. With
    ``ssl_context`` (a server-side context holding a certificate) it serves HTTPS, and :attr:`base_url` names
    the host ``localhost`` when bound to a loopback or wildcard address. ``access_log`` is given one line
    per request served (:func:`access_line`), once its answer is complete.
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
        access_log: Callable[[str], None] | None = None,
    ) -> None:
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r}; {unknown_scenario_hint(scenario)}")
        self.scenario = scenario
        self.host = host
        self.port = port
        self.ssl_context = ssl_context
        self.access_log = access_log
        self.state = SimState(api_key, model, slow_seconds, drip_interval, flaky_failures, huge_bytes)
        self._log: list[LoggedRequest] = []
        self._lock = threading.Lock()
        self._access_lock = threading.Lock()  # one access-log line at a time, never blocking the request log
        self._conns: set[socket.socket] = set()
        self._httpd: SimServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> Simulator:
        """Bind and serve on a daemon thread; returns self. ``port`` becomes the bound port."""
        if self._httpd is not None:
            raise RuntimeError("simulator already started")
        self.state.stop.clear()
        httpd = SimServer((self.host, self.port), SimHandler)
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
            raise ValueError(f"unknown scenario {scenario!r}; {unknown_scenario_hint(scenario)}")
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

    # -- what the handler needs of its host (gate.simulator.handler.Host) ------------------------------

    def record(self, entry: LoggedRequest) -> None:
        """Log one request as received (the handler calls this before serving it)."""
        with self._lock:
            self._log.append(entry)

    def served(self, entry: LoggedRequest, status: int | None) -> None:
        """Write the access log line of one request whose answer is complete (or abandoned)."""
        if self.access_log is not None:
            line = access_line(entry, status, time.monotonic() - entry.at)
            with self._access_lock:
                self.access_log(line)

    def track(self, conn: socket.socket, *, add: bool) -> None:
        """Remember (or forget) an open connection, so stop() can cut it."""
        with self._lock:
            if add:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)


def access_line(entry: LoggedRequest, status: int | None, seconds: float) -> str:
    """``<UTC time> <method> <path> scenario=<name> status=<code> (<ms> ms)``; the path without its query
    string (which may carry a credential), every part printable and bounded."""
    path, _, query = entry.path.partition("?")
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    code = status if status is not None else "none (no answer: the client left or the simulator stopped)"
    return (
        f"{stamp} {_printable(entry.method, 16)} {_printable(path, 200)}{'?...' if query else ''} "
        f"scenario={_printable(entry.scenario, 64)} status={code} ({seconds * 1000:.0f} ms)"
    )


def _printable(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, each non-printable or non-ASCII one as a ``\\xNN`` escape, and
    ``##[`` broken up: a CI runner reads a legacy workflow command anywhere in a line of the log."""
    shown = "".join(
        ch if ch.isascii() and ch.isprintable() else f"\\x{ord(ch) & 0xFF:02x}" for ch in text[:limit]
    )
    return shown.replace("##[", "#\\x23[")
