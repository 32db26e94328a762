"""Reading one option's value: the precedence (flag > INPUT_<NAME> > COMETAPI_<NAME> > the deprecated
GATE_<NAME> > default) and the conversion to its kind, with a `ConfigError` that names the input, the value's
source and the fix."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gate.config.options import OptionSpec

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


def lines_of(value: object) -> list[str]:
    """The entries of a several-valued option, blank ones dropped: the flag's repeats, or one per line of a
    variable or a targets file string (split on LF only: a CR inside an entry stays, to be refused)."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        items = [str(item).strip(" \t") for item in value]
    else:
        items = [line.strip(" \t\r") for line in str(value).split("\n")]
    return [item for item in items if item]


def raw_value(spec: OptionSpec, flags: Mapping[str, object], env: Mapping[str, str]) -> tuple[object, str]:
    """The first set value and where it came from."""
    flag_value = flags.get(spec.dest)
    if flag_value is not None and flag_value != "" and flag_value != ():
        return flag_value, spec.flag
    for var in spec.read_vars:
        value = env.get(var)
        if value is not None and value.strip() != "":
            return value, var
    return spec.default, "default"


def _convert(spec: OptionSpec, value: object, source: str) -> object:
    if value is None:
        return None
    if spec.kind == "lines":
        return tuple(lines_of(value))
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
    return Path(text) if spec.kind == "path" else text


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


def option_values(
    specs: list[OptionSpec],
    flags: Mapping[str, object],
    env: Mapping[str, str],
    *,
    lenient: bool = False,
    origins: Mapping[str, str] | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Each option's value and where it came from. Strict: the first bad value raises ConfigError.
    Lenient (for the reports of a run that failed its configuration): a bad value falls back to the
    default, and its source says so. `origins` names where a value in `flags` came from when that was not
    the command line (a targets file's table), by dest."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for spec in specs:
        raw, source = raw_value(spec, flags, env)
        if source == spec.flag and origins and spec.dest in origins:
            source = origins[spec.dest]
        try:
            values[spec.dest] = _convert(spec, raw, source)
        except ConfigError:
            if not lenient:
                raise
            values[spec.dest] = _convert(spec, spec.default, "default")
            source = f"default ({source} was invalid)"
        sources[spec.dest] = source
    return values, sources
