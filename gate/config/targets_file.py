"""The targets file (`--targets FILE.toml`): several endpoints gated in one run.

    [defaults]                      # optional: options for every target (same names as the flags)
    samples = 2

    [[target]]
    name = "primary"
    base-url = "https://api.cometapi.com"
    model = "gpt-4o-mini"
    api-key-env = "COMETAPI_API_KEY"  # the key is read from this variable, never from the file

A target whose base-url is sim://<scenario> needs no api-key-env: it uses the simulator's key.

Precedence per target: the target's table, then [defaults], then the command line and environment. Options
that belong to the whole run (reports, mode, the decision record) cannot be set per target. This module only
reads the file; `config.resolve` turns each table into a target's config. For fleets larger than one runner,
use the CI system's matrix instead (README, "Several targets").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gate.config.input_files import InputFileError, describe, is_scalar, parse_toml, read_text
from gate.config.options import OPTIONS_BY_NAME
from gate.core.text import one_line

MAX_TARGETS = 32
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class TargetsFileError(ValueError):
    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix


FROM_FILE = "the targets file"


@dataclass(frozen=True)
class TargetTable:
    """One target as the file gives it: its option values by dest, and where each came from (by dest)."""

    name: str
    options: dict[str, object]
    origins: dict[str, str]


def read_targets(
    path: Path,
    env: Mapping[str, str],
    register: Callable[[str], None] = lambda _: None,
    base_url: object = None,
) -> list[TargetTable]:
    """Every target of the file, each key handed to `register` as soon as it is read. `base_url` is the one
    the command line or the environment gives (a target's table or [defaults] wins over it): a sim://
    target needs no api-key-env."""
    defaults, tables = _tables(path)
    names: set[str] = set()
    targets: list[TargetTable] = []
    for index, table in enumerate(tables, start=1):
        name = _name(index, table, names)
        names.add(name)
        options = {**_options(defaults, name), **_options(table, name)}
        origins = {dest: f"{FROM_FILE} ([defaults])" for dest in _options(defaults, name)}
        origins |= {dest: f"{FROM_FILE} (target '{name}')" for dest in _options(table, name)}
        key, origin = _key(name, table, defaults, env, str(options.get("base_url") or base_url or ""))
        register(key)
        targets.append(TargetTable(name, {**options, "api_key": key}, {**origins, "api_key": origin}))
    return targets


def _key(
    name: str, table: Mapping[str, Any], defaults: Mapping[str, Any], env: Mapping[str, str], base_url: str
) -> tuple[str, str]:
    """(key, where it came from): the variable api-key-env names; for a sim:// target that names none, the
    simulator's key."""
    key_var = _key_variable(table) or _key_variable(defaults)
    if not key_var and base_url.startswith("sim://"):
        from gate.simulator import DEFAULT_API_KEY

        return DEFAULT_API_KEY, "the simulator's key (a sim:// target)"
    key = env.get(str(key_var)) if key_var else None
    if not key:
        raise TargetsFileError(
            f"target '{name}': api-key-env {key_var or '(not set)'} is empty",
            "set api-key-env to a variable that holds the key (a sim:// target needs none)",
        )
    return key, f"{FROM_FILE} (api-key-env {one_line(str(key_var), 80)})"


def _key_variable(table: Mapping[str, Any]) -> object:
    return table.get("api-key-env") or table.get("api_key_env")


def _tables(path: Path) -> tuple[dict[str, Any], list[Any]]:
    """The file's [defaults] (checked) and its [[target]] tables (at most MAX_TARGETS, not yet checked)."""
    try:
        document = parse_toml(read_text(path), path)  # at most 1 MiB of UTF-8 (gate/config/input_files.py)
    except InputFileError as exc:
        raise TargetsFileError(exc.problem, exc.fix) from None
    defaults = document.get("defaults", {})
    tables = document.get("target", [])
    if not isinstance(defaults, dict) or not isinstance(tables, list) or not tables:
        raise TargetsFileError(f"{path} has no [[target]] tables", "add one [[target]] per endpoint")
    _scalars(defaults, "[defaults]")
    if len(tables) > MAX_TARGETS:
        raise TargetsFileError(
            f"{len(tables)} targets is more than {MAX_TARGETS}", "split the fleet with the CI system's matrix"
        )
    return defaults, tables


def _name(index: int, table: object, taken: set[str]) -> str:
    """The target's name, once its table is known to hold only scalars; unique and well-formed."""
    if not isinstance(table, dict):
        raise TargetsFileError(f"target {index} is not a table", "use [[target]] tables")
    label = table.get("name")
    _scalars(
        table, f"target '{label}'" if isinstance(label, str) and _NAME.match(label) else f"target {index}"
    )
    name = str(table.get("name", ""))
    if not _NAME.match(name) or name in taken:
        raise TargetsFileError(
            f"target {index} needs a unique name of letters, digits, . _ -", 'set name = "..."'
        )
    return name


def _scalars(table: Mapping[str, Any], where: str) -> None:
    """Options are single strings, numbers or booleans: a TOML array, table or date is refused by name,
    never passed on as its Python text (a date sent as a model id)."""
    for key, value in table.items():
        if not is_scalar(value):
            raise TargetsFileError(
                f"{where}: '{key}' is {describe(value)}",
                f"give '{key}' one string, number or true/false (quote a date, write a list as one string)",
            )


def _options(table: Mapping[str, Any], name: str) -> dict[str, object]:
    options: dict[str, object] = {}
    for key, value in table.items():
        option = key.replace("_", "-")
        if option in ("name", "api-key-env"):
            continue
        if option == "api-key":
            raise TargetsFileError(
                f"target '{name}' has a key in the file",
                "never put keys in the targets file: use api-key-env",
            )
        spec = OPTIONS_BY_NAME.get(option)
        if spec is None or spec.scope == "run":
            raise TargetsFileError(
                f"target '{name}': unknown or per-run option '{key}'",
                "use run option names such as base-url, model, samples",
            )
        options[spec.dest] = value if isinstance(value, bool) else str(value)
    return options
