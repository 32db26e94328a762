"""Classification of HTTP answers into failure classes (pure)."""

from __future__ import annotations

import json
import random

import pytest

from gate.core.failures import TRANSIENT_CLASSES, ExitCode, FailureClass
from gate.core.jsonbody import try_parse
from gate.diagnosis.classify import classify_status
from gate.diagnosis.judge import evaluate
from gate.http.client import HttpResponse
from gate.http.headers import request_ids, retry_after_seconds, should_retry
from gate.http.retry import RetryPolicy


def response(status: int, body: object = b"", headers: dict[str, str] | None = None) -> HttpResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HttpResponse(status, "", {k.lower(): v for k, v in (headers or {}).items()}, raw, 1.0, 1.0)


def judge(answer: HttpResponse):
    """The failure of one answer, its body parsed once as the gate does."""
    return classify_status(answer, try_parse(answer.body))


def err(code: str | None, message: str = "boom", type_: str = "comet_api_error") -> dict:
    return {"error": {"message": message, "type": type_, "param": "", "code": code}}


@pytest.mark.parametrize(
    ("status", "body", "headers", "expected"),
    [
        (401, err("invalid_api_key"), {}, FailureClass.AUTH),
        (403, err("forbidden"), {}, FailureClass.AUTH),
        (404, b"<html><body>Not Found</body></html>", {"content-type": "text/html"}, FailureClass.ENDPOINT),
        (405, err(None), {}, FailureClass.ENDPOINT),
        (404, err("model_not_found", type_="invalid_request_error"), {}, FailureClass.REQUEST),
        (400, err("invalid_request"), {}, FailureClass.REQUEST),
        (422, err(None), {}, FailureClass.REQUEST),
        (500, err("invalid_request"), {}, FailureClass.REQUEST),
        (429, err("rate_limit_exceeded"), {"Retry-After": "1"}, FailureClass.RATE_LIMIT),
        (429, err("insufficient_quota", type_="insufficient_quota"), {}, FailureClass.QUOTA),
        (402, err(None), {}, FailureClass.QUOTA),
        (500, err(None), {}, FailureClass.UPSTREAM),
        (502, b"Bad Gateway", {}, FailureClass.UPSTREAM),
        (524, b"<html>timeout</html>", {}, FailureClass.UPSTREAM),
        (409, err(None), {}, FailureClass.UPSTREAM),
        (408, b"", {}, FailureClass.TIMEOUT),
        (301, b"", {"Location": "https://other.example.net/v1"}, FailureClass.ENDPOINT),
        (200, err("upstream_error"), {}, FailureClass.UPSTREAM),
        (418, b"teapot", {}, FailureClass.REQUEST),
        (407, b"Proxy Authentication Required", {}, FailureClass.PROXY),
        (
            400,
            {"error": {"message": "No connected db.", "type": "no_db_connection", "code": "400"}},
            {},
            FailureClass.AUTH,
        ),
        (400, err("invalid_api_key"), {}, FailureClass.AUTH),
    ],
)
def test_status_classes(status, body, headers, expected):
    failure = judge(response(status, body, headers))
    assert failure is not None
    assert failure.failure_class is expected


def test_redirect_names_the_target_host():
    failure = judge(response(308, b"", {"Location": "https://evil.example.net/v1/chat/completions"}))
    assert "evil.example.net" in failure.message


def test_success_without_error_is_not_a_failure():
    assert judge(response(200, {"id": "x", "choices": []})) is None


def test_request_ids_gateway_first_then_provider():
    """The gateway's id (header, else the message's "(request id: ...)") is the one to quote; the provider's
    x-request-id is kept beside it."""
    both = request_ids({"x-request-id": "req_1", "x-oneapi-request-id": "20261128010203123456789AbCdEfGh"})
    assert (both.gateway, both.provider, both.primary) == (
        "20261128010203123456789AbCdEfGh",
        "req_1",
        both.gateway,
    )
    from_message = request_ids({}, "Invalid token (request id: 2026112512345abc)")
    assert (from_message.gateway, from_message.provider) == ("2026112512345abc", None)
    assert request_ids({"x-request-id": "req_1"}).primary == "req_1"
    assert request_ids({}, "no id here").primary is None


