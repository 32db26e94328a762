"""Making untrusted text (server messages, bodies) safe for each report format."""

from __future__ import annotations

import re

_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
# XML 1.0 allows \t \n \r, U+0020-U+D7FF, U+E000-U+FFFD, U+10000-U+10FFFF: drop everything else.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def clean(text: str, limit: int | None = None) -> str:
    """ANSI sequences, control characters and lone surrogates removed; cut to `limit` characters."""
    text = _XML_ILLEGAL.sub("", strip_ansi(text))
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def one_line(text: str, limit: int = 240) -> str:
    return clean(" ".join(str(text).split()), limit)
