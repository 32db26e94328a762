"""Pre-flight checks of a request body, run on the parsed template before anything is sent.

`unknown_fields` lists top-level fields the request schema of the API does not define; `scan` finds
secrets and personal data in every string of the body (mapping keys too). First the exact values, each
an exact substring in any case (shorter than 8 characters is ignored: it would match ordinary words):
- configured API key: each of `known_secrets`;
- `value of $NAME`: each of `env_secrets`, the values of the environment variables whose name looks like a
  credential (`gate/config/request_vars.py`);
then the pattern rules of `gate/config/secret_rules.py` (keys and tokens by prefix, private keys, AWS secret
keys, bearer tokens, passwords in URLs, card numbers, email addresses, phone numbers). Where two matches
overlap, the earlier (a longer exact value before a shorter one) wins. Placeholders (`{{ name }}`, `${NAME}`)
are blanked before the pattern rules (not before the configured key). Only strings are scanned, never numbers.
A finding inside a mapping key has the path `<member path>~`, and a key holding a finding shows masked in
every path. Masked values show at most 4 characters (2 + 2, fewer for short values) and nothing but `***` for
an exact value or when they would share 5 characters with one."""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gate.config.secret_rules import RULES
from gate.core import contract
from gate.core.redact import MASK

__all__ = ["CONFIGURED_KEY", "KNOWN_FIELDS", "MASK", "Finding", "scan", "unknown_fields"]

KNOWN_FIELDS: frozenset[str] = frozenset(contract.schema("chat_completion_request")["properties"])
CONFIGURED_KEY = "configured API key"
MIN_SECRET = 8  # an exact value shorter than this is not searched for
_RUN = 5  # a masked value never shares this many consecutive characters with an exact value


@dataclass(frozen=True)
class Finding:
    """One secret or piece of personal data: where it is, what it looks like, and a masked excerpt."""

    path: str
    kind: str
    masked: str


def unknown_fields(body: Any, schema_name: str = "chat_completion_request") -> list[str]:
    """Top-level fields of `body` that the request schema (`schema_name`, of the --api chosen) does not
    define, sorted."""
    if not isinstance(body, Mapping):
        return []
    known = (
        KNOWN_FIELDS
        if schema_name == "chat_completion_request"
        else contract.schema(schema_name)["properties"]
    )
    return sorted({str(key) for key in body} - set(known))


_A = re.ASCII
_PLACEHOLDER = re.compile(r"\{\{[\w\s.|:-]{1,100}\}\}|\$\{[A-Za-z_][A-Za-z0-9_]*\}", _A)


