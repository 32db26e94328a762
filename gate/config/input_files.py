"""Reading the gate's input files (request file, pre-flight checklist, targets file, baseline), with limits.

Every reader goes through here, so one set of guarantees holds for all four:

- a file in the working directory (the checkout) is never read through a link that leads out of it;
- at most MAX_BYTES (1 MiB) is read: a bigger file is refused, and no more than MAX_BYTES + 1 bytes are ever
  loaded; a FIFO, device, socket or directory is refused without blocking on it;
- the text is strict UTF-8 (a leading BOM is skipped);
- YAML is read with a strict loader: anchors and aliases (the "billion laughs") and explicit tags
  (`!!python/object`, `!!binary`, `!!set`, `!custom`) are refused from the parser's events, before any
  node is composed, constructed or walked; dates stay strings; duplicate keys are refused. The result holds
  JSON types only (str, int, float, bool, None, list, dict with string keys), as JSON does;
- nesting is limited to MAX_DEPTH levels and NaN / Infinity are refused in every format.

Each problem is an InputFileError (problem + fix), which each reader turns into its own error type.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import stat
from pathlib import Path
from typing import Any

from gate.core.jsonbody import MAX_DEPTH, deeper_than

MAX_BYTES = 1_048_576
_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
_SIZE_FIX = (
    "check the path: a request body, pre-flight checklist, targets file or baseline report is a few KB"
)


class InputFileError(ValueError):
    """An input file that cannot be used: what is wrong and how to fix it."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix


def _leaves_workspace(path: Path) -> Path | None:
    """Where `path` really points, when it lies in the working directory (the checkout, which the change
    under test controls) but a symbolic link takes it out of there: a committed `request.json ->
    ~/.docker/config.json` must not be read, let alone sent. A path the workflow names outside the checkout
    is the workflow's own choice."""
    cwd = Path(os.path.abspath(os.getcwd()))
    given = Path(os.path.abspath(path))
    if given != cwd and cwd not in given.parents:
        return None
    real, root = Path(os.path.realpath(given)), Path(os.path.realpath(cwd))
    return None if real == root or root in real.parents else real


def read_text(path: Path, limit: int = MAX_BYTES) -> str:
    """The file's text: a regular file of at most `limit` bytes, strict UTF-8, not linked out of the
    working directory."""
    outside = _leaves_workspace(path)
    if outside is not None:
        raise InputFileError(
            f"{path} is a symbolic link out of the working directory (to {outside})",
            "keep input files in the checkout, or name the real path in the workflow",
        )
    try:
        fd = os.open(path, _FLAGS)  # O_NONBLOCK: opening a FIFO must not wait for a writer
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise InputFileError(
            f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}", "check the path"
        ) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputFileError(f"{path} is {_file_kind(info.st_mode)}, not a file", "pass a regular file")
        if info.st_size > limit:
            raise InputFileError(
                f"{path} is {info.st_size:,} bytes: an input file may be at most {_cap(limit)}",
                _SIZE_FIX,
            )
        data = _read_at_most(fd, limit + 1)
    except OSError as exc:
        raise InputFileError(f"cannot read {path}: {exc.strerror or exc}", "check the path") from None
    finally:
        os.close(fd)
    if len(data) > limit:  # it grew after fstat, or fstat does not know its size
        raise InputFileError(
            f"{path} is over {limit:,} bytes: an input file may be at most {_cap(limit)}", _SIZE_FIX
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFileError(
            f"{path} is not UTF-8 text (invalid byte at offset {exc.start})", "save the file as UTF-8"
        ) from None


def _cap(limit: int) -> str:
    return f"{limit:,} bytes ({limit / MAX_BYTES:g} MiB)"


def _read_at_most(fd: int, size: int) -> bytes:
    chunks: list[bytes] = []
    remaining = size
    while remaining > 0:
        chunk = os.read(fd, min(remaining, 65_536))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _file_kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a regular file"


def load(path: Path, default: str) -> Any:
    """The file read and parsed: YAML for .yml/.yaml, else `default` ("json" or "toml")."""
    text = read_text(path)
    kind = "yaml" if path.suffix.lower() in (".yml", ".yaml") else default
    return {"yaml": parse_yaml, "json": parse_json, "toml": parse_toml}[kind](text, path)


def parse_json(text: str, path: Path) -> Any:
    """JSON, without NaN / Infinity, at most MAX_DEPTH levels deep."""

    def refuse(literal: str) -> Any:
        raise InputFileError(f"{path} holds {literal}, which is not a finite number", "write a finite number")

    def finite(literal: str) -> float:
        number = float(literal)
        return number if math.isfinite(number) else refuse(literal[:40])

    try:
        value = json.loads(text, parse_constant=refuse, parse_float=finite)
    except RecursionError:
        value = _too_deep(path)
    except InputFileError:
        raise
    except ValueError as exc:  # not JSON, or an integer over Python's digit limit
        raise InputFileError(f"{path} does not parse as JSON: {exc}", "fix the file's syntax") from None
    return _within_depth(value, path)


def parse_toml(text: str, path: Path) -> dict[str, Any]:
    """TOML (its dates and times stay date/time values: each reader says where they are not allowed)."""
    import tomllib

    try:
        value = tomllib.loads(text)
    except RecursionError:
        value = _too_deep(path)
    except ValueError as exc:  # tomllib.TOMLDecodeError, or an integer over Python's digit limit
        raise InputFileError(f"{path} does not parse as TOML: {exc}", "fix the file's syntax") from None
    odd = _non_finite(_within_depth(value, path))
    if odd:
        raise InputFileError(f"{path}: {odd}, which is not a finite number", "write a finite number")
    return value


def parse_yaml(text: str, path: Path) -> Any:
    """One YAML document with the strict loader (gate/config/strict_yaml.py): JSON types only."""
    from gate.config.strict_yaml import StrictYamlError, load_strict

    try:
        return load_strict(text)
    except StrictYamlError as exc:
        raise InputFileError(f"{path} {exc.problem}", exc.fix) from None


def _too_deep(path: Path) -> Any:
    raise InputFileError(
        f"{path} is nested more than {MAX_DEPTH} levels deep", "an input file is a few levels deep"
    )


def _within_depth(value: Any, path: Path) -> Any:
    return _too_deep(path) if deeper_than(value, MAX_DEPTH) else value


def _non_finite(value: Any) -> str | None:
    """Where a NaN or infinity is ("target[0].samples is inf"), or None; `value` is at most MAX_DEPTH deep."""
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, where = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return f"{where or '(root)'} is {item}"
        if isinstance(item, dict):
            stack.extend((v, f"{where}.{k}" if where else str(k)) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, f"{where}[{i}]") for i, v in enumerate(item))
    return None


def is_scalar(value: Any) -> bool:
    """A single string, number or boolean (not a list, a table or a date)."""
    return isinstance(value, str | int | float)


def describe(value: Any) -> str:
    """What a value is, for a message naming a key of the wrong type."""
    if isinstance(value, dict):
        return "a table (map)"
    if isinstance(value, list):
        return "a list (array)"
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return f"a {'date-time' if isinstance(value, dt.datetime) else type(value).__name__} ({value})"
    return "null" if value is None else f"a {type(value).__name__}"
