"""The run-wide settings: where the reports go, the mode, and the runbook's inputs (decision record,
pre-flight checklist, rollback triggers). One value for the whole run, never set per target."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gate.config.inputs import ConfigError, option_values, raw_value
from gate.config.options import OPTIONS
from gate.config.preflight import (
    PREFLIGHT_ITEMS,
    Preflight,
    PreflightFileError,
    RecordInputs,
    ci_context,
    load_preflight,
)
from gate.core.failures import FailureClass, Mode

DEFAULT_ROLLBACK_ON = frozenset(
    {FailureClass.AUTH, FailureClass.REQUEST, FailureClass.ENDPOINT, FailureClass.CONTRACT, FailureClass.LEAK}
)


@dataclass(frozen=True)
class Policy:
    """What the verdict follows: the mode, the phase and the classes that call for a rollback."""

    mode: Mode = Mode.ENFORCE
    phase: str | None = None
    rollback_on: frozenset[FailureClass] = field(default_factory=frozenset)


@dataclass(frozen=True)
class RunSettings:
    json: Path | None = None
    junit: Path | None = None
    summary: Path | None = None
    mode: Mode = Mode.ENFORCE
    phase: str | None = None
    change_id: str | None = None
    deployment_version: str | None = None
    config_version: str | None = None
    targets: Path | None = None
    rollback_on: frozenset[FailureClass] = DEFAULT_ROLLBACK_ON
    record: RecordInputs = field(default_factory=RecordInputs)
    preflight: Preflight = field(default_factory=Preflight)
    notices: tuple[str, ...] = ()  # warnings about the configuration itself (deprecated, shadowed variables)
    metrics_file: Path | None = None
    pushgateway: str | None = None
    step_summary: Path | None = None  # GITHUB_STEP_SUMMARY: handed over by the runner, so trusted

    @property
    def destinations(self) -> list[tuple[str, Path]]:
        """(option, path) of every file the run writes that the user named (checked before sending)."""
        named = [("json", self.json), ("junit", self.junit), ("metrics-file", self.metrics_file)]
        if self.summary != self.step_summary:
            named.append(("summary", self.summary))
        return [(option, path) for option, path in named if path is not None]

    @property
    def policy(self) -> Policy:
        return Policy(self.mode, self.phase, self.rollback_on)


def resolve_settings(
    flags: Mapping[str, object], env: Mapping[str, str], *, lenient: bool = False
) -> RunSettings:
    values, sources = option_values([s for s in OPTIONS if s.scope == "run"], flags, env, lenient=lenient)
    # --log-format is checked here but read by the CLI before resolution, so a config error is logged alike
    values.pop("log_format")
    if not values["deployment_version"]:
        values["deployment_version"] = next(
            (env[v] for v in ("GITHUB_SHA", "CI_COMMIT_SHA", "GIT_COMMIT") if env.get(v)), None
        )
    step_summary = Path(env["GITHUB_STEP_SUMMARY"]) if env.get("GITHUB_STEP_SUMMARY") else None
    if values["summary"] is None:
        values["summary"] = step_summary
    run_url, actor, ref = ci_context(env)
    record = RecordInputs(
        values.pop("reviewer"),
        values.pop("docs_checked"),
        values.pop("endpoint_reference_checked"),
        values.pop("secret_version"),
        values.pop("notes"),
        run_url,
        actor,
        ref,
    )
    rollback_on = _classes(values.pop("rollback_on"), sources["rollback_on"], lenient)
    preflight = _preflight(values, sources, lenient)
    notices = tuple(deprecated_variables(flags, env) + shadowed(flags, env))
    values["mode"] = Mode(values["mode"])  # a choice of the options table: always one of the modes
    settings = RunSettings(
        **values,
        rollback_on=rollback_on,
        record=record,
        preflight=preflight,
        notices=notices,
        step_summary=step_summary,
    )
    if not lenient:
        _check_destinations(settings, sources)
    return settings


def _check_destinations(settings: RunSettings, sources: Mapping[str, str]) -> None:
    """Every report destination, before anything is sent: its directory exists or can be made, it is
    writable, and the destination is not a directory, a symbolic link or a special file."""
    from gate.core.safe_files import check_destination, describe

    for option, path in settings.destinations:
        try:
            check_destination(path)
        except OSError as exc:
            raise ConfigError(
                option,
                f"cannot write {path}: {describe(exc)}",
                "name a regular file in a writable directory (links are never followed)",
                sources.get(option.replace("-", "_"), ""),
            ) from None


def deprecated_variables(flags: Mapping[str, object], env: Mapping[str, str]) -> list[str]:
    """One notice per old GATE_<NAME> variable that is set, naming the COMETAPI_<NAME> to use instead and
    whether it was used (a flag, the input or COMETAPI_<NAME> wins over it). Never a value: a notice may
    name the key's variable."""
    notices = []
    for spec in OPTIONS:
        old, new = spec.deprecated_variable, spec.variable
        if not env.get(old, "").strip():
            continue
        _, source = raw_value(spec, flags, env)
        if source == old:
            notices.append(f"{old} is deprecated: rename it to {new} (read this time, for {spec.flag})")
        elif source == new:
            notices.append(f"{old} is deprecated and was ignored: {new} is also set and wins; remove {old}")
        else:
            notices.append(
                f"{old} is deprecated and was not used ({source} wins over it): rename it to {new}"
            )
    return notices


