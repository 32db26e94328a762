"""Checks of one target's values that need more than a type: the endpoint, the key, the model, the test
condition, the CA bundle, the baseline, the SDK. Each one returns what it resolved (or nothing) and raises a
`ConfigError` naming the input, its source and the fix; none changes the values it is given."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gate.config.baseline_file import BaselineError, load_baseline
from gate.config.inputs import ConfigError
from gate.config.options import OptionSpec
from gate.config.urls import is_loopback, normalize_base_url, shown_url

MIN_KEY_LENGTH = 8
SIM_PREFIX = "sim://"
CA_BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE")  # what requests and curl read
DEPLOYMENT_ENVIRONMENT = "CI_ENVIRONMENT_NAME"


@dataclass(frozen=True, eq=False)
class Endpoint:
    """Where a target's requests go. `root` always ends in /v1, never /v1/v1."""

    root: str
    host: str
    sim_scenario: str | None = None  # sim://<scenario>: the in-process simulator, started on a free port


def resolve_endpoint(base_url: str, allow_insecure_http: bool, source: str) -> Endpoint:
    if base_url.startswith(SIM_PREFIX):
        scenario = base_url.removeprefix(SIM_PREFIX).strip("/") or "ok"
        check_scenario(scenario, source)
        return Endpoint("http://127.0.0.1/v1", "127.0.0.1", scenario)
    try:
        root, host = normalize_base_url(base_url)
    except ValueError as exc:
        raise ConfigError(
            "base-url",
            f"'{shown_url(base_url)}' {exc}",
            "use e.g. https://api.cometapi.com (a trailing /v1 is fine)",
            source,
        ) from None
    if root.startswith("http://") and not is_loopback(host) and not allow_insecure_http:
        raise ConfigError(
            "base-url",
            f"http:// to non-loopback host '{host}' would send the key in clear",
            "use https://, or pass --allow-insecure-http for a trusted network",
            source,
        )
    return Endpoint(root, host)


def check_scenario(name: str, source: str) -> None:
    from gate.simulator import SCENARIOS, unknown_scenario_hint

    if name not in SCENARIOS:
        raise ConfigError(
            "base-url",
            f"sim://{name} is not a simulator scenario",
            unknown_scenario_hint(name, "sim://"),
            source,
        )


def check_required(specs: list[OptionSpec], values: Mapping[str, object]) -> None:
    for spec in specs:
        if spec.required and not values[spec.dest]:
            raise ConfigError(
                spec.name, "is required and not set", f"pass {spec.flag} or set {' / '.join(spec.env_vars)}"
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


def check_model(model: str, source: str) -> None:
    if not model.strip():
        raise ConfigError("model", "is empty", "name the model id to test", source)


def check_expect(expect: str, mode: str, source: str) -> None:
    """A regex condition must compile (the other modes take any text)."""
    if mode != "regex":
        return
    try:
        re.compile(expect)
    except re.error as exc:
        raise ConfigError(
            "expect",
            f"is not a valid regular expression ({exc})",
            "fix the pattern or use --expect-mode contains",
            source,
        ) from None


def resolve_environment(value: object, source: str, env: Mapping[str, str]) -> tuple[str, str]:
    """(environment, source): the one given, else what the CI system says the deployment environment is,
    else 'unspecified'. GitLab exposes the job's `environment:` as CI_ENVIRONMENT_NAME; GitHub and Jenkins
    expose no such name to a step."""
    if str(value or "").strip():
        return str(value), source
    name = env.get(DEPLOYMENT_ENVIRONMENT, "").strip()
    return (name, DEPLOYMENT_ENVIRONMENT) if name else ("unspecified", "default")


def resolve_ca_bundle(value: Path | None, source: str, env: Mapping[str, str]) -> tuple[Path | None, str]:
    """(bundle, source): the one given, else the first of the variables requests and curl read; it must be
    a readable file."""
    if value is None:
        variable = next((v for v in CA_BUNDLE_VARIABLES if env.get(v)), None)
        if variable is not None:
            value, source = Path(env[variable]), variable
    if value is not None and not Path(value).is_file():
        raise ConfigError(
            "ca-bundle",
            f"{value} is not a readable file",
            "point it at a PEM bundle of the CA certificates to trust",
            source,
        )
    return value, source


def load_baseline_report(path: Path | None, source: str) -> Mapping[str, object] | None:
    if path is None:
        return None
    try:
        return load_baseline(path)
    except BaselineError as exc:
        raise ConfigError(
            "baseline", str(exc), "pass the JSON report (--json) of a passing run", source
        ) from None


def check_sdk(wanted: bool, source: str) -> None:
    """--sdk-parity needs the official openai package."""
    if not wanted:
        return
    try:
        import openai  # noqa: F401 - only whether it is there
    except ImportError:
        raise ConfigError(
            "sdk-parity",
            "needs the official openai package, which is not installed",
            "pip install 'cometapi-smoke-gate[sdk]' (or drop --sdk-parity)",
            source,
        ) from None


# Options that shape the chat request only: with another --api they would be silently ignored. (A request
# file is checked against the request schema of the --api chosen: gate/config/request_file.py.)
CHAT_ONLY = ("check_structured_output", "check_tools")


def check_api(values: Mapping[str, object], sources: Mapping[str, str]) -> None:
    """--api and the options that depend on it: --expect-dimensions is for embeddings only, the chat-only
    options need --api chat, and --stream needs an API that streams (embeddings do not)."""
    api = str(values.get("api") or "chat")
    if values.get("expect_dimensions") is not None and api != "embeddings":
        raise ConfigError(
            "expect-dimensions",
            f"applies to --api embeddings only (--api is {api})",
            "drop --expect-dimensions, or pass --api embeddings",
            sources.get("expect_dimensions", ""),
        )
    if api == "chat":
        return
    for dest in CHAT_ONLY:
        if values.get(dest):
            name = dest.replace("_", "-")
            raise ConfigError(
                name,
                f"applies to --api chat only (--api is {api})",
                f"drop --{name}, or pass --api chat",
                sources.get(dest, ""),
            )
    if values.get("token_param") and api == "responses":
        raise ConfigError(
            "token-param",
            "does not apply to --api responses (the Responses API's limit is always max_output_tokens)",
            "drop --token-param",
            sources.get("token_param", ""),
        )
    if values.get("stream") and api == "embeddings":
        raise ConfigError(
            "stream",
            "does not apply to --api embeddings (the Embeddings API does not stream)",
            "drop --stream, or pass --api chat or --api responses",
            sources.get("stream", ""),
        )
