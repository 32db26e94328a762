"""The Redactor: every byte the gate prints or writes passes through it.

It learns each secret before anything is printed and masks, with a fixed `***`:
- the secret whole, in every form it takes on its way through HTTP, JSON and logs (URL-encoded, base64,
  JSON-escaped), whatever the case (a URL parser lower-cases a host; a log may upper-case);
- any run of 12 or more of its characters (`FRAGMENT`), case-insensitively: a secret cut by a server, a
  proxy or a length limit is still masked.
The leak scan, the last line of defence, reads every artifact the same way after undoing Markdown, HTML/XML,
URL and JSON escapes (`unescaped`), scrubs what it finds and reports it.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import enum
import html
import json
import math
import re
import string
import threading
import urllib.parse
from collections.abc import Mapping
from pathlib import Path, PurePath
from typing import TypeVar

from gate.core.text import drop_invisible

T = TypeVar("T")

MASK = "***"
FRAGMENT = 12  # the shortest run of a secret's characters that counts as a leak
# A value shorter than this is no secret to mask (the configuration refuses a key or credential header that
# short, before anything is sent): masking `x` everywhere would turn every report into `e***it`, `ne***t`.
SHORTEST_SECRET = 8
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def fold(text: str) -> str:
    """ASCII case folding that keeps every character's position (str.lower can change the length)."""
    return text.translate(_ASCII_LOWER)


def _variants(secret: str) -> set[str]:
    """The forms a secret can take on its way through HTTP, JSON and logs."""
    forms = {
        secret,
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret, safe=""),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
    }
    raw = secret.encode("utf-8", "surrogatepass")
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        encoded = encode(raw).decode("ascii")
        forms.add(encoded)
        forms.add(encoded.rstrip("="))
    return {form for form in forms if form}


class Redactor:
    """Masks registered secrets in text. Thread-safe; registration is idempotent."""

    def __init__(self) -> None:
        self._forms: set[str] = set()
        self._grams: set[str] = set()  # every FRAGMENT-long window of every secret, folded
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def register(self, secret: str | None) -> None:
        if not secret or len(secret) < SHORTEST_SECRET:
            return
        with self._lock:
            self._forms.update(_variants(secret))
            # Fragments of the secret as written, and as an error message or a log quotes it: JSON- and
            # repr-escaped (a backslash doubled), URL-encoded. A cut fragment keeps that escaping.
            for form in {
                secret,
                json.dumps(secret)[1:-1],
                repr(secret)[1:-1],
                urllib.parse.quote(secret, safe=""),
            }:
                folded = fold(form)
                self._grams.update(folded[i : i + FRAGMENT] for i in range(len(folded) - FRAGMENT + 1))
            # Longest first, so a longer form is never half-masked by a shorter one.
            ordered = sorted(self._forms, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(s) for s in ordered), re.IGNORECASE)

    @property
    def secrets(self) -> frozenset[str]:
        return frozenset(self._forms)

    def __call__(self, text: str) -> str:
        return self.redact(text)

    def redact(self, text: str) -> str:
        pattern, grams = self._pattern, self._grams
        if pattern is None or not text:
            return text
        visible = drop_invisible(text)  # "sk-ab\u200bcd…" is the key to whoever reads it: masked as one
        if len(visible) != len(text) and (pattern.search(visible) or _fragment_spans(fold(visible), grams)):
            text = visible
        # Again until nothing matches: a key that contains the mask ("a***b" in "aa***bb") can re-form around
        # it. Every pass shortens the text (each form is longer than the mask), so this ends.
        while pattern.search(text):
            text = pattern.sub(MASK, text)
        spans = _fragment_spans(fold(text), grams)
        return _mask_spans(text, [(a, b) for a, b in spans]) if spans else text

    def redact_deep(self, value: T) -> T:
        """A copy of `value` (a report, result, config, mapping ...) with every string in it redacted, lone
        surrogates replaced (no UTF-8 writer accepts them) and non-finite floats turned into None (strict
        JSON has no NaN). Reporters render this copy, so every cut and escape comes after redaction."""
        return _deep(value, self)  # type: ignore[return-value]

    def redact_obj(self, value: object) -> object:
        """Redact every string inside a JSON-like structure (keys included)."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return {self.redact(str(k)): self.redact_obj(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.redact_obj(v) for v in value]
        return value

    def contains_secret(self, text: str) -> bool:
        """True when the text holds a secret or a fragment of one, also behind Markdown, HTML/XML, URL or
        JSON escapes."""
        if self._pattern is None:
            return False
        plain = drop_invisible(_ESCAPE.sub(lambda m: _decode(m.group()), text))  # positions not needed
        return bool(self._pattern.search(plain) or _fragment_spans(fold(plain), self._grams))

    def scrub(self, text: str) -> str:
        """The text with every secret and fragment masked, also where escapes hide them."""
        text = self.redact(text)
        plain, origin = unescaped(text)
        spans = _fragment_spans(fold(plain), self._grams)
        if self._pattern is not None:
            spans += [m.span() for m in self._pattern.finditer(plain)]
        raw = [(origin[a], origin[b]) for a, b in spans]
        return _mask_spans(text, raw) if raw else text

    def scan_and_scrub(self, path: Path) -> bool:
        """Scan a file the gate wrote; if a secret is found, scrub it in place and return True."""
        try:
            text = path.read_text(encoding="utf-8", errors="surrogateescape")
        except OSError:
            return False
        if not self.contains_secret(text):
            return False
        path.write_text(self.scrub(text), encoding="utf-8", errors="surrogateescape")
        return True


_SURROGATE = re.compile("[\ud800-\udfff]")
_KEPT = (enum.Enum, bool, int, dt.datetime, type(None))  # nothing to mask (an Enum's str is its own text)


def _deep(value: object, redactor: Redactor) -> object:
    """A copy of `value` with every string redacted: scalars here, containers and dataclasses below."""
    if isinstance(value, _KEPT):
        return value
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", redactor.redact(value))
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, PurePath):
        return type(value)(_deep(str(value), redactor))
    return _deep_container(value, redactor)


def _deep_container(value: object, redactor: Redactor) -> object:
    """Mappings (keys too), sequences and sets (tuples stay tuples, the rest become lists) and dataclass
    instances, item by item; anything else as its redacted text."""
    if isinstance(value, Mapping):
        return {_deep(str(k), redactor): _deep(v, redactor) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_deep(v, redactor) for v in value]
        return tuple(items) if isinstance(value, tuple) else items
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: _deep(getattr(value, f.name), redactor) for f in dataclasses.fields(value) if f.init
        }
        return dataclasses.replace(value, **changes)
    return _deep(str(value), redactor)


def _fragment_spans(folded: str, grams: set[str]) -> list[tuple[int, int]]:
    """(start, end) of every run of FRAGMENT or more characters that belong to some secret's windows."""
    if not grams or len(folded) < FRAGMENT or not any(gram in folded for gram in grams):
        return []  # the common case, decided by C-level substring searches
    spans: list[tuple[int, int]] = []
    for i in range(len(folded) - FRAGMENT + 1):
        if folded[i : i + FRAGMENT] in grams:
            end = i + FRAGMENT
            if spans and i <= spans[-1][1]:
                spans[-1] = (spans[-1][0], end)
            else:
                spans.append((i, end))
    return spans


