"""Resolve and validate the configuration ONCE, before anything is sent.

Precedence per option: flag > INPUT_<NAME> > COMETAPI_*/GATE_* > default (see `gate.config.options`). The
result is a `RunConfig`: the run-wide settings (reports, mode, decision record) and a list of per-target
configs; one target is a list of one. Every problem becomes one `ConfigError` naming the input, where its
value came from, and the fix.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from gate.config.baseline_file import BaselineError, load_baseline
from gate.config.inputs import ConfigError, option_values
from gate.config.options import OPTIONS, OPTIONS_BY_NAME
from gate.config.settings import RunSettings, resolve_settings
from gate.config.urls import is_loopback, normalize_base_url, shown_url
from gate.config.validators import check_scenario, resolve_ca_bundle, validate_key

if TYPE_CHECKING:  # loaded only when a request file is used
    from gate.config.request_file import Template


@dataclass(frozen=True)
class GateConfig:
    """One target's validated settings. `api_root` always ends in /v1, never /v1/v1."""

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
    max_tokens: int | None  # None: chosen by model family (gate.http.model_families)
    token_param: str | None
    temperature: float | None
    connect_timeout: float
    timeout: float
    retries: int
    retry_budget: float
    max_retry_after: float
    samples: int
    min_success_rate: float
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
    request_file: Path | None
    request_vars: str | None  # as given; gate.config.request_vars parses and checks it
    check_structured_output: bool
    check_tools: bool
    sdk_parity: bool
    sim_scenario: str | None = None
    sources: Mapping[str, str] | None = None
    baseline_report: Mapping[str, object] | None = None
    template: Template | None = None  # the request file, filled and checked

    @property
    def expect_set(self) -> bool:
        """--expect was given (with a request file, the answer is judged by it only then)."""
        return not (self.sources or {}).get("expect", "default").startswith("default")

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


@dataclass(frozen=True)
class Target:
    name: str | None  # None for the single target of a run without --targets
    config: GateConfig


@dataclass(frozen=True)
class RunConfig:
    settings: RunSettings
    targets: tuple[Target, ...]

    @property
    def several(self) -> bool:
        """A run from a targets file (even of one target): reports take the several-targets shape."""
        return self.settings.targets is not None


def resolve(
    flags: Mapping[str, object], env: Mapping[str, str], register: Callable[[str], None] = lambda _: None
) -> RunConfig:
    """The run's settings and every target's config, validated; raise ConfigError on the first problem.

    `register` receives each secret as soon as it is known (before any message could print it)."""
    settings = resolve_settings(flags, env)
    if settings.targets is None:
        return RunConfig(settings, (Target(None, resolve_target(flags, env)),))
    from gate.config.targets_file import TargetsFileError, read_targets

    try:
        tables = read_targets(settings.targets, env, register)
    except TargetsFileError as exc:
        raise ConfigError("targets", exc.problem, exc.fix) from None
    shared = {dest: value for dest, value in flags.items() if not OPTIONS_BY_NAME[_name(dest)].run_wide}
    targets = []
    for name, options in tables:
        try:
            targets.append(Target(name, resolve_target({**shared, **options}, env)))
        except ConfigError as exc:
            raise ConfigError(exc.option, f"target '{name}': {exc.problem}", exc.fix, exc.source) from None
    return RunConfig(settings, tuple(targets))


def _name(dest: str) -> str:
    return dest.replace("_", "-")


def resolve_target(flags: Mapping[str, object], env: Mapping[str, str]) -> GateConfig:
    """One target's options, validated as a whole."""
    values, sources = option_values([s for s in OPTIONS if not s.run_wide], flags, env)
    base_url = str(values.pop("base_url"))
    sim_scenario = None
    if base_url.startswith("sim://"):
        sim_scenario = base_url.removeprefix("sim://").strip("/") or "ok"
        check_scenario(sim_scenario, sources["base_url"])
        from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL

        values["api_key"] = values["api_key"] or DEFAULT_API_KEY
        values["model"] = values["model"] or DEFAULT_MODEL
        root, host = "http://127.0.0.1/v1", "127.0.0.1"
    else:
        root, host = _api_root(base_url, bool(values["allow_insecure_http"]), sources["base_url"])
    for spec in OPTIONS:
        if spec.required and not values[spec.dest]:
            raise ConfigError(
                spec.name, "is required and not set", f"pass {spec.flag} or set {' / '.join(spec.env_vars)}"
            )
    validate_key(str(values["api_key"]), sources["api_key"])
    if not str(values["model"]).strip():
        raise ConfigError("model", "is empty", "name the model id to test", sources["model"])
    if values["expect_mode"] == "regex":
        try:
            re.compile(str(values["expect"]))
        except re.error as exc:
            raise ConfigError(
                "expect",
                f"is not a valid regular expression ({exc})",
                "fix the pattern or use --expect-mode contains",
                sources["expect"],
            ) from None
    if not str(values["environment"] or "").strip():
        values["environment"], sources["environment"] = default_environment(env)
    resolve_ca_bundle(values, sources, env)
    baseline_report = None
    if values["baseline"] is not None:
        try:
            baseline_report = load_baseline(values["baseline"])
        except BaselineError as exc:
            raise ConfigError(
                "baseline", str(exc), "pass the JSON report (--json) of a passing run", sources["baseline"]
            ) from None
    if values["sdk_parity"]:
        try:
            import openai  # noqa: F401 - only whether it is there
        except ImportError:
            raise ConfigError(
                "sdk-parity",
                "needs the official openai package, which is not installed",
                "pip install 'cometapi-smoke-gate[sdk]' (or drop --sdk-parity)",
                sources["sdk_parity"],
            ) from None
    request_vars: tuple[str, ...] = ()
    if values["request_vars"] is not None:  # checked even without a request file: a bad list is a mistake
        from gate.config.request_vars import parse_request_vars

        request_vars = parse_request_vars(str(values["request_vars"]), sources["request_vars"])
    template = None
    if values["request_file"] is not None:
        from gate.config.request_file import load_template

        template = load_template(
            values["request_file"],
            prompt=str(values["prompt"]),
            model=str(values["model"]),
            env=env,
            secrets=[str(values["api_key"])],
            source=sources["request_file"],
            request_vars=request_vars,
        )
    return GateConfig(
        base_url=base_url,
        api_root=root,
        endpoint_host=host,
        sim_scenario=sim_scenario,
        sources=sources,
        baseline_report=baseline_report,
        template=template,
        **values,
    )


def default_environment(env: Mapping[str, str]) -> tuple[str, str]:
    """What the CI system says the deployment environment is, else 'unspecified'. GitLab exposes the job's
    `environment:` as CI_ENVIRONMENT_NAME; GitHub and Jenkins expose no such name to a step."""
    name = env.get("CI_ENVIRONMENT_NAME", "").strip()
    return (name, "CI_ENVIRONMENT_NAME") if name else ("unspecified", "default")


def _api_root(base_url: str, allow_insecure_http: bool, source: str) -> tuple[str, str]:
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
    return root, host
