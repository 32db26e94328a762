"""Resolve and validate the gate's configuration before anything is sent.

Precedence per option: flag > INPUT_<NAME> > COMETAPI_*/GATE_* > default (see `gate.options`).
Every problem becomes one `ConfigError` naming the input, where its value came from, and the fix.
"""

from __future__ import annotations

import ipaddress
import math
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from gate.options import OPTIONS, OptionSpec

MIN_KEY_LENGTH = 8
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class ConfigError(Exception):
    """A configuration problem: exit 2, nothing sent."""

    def __init__(self, option: str, problem: str, fix: str, source: str = "") -> None:
        self.option = option
        self.problem = problem
        self.fix = fix
        self.source = source
        where = f" (from {source})" if source else ""
        super().__init__(f"--{option}{where}: {problem}. Fix: {fix}")


@dataclass(frozen=True)
class GateConfig:
    """Validated, frozen settings of one gate run. `api_root` always ends in /v1, never /v1/v1."""

    base_url: str
    api_root: str
    endpoint_host: str
    api_key: str
    model: str
    environment: str
    system_prompt: str
    prompt: str
    expect: str
    expect_mode: str
    max_tokens: int
    token_param: str
    temperature: float
    connect_timeout: float
    timeout: float
    retries: int
    retry_budget: float
    max_retry_after: float
    samples: int
    max_latency_ms: float | None
    max_response_bytes: int
    cert_warn_days: int
    allow_insecure_http: bool
    ca_bundle: Path | None
    warn_latency_ms: float | None
    negative: str
    stream: bool
    check_models: bool
    fail_on_warn: bool
    baseline: Path | None
    max_latency_regression: float
    fail_on_drift: bool
    phase: str | None
    config_version: str | None
    targets: Path | None
    change_id: str | None
    deployment_version: str | None
    json: Path | None
    junit: Path | None
    summary: Path | None
    mode: str
    sim_scenario: str | None = None
    sources: Mapping[str, str] | None = None
    baseline_report: Mapping[str, object] | None = None

    @property
    def chat_url(self) -> str:
        return f"{self.api_root}/chat/completions"

    @property
    def scheme(self) -> str:
        return urllib.parse.urlsplit(self.api_root).scheme

    @property
    def port(self) -> int:
        parts = urllib.parse.urlsplit(self.api_root)
        return parts.port or (443 if parts.scheme == "https" else 80)

    def with_base_url(self, base_url: str) -> GateConfig:
        """The same config pointed at another base URL (the in-process simulator's)."""
        root, host = normalize_base_url(base_url)
        return replace(self, base_url=base_url, api_root=root, endpoint_host=host)


def raw_value(spec: OptionSpec, flags: Mapping[str, object], env: Mapping[str, str]) -> tuple[object, str]:
    """The first set value and where it came from."""
    flag_value = flags.get(spec.dest)
    if flag_value is not None and flag_value != "":
        return flag_value, spec.flag
    for var in spec.env_vars:
        value = env.get(var)
        if value is not None and value.strip() != "":
            return value, var
    return spec.default, "default"


def _convert(spec: OptionSpec, value: object, source: str) -> object:
    if value is None:
        return None
    if spec.kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ConfigError(spec.name, f"'{value}' is not a boolean", "use true or false", source)
    if spec.kind in ("int", "float"):
        return _number(spec, value, source)
    text = str(value) if spec.secret else str(value).strip()
    if spec.kind == "choice" and text not in spec.choices:
        raise ConfigError(
            spec.name,
            f"'{text}' is not one of {', '.join(spec.choices)}",
            f"use one of {', '.join(spec.choices)}",
            source,
        )
    if spec.kind == "path":
        return Path(text)
    return text


