"""The SSE parser against the spec's framing rules, fed in every possible split."""

from __future__ import annotations

import pytest

from gate.http.sse import Event, SSEParser

STREAM = (
    b": keep-alive comment\r\n"
    b'data: {"a": 1}\r\n\r\n'
    b"event: update\n"
    b"data: line one\n"
    b"data: line two\n\n"
    b"id: 7\rdata:no-space\r\r"
    b"data: caf\xc3\xa9 \xf0\x9f\x94\xa5\n\n"
    b"data: [DONE]\n\n"
)
EXPECTED = [
    Event('{"a": 1}'),
    Event("line one\nline two", "update"),
    Event("no-space", "message", "7"),
    Event("café 🔥", "message", "7"),
    Event("[DONE]", "message", "7"),
]


def _parse(pieces: list[bytes]) -> tuple[list[Event], SSEParser]:
    parser = SSEParser()
    events: list[Event] = []
    for piece in pieces:
        events += parser.feed(piece)
    return events, parser


def test_whole_stream():
    events, parser = _parse([STREAM])
    assert events == EXPECTED
    assert parser.comments == 1


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 13])
def test_any_split_gives_the_same_events(size):
    pieces = [STREAM[i : i + size] for i in range(0, len(STREAM), size)]
    assert _parse(pieces)[0] == EXPECTED


def test_every_two_way_split():
    for cut in range(len(STREAM) + 1):
        assert _parse([STREAM[:cut], STREAM[cut:]])[0] == EXPECTED, cut


def test_unterminated_event_is_not_dispatched():
    events, _ = _parse([b"data: partial"])
    assert events == []
