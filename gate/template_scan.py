"""Pre-flight checks of a request body, run on the parsed template before anything is sent.

`unknown_fields` lists top-level fields the Chat Completions request schema does not define; `scan` finds
secrets and personal data in every string of the body (mapping keys too). Rules, strongest first (where two
matches overlap, the earlier rule wins):
- configured API key: each of `known_secrets`, as an exact substring in any case (shorter than 8 characters
  is ignored: it would match ordinary words);
- private key: a PEM `-----BEGIN ... PRIVATE KEY-----` block (PGP `PRIVATE KEY BLOCK` too);
- API key: `sk-` (also `sk-proj-`, `sk-ant-`) + 16 or more of [A-Za-z0-9_-], AWS `AKIA` + 16, GitHub
  `gh[pousr]_` + 36 and `github_pat_` + 22 or more, Slack `xox[baprs]-`, Google `AIza` + 35;
- bearer token: `Bearer` + a token of 16 or more characters, one a digit at least (prose never is);
- card number: 13-19 digits (one run, or groups 4-4-4-x / 4-6-5 with one separator), first digit 2-6
  (the major networks), passing the Luhn check;
- email address: dot-atom local part, `@`, a dotted domain with an alphabetic TLD of 2+ letters; hosts
  without a dot (`user@localhost`) and the reserved example domains (RFC 2606/6761: example.com/.net/.org,
  .example, .test, .invalid, .localhost) are not flagged;
- phone number: `+` and 8-15 digits (E.164), `+` country code and digit groups with separators
  (`+44 20 7946 0958`, `+1 (555) 123-4567`), or North American `(555) 123-4567` / `555-123-4567`; bare digit
  runs, dates, times and versions never match.
Placeholders (`{{ name }}`, `${NAME}`) are blanked before the pattern rules (not before the configured key).
Only strings are scanned, never numbers. A finding inside a mapping key has the path `<member path>~`, and a
key holding a finding shows masked in every path. Masked values show at most 4 characters (2 + 2, fewer for
short values) and nothing but `***` for the configured key or when they would share 5 characters with it.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gate import contract
from gate.redact import MASK

__all__ = ["CONFIGURED_KEY", "KNOWN_FIELDS", "MASK", "Finding", "scan", "unknown_fields"]

KNOWN_FIELDS: frozenset[str] = frozenset(contract.schema("chat_completion_request")["properties"])
CONFIGURED_KEY = "configured API key"
MIN_SECRET = 8  # a configured key shorter than this is not searched for
_RUN = 5  # a masked value never shares this many consecutive characters with a configured key


@dataclass(frozen=True)
class Finding:
    """One secret or piece of personal data: where it is, what it looks like, and a masked excerpt."""

    path: str
    kind: str
    masked: str


def unknown_fields(body: Any) -> list[str]:
    """Top-level fields of `body` that the request schema does not define, sorted."""
    if not isinstance(body, Mapping):
        return []
    return sorted({str(key) for key in body} - KNOWN_FIELDS)


_A = re.ASCII
_PLACEHOLDER = re.compile(r"\{\{[\w\s.|:-]{1,100}\}\}|\$\{[A-Za-z_][A-Za-z0-9_]*\}", _A)
_PRIVATE_KEY = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
    r"(?:[\s\S]{0,8192}?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----)?",
    _A,
)
_API_KEY = re.compile(
    r"(?<![A-Za-z0-9_])(?:sk-[A-Za-z0-9_-]{16,}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36,}"
    r"|github_pat_[A-Za-z0-9_]{22,}|xox[baprs]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35})(?![A-Za-z0-9_-])",
    _A,
)
_BEARER = re.compile(r"\b(?i:bearer)\s+(?P<s>[A-Za-z0-9._~+/=-]{16,})", _A)
_CARD = re.compile(
    r"(?<![0-9])(?<![0-9]-)(?:[0-9]{13,19}|[0-9]{4}([ -])[0-9]{4}\1[0-9]{4}\1[0-9]{1,7}"
    r"|[0-9]{4}([ -])[0-9]{6}\2[0-9]{5})(?![0-9])(?!-[0-9])",
    _A,
)
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`~-]+"
_EMAIL = re.compile(
    rf"(?<![A-Za-z0-9.!#$%&'*+/=?^_`~-]){_ATOM}(?:\.{_ATOM})*"
    r"@(?P<d>(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})(?![A-Za-z0-9_-]|\.[A-Za-z0-9])",
    _A,
)
_PHONE = re.compile(
    r"(?<![\w+.-])(?:\+[1-9][0-9]{7,14}"  # E.164
    r"|\+[1-9][0-9]{0,5}(?:[ .-]?\([0-9]{1,4}\))?(?:[ .-][0-9]{1,6}){1,6}"  # +44 20 7946 0958
    r"|\([0-9]{3}\) ?[0-9]{3}[ .-][0-9]{4}"  # (555) 123-4567
    r"|[0-9]{3}([.-])[0-9]{3}\1[0-9]{4}"  # 555-123-4567
    r")(?![\w+]|[.-][0-9])",
    _A,
)
_RESERVED_DOMAINS = ("example.com", "example.net", "example.org", "example", "test", "invalid", "localhost")


def _luhn(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _is_card(match: re.Match[str]) -> bool:
    digits = re.sub(r"[^0-9]", "", match.group())
    return 13 <= len(digits) <= 19 and digits[0] in "23456" and _luhn(digits)


def _is_email(match: re.Match[str]) -> bool:
    domain = match.group("d").lower()
    return not any(domain == d or domain.endswith("." + d) for d in _RESERVED_DOMAINS)


_SIGNED_DATE = re.compile(r"\+[0-9]{4,6}-[0-9]{2}-[0-9]{2}", _A)  # ISO 8601 expanded year: +2024-01-15


def _is_phone(match: re.Match[str]) -> bool:
    text = match.group()
    return 8 <= sum(c.isdigit() for c in text) <= 15 and not _SIGNED_DATE.fullmatch(text)


def _is_token(match: re.Match[str]) -> bool:
    return any(c.isdigit() for c in match.group("s"))


def _always(match: re.Match[str]) -> bool:
    return True


# (kind, pattern, group holding the value, validator), strongest first
_RULES: tuple[tuple[str, re.Pattern[str], int | str, Callable[[re.Match[str]], bool]], ...] = (
    ("private key", _PRIVATE_KEY, 0, _always),
    ("API key", _API_KEY, 0, _always),
    ("bearer token", _BEARER, "s", _is_token),
    ("card number", _CARD, 0, _is_card),
    ("email address", _EMAIL, 0, _is_email),
    ("phone number", _PHONE, 0, _is_phone),
)


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
    """The rules, bound to the configured keys."""

    def __init__(self, known_secrets: Iterable[str]) -> None:
        secrets = {s for s in known_secrets if isinstance(s, str) and len(s) >= MIN_SECRET}
        ordered = sorted(secrets, key=lambda s: (-len(s), s))  # longest first
        self.known = [re.compile(re.escape(s), re.IGNORECASE) for s in ordered]
        self.folded = [s.casefold() for s in ordered]

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        spans = _Spans()
        for pattern in self.known:
            for match in pattern.finditer(text):
                spans.claim(match.start(), match.end(), CONFIGURED_KEY)
        blanked = _PLACEHOLDER.sub(lambda m: " " * len(m.group()), text)
        for kind, pattern, group, valid in _RULES:
            for match in pattern.finditer(blanked):
                start, end = match.span(group)
                if end > start and valid(match):
                    spans.claim(start, end, kind)
        return spans.items

    def mask(self, value: str, kind: str) -> str:
        if kind == CONFIGURED_KEY:
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


def scan(body: Any, known_secrets: Iterable[str] = ()) -> list[Finding]:
    """Every secret or piece of personal data in the strings of `body`, ordered by path, then kind."""
    scanner = _Scanner(known_secrets)
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