def _number(spec: OptionSpec, value: object, source: str) -> int | float:
    text = str(value).strip()
    try:
        number: int | float = int(text) if spec.kind == "int" else float(text)
    except ValueError:
        kind = "a whole number" if spec.kind == "int" else "a number"
        raise ConfigError(spec.name, f"'{text[:40]}' is not {kind}", f"give {kind}", source) from None
    if isinstance(number, float) and not math.isfinite(number):
        raise ConfigError(spec.name, f"'{text}' is not a finite number", "give a finite number", source)
    low, high = spec.minimum, spec.maximum
    if (low is not None and number < low) or (high is not None and number > high):
        raise ConfigError(
            spec.name, f"{number} is out of range", f"use a value from {low:g} to {high:g}", source
        )
    return number


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def normalize_base_url(url: str) -> tuple[str, str]:
    """(api root ending in exactly one /v1, host). Raises ValueError with the problem."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        raise ValueError(
            "needs an http:// or https:// scheme"
            if not parts.scheme
            else f"scheme '{parts.scheme}' is not http or https"
        )
    if not parts.hostname:
        raise ValueError("has no host")
    if parts.username or parts.password:
        raise ValueError("must not carry credentials")
    if parts.query or parts.fragment:
        raise ValueError("must not carry a query or fragment")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise ValueError("has an invalid port") from None
    path = parts.path.rstrip("/")
    for suffix in ("/chat/completions", "/v1"):
        if path.endswith(suffix):
            path = path[: -len(suffix)].rstrip("/")
    root = urllib.parse.urlunsplit((parts.scheme, parts.netloc, f"{path}/v1", "", ""))
    return root, parts.hostname


def _validate_key(key: str, source: str) -> None:
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
    try:
        key.encode("latin-1")
    except UnicodeEncodeError:
        raise ConfigError(
            "api-key", "contains characters an HTTP header cannot carry", "check the secret's value", source
        ) from None


def resolve(flags: Mapping[str, object], env: Mapping[str, str]) -> GateConfig:
    """Resolve every option and validate the whole; raise ConfigError on the first problem."""
    values: dict[str, object] = {}
    sources: dict[str, str] = {}
    for spec in OPTIONS:
        raw, source = raw_value(spec, flags, env)
        values[spec.dest] = _convert(spec, raw, source)
        sources[spec.dest] = source

    base_url = str(values["base_url"])
    sim_scenario = None
    if base_url.startswith("sim://"):
        sim_scenario = base_url.removeprefix("sim://").strip("/") or "ok"
        _check_scenario(sim_scenario, sources["base_url"])
        from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL

        values["api_key"] = values["api_key"] or DEFAULT_API_KEY
        values["model"] = values["model"] or DEFAULT_MODEL
        root, host = "http://127.0.0.1/v1", "127.0.0.1"
    else:
        try:
            root, host = normalize_base_url(base_url)
        except ValueError as exc:
            raise ConfigError(
                "base-url",
                f"'{base_url[:80]}' {exc}",
                "use e.g. https://api.cometapi.com (a trailing /v1 is fine)",
                sources["base_url"],
            ) from None
        if root.startswith("http://") and not is_loopback(host) and not values["allow_insecure_http"]:
            raise ConfigError(
                "base-url",
                f"http:// to non-loopback host '{host}' would send the key in clear",
                "use https://, or pass --allow-insecure-http for a trusted network",
                sources["base_url"],
            )

    for spec in OPTIONS:
        if spec.required and not values[spec.dest]:
            raise ConfigError(
                spec.name,
                "is required and not set",
                f"pass {spec.flag} or set {' / '.join(spec.env_vars)}",
                "",
            )
    _validate_key(str(values["api_key"]), sources["api_key"])
    if not str(values["model"]).strip():
        raise ConfigError("model", "is empty", "name the model id to test", sources["model"])
    if values["expect_mode"] == "regex":
        import re

        try:
            re.compile(str(values["expect"]))
        except re.error as exc:
            raise ConfigError(
                "expect",
                f"is not a valid regular expression ({exc})",
                "fix the pattern or use --expect-mode contains",
                sources["expect"],
            ) from None
    if not str(values["environment"]).strip():
        values["environment"] = "production"
    if not values["deployment_version"]:
        values["deployment_version"] = next(
            (env[v] for v in ("GITHUB_SHA", "CI_COMMIT_SHA", "GIT_COMMIT") if env.get(v)), None
        )
    if values["ca_bundle"] is None:
        fallback = next(
            (v for v in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE") if env.get(v)), None
        )
        if fallback:
            values["ca_bundle"], sources["ca_bundle"] = Path(env[fallback]), fallback
    if values["ca_bundle"] is not None and not Path(values["ca_bundle"]).is_file():  # type: ignore[arg-type]
        raise ConfigError(
            "ca-bundle",
            f"{values['ca_bundle']} is not a readable file",
            "point it at a PEM bundle of the CA certificates to trust",
            sources["ca_bundle"],
        )
    baseline_report = None
    if values["baseline"] is not None:
        from gate.checks.baseline import BaselineError, load_baseline

        try:
            baseline_report = load_baseline(values["baseline"])  # type: ignore[arg-type]
        except BaselineError as exc:
            raise ConfigError(
                "baseline", str(exc), "pass the JSON report (--json) of a passing run", sources["baseline"]
            ) from None
    if values["summary"] is None and env.get("GITHUB_STEP_SUMMARY"):
        values["summary"] = Path(env["GITHUB_STEP_SUMMARY"])
        sources["summary"] = "GITHUB_STEP_SUMMARY"

    return GateConfig(
        base_url=base_url,
        api_root=root,
        endpoint_host=host,
        sim_scenario=sim_scenario,
        sources=sources,
        baseline_report=baseline_report,
        **{k: v for k, v in values.items() if k != "base_url"},  # type: ignore[arg-type]
    )


def _check_scenario(name: str, source: str) -> None:
    from gate.simulator import SCENARIOS

    if name not in SCENARIOS:
        raise ConfigError(
            "base-url",
            f"sim://{name} is not a simulator scenario",
            f"use one of: {', '.join(sorted(SCENARIOS))}",
            source,
        )
