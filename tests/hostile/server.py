"""Helpers for the hostile suite: a loopback server that answers each request from a callable, response
builders, a CLI runner that collects every artifact, and the leak detector `fragments_found`.

The server is deliberately dumb: it reads one request (head plus Content-Length body), hands the raw bytes
to the test's callable, writes whatever bytes come back (one send() per piece) and closes the connection.
Every request it saw is recorded, so a test can assert how many times the gate called it.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
import socket
import threading
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from click.testing import CliRunner

from gate.cli import main
from tests.property.rawserver import read_request

MODEL = "gpt-4o-mini"
KEY = "sk-hostile-Key_0123456789abcdef"

Handler = Callable[[bytes], "bytes | Sequence[bytes]"]

# The flags every hostile run uses, so nothing waits: one sample, no retries, short deadlines.
FAST = [
    "--model",
    MODEL,
    "--samples",
    "1",
    "--retries",
    "0",
    "--timeout",
    "2",
    "--connect-timeout",
    "1",
    "--max-retry-after",
    "0.01",
]


# --------------------------------------------------------------------------------------------- the server


class HostileServer:
    """A loopback TCP server; every request is answered by `handler(raw_request_bytes)`."""

    def __init__(self, handler: Handler | None = None) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port: int = self._listener.getsockname()[1]
        self._handler: Handler = handler or (lambda _req: response(204, b""))
        self._lock = threading.Lock()
        self.requests: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def respond(self, handler: Handler) -> None:
        """Answer the next requests with handler(raw request); forget the requests seen so far."""
        with self._lock:
            self._handler = handler
            self.requests = []

    def answer_with(self, *pieces: bytes) -> None:
        """Answer the next requests with these fixed pieces."""
        self.respond(lambda _req: list(pieces))

    @property
    def completion_requests(self) -> list[bytes]:
        with self._lock:
            return [r for r in self.requests if b"/chat/completions" in r.split(b"\r\n", 1)[0]]

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(3)
            try:
                request = read_request(conn)
                if not request:
                    return
                with self._lock:
                    self.requests.append(request)
                    handler = self._handler
                answer = handler(request)
                pieces = [answer] if isinstance(answer, bytes | bytearray) else list(answer)
                for piece in pieces:
                    conn.sendall(piece)
                conn.shutdown(socket.SHUT_WR)
                while conn.recv(65536):  # drain until the client closes: no reset before it read it all
                    pass
            except OSError:
                pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self._listener.close()


@contextlib.contextmanager
def hostile_server(handler: Handler | None = None) -> Iterator[HostileServer]:
    server = HostileServer(handler)
    try:
        yield server
    finally:
        server.close()


def bearer_key(request: bytes) -> str:
    """The key of the request's `Authorization: Bearer <key>` header (latin-1 decoded), or ''."""
    head = request.split(b"\r\n\r\n", 1)[0]
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"authorization":
            value = value.strip()
            if value.lower().startswith(b"bearer "):
                return value[7:].strip().decode("latin-1")
    return ""


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------------------------------ the responses


def response(
    status: int,
    body: bytes,
    headers: Sequence[tuple[str | bytes, str | bytes]] = (),
    *,
    reason: bytes | None = None,
    content_type: bytes | None = b"application/json",
) -> bytes:
    """One complete HTTP/1.1 response with Content-Length and Connection: close."""
    head = b"HTTP/1.1 %d %s\r\n" % (status, reason if reason is not None else _REASONS.get(status, b"Status"))
    if content_type is not None:
        head += b"Content-Type: " + content_type + b"\r\n"
    for name, value in headers:
        head += _b(name) + b": " + _b(value) + b"\r\n"
    head += b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
    return head + body


