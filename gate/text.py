"""The one place server-supplied text is made safe to show: every reporter and message goes through here.

A server can send anything: ANSI escapes that move a terminal's cursor, control characters, lone surrogates
(half an emoji, as JavaScript gateways cut them) that no UTF-8 writer accepts, newlines that would start a
GitHub workflow command. `clean` removes all of them; `one_line` also folds whitespace, for messages. Redact
BEFORE cleaning or cutting: a secret cut in half no longer matches the Redactor.
"""

from __future__ import annotations

import re

_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
# XML 1.0 allows \t \n \r, U+0020-U+D7FF, U+E000-U+FFFD, U+10000-U+10FFFF: drop everything else (C1 too).
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
ELLIPSIS = "…"
# What the gate keeps of one server text (a message, an excerpt, a header) while it judges the answer: enough
# that no reporter needs more. Reporters cut further, after redaction; a secret cut here leaves either a run
# the Redactor masks (12 characters or more) or one too short to count.
INTAKE_LIMIT = 64 * 1024


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def cut(text: str, limit: int | None) -> str:
    """At most `limit` characters, the last one an ellipsis when cut."""
    if limit is None or len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + ELLIPSIS


def clean(text: str, limit: int | None = None) -> str:
    """ANSI sequences, control characters and lone surrogates removed; cut to `limit` characters."""
    return cut(_ILLEGAL.sub("", strip_ansi(str(text))), limit)


def one_line(text: object, limit: int | None = 240) -> str:
    """`clean`, with every run of whitespace (newlines included) folded to one space."""
    return cut(" ".join(clean(str(text)).split()), limit)


def decode(body: bytes, limit: int | None = None) -> str:
    """Bytes from the network as text: invalid UTF-8 replaced, never raised."""
    return (body if limit is None else body[:limit]).decode("utf-8", "replace")
