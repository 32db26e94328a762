"""The one place server-supplied text is made safe to show: every reporter and message goes through here.

A server can send anything: ANSI escapes that move a terminal's cursor, control characters, lone surrogates
(half an emoji, as JavaScript gateways cut them) that no UTF-8 writer accepts, newlines that would start a
GitHub workflow command. `clean` removes all of them; `one_line` also folds whitespace, for messages. Redact
BEFORE cleaning or cutting: a secret cut in half no longer matches the Redactor.
"""

from __future__ import annotations

import functools
import re

_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
# XML 1.0 allows \t \n \r, U+0020-U+D7FF, U+E000-U+FFFD, U+10000-U+10FFFF: drop everything else (C1 too).
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
ELLIPSIS = "…"
# What the gate keeps of one server text (a message, an excerpt, a header) while it judges the answer: enough
# that no reporter needs more. Reporters cut further, after redaction; a secret cut here leaves either a run
# the Redactor masks (12 characters or more) or one too short to count.
INTAKE_LIMIT = 64 * 1024


# Code points that show as nothing: Unicode format characters (Cf: zero-width spaces and joiners, bidi
# controls, soft hyphen, tags), variation selectors and fillers. A culture-aware search (the .NET runner
# on ICU) may skip them, so `#\u200b#[` could still read as `##[`: they are removed from printed text.
_INVISIBLE_CLASS = (
    "[\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u115f\u1160\u17b4\u17b5"
    "\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0"
    "\ufff0-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
# What a line may not carry to the CI system reading the log (README, Security):
# - GitHub (actions/runner ActionCommand): `::name ...::` at a line's start after leading white space, and the
#   legacy `##[name ...]` anywhere in a line;
# - GitLab: `section_start:` / `section_end:` collapsible-section markers (ANSI is already gone).
_LEGACY_COMMAND = "##["
_LINE_COMMAND = re.compile(r"(^|[\r\n\u2028\u2029])([^\S\r\n\u2028\u2029]*):(?=:)")
_SECTION = re.compile(r"(section_(?:start|end))(:)", re.IGNORECASE)
_PRINT_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


# "near-command": invisible code points next to a command character or at a line's start, the ones that could
# hide a command from this module yet not from a culture-aware reader. Elsewhere they stay (an emoji's VS16).
@functools.cache
def _pattern(name: str) -> re.Pattern[str]:
    """The patterns over the invisible characters, compiled on first use: only non-ASCII text needs them
    (their character classes cost a few milliseconds to compile, on every run otherwise)."""
    invisible = _INVISIBLE_CLASS
    return re.compile(
        {
            "invisible": invisible,
            "near-command": f"{invisible}+(?=[#:\\[])|(?<=[#:\\[]){invisible}+"
            f"|(?:^|(?<=[\r\n\u2028\u2029])){invisible}+",
            "json-inert": "##\\[|section_(?=(?:start|end):)|[\x7f-\x9f\u2028\u2029]|" + invisible,
        }[name],
        re.IGNORECASE,
    )


def neutralise(text: str) -> str:
    """`text` made inert for every CI control channel, wherever it is printed: ANSI and control characters
    removed (and invisible ones next to a command character), `##[` broken to `## [`, a line-leading `::` to
    `: :`, `section_start:` to `section_start :`. Visible text stays readable; the gate's own commands never
    pass through here."""
    text = _PRINT_ILLEGAL.sub("", strip_ansi(text))
    if not text.isascii():
        text = _pattern("near-command").sub("", text)
    while _LEGACY_COMMAND in text:
        text = text.replace(_LEGACY_COMMAND, "## [")
    text = _LINE_COMMAND.sub(r"\1\2: ", text)
    return _SECTION.sub(r"\1 \2", text)


_JSON_INERT_ASCII = re.compile(r"##\[|section_(?=(?:start|end):)|\x7f", re.IGNORECASE)


def neutralise_json_line(line: str) -> str:
    """A JSON log line made inert the same way, with the data kept: `##[` becomes `#\\u0023[`, a section
    marker's `_` and every invisible or C1 character a `\\uXXXX` escape. Valid only on a serialized JSON
    document, where these can only occur inside strings (the one place such escapes mean the same)."""

    def escape(match: re.Match[str]) -> str:
        found = match.group()
        if found == "##[":
            return "#\\u0023["
        if found.lower() == "section_":
            return found[:-1] + "\\u005f"
        return "".join(f"\\u{ord(c):04x}" if ord(c) < 0x10000 else _surrogates(c) for c in found)

    pattern = _JSON_INERT_ASCII if line.isascii() else _pattern("json-inert")
    return pattern.sub(escape, line)


def _surrogates(char: str) -> str:
    code = ord(char) - 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def drop_invisible(text: str) -> str:
    """`text` without the code points that show as nothing."""
    return text if text.isascii() else _pattern("invisible").sub("", text)


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def cut(text: str, limit: int | None) -> str:
    """At most `limit` characters, the last one an ellipsis when cut."""
    if limit is None or len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + ELLIPSIS


_LAST_SPACE = re.compile(r"\s(?=\S*$)")


def cut_words(text: str, limit: int | None) -> str:
    """At most `limit` characters, cut at a word boundary and ended with " …" when cut: for display. With
    no white space within the limit (one long token) it falls back to `cut`. Never used to bound what the
    Redactor sees: redaction comes first, and this only ever keeps less than `cut` would."""
    if limit is None or len(text) <= limit:
        return text
    room = limit - len(" " + ELLIPSIS)
    if room < 1:
        return cut(text, limit)
    if text[room].isspace():  # the cut falls between two words
        head = text[:room]
    else:
        space = _LAST_SPACE.search(text[:room])
        head = text[: space.start()] if space else ""
    head = head.rstrip()
    return f"{head} {ELLIPSIS}" if head else cut(text, limit)


def clean(text: str, limit: int | None = None, *, words: bool = False) -> str:
    """ANSI sequences, control characters and lone surrogates removed; cut to `limit` characters (at a word
    boundary with `words`, for display)."""
    cleaned = _ILLEGAL.sub("", strip_ansi(str(text)))
    return cut_words(cleaned, limit) if words else cut(cleaned, limit)


def one_line(text: object, limit: int | None = 240, *, words: bool = False) -> str:
    """`clean`, with every run of whitespace (newlines included) folded to one space; `words` cuts at a word
    boundary (display text: messages, table cells)."""
    folded = " ".join(clean(str(text)).split())
    return cut_words(folded, limit) if words else cut(folded, limit)


def decode(body: bytes, limit: int | None = None) -> str:
    """Bytes from the network as text: invalid UTF-8 replaced, never raised."""
    return (body if limit is None else body[:limit]).decode("utf-8", "replace")


def internal_error_line(exc: BaseException) -> str:
    """The one stderr line of a bug caught at the command's last boundary (the exception's text is cut; the
    caller's Console redacts it)."""
    return (
        f"cometapi-smoke-gate: internal error [internal]: {type(exc).__name__}: {one_line(str(exc), 300)}"
        " (a bug in the gate; please report it with this line)"
    )
