"""The simulator in TLS mode, with certificates from a throwaway ``trustme`` CA."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import socket
import ssl
import time
from collections.abc import Iterator

import pytest
import requests

from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL, Simulator

trustme = pytest.importorskip("trustme")

AUTH = {"Authorization": f"Bearer {DEFAULT_API_KEY}"}
BODY = {
    "model": DEFAULT_MODEL,
    "messages": [{"role": "user", "content": "Reply with exactly the word: pong"}],
}


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_bundle(ca: trustme.CA) -> Iterator[str]:
    with ca.cert_pem.tempfile() as path:
        yield path


def server_context(cert: trustme.LeafCert) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)
    return ctx


@pytest.fixture
def tls_sim(ca: trustme.CA) -> Iterator[Simulator]:
    with Simulator(ssl_context=server_context(ca.issue_cert("localhost", "127.0.0.1"))) as sim:
        yield sim


def post_chat(base: str, verify: bool | str, **fields: object) -> requests.Response:
    with requests.Session() as session:
        return session.post(
            base + "/v1/chat/completions", json={**BODY, **fields}, headers=AUTH, timeout=5, verify=verify
        )


def test_https_urls(tls_sim: Simulator) -> None:
    assert tls_sim.scheme == "https"
    assert tls_sim.base_url == f"https://localhost:{tls_sim.port}"
    assert tls_sim.url_for("auth") == f"https://localhost:{tls_sim.port}/s/auth"
    assert Simulator().base_url.startswith("http://127.0.0.1:")


def test_https_chat_with_trusted_ca(tls_sim: Simulator, ca_bundle: str) -> None:
    r = post_chat(tls_sim.base_url, ca_bundle)
    assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"] == "pong"
    r = post_chat(tls_sim.base_url, ca_bundle, stream=True)
    assert r.status_code == 200 and r.text.endswith("data: [DONE]\n\n")
    assert post_chat(tls_sim.url_for("auth"), ca_bundle).status_code == 401
    assert tls_sim.count() == 3


def test_https_stall_notices_client_leaving(tls_sim: Simulator, ca_bundle: str) -> None:
    with requests.Session() as session:
        r = session.post(
            tls_sim.url_for("stream_stall") + "/v1/chat/completions",
            json={**BODY, "stream": True},
            headers=AUTH,
            timeout=5,
            verify=ca_bundle,
            stream=True,
        )
        assert b"chat.completion.chunk" in next(r.iter_content(chunk_size=None))
        assert tls_sim._conns
        r.close()
    deadline = time.monotonic() + 2
    while tls_sim._conns:  # the handler's wait saw the TLS client go and returned
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_https_rejected_without_ca_and_server_survives(
    tls_sim: Simulator, ca: trustme.CA, ca_bundle: str, capfd: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(requests.exceptions.SSLError, match="CERTIFICATE_VERIFY_FAILED"):
        post_chat(tls_sim.base_url, True)
    # the same failure through the ssl module, trusting only the system store
    with (
        socket.create_connection(("127.0.0.1", tls_sim.port), timeout=5) as raw,
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        ssl.create_default_context().wrap_socket(raw, server_hostname="localhost")
    # plain HTTP and garbage on the TLS port, and a client that leaves mid-handshake
    with socket.create_connection(("127.0.0.1", tls_sim.port), timeout=5) as raw:
        raw.sendall(b"GET /v1/models HTTP/1.1\r\nHost: localhost\r\n\r\n")
        raw.recv(4096)
    with socket.create_connection(("127.0.0.1", tls_sim.port), timeout=5) as raw:
        raw.sendall(b"\x16\x03\x01\x00")
    # a host name the certificate does not cover
    client = ssl.create_default_context()
    ca.configure_trust(client)
    with (
        socket.create_connection(("127.0.0.1", tls_sim.port), timeout=5) as raw,
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        client.wrap_socket(raw, server_hostname="api.example.invalid")
    assert post_chat(tls_sim.base_url, ca_bundle).status_code == 200
    assert tls_sim.count() == 1  # failed handshakes never reach the request log
    tls_sim.stop()
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_stop_cuts_pending_handshake(ca: trustme.CA) -> None:
    sim = Simulator(ssl_context=server_context(ca.issue_cert("localhost"))).start()
    try:
        with socket.create_connection(("127.0.0.1", sim.port), timeout=5) as raw:
            raw.sendall(b"\x16\x03\x01")  # a handshake that never completes
            deadline = time.monotonic() + 3
            while not sim._conns:  # a handler thread is waiting in the handshake
                assert time.monotonic() < deadline
                time.sleep(0.01)
            sim.stop()  # returns: the handshake's handler does not hold it
            raw.settimeout(2)
            with contextlib.suppress(ConnectionResetError):
                assert raw.recv(100) == b""  # the server cut it
    finally:
        sim.stop()


def test_short_lived_certificate(ca: trustme.CA) -> None:
    """trustme can issue a certificate that expires in a few days (for the gate's expiry warning)."""
    not_after = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    cert = ca.issue_cert("localhost", "127.0.0.1", not_after=not_after)
    with Simulator(ssl_context=server_context(cert)) as sim:
        client = ssl.create_default_context()
        ca.configure_trust(client)
        with (
            socket.create_connection(("127.0.0.1", sim.port), timeout=5) as raw,
            client.wrap_socket(raw, server_hostname="localhost") as tls,
        ):
            peer = tls.getpeercert()
            tls.sendall(
                b"GET /v1/models HTTP/1.1\r\nHost: localhost\r\nAuthorization: "
                + AUTH["Authorization"].encode()
                + b"\r\nConnection: close\r\n\r\n"
            )
            response = b""
            while chunk := tls.recv(65536):
                response += chunk
    assert peer is not None
    remaining = ssl.cert_time_to_seconds(str(peer["notAfter"])) - dt.datetime.now(dt.UTC).timestamp()
    assert 2 * 86400 < remaining <= 3 * 86400
    assert response.startswith(b"HTTP/1.1 200 ")
    assert DEFAULT_MODEL in json.loads(response.split(b"\r\n\r\n", 1)[1])["data"][0]["id"]