def shadowed(flags: Mapping[str, object], env: Mapping[str, str]) -> list[str]:
    """On GitHub, the runner sets INPUT_<NAME> for every action input that has a default, so a job-level
    COMETAPI_<NAME> (or old GATE_<NAME>) variable for the same option is silently ignored. Say so, naming
    both."""
    if env.get("GITHUB_ACTIONS") != "true":
        return []
    notices = []
    for spec in OPTIONS:
        _, source = raw_value(spec, flags, env)
        if source != spec.input_var:
            continue
        for var in (spec.variable, spec.deprecated_variable):
            other = env.get(var, "").strip()
            if other and other != env[spec.input_var].strip():
                shown = "" if spec.secret else f"='{env[spec.input_var].strip()}'"
                theirs = "" if spec.secret else f"='{other}'"
                notices.append(
                    f"{spec.input_var}{shown} (the action's input, set to its default when `with:` does not "
                    f"set it) shadows {var}{theirs}: pass the value as `with: {spec.input}:` instead"
                )
    return notices


def _classes(text: str, source: str, lenient: bool) -> frozenset[FailureClass]:
    names = [n.strip().lower() for n in str(text or "").split(",") if n.strip()]
    known = {c.value for c in FailureClass}
    unknown = [n for n in names if n not in known]
    if unknown and not lenient:
        raise ConfigError(
            "rollback-on",
            f"unknown class(es): {', '.join(unknown)}",
            f"use classes from: {', '.join(sorted(known))}",
            source,
        )
    return frozenset(FailureClass(n) for n in names if n in known) if names else DEFAULT_ROLLBACK_ON


def _preflight(values: dict[str, object], sources: Mapping[str, str], lenient: bool) -> Preflight:
    path = values.pop("preflight")
    required = bool(values.pop("require_preflight"))
    items: dict[str, str] = {}
    if isinstance(path, Path):
        try:
            items.update(load_preflight(path))
        except PreflightFileError as exc:
            if not lenient:
                raise ConfigError("preflight", exc.problem, exc.fix, sources["preflight"]) from None
    for item in PREFLIGHT_ITEMS:
        value = values.pop(item.key.replace("-", "_"))
        if value:
            items[item.key] = str(value)
    wanted = bool(path or items or required) or values.get("phase") in ("canary", "post-deploy", "rollback")
    preflight = Preflight(items, path if isinstance(path, Path) else None, required, wanted)
    if required and preflight.missing and not lenient:
        raise ConfigError(
            "require-preflight",
            f"the pre-flight checklist misses: {', '.join(preflight.missing)}",
            "fill them in the --preflight file or pass them as options (see README, Runbook mapping)",
            sources["require_preflight"],
        )
    return preflight
