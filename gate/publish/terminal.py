"""The console stream: every line is made inert for CI control channels (gate.core.text.neutralise) and
passes the Redactor; colour only on a terminal. The gate's own workflow commands are written by
gate.publish.github."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TextIO

from gate.core.redact import Redactor
from gate.core.text import neutralise, neutralise_json_line
from gate.publish.reporters.console_lines import colorize


class Console:
    """Human lines by default; with `json_lines`, only events, one JSON object per line (human lines are
    dropped, GitHub workflow commands are written by gate.publish.github, not here)."""

    def __init__(
        self, stream: TextIO, redactor: Redactor, color: bool = False, json_lines: bool = False
    ) -> None:
        self.stream = stream
        self.redactor = redactor
        self.color = color
        self.json_lines = json_lines
        self.muted = False  # set on a copy whose writer was abandoned (an interrupted run's checks)

    def copy(self) -> Console:
        """The same stream and settings, muted on its own."""
        return Console(self.stream, self.redactor, self.color, self.json_lines)

    def event(self, payload: Mapping[str, object]) -> None:
        if not self.json_lines or self.muted:
            return
        safe = self.redactor.redact_deep(dict(payload))
        line = json.dumps(safe, ensure_ascii=False, allow_nan=False, default=str)
        self._write(neutralise_json_line(self.redactor.redact(line)) + "\n")
        self._flush()

    @staticmethod
    def wants_color(stream: TextIO, env: Mapping[str, str]) -> bool:
        """Colour on a TTY unless NO_COLOR is set (https://no-color.org); never in files or pipes."""
        if "NO_COLOR" in env or env.get("TERM") == "dumb":
            return False
        isatty = getattr(stream, "isatty", None)
        return bool(isatty and isatty())

    def emit(self, *lines: str) -> None:
        if self.json_lines or self.muted:
            return
        for line in lines:
            text = self.redactor.redact(neutralise(line))  # inert first: redaction only ever adds ***
            self._write((colorize(text) if self.color else text) + "\n")
        self._flush()

    def _flush(self) -> None:
        try:
            self.stream.flush()
        except BrokenPipeError:
            return

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
        except BrokenPipeError:  # the reader went away (`| head`): the reports still get written
            return
        except UnicodeEncodeError:  # a console that cannot show a character gets a replacement for it
            encoding = getattr(self.stream, "encoding", None) or "ascii"
            self.stream.write(text.encode(encoding, "replace").decode(encoding, "replace"))
