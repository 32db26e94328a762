"""Checks of one target's values that need more than a type: the key, the CA bundle, a sim:// scenario."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gate.config.inputs import ConfigError

MIN_KEY_LENGTH = 8


def resolve_ca_bundle(values: dict[str, Any], sources: dict[str, str], env: Mapping[str, str]) -> None:
    if values["ca_bundle"] is None:
        fallback = next(
            (v for v in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE") if env.get(v)), None
        )
        if fallback:
            values["ca_bundle"], sources["ca_bundle"] = Path(env[fallback]), fallback
    if values["ca_bundle"] is not None and not Path(values["ca_bundle"]).is_file():
        raise ConfigError(
            "ca-bundle",
            f"{values['ca_bundle']} is not a readable file",
            "point it at a PEM bundle of the CA certificates to trust",
            sources["ca_bundle"],
        )


def validate_key(key: str, source: str) -> None:
    if len(key) < MIN_KEY_LENGTH:
        raise ConfigError(
            "api-key",
            f"is shorter than {MIN_KEY_LENGTH} characters",
            "pass the full key; a key that short cannot be masked safely in logs",
            source,
        )
    if any(ch.isspace() for ch in key) or any(ord(ch) < 32 or ord(ch) == 127 for ch in key):
        raise ConfigError(
            "api-key",
            "contains whitespace or control characters",
            "check the secret for a trailing newline or pasted spaces",
            source,
        )
    if not key.isascii():
        raise ConfigError(
            "api-key",
            "contains non-ASCII characters, which an HTTP header cannot carry reliably",
            "check the secret's value (a pasted key can pick up typographic quotes or dashes)",
            source,
        )


def check_scenario(name: str, source: str) -> None:
    from gate.simulator import SCENARIOS

    if name not in SCENARIOS:
        raise ConfigError(
            "base-url",
            f"sim://{name} is not a simulator scenario",
            f"use one of: {', '.join(sorted(SCENARIOS))}",
            source,
        )
