"""Property tests: no response, config or secret can crash, hang, fool or leak through the gate."""

from __future__ import annotations

import base64
import io
import json
import urllib.parse

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gate.app import execute
from gate.config.options import OPTIONS
from gate.config.resolve import ConfigError, resolve
from gate.core.contract import violations
from gate.core.redact import Redactor
from gate.http.sse import SSEParser
from gate.publish.terminal import Console
from tests.property.rawserver import RawServer

MODEL = "gpt-4o-mini"
KEY = "sk-property-0123456789"
EXAMPLES = settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def server():
    srv = RawServer()
    yield srv
    srv.close()


def _run(server: RawServer, key: str = KEY, **flags: str):
    config = resolve(
        {
            "base_url": server.base_url,
            "api_key": key,
            "model": MODEL,
            "samples": "1",
            "retries": "0",
            "timeout": "2",
            "connect_timeout": "1",
            **flags,
        },
        {},
    )
    out = io.StringIO()
    report = execute(config, Console(out, Redactor()), {}, artifacts=[])
    return report, int(report.verdict.exit_code), out.getvalue()


def _response(
    status: int, reason: bytes, headers: list[tuple[bytes, bytes]], body: bytes, framing: str
) -> list[bytes]:
    head = b"HTTP/1.1 %d %s\r\n" % (status, reason)
    head += b"".join(name + b": " + value + b"\r\n" for name, value in headers)
    if framing == "length":
        return [head + b"Content-Length: %d\r\n\r\n" % len(body), body]
    if framing == "chunked":
        chunks = [b"%x\r\n%s\r\n" % (len(body[i : i + 7]), body[i : i + 7]) for i in range(0, len(body), 7)]
        return [head + b"Transfer-Encoding: chunked\r\n\r\n", *chunks, b"0\r\n\r\n"]
    if framing == "short":  # declares more than it sends, then closes
        return [head + b"Content-Length: %d\r\n\r\n" % (len(body) + 10), body]
    return [head + b"Connection: close\r\n\r\n", body]  # until close


TOKEN = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12).map(str.encode)
HEADER_VALUE = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40).map(
    str.encode
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
COMPLETIONISH = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(st.text(max_size=8), st.integers()),
        "object": st.sampled_from(["chat.completion", "list", ""]),
        "created": st.one_of(st.integers(min_value=-5, max_value=2**40), st.text(max_size=4)),
        "model": st.one_of(st.just(MODEL), st.text(max_size=8)),
        "choices": st.one_of(
            st.lists(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "index": st.integers(0, 2),
                        "finish_reason": st.sampled_from(["stop", "length", None]),
                        "message": st.fixed_dictionaries(
                            {},
                            optional={
                                "role": st.sampled_from(["assistant", 1]),
                                "content": st.one_of(
                                    st.none(), st.sampled_from(["pong", "PONG!", "nope", ""]), st.integers()
                                ),
                            },
                        ),
                    },
                ),
                max_size=2,
            ),
            JSON_VALUES,
        ),
        "usage": st.one_of(st.none(), JSON_VALUES),
        "error": st.one_of(st.none(), JSON_VALUES),
    },
)
BODIES = st.one_of(
    st.binary(max_size=300),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    COMPLETIONISH.map(lambda v: json.dumps(v).encode()),
)


@EXAMPLES
@given(
    status=st.one_of(st.integers(100, 599), st.sampled_from([200, 200, 200, 201, 301, 401, 429, 500])),
    reason=st.sampled_from([b"OK", b"", b"Whatever", b"\xff\xfe"]),
    headers=st.lists(st.tuples(TOKEN, HEADER_VALUE), max_size=4),
    content_type=st.sampled_from([b"application/json", b"text/html", b"text/event-stream", b""]),
    body=BODIES,
    framing=st.sampled_from(["length", "chunked", "close", "short"]),
)
def test_any_response_ends_in_a_verdict_and_never_fools_the_gate(
    server, status, reason, headers, content_type, body, framing
):
    extra = [(b"Content-Type", content_type)] if content_type else []
    server.answer_with(*_response(status, reason, extra + headers, body, framing))
    report, code, out = _run(server)
    assert code in (0, 1, 3)
    assert "Traceback" not in out
    if report.verdict.passed:
        # a pass needs a real 2xx completion that meets the contract and the condition
        assert 200 <= status < 300 and framing != "short"
        payload = json.loads(body)
        assert violations(payload) == []
        assert "pong" in payload["choices"][0]["message"]["content"].lower()
    else:
        assert report.verdict.failure_class is not None
        assert code == (3 if report.verdict.failure_class.transient else 1)


