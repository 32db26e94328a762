"""dns and tls: can this runner reach the API host at all?"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import requests

from gate.checks import RunContext, elapsed_ms
from gate.checks.results import CheckResult, Status, TlsFacts, failed, passed, skipped
from gate.core.failures import FailureClass


def _proxy_for(ctx: RunContext) -> str | None:
    proxies = requests.utils.get_environ_proxies(ctx.config.chat_url)
    return proxies.get(ctx.config.scheme) or proxies.get("all")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


def check_dns(ctx: RunContext) -> CheckResult:
    host = ctx.config.endpoint_host
    if _is_ip(host):
        return passed("dns", f"{host} is an IP address; nothing to resolve")
    if _proxy_for(ctx):
        return skipped("dns", "a proxy is configured for this URL; the proxy resolves the host")
    started = time.monotonic()
    try:
        infos = ctx.resolver(host, ctx.config.port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        if exc.errno == socket.EAI_AGAIN:  # the resolver did not answer: not a wrong name
            return replace(
                failed(
                    "dns",
                    FailureClass.DNS,
                    f"temporary resolver failure for {host} (EAI_AGAIN): the runner's DNS did not answer",
                    elapsed_ms(started),
                ),
                retryable=True,
                hint="The runner's resolver did not answer (a temporary failure, exit 3): retry the job; if "
                "it persists, check the runner's DNS servers and egress.",
            )
        return failed("dns", FailureClass.DNS, f"{host} does not resolve: {exc}", elapsed_ms(started))
    except (UnicodeError, OSError) as exc:
        return failed("dns", FailureClass.DNS, f"{host} does not resolve: {exc}", elapsed_ms(started))
    addresses = sorted({info[4][0] for info in infos})
    return passed(
        "dns", f"{host} resolves to {', '.join(addresses[:4])}", elapsed_ms(started), addresses=addresses
    )


def _ca_bundle(ctx: RunContext) -> str | None:
    """The same trust store the HTTP session uses."""
    if ctx.config.ca_bundle is not None:
        return str(ctx.config.ca_bundle)
    return requests.utils.DEFAULT_CA_BUNDLE_PATH


def check_tls(ctx: RunContext) -> CheckResult:
    config = ctx.config
    if config.scheme != "https":
        return skipped("tls", f"plain http to loopback host {config.endpoint_host}: no TLS to check")
    if _proxy_for(ctx):
        return skipped("tls", "a proxy is configured; TLS is verified through it by the completion request")
    started = time.monotonic()
    context = ssl.create_default_context(cafile=_ca_bundle(ctx))
    try:
        with socket.create_connection(
            (config.endpoint_host, config.port), timeout=config.connect_timeout
        ) as raw:
            raw.settimeout(config.connect_timeout)
            with context.wrap_socket(raw, server_hostname=config.endpoint_host) as tls:
                cert = tls.getpeercert() or {}
                version = tls.version()
    except ssl.SSLCertVerificationError as exc:
        reason = exc.verify_message or str(exc)
        return failed(
            "tls", FailureClass.TLS, f"certificate verification failed: {reason}", elapsed_ms(started)
        )
    except ssl.SSLError as exc:
        return failed(
            "tls", FailureClass.TLS, f"TLS handshake failed: {exc.reason or exc}", elapsed_ms(started)
        )
    except TimeoutError:
        return failed(
            "tls",
            FailureClass.TIMEOUT,
            f"no TCP/TLS connection to {config.endpoint_host}:{config.port} within "
            f"{config.connect_timeout:g} s",
            elapsed_ms(started),
        )
    except socket.gaierror as exc:
        return failed(
            "tls", FailureClass.DNS, f"{config.endpoint_host} does not resolve: {exc}", elapsed_ms(started)
        )
    except OSError as exc:
        return failed(
            "tls",
            FailureClass.CONNECT,
            f"TCP connect to {config.endpoint_host}:{config.port} failed: {exc.strerror or exc}",
            elapsed_ms(started),
        )
    return _tls_result(config.endpoint_host, config.port, config.cert_warn_days, started, version, cert)


def _tls_result(
    host: str, port: int, warn_days: int, started: float, version: str | None, cert: Mapping[str, Any]
) -> CheckResult:
    """The handshake's version and the certificate's days left; a warning under --cert-warn-days."""
    facts = _tls_facts(version, cert.get("notAfter"))
    message = f"{version} to {host}:{port}"
    warnings: tuple[str, ...] = ()
    details: dict[str, object] = {"tls_version": version}
    if facts.days_left is not None and facts.expires is not None:
        details.update(cert_expires=facts.expires.isoformat(), cert_days_left=facts.days_left)
        message += f", certificate valid for {facts.days_left} more days"
        if facts.days_left < warn_days:
            warnings = (
                f"TLS certificate expires in {facts.days_left} days (under --cert-warn-days {warn_days})",
            )
    return CheckResult(
        id="tls",
        status=Status.WARN if warnings else Status.PASS,
        message=message,
        duration_ms=elapsed_ms(started),
        warnings=warnings,
        warning_class=FailureClass.TLS,
        facts=facts,
        details=details,
    )


def _tls_facts(version: str | None, not_after: object) -> TlsFacts:
    if not isinstance(not_after, str):
        return TlsFacts(version=version)
    expires = dt.datetime.fromtimestamp(ssl.cert_time_to_seconds(not_after), dt.UTC)
    return TlsFacts(version=version, expires=expires, days_left=(expires - dt.datetime.now(dt.UTC)).days)
