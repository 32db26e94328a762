"""Proxies from the standard variables: a proxy that refuses or wants credentials is class proxy."""

from __future__ import annotations

import socket
import threading

import pytest

from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL

AUTH = ["--api-key", DEFAULT_API_KEY, "--model", DEFAULT_MODEL, "--retries", "0"]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def proxy_407():
    """A proxy on loopback that answers every request, CONNECT included, with 407."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    conn.recv(65536)
                    conn.sendall(
                        b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                        b'Proxy-Authenticate: Basic realm="corp"\r\nContent-Length: 0\r\n'
                        b"Connection: close\r\n\r\n"
                    )
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(2)
    listener.close()


def test_refusing_proxy_is_class_proxy(gate, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{_closed_port()}")
    run = gate("--base-url", "https://api.cometapi.test", *AUTH).expect_exit(1)
    assert run.failure_class == "proxy"
    statuses = {c["id"]: c["status"] for c in run.report["checks"]}
    assert statuses["dns"] == "skip" and statuses["tls"] == "skip"
    assert "HTTPS_PROXY" in run.stdout


@pytest.mark.parametrize("scheme", ["https", "http"])
def test_proxy_wanting_credentials_is_class_proxy(gate, monkeypatch, proxy_407, scheme):
    monkeypatch.setenv(f"{scheme.upper()}_PROXY", proxy_407)
    run = gate("--base-url", f"{scheme}://api.cometapi.test", "--allow-insecure-http", *AUTH).expect_exit(1)
    assert run.failure_class == "proxy"
