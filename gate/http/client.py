"""The only place the gate talks HTTP.

One `requests.Session` per run (one keep-alive pool for every sample), redirects never followed, a response
size cap, and a hard deadline per request: a watchdog shuts the socket down when the deadline passes, so a
server that drips headers or body one byte a second cannot stretch a request past `--timeout`.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from gate import __version__
from gate.core.failures import FailureClass
from gate.http.transport_errors import TransportError, classify_exception

USER_AGENT = f"cometapi-smoke-gate/{__version__}"
READ_CHUNK = 64 * 1024


@dataclass(frozen=True, eq=False)
class HttpResponse:
    status: int
    reason: str
    headers: Mapping[str, str]  # lower-cased names
    body: bytes
    elapsed_ms: float
    ttfb_ms: float


class _RequestWatch:
    """The sockets one request uses, and whether its deadline fired."""

    def __init__(self) -> None:
        self.sockets: list[socket.socket] = []
        self.fired = False
        self._lock = threading.Lock()

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            self.sockets.append(sock)
            fired = self.fired
        if fired:
            _shutdown(sock)

    def discard(self) -> None:
        """Close every socket of a failed exchange: urllib3 may have dropped the connection without closing it
        (for example when requests raises while inspecting a redirect)."""
        with self._lock:
            sockets, self.sockets = list(self.sockets), []
        for sock in sockets:
            _shutdown(sock)
            with contextlib.suppress(OSError):
                sock.close()

    def abort(self) -> None:
        with self._lock:
            self.fired = True
            sockets = list(self.sockets)
        for sock in sockets:
            _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class _Current(threading.local):
    watch: _RequestWatch | None = None


_current = _Current()


def _track(sock: socket.socket | None) -> None:
    watch = _current.watch
    if sock is not None and watch is not None:
        watch.add(sock)


class _FinalResponse(http.client.HTTPResponse):
    """Skips every 1xx interim response (103 Early Hints, 102 Processing), as RFC 9110 requires of a
    client; http.client itself skips only 100 Continue. 101 is not interim: it ends HTTP."""

    def _read_status(self):  # type: ignore[no-untyped-def]
        version, status, reason = super()._read_status()  # type: ignore[misc]
        while 100 < status < 200 and status != 101:
            http.client.parse_headers(self.fp)  # the interim response's headers, discarded
            version, status, reason = super()._read_status()  # type: ignore[misc]
        return version, status, reason


class _Watched:
    """Mixed into urllib3's connections: hands each socket a request uses to the current watchdog, and
    reads past interim responses."""

    sock: socket.socket | None
    response_class = _FinalResponse

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        _track(self.sock)

    def request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        _track(self.sock)  # a reused keep-alive connection is already connected
        return super().request(*args, **kwargs)  # type: ignore[misc]


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _WatchedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


@contextmanager
def _deadline_watchdog(seconds: float) -> Iterator[_RequestWatch]:
    """Shut down every socket this thread uses for the request once `seconds` have passed."""
    watch = _RequestWatch()
    _current.watch = watch
    timer = threading.Timer(max(seconds, 0.0), watch.abort)
    timer.daemon = True
    timer.start()
    try:
        yield watch
    finally:
        timer.cancel()
        timer.join(1.0)
        _current.watch = None


def new_session(pool_size: int = 10, ca_bundle: str | None = None) -> requests.Session:
    """One session per run: one keep-alive pool for every request, TLS verification always on."""
    session = requests.Session()
    session.verify = ca_bundle or True
    adapter = _WatchedAdapter(pool_connections=2, pool_maxsize=max(pool_size, 1), max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


def send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    body: bytes | None,
    connect_timeout: float,
    timeout: float,
    max_bytes: int,
    sink: Callable[[bytes], None] | None = None,
) -> HttpResponse:
    """One HTTP exchange inside a hard deadline. Raises TransportError when no full response came.

    With `sink`, a 2xx `text/event-stream` body is handed to it piece by piece as it arrives (and the
    returned body is empty); any other body is read whole, as usual.
    """
    started = time.monotonic()
    deadline = started + timeout

    def elapsed() -> float:
        return (time.monotonic() - started) * 1000

    try:
        with _deadline_watchdog(timeout) as watch:
            try:
                response = session.request(
                    method,
                    url,
                    headers=dict(headers),
                    data=body,
                    allow_redirects=False,
                    stream=True,
                    verify=session.verify,  # explicit, so REQUESTS_CA_BUNDLE cannot override --ca-bundle
                    timeout=(min(connect_timeout, timeout), max(deadline - time.monotonic(), 0.01)),
                )
            except Exception as exc:  # every failure must end classified, never as a traceback
                watch.discard()
                raise classify_exception(exc, elapsed(), watch.fired) from None
            ttfb = elapsed()
            try:
                success = 200 <= response.status_code < 300
                streaming = sink is not None and success and _is_event_stream(response)
                payload = _read_capped(response, max_bytes, sink if streaming else None)
            except Exception as exc:  # as above
                response.close()
                watch.discard()
                raise classify_exception(exc, elapsed(), watch.fired) from None
            response.close()
    except TransportError as error:
        if watch.fired or time.monotonic() >= deadline:
            error.failure_class = FailureClass.TIMEOUT
            error.message = f"no complete response within the {timeout:g} s deadline"
        raise
    if watch.fired:
        raise TransportError(
            FailureClass.TIMEOUT, f"no complete response within the {timeout:g} s deadline", elapsed()
        )
    if payload is None:
        raise TransportError(
            FailureClass.PROTOCOL,
            f"response body larger than the {max_bytes} byte cap (--max-response-bytes)",
            elapsed(),
        )
    headers_out = {k.lower(): v for k, v in response.headers.items()}
    return HttpResponse(response.status_code, response.reason or "", headers_out, payload, elapsed(), ttfb)


def _is_event_stream(response: requests.Response) -> bool:
    return "text/event-stream" in response.headers.get("content-type", "").lower()


def _read_capped(
    response: requests.Response, max_bytes: int, sink: Callable[[bytes], None] | None = None
) -> bytes | None:
    """The body (or b"" when handed to `sink`), or None once it passes max_bytes (memory stays bounded)."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        return None
    chunks: list[bytes] = []
    size = 0
    raw = response.raw
    while True:
        # read1 returns what has arrived instead of waiting for a full buffer: stream timing stays true.
        if sink is not None:  # decoded too: an SSE stream through a compressing proxy arrives gzipped
            chunk = raw.read1(READ_CHUNK, decode_content=True)
        else:
            chunk = raw.read(READ_CHUNK, decode_content=True)
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            return None
        if sink is not None:
            sink(chunk)
        else:
            chunks.append(chunk)
    return b"".join(chunks)
