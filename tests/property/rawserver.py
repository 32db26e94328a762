"""A loopback TCP server that answers every request with whatever bytes the test hands it.

The simulator speaks the contract and misbehaves in named ways; this one has no opinions at all, so property
tests can throw arbitrary status lines, headers, bodies and framings at the gate.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator


class RawServer:
    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._response: list[bytes] = [b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"]
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def answer_with(self, *pieces: bytes) -> None:
        """The next requests get these pieces, written one send() each, then the connection closes."""
        with self._lock:
            self._response = list(pieces)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(2)
            try:
                read_request(conn)
                with self._lock:
                    pieces = list(self._response)
                for piece in pieces:
                    conn.sendall(piece)
                conn.shutdown(socket.SHUT_WR)
                # drain until the client closes, so it never sees a reset before reading everything
                while conn.recv(65536):
                    pass
            except OSError:
                pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self._listener.close()


def read_request(conn: socket.socket) -> bytes:
    """One request: the head, then as much body as Content-Length says."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            with contextlib.suppress(ValueError):
                length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


@contextlib.contextmanager
def raw_server() -> Iterator[RawServer]:
    server = RawServer()
    try:
        yield server
    finally:
        server.close()