def _mask_spans(text: str, spans: list[tuple[int, int]]) -> str:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    out, last = [], 0
    for start, end in merged:
        out += [text[last:start], MASK]
        last = end
    out.append(text[last:])
    return "".join(out)


# One escape at a position: Markdown (\_), HTML/XML entities (&lt; &#95; &#x5f;), URL (%5F), JSON (\u005f \").
_ESCAPE = re.compile(
    r"\\u[0-9a-fA-F]{4}|\\[!-/:-@\[-`{-~]|&#[0-9]{1,7};|&#[xX][0-9a-fA-F]{1,6};|&[a-zA-Z][a-zA-Z0-9]{1,31};"
    r"|%[0-9a-fA-F]{2}"
)


def unescaped(text: str) -> tuple[str, list[int]]:
    """The text with one layer of Markdown, HTML/XML, URL and JSON escapes undone, and for each character of
    the result (plus one past the end) the position in `text` where it starts."""
    out: list[str] = []
    origin: list[int] = []
    pos = 0
    for match in _ESCAPE.finditer(text):
        start = match.start()
        for i in range(pos, start):
            out.append(text[i])
            origin.append(i)
        decoded = _decode(match.group())
        out.append(decoded)
        origin.extend([start] * len(decoded))
        pos = match.end()
    for i in range(pos, len(text)):
        out.append(text[i])
        origin.append(i)
    origin.append(len(text))
    plain = "".join(out)
    # a multi-character decode (an entity for two code points) would break the map: keep it 1:1
    return (plain, origin) if len(origin) == len(plain) + 1 else (text, list(range(len(text) + 1)))


def _decode(escape: str) -> str:
    if escape.startswith("\\u"):
        return chr(int(escape[2:], 16))
    if escape.startswith("\\"):
        return escape[1]
    if escape.startswith("%"):
        value = int(escape[1:], 16)
        return chr(value) if value < 0x80 else escape
    decoded = html.unescape(escape)
    return decoded if len(decoded) == 1 else escape
