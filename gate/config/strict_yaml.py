"""A strict YAML loader for the gate's input files: JSON types only, nothing that can explode.

Anchors and aliases (the "billion laughs") and explicit tags (`!!python/object`, `!!binary`, `!!set`,
`!custom`) are refused from the parser's events, before any node is composed, constructed or walked; dates
stay strings; merge keys are ordinary keys; a key given twice is refused; nesting is at most MAX_DEPTH.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from typing import Any

from gate.core.jsonbody import MAX_DEPTH

PLAIN_FIX = "write plain data only: strings, numbers, true/false, null, lists and maps"


class StrictYamlError(ValueError):
    """What is wrong with the document (to follow its path) and how to fix it."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix


def load_strict(text: str) -> Any:
    """One YAML document: JSON types only, or StrictYamlError."""
    import yaml

    base = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
    loader = None
    try:
        _check_events(yaml.parse(text, Loader=base))  # before any node is composed or constructed
        loader = _strict_loader(base)(text)
        value = loader.get_single_data()
    except _Refused as exc:
        raise StrictYamlError(f"uses {exc.what}", exc.fix) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise StrictYamlError(f"does not parse as YAML: {problem}{where}", "fix the file's syntax") from None
    except (ValueError, RecursionError) as exc:  # an integer over Python's digit limit
        raise StrictYamlError(f"does not parse as YAML: {exc}", "fix the file's syntax") from None
    finally:
        if loader is not None:
            loader.dispose()
    odd = _not_json(value)
    if odd:
        raise StrictYamlError(f"holds {odd}", PLAIN_FIX)
    return value


class _Refused(Exception):
    def __init__(self, what: str, fix: str) -> None:
        super().__init__(what)
        self.what = what
        self.fix = fix


def _check_events(events: Iterator[Any]) -> None:
    """Refuse anchors, aliases, explicit tags and deep nesting from the parser's events alone: no tree
    exists yet, so an alias bomb costs one event, and the composer's recursion stays bounded."""
    import yaml

    depth = 0
    for event in events:
        line = f"(line {event.start_mark.line + 1})"
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _Refused(
                f"a YAML anchor or alias {line}", "write each value out: anchors and aliases are refused"
            )
        if getattr(event, "tag", None) is not None:
            tag = str(event.tag).replace("tag:yaml.org,2002:", "!!", 1)
            raise _Refused(f"the YAML tag {tag} {line}", f"remove the tag: {PLAIN_FIX}")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _Refused(
                    f"more than {MAX_DEPTH} levels of nesting {line}", "an input file is a few levels deep"
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


@functools.cache
def _strict_loader(base: type) -> Any:
    """`base` (PyYAML's safe loader) without implicit dates, merge keys or `=`, refusing duplicate keys."""
    import yaml

    dropped = {"tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:merge", "tag:yaml.org,2002:value"}

    class StrictLoader(base):  # type: ignore[misc, valid-type]
        yaml_implicit_resolvers = {  # noqa: RUF012 - PyYAML's own class attribute
            first: [(tag, rx) for tag, rx in resolvers if tag not in dropped]
            for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
        }

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen: set[str] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node)
                if isinstance(key, str) and key in seen:
                    line = f"(line {key_node.start_mark.line + 1})"
                    raise _Refused(f"the key '{key}' twice {line}", "keep one of them")
                if isinstance(key, str):
                    seen.add(key)
            return super().construct_mapping(node, deep)

    return StrictLoader


def _not_json(value: Any) -> str | None:
    """What in a parsed YAML document is not a JSON value (a non-string key, NaN / Infinity), or None."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            key = next((k for k in item if not isinstance(k, str)), "")
            if not isinstance(key, str):
                return f"the key {key!r}, which is not a string (quote it)"
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, float) and not math.isfinite(item):
            return f"{item}, which is not a finite number"
        elif item is not None and not isinstance(item, str | int | float):
            return f"a {type(item).__name__} value"
    return None
