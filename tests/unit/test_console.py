"""Console colour: only on a terminal, never with NO_COLOR, never in files."""

from __future__ import annotations

import io

from gate.core.redact import Redactor
from gate.publish.terminal import Console


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_tty_without_no_color():
    assert Console.wants_color(FakeTTY(), {}) is True
    assert Console.wants_color(FakeTTY(), {"NO_COLOR": ""}) is False
    assert Console.wants_color(FakeTTY(), {"TERM": "dumb"}) is False
    assert Console.wants_color(io.StringIO(), {}) is False


def test_coloured_lines_are_still_redacted():
    redactor = Redactor()
    redactor.register("sk-secret-123456")
    stream = FakeTTY()
    Console(stream, redactor, color=True).emit("FAIL  completion  [auth] key sk-secret-123456", "plain line")
    assert stream.getvalue() == "\x1b[31mFAIL\x1b[0m  completion  [auth] key ***\nplain line\n"


def test_every_github_command_but_add_mask_is_redacted():
    from gate.publish.github import GitHubActions

    redactor = Redactor()
    redactor.register("endpoint")  # a key that is also a word the gate prints
    stream = io.StringIO()
    github = GitHubActions({"GITHUB_ACTIONS": "true"}, stream, redactor)
    github.add_mask("endpoint")
    github.group("gate: endpoint")
    lines = stream.getvalue().splitlines()
    assert lines == ["::add-mask::endpoint", "::group::gate: ***"]
