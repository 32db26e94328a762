"""Resolve and validate the configuration ONCE, before anything is sent.

Precedence per option: flag > INPUT_<NAME> > COMETAPI_<NAME> > GATE_<NAME> (deprecated) > default (see
`gate.config.options`); a targets file's table and [defaults] come before all of them for its target. The
result is a `RunConfig`: the run-wide settings (reports, mode, decision record) and a list of per-target
configs; one target is a list of one. Every problem becomes one `ConfigError` naming the input, where its
value came from, and the fix.

A run whose configuration failed still reports (JSON, JUnit, summary, GitHub outputs, all class `config`,
exit 2): `resolve(..., lenient=True)` gives the config it reports with. Whatever resolved is kept, a bad value
falls back to its default and its source says so, and a report path that cannot be written is reported, not
written.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gate.config import validators as check
from gate.config.headers import ExtraHeader, extra_headers
from gate.config.inputs import ConfigError, option_values, raw_value
from gate.config.options import OPTIONS, OPTIONS_BY_NAME
from gate.config.settings import RunSettings, resolve_settings
from gate.config.urls import normalize_base_url, shown_url

if TYPE_CHECKING:  # loaded only when a request file is used
    from gate.config.request_file import RequestFile

TARGET_OPTIONS = [spec for spec in OPTIONS if spec.scope == "target"]
API_PATHS = {"chat": "/chat/completions", "responses": "/responses", "embeddings": "/embeddings"}


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
    drift_floor_ms: float
    fail_on_drift: bool
    request_vars: str | None  # as given; gate.config.request_vars parses and checks it
    check_structured_output: bool
    check_tools: bool
    sdk_parity: bool
    api: str = "chat"  # chat | responses | embeddings: the API the smoke request uses
    expect_dimensions: int | None = None  # --api embeddings: every vector's dimension
    sim_scenario: str | None = None
    sources: Mapping[str, str] | None = None
    baseline_report: Mapping[str, object] | None = None
    request_file: RequestFile | None = None  # the request file, filled and checked
    headers: tuple[ExtraHeader, ...] = ()  # --header / --header-env: sent on every request

    @property
    def secrets(self) -> tuple[str, ...]:
        """What the Redactor must mask for this target: the key and the secret header values."""
        return (self.api_key, *(h.value for h in self.headers if h.secret))

    @property
    def expect_set(self) -> bool:
        """--expect was given (with a request file, the answer is judged by it only then)."""
        return not (self.sources or {}).get("expect", "default").startswith("default")

    @property
    def chat_url(self) -> str:
        return f"{self.api_root}/chat/completions"

    @property
    def api_path(self) -> str:
        """The path under the API root the smoke request goes to (--api)."""
        return API_PATHS.get(self.api, API_PATHS["chat"])

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
    flags: Mapping[str, object],
    env: Mapping[str, str],
    register: Callable[[str], None] = lambda _: None,
    *,
    lenient: bool = False,
) -> RunConfig:
    """The run's settings and every target's config, validated; raise ConfigError on the first problem.

    `register` receives each secret as soon as it is known (before any message could print it). Lenient,
    for the reports of a run whose configuration failed: never raises, nothing is read but the options, and
    the one target is a placeholder (`_placeholder`)."""
    if lenient:
        return RunConfig(
            resolve_settings(flags, env, lenient=True), (Target(None, _placeholder(flags, env)),)
        )
    settings = resolve_settings(flags, env)
    if settings.targets is None:
        return _registered(RunConfig(settings, (Target(None, resolve_target(flags, env)),)), register)
    from gate.config.targets_file import TargetsFileError, read_targets

    base_url, _ = raw_value(OPTIONS_BY_NAME["base-url"], flags, env)
    try:
        tables = read_targets(settings.targets, env, register, base_url)
    except TargetsFileError as exc:
        raise ConfigError("targets", exc.problem, exc.fix) from None
    shared = {dest: value for dest, value in flags.items() if OPTIONS_BY_NAME[_name(dest)].scope == "target"}
    targets = []
    for table in tables:
        try:
            config = resolve_target({**shared, **table.options}, env, table.origins)
        except ConfigError as exc:
            raise ConfigError(
                exc.option, f"target '{table.name}': {exc.problem}", exc.fix, exc.source
            ) from None
        targets.append(Target(table.name, config))
    return _registered(RunConfig(settings, tuple(targets)), register)


def _registered(run: RunConfig, register: Callable[[str], None]) -> RunConfig:
    """`run`, once every target's secrets went to `register`."""
    for target in run.targets:
        for secret in target.config.secrets:
            register(secret)
    return run


