"""The console stream: every line is made inert for CI control channels (gate.core.text.neutralise) and
passes the Redactor; colour only on a terminal. The gate's own workflow commands are written by
gate.publish.github."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from types import ModuleType
from typing import TextIO

from gate.core.redact import Redactor
from gate.core.text import neutralise, neutralise_json_line
from gate.publish.reporters.console_lines import colorize

Events = Callable[[], "Mapping[str, object] | Iterable[Mapping[str, object]]"]


class _HumanLines:
    """The default sink: human lines; events are not even built."""

    json_lines = False

    def lines(self, console: Console, lines: Iterable[str]) -> None:
        for line in lines:
            text = console.redactor.redact(neutralise(line))  # inert first: redaction only ever adds ***
            console.write(colorize(text) if console.color else text)

    def events(self, console: Console, build: Events) -> None:
        return

    def block(self, console: Console, title: str, log: str, status: str) -> None:
        console.emit(title, *log.rstrip("\n").split("\n"), status, "")


class _JsonLines:
    """`--log-format json`: one JSON object per event and line; human lines are dropped."""

    json_lines = True

    def lines(self, console: Console, lines: Iterable[str]) -> None:
        return

    def events(self, console: Console, build: Events) -> None:
        built = build()
        for payload in [built] if isinstance(built, Mapping) else built:
            safe = console.redactor.redact_deep(dict(payload))
            line = json.dumps(safe, ensure_ascii=False, allow_nan=False, default=str)
            console.write(neutralise_json_line(console.redactor.redact(line)))

    def block(self, console: Console, title: str, log: str, status: str) -> None:
        if log:  # already events, one JSON object per line
            console.write(log.rstrip("\n"))


def events_module() -> ModuleType:
    """gate.publish.reporters.events, imported only when a JSON-lines console builds an event."""
    from gate.publish.reporters import events

    return events


class Console:
    """The console stream, through one of two sinks: human lines (the default) or JSON lines. Callers emit
    lines and hand over events as builders (`console.event(lambda: ...)`), and the sink decides what is
    written, so no caller branches on the format. GitHub workflow commands are written by
    gate.publish.github, not here."""

    def __init__(
        self, stream: TextIO, redactor: Redactor, color: bool = False, json_lines: bool = False
    ) -> None:
        self.stream = stream
        self.redactor = redactor
        self.color = color
        self.sink: _HumanLines | _JsonLines = _JsonLines() if json_lines else _HumanLines()
        self.muted = False  # set on a copy whose writer was abandoned (an interrupted run's checks)

    @property
    def json_lines(self) -> bool:
        return self.sink.json_lines

    def copy(self, stream: TextIO | None = None) -> Console:
        """The same settings on the same stream (or another), muted on its own."""
        return Console(stream or self.stream, self.redactor, self.color, self.json_lines)

    def emit(self, *lines: str) -> None:
        if not self.muted:
            self.sink.lines(self, lines)
            self._flush()

    def event(self, build: Events) -> None:
        """An event (or several) for the JSON log; `build` is called only when the sink writes events."""
        if not self.muted:
            self.sink.events(self, build)
            self._flush()

    def block(self, title: str, log: str, status: str) -> None:
        """One target's buffered log, framed by its title and status (several targets print in order)."""
        if not self.muted:
            self.sink.block(self, title, log, status)
            self._flush()

    def write(self, text: str) -> None:
        """One line as it is (already made inert and redacted by the sink)."""
        self._write(text + "\n")

    @staticmethod
    def wants_color(stream: TextIO, env: Mapping[str, str]) -> bool:
        """Colour on a TTY unless NO_COLOR is set (https://no-color.org); never in files or pipes."""
        if "NO_COLOR" in env or env.get("TERM") == "dumb":
            return False
        isatty = getattr(stream, "isatty", None)
        return bool(isatty and isatty())

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
