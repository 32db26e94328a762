"""Rule 5 (protocol edges): one raw-socket test per edge of HTTP, JSON and SSE a real endpoint or proxy can
produce, each with the exact failure class, exit code and (where it matters) request count the spec asks."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from tests.hostile.server import (
    HostileServer,
    completion_bytes,
    is_stream_request,
    response,
    run_gate,
    sse_stream,
)


@pytest.fixture
def server():
    srv = HostileServer()
    yield srv
    srv.close()


def test_five_thousand_header_lines_are_a_protocol_failure_not_retried(server, tmp_path: Path):
    """Rule 5: a response with 5,000 header lines is class protocol, exit 1, and is not retried (the server
    sees exactly one request, though --retries 1 would allow a second)."""
    headers = [(f"X-Filler-{i}", "x") for i in range(5000)]
    server.answer_with(response(200, completion_bytes(), headers))
    run = run_gate(tmp_path, server.base_url, "--retries", "1")
    assert run.failure_class == "protocol", run.describe()
    assert run.exit_code == 1, run.describe()
    assert len(server.completion_requests) == 1, f"{len(server.completion_requests)} requests, expected 1"


def test_a_100_kb_header_line_is_a_protocol_failure(server, tmp_path: Path):
    """Rule 5: a single header line of 100 KB is class protocol, exit 1."""
    server.answer_with(response(200, completion_bytes(), [("X-Huge", "h" * 100 * 1024)]))
    run = run_gate(tmp_path, server.base_url, "--retries", "1")
    assert run.failure_class == "protocol", run.describe()
    assert run.exit_code == 1, run.describe()


def test_103_early_hints_before_the_completion_passes(server, tmp_path: Path):
    """Rule 5: an interim `HTTP/1.1 103 Early Hints` response followed by a normal 200 completion passes."""
    early = b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n"
    server.answer_with(early, response(200, completion_bytes("pong")))
    run = run_gate(tmp_path, server.base_url)
    assert run.report["result"] == "pass", run.describe()
    assert run.exit_code == 0, run.describe()


def test_gzip_encoded_sse_stream_passes_the_stream_check(server, tmp_path: Path):
    """Rule 5: a 200 text/event-stream sent with Content-Encoding: gzip (a valid stream saying 'pong',
    ending with data: [DONE]) passes the stream check."""
    stream = sse_stream("po", "ng")
    assert stream.endswith(b"data: [DONE]\n\n")

    def answer(request: bytes) -> bytes:
        if is_stream_request(request):
            return response(
                200,
                gzip.compress(stream),
                [("Content-Encoding", "gzip"), ("Cache-Control", "no-cache")],
                content_type=b"text/event-stream",
            )
        return response(200, completion_bytes("pong"))

    server.respond(answer)
    run = run_gate(tmp_path, server.base_url, "--stream")
    stream_check = run.check("stream")
    assert stream_check["status"] == "pass", f"{stream_check}\n{run.describe()}"


def test_utf8_bom_before_the_completion_passes(server, tmp_path: Path):
    """Rule 5: a UTF-8 byte order mark before a valid JSON completion passes."""
    server.answer_with(response(200, b"\xef\xbb\xbf" + completion_bytes("pong")))
    run = run_gate(tmp_path, server.base_url)
    assert run.report["result"] == "pass", run.describe()
    assert run.exit_code == 0, run.describe()


def test_non_ascii_api_key_is_a_config_error_and_sends_nothing(server, tmp_path: Path):
    """Rule 5: an API key with a non-ASCII character (sk-tést0123456789) exits 2 and the server receives
    no request at all."""
    server.answer_with(response(200, completion_bytes("pong")))
    run = run_gate(tmp_path, server.base_url, key="sk-tést0123456789")
    assert run.exit_code == 2, run.describe()
    assert server.requests == [], f"{len(server.requests)} request(s) reached the server"


@pytest.mark.parametrize(
    "error",
    [
        pytest.param({"message": "bad key", "type": "invalid_api_key"}, id="type-invalid_api_key"),
        pytest.param({"message": "bad key", "code": "authentication_error"}, id="code-authentication_error"),
    ],
)
def test_auth_error_body_with_status_200_is_auth_not_retried(server, tmp_path: Path, error: dict):
    """Rule 5: status 200 with an {"error": ...} body naming a bad key (type invalid_api_key, or code
    authentication_error) is class auth, exit 1, with exactly one request (not retried)."""
    server.answer_with(response(200, json.dumps({"error": error}).encode()))
    run = run_gate(tmp_path, server.base_url, "--retries", "1")
    assert run.failure_class == "auth", run.describe()
    assert run.exit_code == 1, run.describe()
    assert len(server.completion_requests) == 1, f"{len(server.completion_requests)} requests, expected 1"


def test_sse_error_event_inside_a_200_stream_fails_the_stream_check(server, tmp_path: Path):
    """Rule 5: an `event: error` SSE frame inside a 200 stream (between chunks that say 'pong' and a final
    [DONE]) fails the stream check."""
    frames = sse_stream("pong").split(b"\n\n")
    error_frame = b'event: error\ndata: {"message":"boom"}'
    stream = b"\n\n".join([frames[0], error_frame, *frames[1:]])

    def answer(request: bytes) -> bytes:
        if is_stream_request(request):
            return response(200, stream, content_type=b"text/event-stream")
        return response(200, completion_bytes("pong"))

    server.respond(answer)
    run = run_gate(tmp_path, server.base_url, "--stream")
    assert b'event: error\ndata: {"message":"boom"}\n\n' in stream and stream.endswith(b"data: [DONE]\n\n")
    stream_check = run.check("stream")
    assert stream_check["status"] == "fail", f"{stream_check}\n{run.describe()}"
    assert run.exit_code in (1, 3), run.describe()


def test_vllm_model_not_found_404_is_request_not_endpoint(server, tmp_path: Path):
    """Rule 5: vLLM's 404 for an unknown model ({"type":"NotFoundError","code":404}, message 'The model
    `gpt-x` does not exist.') is class request, not endpoint."""
    body = {"error": {"message": "The model `gpt-x` does not exist.", "type": "NotFoundError", "code": 404}}
    server.answer_with(response(404, json.dumps(body).encode()))
    run = run_gate(tmp_path, server.base_url)
    assert run.failure_class == "request", run.describe()
    assert run.exit_code == 1, run.describe()
