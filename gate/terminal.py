"""The console stream: every line passes the Redactor first; colour only on a terminal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TextIO

from gate.redact import Redactor
from gate.reporters.console import colorize


class Console:
    def __init__(self, stream: TextIO, redactor: Redactor, color: bool = False) -> None:
        self.stream = stream
        self.redactor = redactor
        self.color = color

    @staticmethod
    def wants_color(stream: TextIO, env: Mapping[str, str]) -> bool:
        """Colour on a TTY unless NO_COLOR is set (https://no-color.org); never in files or pipes."""
        if "NO_COLOR" in env or env.get("TERM") == "dumb":
            return False
        isatty = getattr(stream, "isatty", None)
        return bool(isatty and isatty())

    def emit(self, *lines: str) -> None:
        for line in lines:
            text = self.redactor.redact(line)
            self._write((colorize(text) if self.color else text) + "\n")
        self.stream.flush()

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
        except UnicodeEncodeError:  # a console that cannot show a character gets a replacement for it
            encoding = getattr(self.stream, "encoding", None) or "ascii"
            self.stream.write(text.encode(encoding, "replace").decode(encoding, "replace"))
