"""Rule 1 (leaks): whatever a server echoes of the key, no fragment of it of 12 or more consecutive
characters (case-insensitive, after undoing Markdown, HTML/XML, percent and JSON escapes) reaches stdout
(minus ::add-mask:: lines), stderr, the JSON report, JUnit XML, the Markdown summary or GITHUB_OUTPUT.

The server learns the key the only way a real one can: from the request's Authorization header.
"""

from __future__ import annotations

import json
import tempfile
import urllib.parse
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.hostile.server import (
    HostileServer,
    bearer_key,
    completion,
    completion_bytes,
    error_bytes,
    fragments_found,
    is_stream_request,
    response,
    run_gate,
)

PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))

# ------------------------------------------------------------------------------------------- the keys

PRINTABLE = "".join(chr(c) for c in range(33, 127))  # ASCII printable, no whitespace
# Every 4th character of a key is one of these, in turn: a Markdown/regex special, an upper-case letter, a
# lower-case letter. So every 12-character window of every key holds all three (mixed case and a special
# character everywhere), and no window can be a run of one character that happens to occur in the gate's
# own text.
MARKERS = [
    "_",
    "K",
    "q",
    "*",
    "M",
    "z",
    "\\",
    "Q",
    "j",
    "[",
    "W",
    "v",
    "|",
    "R",
    "x",
    "`",
    "T",
    "k",
    "%",
    "Y",
    "b",
    "&",
    "H",
    "n",
    "<",
    "D",
    "f",
]


def _marked(raw: str) -> str:
    chars = list(raw)
    for i in range(1, len(chars), 4):
        chars[i] = MARKERS[(i // 4) % len(MARKERS)]
    return "".join(chars)


KEYS = st.text(alphabet=PRINTABLE, min_size=20, max_size=200).map(_marked)
KEY_164 = _marked(("sk-" + "AbC9dEf1_gH*" * 14)[:164])
KEY_MAX_SPECIAL = _marked("sk-\\_*[|`%&<>" * 3 + "0123456789")


def test_generated_keys_meet_the_spec():
    """Rule 1 (the keys themselves): printable ASCII, no whitespace, 20-200 chars, mixed case, specials."""

    @settings(max_examples=200, deadline=None)
    @given(key=KEYS)
    def check(key):
        assert 20 <= len(key) <= 200
        assert all(33 <= ord(c) <= 126 for c in key)
        for start in range(len(key) - 11):
            window = key[start : start + 12]
            assert any(c.isupper() for c in window) and any(c.islower() for c in window)
            assert any(c in "_*\\[|`%&<" for c in window)

    check()
    assert len(KEY_164) == 164


# ------------------------------------------------------------------------ the helper, tested on its own

HELPER_KEY = "sk-Ab_c*D\\e[F|g`H%i&J<kLmNoPq"


def test_fragments_found_sees_a_raw_fragment():
    """Rule 1 (helper): a raw 12-character fragment of the key is found."""
    assert fragments_found(HELPER_KEY, "prefix " + HELPER_KEY[5:17] + " suffix") == [HELPER_KEY[5:17]]


def test_fragments_found_ignores_eleven_characters():
    """Rule 1 (helper): 11 consecutive characters are not a leak; the mask alone is not a leak."""
    assert fragments_found(HELPER_KEY, "x" + HELPER_KEY[3:14] + "y") == []
    assert fragments_found(HELPER_KEY, "key: *** (masked)") == []


def test_fragments_found_is_case_insensitive():
    """Rule 1 (helper): the comparison ignores case."""
    assert fragments_found(HELPER_KEY, HELPER_KEY.upper()) == [HELPER_KEY]
    assert fragments_found(HELPER_KEY, HELPER_KEY.swapcase()[2:20]) == [HELPER_KEY[2:20]]


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(
            lambda k: "".join("\\" + c if c in "\\`*_{}[]()#+-.!|<>&%" else c for c in k), id="markdown"
        ),
        pytest.param(
            lambda k: k.replace("&", "&amp;").replace("<", "&lt;").replace("|", "&#124;"), id="html"
        ),
        pytest.param(lambda k: "".join(f"&#x{ord(c):x};" for c in k), id="xml-numeric"),
        pytest.param(lambda k: urllib.parse.quote(k, safe=""), id="percent"),
        pytest.param(lambda k: json.dumps(k)[1:-1], id="json"),
        pytest.param(lambda k: "".join(f"\\u{ord(c):04x}" for c in k), id="json-unicode"),
        pytest.param(lambda k: json.dumps(json.dumps(k)), id="json-twice"),
        pytest.param(lambda k: urllib.parse.quote(json.dumps(k), safe=""), id="json-then-percent"),
        pytest.param(lambda k: urllib.parse.quote(k, safe="").replace("%", "&#37;"), id="percent-then-html"),
    ],
)
def test_fragments_found_undoes_encodings(encode):
    """Rule 1 (helper): Markdown escapes, HTML/XML entities, percent-encoding and JSON escapes (also stacked)
    do not hide the key."""
    text = "message: " + encode(HELPER_KEY) + " end"
    assert HELPER_KEY not in text  # the encoding really changed the key
    assert fragments_found(HELPER_KEY, text) == [HELPER_KEY]


