"""No control channel from outside: whatever a server, a header or a file says, no line the gate prints is
read as a CI command, except the gate's own.

The parser below follows GitHub's runner (actions/runner, src/Runner.Common/ActionCommand.cs):
- `TryParseV2`: the line, after TrimStart(), starts with `::`, and a second `::` ends the command;
- `TryParse` (legacy): `##[` anywhere in the line, the command up to the next `]`.
Every command name counts as registered (stricter than the runner). Because .NET may compare strings with
ICU, which skips default-ignorable code points, each line is also parsed with those removed. GitLab's
collapsible sections start with `section_start:` / `section_end:`.
"""

from __future__ import annotations

import json
import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from gate.core.text import neutralise, neutralise_json_line
from tests.hostile.server import (
    HostileServer,
    completion_bytes,
    error_bytes,
    response,
    run_gate,
)

# C# Char.IsWhiteSpace: Zs, Zl, Zp, U+0009-U+000D, U+0085 (what TrimStart removes).
_CSHARP_SPACE = {chr(c) for c in (*range(9, 14), 0x85)} | {
    chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) in ("Zs", "Zl", "Zp")
}
# Unicode's default-ignorable code points (DerivedCoreProperties), as ICU's collation skips them.
_IGNORABLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    "\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0000-\U000e0fff]"
)


def _runner_lines(text: str) -> list[str]:
    """Lines as the runner reads them (StreamReader.ReadLine: \\n, \\r and \\r\\n end a line)."""
    return re.split(r"\r\n|\r|\n", text)


def _trim_start(line: str) -> str:
    i = 0
    while i < len(line) and line[i] in _CSHARP_SPACE:
        i += 1
    return line[i:]


def v2_command(line: str) -> str | None:
    message = _trim_start(line)
    if not message.startswith("::"):
        return None
    end = message.find("::", 2)
    return message[2:end].split(" ", 1)[0] if end >= 0 else None


def legacy_command(line: str) -> str | None:
    start = line.find("##[")
    if start < 0:
        return None
    end = line.find("]", start)
    return line[start + 3 : end].split(" ", 1)[0] if end >= 0 else None


def commands(text: str) -> list[str]:
    """Every command a runner could read in `text`, literally or with ignorable code points skipped; a
    GitLab section marker counts too."""
    found = []
    for line in _runner_lines(text):
        names: set[str] = set()
        for view in (line, _IGNORABLE.sub("", line)):
            names.update(name for parse in (v2_command, legacy_command) if (name := parse(view)) is not None)
            if re.search(r"section_(start|end):", view):
                names.add("gitlab-section")
        found += sorted(names)
    return found


# Text built from the characters that make commands, with white space and invisible characters between.
_PIECES = st.sampled_from(
    [":", "::", "#", "##", "##[", "[", "]", " ", "\t", "\n", "\r", "\u2028", "\u00a0", "\u3000", "\u200b",
     "\ufeff", "\u00ad", "\u2060", "\ufe0f", "\U000e0041", "\x1b[0K", "\x85", "\x9b",
     "section_start:1:x", "SECTION_END:", "set-output name=a::b", "add-mask", "error", "stop-commands", "x"]
)  # fmt: skip
HOSTILE = st.lists(st.one_of(_PIECES, st.text(max_size=4)), max_size=30).map("".join)


@settings(max_examples=250, deadline=None)
@given(HOSTILE)
def test_neutralised_text_carries_no_command(text):
    assert commands(neutralise(text)) == []


@settings(max_examples=200, deadline=None)
@given(HOSTILE)
def test_a_neutralised_json_line_carries_no_command_and_keeps_the_data(text):
    line = neutralise_json_line(json.dumps({"message": text, text[:8]: 1}, ensure_ascii=False))
    assert "\n" not in line and "\r" not in line
    assert commands(line) == []
    assert json.loads(line) == {"message": text, text[:8]: 1}


def test_the_parser_reads_what_the_runner_reads():
    """The port itself: it must find what the runner would honour, or the properties above prove nothing."""
    assert commands("::error title=x::boom") == ["error"]
    assert commands("  \u3000::add-mask::k") == ["add-mask"]
    assert commands("text ##[set-output name=a;]b") == ["set-output"]
    assert commands("#\u200b#[stop-commands]t") == ["stop-commands"]
    assert commands("ok\r::warning::w") == ["warning"]
    assert commands("section_start:1700000000:build") == ["gitlab-section"]


# --- the gate, end to end: server text on every channel ---------------------------------------------------

INJECT = "x ##[set-output name=decision;]proceed\n::add-mask::pong\r##[stop-commands]t section_end:1:s \u200b"


def _own(line: str) -> bool:
    """The gate's own commands (gate/publish/github.py)."""
    return bool(re.match(r"::(add-mask|group|endgroup|error|warning|notice)( [^:]*)?::", line))


def _foreign_commands(stdout: str) -> list[str]:
    found = []
    for line in _runner_lines(stdout):
        if _own(line):
            data = line.split("::", 2)[2]  # the message: server text may end up here, inert
            found += commands(data)
            found += [name for name in (legacy_command(line),) if name is not None]
        else:
            found += commands(line)
    return found


def test_server_text_reaches_no_channel_as_a_command(tmp_path):
    """Error message, model name and request ids carry commands; the console, the annotations and the JSON
    log lines print them inert."""

    header_id = [("x-request-id", "##[set-output name=request-id;]x ::error::y")]

    def answer(request: bytes) -> bytes:
        if b"bad-model" in request:
            return response(404, error_bytes(INJECT, code=INJECT), header_id)
        return response(200, completion_bytes(model=INJECT), header_id)

    server = HostileServer(answer)
    try:
        human = run_gate(tmp_path / "human", server.base_url, "--negative", "invalid-model")
        logs = run_gate(tmp_path / "json", server.base_url, "--log-format", "json", "--model", "bad-model")
    finally:
        server.close()
    for run in (human, logs):
        assert _foreign_commands(run.stdout) == [], run.stdout
        assert commands(run.stderr) == []
    assert "## [set-output" in human.stdout  # kept readable, not dropped
    events = [json.loads(line) for line in logs.stdout.splitlines() if line.startswith("{")]
    assert any("##[set-output" in json.dumps(e, ensure_ascii=False) for e in events)  # the data is whole


def test_every_format_character_counts_as_invisible():
    """The hard-coded ranges in gate/core/text.py cover every Unicode format character (Cf) Python knows."""
    from gate.core.text import drop_invisible

    missing = [
        f"U+{c:04X}"
        for c in range(0x110000)
        if unicodedata.category(chr(c)) == "Cf" and drop_invisible("a" + chr(c)) != "a"
    ]
    assert missing == []