SECRETS = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=126),  # keys are ASCII (a config rule)
    min_size=8,
    max_size=512,
).filter(lambda s: not any(c.isspace() for c in s))


@settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
@example(secret="endpoint", where="location", encoding="raw")  # a key that is also a word the gate prints
@given(
    secret=SECRETS,
    where=st.sampled_from(["body", "header", "reason", "location", "sse", "split"]),
    encoding=st.sampled_from(["raw", "bearer", "url", "base64", "json"]),
)
def test_an_echoed_secret_never_leaks(server, tmp_path_factory, secret, where, encoding):
    raw = secret.encode("latin-1")
    form = {
        "raw": raw,
        "bearer": b"Bearer " + raw,
        "url": urllib.parse.quote(secret, safe="").encode(),
        "base64": base64.b64encode(secret.encode()),
        "json": json.dumps(secret).encode(),
    }[encoding]
    safe_header = form.replace(b"\r", b"").replace(b"\n", b"")
    if where == "body":
        pieces = _response(
            401,
            b"Unauthorized",
            [(b"Content-Type", b"application/json")],
            b'{"error": {"message": "bad key ' + form + b'"}}',
            "length",
        )
    elif where == "header":
        pieces = _response(401, b"Unauthorized", [(b"X-Echo", safe_header)], b"{}", "length")
    elif where == "reason":
        pieces = _response(401, safe_header[:200], [], b"", "length")
    elif where == "location":
        pieces = _response(
            301, b"Moved", [(b"Location", b"https://evil.example/" + safe_header)], b"", "length"
        )
    elif where == "sse":
        pieces = _response(
            200,
            b"OK",
            [(b"Content-Type", b"text/event-stream")],
            b'data: {"error": {"message": "' + form + b'"}}\n\n',
            "chunked",
        )
    else:  # the secret split across two writes of a body
        body = b'{"error": {"message": "' + form + b'"}}'
        middle = len(body) // 2
        head = b"HTTP/1.1 500 Boom\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(
            body
        )
        pieces = [head, body[:middle], body[middle:]]
    server.answer_with(*pieces)
    out_dir = tmp_path_factory.mktemp("leak")
    config = resolve(
        {
            "base_url": server.base_url,
            "api_key": secret,
            "model": MODEL,
            "samples": "1",
            "retries": "0",
            "timeout": "2",
            "stream": where == "sse",
            "json": str(out_dir / "r.json"),
            "junit": str(out_dir / "j.xml"),
            "summary": str(out_dir / "s.md"),
        },
        {},
    )
    out = io.StringIO()
    env = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(out_dir / "out")}
    report = execute(config, Console(out, Redactor()), env)
    assert int(report.verdict.exit_code) in (0, 1, 3)
    lines = [line for line in out.getvalue().splitlines() if not line.startswith("::add-mask::")]
    texts = ["\n".join(lines)] + [p.read_text(encoding="utf-8") for p in out_dir.iterdir()]
    for text in texts:
        assert secret not in text
        assert urllib.parse.quote(secret, safe="") not in text
        assert base64.b64encode(secret.encode()).decode() not in text
    assert report.verdict.failure_class != "leak"


CONFIG_VALUE = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.sampled_from(["0", "-1", "1e9", "nan", "inf", "3", "true", "sim://ok", "http://x"]),
)


@settings(max_examples=1000, deadline=None)
@given(values=st.fixed_dictionaries({spec.dest: CONFIG_VALUE for spec in OPTIONS if spec.name != "targets"}))
def test_arbitrary_config_is_valid_or_a_config_error(values):
    try:
        config = resolve(values, {}).targets[0].config
    except ConfigError as exc:
        assert str(exc).startswith("--") and "Fix:" in str(exc)
    else:
        assert config.api_root.endswith("/v1") and "/v1/v1" not in config.api_root
        assert len(config.api_key) >= 8


@settings(max_examples=500, deadline=None)
@given(
    events=st.lists(
        st.text(
            alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n"), max_size=30
        ),
        max_size=6,
    ),
    cuts=st.lists(st.integers(min_value=1, max_value=40), max_size=20),
    newline=st.sampled_from([b"\n", b"\r\n", b"\r"]),
)
def test_sse_parser_is_independent_of_how_bytes_arrive(events, cuts, newline):
    stream = b"".join(b"data: " + e.encode() + newline + newline for e in events)
    expected = [e.data for e in SSEParser().feed(stream)]
    parser, got, position = SSEParser(), [], 0
    for cut in cuts:
        got += [e.data for e in parser.feed(stream[position : position + cut])]
        position += cut
    got += [e.data for e in parser.feed(stream[position:])]
    assert got == expected == [e for e in events]
