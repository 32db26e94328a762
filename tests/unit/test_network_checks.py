"""dns and tls checks against an injected resolver and a real TLS listener on loopback."""

from __future__ import annotations

import socket
import ssl
import threading

import pytest

from gate.checks import RunContext
from gate.checks.network import check_dns, check_tls
from gate.core.failures import ExitCode
from gate.http.client import new_session
from gate.outcome.verdict import decide
from tests.support import target_config

trustme = pytest.importorskip("trustme")
KEY = "sk-test-0123456789abcdef"


def _ctx(base_url: str, env: dict[str, str] | None = None, resolver=socket.getaddrinfo) -> RunContext:
    config = target_config({"base_url": base_url, "api_key": KEY, "model": "m"}, env or {})
    return RunContext(config=config, session=new_session(), env=env or {}, resolver=resolver)


def test_dns_failure_is_class_dns():
    def failing(*_args, **_kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    result = check_dns(_ctx("https://api.cometapi.example", resolver=failing))
    assert result.status == "fail" and result.failure_class == "dns"
    assert "api.cometapi.example does not resolve" in result.message


def test_a_temporary_resolver_failure_is_transient():
    """EAI_AGAIN (the resolver did not answer) is not a wrong name: the run exits 3, so a pipeline retries."""

    def flaky_resolver(*_args, **_kwargs):
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    result = check_dns(_ctx("https://api.cometapi.example", resolver=flaky_resolver))
    assert (result.status, result.failure_class, result.retryable) == ("fail", "dns", True)
    assert "EAI_AGAIN" in result.message and "retry the job" in result.next_step
    assert decide([result]).exit_code is ExitCode.TRANSIENT
    permanent = check_dns(_ctx("https://api.cometapi.example", resolver=_no_such_name))
    assert decide([permanent]).exit_code is ExitCode.FAILED


def _no_such_name(*_args, **_kwargs):
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def test_dns_success_lists_addresses():
    result = check_dns(_ctx("https://localhost:9"))
    assert result.status == "pass"
    assert "127.0.0.1" in result.message or "::1" in result.message


def test_plain_http_on_loopback_skips_tls():
    assert check_tls(_ctx("http://127.0.0.1:9")).status == "skip"


@pytest.fixture
def tls_server():
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            try:
                with context.wrap_socket(conn, server_side=True):
                    pass
            except (ssl.SSLError, OSError):
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield ca, listener.getsockname()[1]
    stop.set()
    thread.join(2)
    listener.close()


def test_untrusted_certificate_is_class_tls(tls_server):
    _, port = tls_server
    result = check_tls(_ctx(f"https://localhost:{port}"))
    assert result.status == "fail" and result.failure_class == "tls"
    assert "certificate verification failed" in result.message


def test_trusted_certificate_records_days_left(tls_server, tmp_path):
    ca, port = tls_server
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    result = check_tls(_ctx(f"https://localhost:{port}", env={"REQUESTS_CA_BUNDLE": str(bundle)}))
    assert result.status in ("pass", "warn"), result.message
    assert result.details["cert_days_left"] > 0


def test_closed_port_is_class_connect():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = check_tls(_ctx(f"https://localhost:{port}"))
    assert result.failure_class == "connect"
