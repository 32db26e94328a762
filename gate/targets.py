"""Several targets in one run (`--targets FILE.toml`), gated concurrently; the run passes only if all pass.

    [defaults]                      # optional: options for every target (same names as the flags)
    samples = 2

    [[target]]
    name = "primary"
    base-url = "https://api.cometapi.com"
    model = "gpt-4o-mini"
    api-key-env = "COMETAPI_API_KEY"  # the key is read from this variable, never from the file

Precedence per target: the target's table, then [defaults], then the command line and environment.
For fleets larger than one runner, use the CI system's matrix instead (README, "Several targets").
"""

from __future__ import annotations

import io
import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from gate.config import ConfigError, GateConfig, resolve
from gate.failures import ExitCode
from gate.options import OPTIONS_BY_NAME
from gate.redact import Redactor
from gate.report import RunReport

MAX_TARGETS = 32
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_PER_RUN_ONLY = {"targets", "json", "junit", "summary", "mode"}


@dataclass(frozen=True)
class Target:
    name: str
    config: GateConfig


def _flag_name(key: str) -> str:
    return key.replace("_", "-")


def load_targets(
    path: Path, flags: Mapping[str, object], env: Mapping[str, str], redactor: Redactor
) -> list[Target]:
    """Parse and validate every target (keys registered with the Redactor first); raise ConfigError."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError("targets", f"cannot read {path}: {exc.strerror or exc}", "check the path") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("targets", f"{path} is not valid TOML ({exc})", "fix the file") from None
    defaults = document.get("defaults", {})
    tables = document.get("target", [])
    if not isinstance(defaults, dict) or not isinstance(tables, list) or not tables:
        raise ConfigError("targets", f"{path} has no [[target]] tables", "add one [[target]] per endpoint")
    if len(tables) > MAX_TARGETS:
        raise ConfigError(
            "targets",
            f"{len(tables)} targets is more than {MAX_TARGETS}",
            "split the fleet with the CI system's matrix",
        )
    names: set[str] = set()
    prepared: list[tuple[str, dict[str, object]]] = []
    for index, table in enumerate(tables, start=1):
        if not isinstance(table, dict):
            raise ConfigError("targets", f"target {index} is not a table", "use [[target]] tables")
        name = str(table.get("name", ""))
        if not _NAME.match(name) or name in names:
            raise ConfigError(
                "targets", f"target {index} needs a unique name of letters, digits, . _ -", 'set name = "..."'
            )
        names.add(name)
        key_var = table.get("api-key-env") or defaults.get("api-key-env")
        key = env.get(str(key_var)) if key_var else None
        if not key:
            raise ConfigError(
                "targets",
                f"target '{name}': api-key-env {key_var or '(not set)'} is empty",
                "set api-key-env to a variable that holds the key",
            )
        redactor.register(key)
        prepared.append((name, {**_options(defaults, name), **_options(table, name), "api_key": key}))
    targets = []
    for name, options in prepared:
        merged = {k: v for k, v in flags.items() if k.replace("_", "-") not in _PER_RUN_ONLY}
        merged.update(options)
        try:
            config = resolve(merged, env)
        except ConfigError as exc:
            raise ConfigError(exc.option, f"target '{name}': {exc.problem}", exc.fix, exc.source) from None
        targets.append(Target(name, replace(config, json=None, junit=None, summary=None)))
    return targets


def _options(table: Mapping[str, Any], name: str) -> dict[str, object]:
    options: dict[str, object] = {}
    for key, value in table.items():
        option = _flag_name(key)
        if option in ("name", "api-key-env"):
            continue
        if option == "api-key":
            raise ConfigError(
                "targets",
                f"target '{name}' has a key in the file",
                "never put keys in the targets file: use api-key-env",
            )
        spec = OPTIONS_BY_NAME.get(option)
        if spec is None or option in _PER_RUN_ONLY:
            raise ConfigError(
                "targets",
                f"target '{name}': unknown or per-run option '{key}'",
                "use run option names such as base-url, model, samples",
            )
        options[spec.dest] = value if isinstance(value, bool) else str(value)
    return options


def run_targets(
    targets: Sequence[Target], env: Mapping[str, str], redactor: Redactor, out: io.TextIOBase
) -> list[tuple[Target, RunReport]]:
    """Gate every target concurrently; print each one's log as a block, in file order."""
    from gate.app import Console, execute

    quiet_env = {
        k: v for k, v in env.items() if k != "GITHUB_ACTIONS"
    }  # annotations come once, from the fleet

    def one(target: Target) -> tuple[Target, RunReport, str]:
        buffer = io.StringIO()
        report, _ = execute(target.config, Console(buffer, redactor), quiet_env, artifacts=[])
        return target, report, buffer.getvalue()

    with ThreadPoolExecutor(max_workers=min(len(targets), 8), thread_name_prefix="target") as pool:
        finished = list(pool.map(one, targets))
    for target, _, log in finished:
        out.write(redactor.redact(f"=== target {target.name} ===\n{log}\n"))
    out.flush()
    return [(target, report) for target, report, _ in finished]


def fleet_exit_code(reports: Sequence[RunReport], mode: str) -> ExitCode:
    codes = [r.verdict.exit_code for r in reports]
    if mode == "report" or all(c is ExitCode.PASSED for c in codes):
        return ExitCode.PASSED
    return ExitCode.FAILED if ExitCode.FAILED in codes else ExitCode.TRANSIENT


def render_json(named: Sequence[tuple[str, RunReport]], mode: str) -> str:
    from gate.reporters import json_report

    reports = [report for _, report in named]
    failing = next((r for r in reports if not r.verdict.passed), None)
    body = {
        "schema_version": "1",
        "result": "fail" if failing else "pass",
        "decision": "hold" if failing else "proceed",
        "failure_class": failing.verdict.failure_class.value
        if failing and failing.verdict.failure_class
        else None,
        "exit_code": int(fleet_exit_code(reports, mode)),
        "environment": ", ".join(dict.fromkeys(r.config.environment for r in reports)),
        "endpoint_host": ", ".join(dict.fromkeys(r.config.endpoint_host for r in reports)),
        "model": ", ".join(dict.fromkeys(r.config.model for r in reports)),
        "latency_ms": None,
        "request_ids": [rid for r in reports for rid in r.request_ids],
        "checks": [
            {**check, "id": f"{name}/{check['id']}", "target": name}
            for name, report in named
            for check in json_report.build(report)["checks"]
        ],
        "targets": [{"name": name, **json_report.build(report)} for name, report in named],
    }
    return json.dumps(body, indent=2, ensure_ascii=False, default=str) + "\n"


def render_junit(named: Sequence[tuple[str, RunReport]]) -> str:
    from gate.reporters import junit

    return junit.render_suites(
        [junit.suite_element(report, f"{junit.SUITE_NAME}/{name}") for name, report in named]
    )


def render_summary(named: Sequence[tuple[str, RunReport]]) -> str:
    from gate.reporters import summary

    failing = [name for name, report in named if not report.verdict.passed]
    if failing:
        head = f"## ❌ Smoke gate: hold, {len(failing)} of {len(named)} targets failed ({', '.join(failing)})"
    else:
        head = f"## ✅ Smoke gate: proceed, all {len(named)} targets passed"
    sections = [head, ""]
    for name, report in named:
        text = summary.render(report)
        demoted = "\n".join(("#" + line if line.startswith("##") else line) for line in text.splitlines())
        sections += [f"### Target `{summary.cell(name, 64)}`", "", demoted, ""]
    return summary.fit("\n".join(sections) + "\n")