def test_fragments_found_reports_each_fragment_once():
    """Rule 1 (helper): two separated fragments are both reported, maximal, each once."""
    text = f"{HELPER_KEY[:14]} *** {HELPER_KEY[-13:]} and again {HELPER_KEY[:14]}"
    assert fragments_found(HELPER_KEY, text) == [HELPER_KEY[:14], HELPER_KEY[-13:]]


def test_fragments_found_on_a_clean_text():
    """Rule 1 (helper): a text without the key gives no fragment, whatever its escapes."""
    assert (
        fragments_found(
            HELPER_KEY, "HTTP 401 unauthorized: Incorrect API key provided: sk-Ab***. \\_ &amp; %41"
        )
        == []
    )


@settings(max_examples=200, deadline=None)
@given(key=KEYS, start=st.integers(0, 200), length=st.integers(12, 200))
def test_fragments_found_finds_every_long_fragment(key, start, length):
    """Rule 1 (helper): any fragment of 12+ characters, embedded in noise, is found (and covers itself)."""
    start = min(start, len(key) - 12)
    fragment = key[start : start + length]
    found = fragments_found(key, "«" + fragment + "»")
    assert found and any(fragment.lower() in f.lower() or f.lower() in fragment.lower() for f in found)
    assert all(len(f) >= 12 for f in found)


# --------------------------------------------------------------------------------- the echoing server


@pytest.fixture(scope="module")
def server():
    srv = HostileServer()
    yield srv
    srv.close()


def _run_echo(server: HostileServer, key: str, answer, *args: str):
    """Serve answer(key_received, request) and run the gate with `key`; return the run."""
    seen: list[str] = []

    def handler(request: bytes):
        received = bearer_key(request)
        seen.append(received)
        return answer(received, request)

    server.respond(handler)
    with tempfile.TemporaryDirectory() as tmp:
        run = run_gate(Path(tmp), server.base_url, *args, key=key)
        outputs = run.outputs()
    assert seen, f"the server was never called\n{run.describe()}"
    assert seen[0] == key, "the server must have received the key it echoes"
    return run, outputs


def _assert_clean(key: str, run, outputs: dict[str, str]) -> None:
    assert run.exit_code in (0, 1, 3), run.describe()
    found = {name: fragments_found(key, text) for name, text in outputs.items()}
    found = {name: frags for name, frags in found.items() if frags}
    assert not found, (
        "key fragments found: "
        + "; ".join(f"{name}: {frags[0][:40]!r}" for name, frags in found.items())
        + f"\nkey {key!r}\n{run.describe()}"
    )


@PROPERTY
@example(key=KEY_164, where="short", status=401)
@example(key=KEY_MAX_SPECIAL, where="long", status=400)
@given(key=KEYS, where=st.sampled_from(["short", "long"]), status=st.sampled_from([400, 401, 404, 500]))
def test_key_echoed_in_the_error_message_never_leaks(server, key, where, status):
    """Rule 1: the key in a JSON error `message`, short, or at the end of a message over 2,000 characters."""

    def answer(received: str, _request: bytes) -> bytes:
        if where == "short":
            message = f"Incorrect API key provided: {received}. Check it."
        else:
            message = "The request was rejected because " + "blah " * 420 + received
            assert len(message) > 2000
        return response(status, error_bytes(message))

    run, outputs = _run_echo(server, key, answer)
    _assert_clean(key, run, outputs)


