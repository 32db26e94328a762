"""The secrets known before the configuration is resolved: registered with the Redactor before anything is
printed, a configuration error included, and (the key and secret header values) handed to GitHub's masking."""

from __future__ import annotations

from collections.abc import Mapping

from gate.config.headers import candidate_secrets as header_secrets
from gate.config.options import OPTIONS, OPTIONS_BY_NAME
from gate.config.urls import proxy_secrets, url_secrets


def candidate_secrets(flags: Mapping[str, object], env: Mapping[str, str]) -> list[str]:
    """Every value the key could come from, the credentials in the base URL and proxy variables, and the
    secret header values (credential-named --header, every --header-env variable)."""
    values = keys(flags, env)
    base_urls = [flags.get(name.replace("-", "_")) for name in ("base-url", "pushgateway")] + [
        env.get(v) for name in ("base-url", "pushgateway") for v in OPTIONS_BY_NAME[name].read_vars
    ]
    values += [secret for url in base_urls if isinstance(url, str) for secret in url_secrets(url)]
    values += list(proxy_secrets(env))
    return [str(v) for v in values if v]


def keys(flags: Mapping[str, object], env: Mapping[str, str]) -> list[str]:
    """The API key and secret header values, wherever they come from: what GitHub's masking is handed (a
    credential in a URL is refused by the configuration and never handed over: never printed at all)."""
    values = [flags.get(spec.dest) for spec in OPTIONS if spec.secret]
    values += [env.get(var) for spec in OPTIONS if spec.secret for var in spec.read_vars]
    return [str(v) for v in [*values, *header_secrets(flags, env)] if v]