class _Spans:
    """Non-overlapping [start, end) spans of one string, each with its kind, kept sorted."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.items: list[tuple[int, int, str]] = []

    def claim(self, start: int, end: int, kind: str) -> None:
        i = bisect.bisect_right(self.starts, start)
        if (i and self.items[i - 1][1] > start) or (i < len(self.items) and self.items[i][0] < end):
            return  # overlaps a stronger match
        self.starts.insert(i, start)
        self.items.insert(i, (start, end, kind))


class _Scanner:
    """The rules, bound to the exact values: the configured keys and the credential-named variables."""

    def __init__(self, known_secrets: Iterable[str], env_secrets: Mapping[str, str]) -> None:
        exact: dict[str, tuple[str, str]] = {}  # folded value -> (value, kind); the configured key wins
        pairs = [(s, CONFIGURED_KEY) for s in known_secrets]
        pairs += [(value, f"value of ${name}") for name, value in sorted(env_secrets.items())]
        for value, kind in pairs:
            if isinstance(value, str) and len(value) >= MIN_SECRET:
                exact.setdefault(value.casefold(), (value, kind))
        ordered = sorted(exact.values(), key=lambda pair: (-len(pair[0]), pair))  # longest first
        self.known = [(re.compile(re.escape(value), re.IGNORECASE), kind) for value, kind in ordered]
        self.exact_kinds = {kind for _value, kind in ordered}
        self.folded = list(exact)

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        spans = _Spans()
        for pattern, kind in self.known:
            for match in pattern.finditer(text):
                spans.claim(match.start(), match.end(), kind)
        blanked = _PLACEHOLDER.sub(lambda m: " " * len(m.group()), text)
        for rule in RULES:
            for match in rule.pattern.finditer(blanked):
                start, end = match.span(rule.group)
                if end > start and rule.valid(match):
                    spans.claim(start, end, rule.kind_of(match))
        return spans.items

    def mask(self, value: str, kind: str) -> str:
        if kind in self.exact_kinds:
            return MASK
        keep = 2 if len(value) >= 12 else 1 if len(value) >= 8 else 0
        masked = f"{value[:keep]}{MASK}{value[len(value) - keep :]}" if keep else MASK
        windows = {masked[i : i + _RUN].casefold() for i in range(len(masked) - _RUN + 1)}
        return MASK if any(w in s for w in windows for s in self.folded) else masked


# A path is a linked list, (parent, segment), rendered only for findings: deep bodies stay linear.
_Path = tuple[Any, Any] | None
_KEY = object()  # the segment that marks a finding inside the member's key
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", _A)


def _segments(node: _Path) -> list[Any]:
    out = []
    while node is not None:
        node, segment = node
        out.append(segment)
    out.reverse()
    return out


def _render(segments: list[Any]) -> str:
    parts = ["$"]
    for seg in segments:
        if seg is _KEY:
            parts.append("~")
        elif isinstance(seg, int):
            parts.append(f"[{seg}]")
        elif _IDENTIFIER.fullmatch(seg):
            parts.append(f".{seg}")
        else:
            parts.append(f"[{json.dumps(seg, ensure_ascii=False)}]")
    return "".join(parts)


def _order(segments: list[Any]) -> tuple[tuple[int, Any], ...]:
    """Sort key: a member's key finding right after the member, indices numerically, keys by name."""
    return tuple((-1, 0) if s is _KEY else (0, s) if isinstance(s, int) else (1, s) for s in segments)


def scan(
    body: Any, known_secrets: Iterable[str] = (), env_secrets: Mapping[str, str] | None = None
) -> list[Finding]:
    """Every secret or piece of personal data in the strings of `body`, ordered by path, then kind.

    `env_secrets` maps a variable's name to its value; a finding names the variable, never the value."""
    scanner = _Scanner(known_secrets, env_secrets or {})
    found: list[tuple[tuple[tuple[int, Any], ...], str, int, Finding]] = []

    def report(text: str, node: _Path, spans: list[tuple[int, int, str]]) -> None:
        segments = _segments(node)
        path, order = _render(segments), _order(segments)
        for start, end, kind in spans:
            found.append((order, kind, start, Finding(path, kind, scanner.mask(text[start:end], kind))))

    seen: set[int] = set()  # containers already walked: shared (or recursive) YAML anchors are read once
    stack: list[tuple[Any, _Path]] = [(body, None)]
    while stack:
        value, node = stack.pop()
        if isinstance(value, str):
            if spans := scanner.spans(value):
                report(value, node, spans)
            continue
        if not isinstance(value, Mapping | list | tuple) or id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, Mapping):
            for key, item in value.items():
                label = str(key)
                if isinstance(key, str) and (spans := scanner.spans(key)):
                    label = _label(key, spans)
                    report(key, ((node, label), _KEY), spans)
                stack.append((item, (node, label)))
        else:
            stack.extend((item, (node, i)) for i, item in enumerate(value))
    found.sort(key=lambda entry: entry[:3])
    return [entry[3] for entry in found]


def _label(key: str, spans: list[tuple[int, int, str]]) -> str:
    """The key as a path shows it: every finding replaced by the mask."""
    out, last = [], 0
    for start, end, _kind in spans:
        out += [key[last:start], MASK]
        last = end
    return "".join([*out, key[last:]])