@PROPERTY
@example(key=KEY_164, content="key")
@given(key=KEYS, content=st.sampled_from(["key", "pong key", "key pong"]))
def test_key_echoed_as_the_assistant_content_never_leaks(server, key, content):
    """Rule 1: a 200 success whose assistant content is (or contains) the key."""

    def answer(received: str, _request: bytes) -> bytes:
        return response(200, completion_bytes(content.replace("key", received)))

    run, outputs = _run_echo(server, key, answer)
    _assert_clean(key, run, outputs)


@PROPERTY
@example(key=KEY_164, status=200)
@example(key=KEY_164, status=401)
@example(key=KEY_164, status=500)
@given(key=KEYS, status=st.sampled_from([200, 401, 429, 500]))
def test_key_echoed_in_response_headers_never_leaks(server, key, status):
    """Rule 1: the whole key as x-request-id (164-char keys too) and in other response headers."""

    def answer(received: str, _request: bytes) -> bytes:
        headers = [
            ("x-request-id", received),
            ("x-echo-authorization", "Bearer " + received),
            ("WWW-Authenticate", f'Bearer realm="{received}"'),
            ("Set-Cookie", f"session={received}; Path=/"),
        ]
        body = completion_bytes() if status == 200 else error_bytes("nope")
        return response(status, body, headers)

    run, outputs = _run_echo(server, key, answer)
    _assert_clean(key, run, outputs)


@PROPERTY
@example(key=KEY_164, status=301, part="host")
@example(key=KEY_MAX_SPECIAL, status=302, part="query")
@given(key=KEYS, status=st.sampled_from([301, 302]), part=st.sampled_from(["host", "path", "query"]))
def test_key_echoed_in_a_redirect_location_never_leaks(server, key, status, part):
    """Rule 1: a 301/302 `Location` whose host, path or query is the key."""

    def answer(received: str, _request: bytes) -> bytes:
        location = {
            "host": f"https://{received}/v1/chat/completions",
            "path": f"https://api.example.com/{received}/v1/chat/completions",
            "query": "https://api.example.com/v1/chat/completions?key="
            + urllib.parse.quote(received, safe=""),
        }[part]
        return response(status, b"", [("Location", location)], content_type=None)

    run, outputs = _run_echo(server, key, answer)
    _assert_clean(key, run, outputs)


@PROPERTY
@example(key=KEY_164, frame="content")
@given(key=KEYS, frame=st.sampled_from(["content", "error", "split"]))
def test_key_echoed_in_sse_frames_never_leaks(server, key, frame):
    """Rule 1: the key in SSE frames of a 200 stream: as the delta content, in an error frame, split over
    two frames."""

    def chunk(content: str) -> bytes:
        payload = {
            "id": "chatcmpl-x",
            "object": "chat.completion.chunk",
            "created": 1700000000,
            "model": "gpt-4o-mini",
            "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": None}],
        }
        return b"data: " + json.dumps(payload).encode() + b"\n\n"

    def answer(received: str, request: bytes) -> bytes:
        if not is_stream_request(request):
            return response(200, completion_bytes())
        if frame == "content":
            body = chunk(received) + b"data: [DONE]\n\n"
        elif frame == "error":
            body = chunk("po") + b'data: {"error": {"message": ' + json.dumps(received).encode() + b"}}\n\n"
        else:
            middle = len(received) // 2
            body = chunk(received[:middle]) + chunk(received[middle:]) + b"data: [DONE]\n\n"
        return response(200, body, content_type=b"text/event-stream")

    run, outputs = _run_echo(server, key, answer, "--stream")
    _assert_clean(key, run, outputs)


@PROPERTY
@example(key=KEY_164, status=200)
@given(key=KEYS, status=st.sampled_from([200, 400, 500]))
def test_key_echoed_as_json_object_keys_never_leaks(server, key, status):
    """Rule 1: the key as a JSON object key (name) in a success body and in an error body."""

    def answer(received: str, _request: bytes) -> bytes:
        if status == 200:
            payload = completion("pong")
            payload[received] = {"nested": 1}
            payload["choices"][0]["message"][received] = True  # type: ignore[index]
        else:
            payload = {"error": {"message": "rejected", "type": "invalid_request_error", received: "x"}}
        return response(status, json.dumps(payload).encode())

    run, outputs = _run_echo(server, key, answer)
    _assert_clean(key, run, outputs)