def test_x_should_retry_is_read_as_the_openai_sdk_reads_it():
    assert should_retry({"x-should-retry": "true"}) is True
    assert should_retry({"x-should-retry": "false"}) is False
    assert should_retry({"x-should-retry": "maybe"}) is None
    assert should_retry({}) is None


def test_retry_after_forms():
    assert retry_after_seconds({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert retry_after_seconds({"retry-after": "3"}) == 3.0
    assert retry_after_seconds({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert retry_after_seconds({"retry-after": "soon"}) is None
    assert retry_after_seconds({}) is None
    for absurd in ("NaN", "inf", "-inf", "-3", "1e400"):
        assert retry_after_seconds({"retry-after": absurd}) is None, absurd
        assert retry_after_seconds({"retry-after-ms": absurd}) is None, absurd


@pytest.mark.parametrize(
    ("body", "headers", "expected", "fragment"),
    [
        (b"<!DOCTYPE html><html>login</html>", {"content-type": "text/html"}, FailureClass.PROTOCOL, "HTML"),
        (b"{not json", {"content-type": "application/json"}, FailureClass.PROTOCOL, "not valid JSON"),
        (b"", {}, FailureClass.PROTOCOL, "empty body"),
        (
            b'{"id": "x", "object": "chat.completion", "created": 1, "model": "m"}',
            {},
            FailureClass.CONTRACT,
            "choices",
        ),
        (
            b'{"id": "x", "object": "chat.completion", "created": "1", "model": "m", "choices": {}}',
            {},
            FailureClass.CONTRACT,
            "created",
        ),
    ],
)
def test_success_bodies_that_are_not_completions(body, headers, expected, fragment):
    judged = evaluate(response(200, body, headers))
    assert judged.failure is expected
    assert fragment in judged.message
    assert judged.payload is None


def test_minimal_cometapi_body_meets_the_contract():
    body = {
        "id": "c1",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "pong"}, "finish_reason": "stop"}
        ],
    }
    judged = evaluate(response(200, body))
    assert judged.failure is None and judged.payload["choices"][0]["message"]["content"] == "pong"


def test_transient_classes_and_exit_codes_are_stable():
    names = {c.value for c in TRANSIENT_CLASSES}
    assert names == {"connect", "timeout", "rate_limit", "upstream"}
    assert [int(c) for c in ExitCode] == [0, 1, 2, 3, 130, 143]
    assert all(c.next_step for c in FailureClass)


def test_retry_delay_honours_retry_after_capped_and_jitters_otherwise():
    policy = RetryPolicy(retries=3, budget_s=60, max_retry_after_s=5)
    rng = random.Random(1)
    assert policy.delay(1, 2.0, rng) == 2.0
    assert policy.delay(1, 120.0, rng) == 5.0
    for number in range(1, 8):
        ceiling = min(policy.max_delay_s, policy.base_delay_s * 2 ** (number - 1))
        assert ceiling / 2 <= policy.delay(number, None, rng) <= ceiling


def test_transport_exceptions_map_to_classes():
    import socket

    import requests
    import urllib3

    from gate.http.transport_errors import classify_exception

    conn = urllib3.connection.HTTPSConnection("api.cometapi.test", 443)
    dns = urllib3.exceptions.NameResolutionError(
        "api.cometapi.test", conn, socket.gaierror(-2, "Name unknown")
    )
    cases = [
        (
            requests.exceptions.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/", dns)),
            FailureClass.DNS,
        ),
        (requests.exceptions.SSLError("certificate verify failed"), FailureClass.TLS),
        (requests.exceptions.ProxyError("Tunnel connection failed: 407"), FailureClass.PROXY),
        (requests.exceptions.ConnectTimeout("connect timed out"), FailureClass.TIMEOUT),
        (requests.exceptions.ReadTimeout("read timed out"), FailureClass.TIMEOUT),
        (requests.exceptions.ConnectionError("Connection reset by peer"), FailureClass.CONNECT),
    ]
    for exc, expected in cases:
        assert classify_exception(exc, 1.0, fired=False).failure_class is expected, exc
    assert classify_exception(cases[-1][0], 1.0, fired=True).failure_class is FailureClass.TIMEOUT
