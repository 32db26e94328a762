"""TLS through the whole gate: --ca-bundle, expiring, expired, untrusted and wrong-host certificates."""

from __future__ import annotations

import datetime as dt
import ssl

import pytest

from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL, Simulator

trustme = pytest.importorskip("trustme")
AUTH = ["--api-key", DEFAULT_API_KEY, "--model", DEFAULT_MODEL, "--samples", "1", "--retries", "0"]
NOW = dt.datetime.now(dt.UTC)


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


def _serve(ca, *names: str, not_before=None, not_after=None) -> Simulator:
    cert = ca.issue_cert(*names, not_before=not_before, not_after=not_after)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    return Simulator(ssl_context=context)


@pytest.fixture
def bundle(ca, tmp_path):
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def test_trusted_certificate_passes(ca, gate, bundle):
    with _serve(ca, "localhost", not_after=NOW + dt.timedelta(days=90)) as sim:
        run = gate("--base-url", sim.base_url, *AUTH, "--ca-bundle", bundle).expect_exit(0)
    tls = run.check("tls")
    assert tls["status"] == "pass" and tls["details"]["cert_days_left"] >= 88


def test_certificate_expiring_soon_warns_and_fails_under_fail_on_warn(ca, gate, bundle):
    with _serve(ca, "localhost", not_after=NOW + dt.timedelta(days=3)) as sim:
        run = gate("--base-url", sim.base_url, *AUTH, "--ca-bundle", bundle).expect_exit(0)
        assert run.check("tls")["status"] == "warn"
        assert (
            "expires in 2 days" in run.check("tls")["warnings"][0]
            or "expires in 3 days" in (run.check("tls")["warnings"][0])
        )
        strict = gate("--base-url", sim.base_url, *AUTH, "--ca-bundle", bundle, "--fail-on-warn").expect_exit(
            1
        )
    assert strict.failure_class == "tls"


def test_untrusted_certificate_is_class_tls(ca, gate):
    with _serve(ca, "localhost") as sim:
        run = gate("--base-url", sim.base_url, *AUTH).expect_exit(1)
    assert run.failure_class == "tls" and run.report["failed_check"] == "tls"
    assert "certificate verification failed" in run.check("tls")["message"]
    assert sim.count() == 0  # nothing reached the API: the key was never sent to an unverified peer


def test_expired_certificate_is_class_tls(ca, gate, bundle):
    with _serve(
        ca, "localhost", not_before=NOW - dt.timedelta(days=30), not_after=NOW - dt.timedelta(days=1)
    ) as sim:
        run = gate("--base-url", sim.base_url, *AUTH, "--ca-bundle", bundle).expect_exit(1)
    assert run.failure_class == "tls" and "expired" in run.check("tls")["message"]


def test_wrong_host_certificate_is_class_tls(ca, gate, bundle):
    with _serve(ca, "api.other.example") as sim:
        run = gate("--base-url", sim.base_url, *AUTH, "--ca-bundle", bundle).expect_exit(1)
    assert run.failure_class == "tls" and "localhost" in run.check("tls")["message"]


def test_requests_ca_bundle_is_honoured(ca, gate, bundle, monkeypatch):
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.delenv(name, raising=False)
    with _serve(ca, "localhost") as sim:
        gate("--base-url", sim.base_url, *AUTH, env={"REQUESTS_CA_BUNDLE": bundle}).expect_exit(0)
        gate("--base-url", sim.base_url, *AUTH, env={"SSL_CERT_FILE": bundle}).expect_exit(0)


def test_missing_ca_bundle_is_a_config_error(gate, tmp_path):
    run = gate(
        "--base-url",
        "https://api.cometapi.com",
        *AUTH,
        "--ca-bundle",
        str(tmp_path / "none.pem"),
        report=False,
    ).expect_exit(2)
    assert "--ca-bundle" in run.stderr