def _name(dest: str) -> str:
    return dest.replace("_", "-")


def resolve_target(
    flags: Mapping[str, object], env: Mapping[str, str], origins: Mapping[str, str] | None = None
) -> GateConfig:
    """One target's options, validated as a whole, in this order: the endpoint, the required options, the
    key, the model, the test condition, then the files and packages the options name. `origins`: where the
    values in `flags` that a targets file gave came from."""
    values, sources = option_values(TARGET_OPTIONS, flags, env, origins=origins)
    base_url = str(values.pop("base_url"))
    endpoint = check.resolve_endpoint(base_url, bool(values["allow_insecure_http"]), sources["base_url"])
    if endpoint.sim_scenario is not None:  # the simulator supplies its own key and model
        from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL

        values["api_key"] = values["api_key"] or DEFAULT_API_KEY
        values["model"] = values["model"] or DEFAULT_MODEL
    check.check_required(TARGET_OPTIONS, values)
    check.validate_key(str(values["api_key"]), sources["api_key"])
    check.check_model(str(values["model"]), sources["model"])
    check.check_expect(str(values["expect"]), str(values["expect_mode"]), sources["expect"])
    check.check_api(values, sources)
    values["environment"], sources["environment"] = check.resolve_environment(
        values["environment"], sources["environment"], env
    )
    values["ca_bundle"], sources["ca_bundle"] = check.resolve_ca_bundle(
        values["ca_bundle"], sources["ca_bundle"], env
    )
    headers = extra_headers(values.pop("header"), values.pop("header_env"), sources, env)
    baseline_report = check.load_baseline_report(values["baseline"], sources["baseline"])
    check.check_sdk(bool(values["sdk_parity"]), sources["sdk_parity"])
    request_file = _request_file(values.pop("request_file"), values, sources, env)
    return GateConfig(
        base_url=base_url,
        api_root=endpoint.root,
        endpoint_host=endpoint.host,
        sim_scenario=endpoint.sim_scenario,
        sources=sources,
        baseline_report=baseline_report,
        request_file=request_file,
        headers=headers,
        **values,
    )


def _request_file(
    path: Path | None, values: Mapping[str, Any], sources: Mapping[str, str], env: Mapping[str, str]
) -> RequestFile | None:
    """The request file, filled and checked. --request-vars is checked even without a request file: a bad
    list is a mistake either way."""
    request_vars: tuple[str, ...] = ()
    if values["request_vars"] is not None:
        from gate.config.request_vars import parse_request_vars

        request_vars = parse_request_vars(str(values["request_vars"]), sources["request_vars"])
    if path is None:
        return None
    from gate.config.request_file import load_request_file

    return load_request_file(
        path,
        prompt=str(values["prompt"]),
        model=str(values["model"]),
        env=env,
        secrets=[str(values["api_key"])],
        source=sources["request_file"],
        request_vars=request_vars,
        api=str(values.get("api") or "chat"),
    )


def _placeholder(flags: Mapping[str, object], env: Mapping[str, str]) -> GateConfig:
    """The target a failed resolve reports with: the options as they resolved (a bad value replaced by its
    default), no key, the base URL as it may be printed, and nothing else read or checked."""
    values, sources = option_values(TARGET_OPTIONS, flags, env, lenient=True)
    base_url = shown_url(str(values.pop("base_url") or ""))
    for name in ("request_file", "header", "header_env"):
        values.pop(name)
    values.update(api_key="", model=str(values.get("model") or "(not set)"))
    values["environment"], sources["environment"] = check.resolve_environment(
        values.get("environment"), sources["environment"], env
    )
    try:
        host = urllib.parse.urlsplit(base_url).hostname or "unknown"
    except ValueError:
        host = "unknown"
    return GateConfig(base_url=base_url, api_root=base_url, endpoint_host=host, sources=sources, **values)