def _b(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("latin-1")


_REASONS = {
    200: b"OK",
    301: b"Moved Permanently",
    302: b"Found",
    400: b"Bad Request",
    401: b"Unauthorized",
    404: b"Not Found",
    429: b"Too Many Requests",
    500: b"Internal Server Error",
}


def completion(content: object = "pong", **extra: object) -> dict[str, object]:
    """A Chat Completions response that meets the contract (content 'pong' passes the default condition)."""
    payload: dict[str, object] = {
        "id": "chatcmpl-hostile",
        "object": "chat.completion",
        "created": 1700000000,
        "model": MODEL,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
    }
    payload.update(extra)
    return payload


def completion_bytes(content: object = "pong", **extra: object) -> bytes:
    return json.dumps(completion(content, **extra)).encode()


def error_bytes(message: str, **fields: object) -> bytes:
    return json.dumps({"error": {"message": message, "type": "invalid_request_error", **fields}}).encode()


def sse_stream(*texts: str, done: bool = True) -> bytes:
    """A valid Chat Completions SSE stream whose deltas concatenate to ''.join(texts)."""
    frames = []
    for i, text in enumerate(texts):
        chunk = {
            "id": "chatcmpl-hostile",
            "object": "chat.completion.chunk",
            "created": 1700000000,
            "model": MODEL,
            "choices": [
                {
                    "index": 0,
                    "delta": ({"role": "assistant"} if i == 0 else {}) | {"content": text},
                    "finish_reason": None,
                }
            ],
        }
        frames.append(b"data: " + json.dumps(chunk).encode() + b"\n\n")
    last = {
        "id": "chatcmpl-hostile",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": MODEL,
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
    }
    frames.append(b"data: " + json.dumps(last).encode() + b"\n\n")
    if done:
        frames.append(b"data: [DONE]\n\n")
    return b"".join(frames)


def is_stream_request(request: bytes) -> bool:
    body = request.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in request else b""
    try:
        return json.loads(body).get("stream") is True
    except (ValueError, AttributeError):
        return False


# ---------------------------------------------------------------------------------------------- the runs


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str
    out_dir: Path
    files: dict[str, Path] = field(default_factory=dict)

    def text(self, name: str) -> str:
        """An artifact's text ('' when it was not written); undecodable bytes survive as \\x escapes."""
        path = self.files[name]
        return path.read_bytes().decode("utf-8", errors="backslashreplace") if path.exists() else ""

    @property
    def stdout_without_masks(self) -> str:
        return "\n".join(line for line in self.stdout.splitlines() if not line.startswith("::add-mask::"))

    def outputs(self) -> dict[str, str]:
        """Every place the gate prints or writes to, by name (stdout without its ::add-mask:: lines)."""
        texts = {"stdout": self.stdout_without_masks, "stderr": self.stderr}
        texts.update({name: self.text(name) for name in self.files})
        return texts

    @property
    def report(self) -> dict[str, object]:
        return json.loads(self.text("report.json"))

    @property
    def failure_class(self) -> object:
        return self.report["failure_class"]

    def check(self, check_id: str) -> dict[str, object]:
        checks = self.report["checks"]
        assert isinstance(checks, list)
        found = [c for c in checks if c["id"] == check_id]
        assert found, f"no check {check_id!r} in the report: {[c['id'] for c in checks]}"
        return found[0]

    def describe(self) -> str:
        return f"exit {self.exit_code}\n--- stdout\n{self.stdout[-3000:]}\n--- stderr\n{self.stderr[-3000:]}"


def run_gate(
    out_dir: Path,
    base_url: str,
    *args: str,
    key: str = KEY,
    env: Mapping[str, str | None] | None = None,
    github: bool = True,
    fast: bool = True,
) -> Run:
    """Run `cometapi-smoke-gate run` in-process with every artifact (JSON, JUnit, summary, GitHub output)
    written under out_dir. catch_exceptions=False: a crash in the gate fails the calling test."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "report.json": out_dir / "report.json",
        "junit.xml": out_dir / "junit.xml",
        "summary.md": out_dir / "summary.md",
    }
    # No colour: an ESC byte on stdout must come from the server's text, never from the gate's own styling.
    run_env: dict[str, str | None] = {"NO_COLOR": "1", "FORCE_COLOR": None, "CLICOLOR_FORCE": None}
    if github:
        files["github_output"] = out_dir / "github_output"
        files["step_summary.md"] = out_dir / "step_summary.md"
        run_env.update(
            GITHUB_ACTIONS="true",
            GITHUB_OUTPUT=str(files["github_output"]),
            GITHUB_STEP_SUMMARY=str(files["step_summary.md"]),
        )
    run_env.update(env or {})
    argv = ["run", f"--base-url={base_url}", f"--api-key={key}", *(FAST if fast else []), *args]
    argv += ["--json", str(files["report.json"]), "--junit", str(files["junit.xml"])]
    argv += ["--summary", str(files["summary.md"])]
    result = CliRunner().invoke(main, argv, env=run_env, catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr, out_dir, files)


# ---------------------------------------------------------------------------------------- leak detection

WINDOW = 12

_JSON_ESCAPE = re.compile(r'\\(u[0-9a-fA-F]{4}|["\\/bfnrt])')
_JSON_SIMPLE = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")  # a backslash before any ASCII punctuation


def _undo_json(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] == "u":
            return chr(int(code[1:], 16))
        return _JSON_SIMPLE[code]

    return _JSON_ESCAPE.sub(one, text)


def _undo_markdown(text: str) -> str:
    return _MARKDOWN_ESCAPE.sub(r"\1", text)


def _undo_percent(text: str) -> str:
    return urllib.parse.unquote(text, errors="replace")


_DECODERS: tuple[Callable[[str], str], ...] = (_undo_markdown, html.unescape, _undo_percent, _undo_json)


def _normalised_forms(text: str) -> list[str]:
    """The text as written, each single decoding of it, and every decoding applied (in a few orders) until
    nothing changes: a fragment is looked for in all of them, so no encoding layer can hide it and no
    decoding can mangle a raw copy out of sight."""
    forms = [text]
    forms += [decode(text) for decode in _DECODERS]
    orders = (
        _DECODERS,
        tuple(reversed(_DECODERS)),
        (_undo_json, _undo_markdown, html.unescape, _undo_percent),
    )
    for order in orders:
        current = text
        for _ in range(4):
            previous = current
            for decode in order:
                current = decode(current)
            forms.append(current)
            if current == previous:
                break
    return forms


def fragments_found(key: str, text: str) -> list[str]:
    """Every substring of `key` of at least 12 characters found in `text`, case-insensitively, after undoing
    Markdown backslash escapes, HTML/XML entities, URL percent-encoding and JSON string escapes.

    Reported as maximal fragments (the longest run starting at each hit), without duplicates."""
    if len(key) < WINDOW:
        return []
    haystacks = [form.lower() for form in _normalised_forms(text)]
    lowered = key.lower()
    found: list[str] = []
    start = 0
    while start + WINDOW <= len(lowered):
        best = 0  # the longest run from `start` that some normalised form holds
        for hay in haystacks:
            end = start + WINDOW
            if lowered[start:end] not in hay:
                continue
            while end < len(lowered) and lowered[start : end + 1] in hay:
                end += 1
            best = max(best, end)
        if not best:
            start += 1
            continue
        fragment = key[start:best]
        if fragment not in found:
            found.append(fragment)
        start = best - WINDOW + 1
    return found


def leaks(key: str, run: Run) -> dict[str, list[str]]:
    """{output name: fragments of the key found in it}, only the outputs that hold one."""
    found = {name: fragments_found(key, text) for name, text in run.outputs().items()}
    return {name: frags for name, frags in found.items() if frags}


def assert_no_leak(key: str, run: Run) -> None:
    found = leaks(key, run)
    if found:
        where = ", ".join(f"{name}: {frags[0][:40]!r}" for name, frags in found.items())
        raise AssertionError(f"key fragments found ({where}) for key {key!r}\n{run.describe()}")
