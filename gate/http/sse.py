"""An incremental Server-Sent Events parser, as the HTML spec defines the format.

Bytes arrive in arbitrary pieces (an event, a line or a UTF-8 character may be split across reads); lines
end in CRLF, LF or CR; lines starting with ':' are comments; `data:` lines of one event are joined with
newlines; a blank line dispatches the event.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_LINE_END = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Event:
    data: str
    event: str = "message"
    id: str | None = None


class SSEParser:
    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._pending_cr = False
        self._data: list[str] = []
        self._event = ""
        self._id: str | None = None
        self.comments = 0
        self.started = False

    def feed(self, chunk: bytes) -> list[Event]:
        """Parse more bytes; return the events they completed."""
        text = self._decoder.decode(chunk)
        if text and not self.started:
            self.started = True
            text = text.removeprefix("\ufeff")
        events: list[Event] = []
        for char_block in self._lines(text):
            event = self._line(char_block)
            if event is not None:
                events.append(event)
        return events

    def close(self) -> list[Event]:
        """End of stream: a trailing event without its blank line is discarded, as the spec says."""
        self._buffer = ""
        return []

    def _lines(self, text: str) -> list[str]:
        """Complete lines; an unfinished tail waits in the buffer. A CR at the end of one read and an LF at
        the start of the next are one line ending."""
        if self._pending_cr and text.startswith("\n"):
            text = text[1:]
        if not text:
            return []
        data = self._buffer + text
        self._pending_cr = data.endswith("\r")
        lines = _LINE_END.split(data)
        self._buffer = lines.pop()
        return lines

    def _line(self, line: str) -> Event | None:
        if line == "":
            if not self._data:
                self._event = ""
                return None
            event = Event("\n".join(self._data), self._event or "message", self._id)
            self._data, self._event = [], ""
            return event
        if line.startswith(":"):
            self.comments += 1
            return None
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "data":
            self._data.append(value)
        elif field == "event":
            self._event = value
        elif field == "id" and "\0" not in value:
            self._id = value
        return None
