"""The one-api / new-api gateway dialect of the simulator (gate/simulator/newapi.py), over real sockets."""

from __future__ import annotations

import calendar
import contextlib
import http.client
import json
import re
import time
from typing import Any

import pytest
import requests

from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL, Simulator, newapi
from gate.simulator import scenarios as registry
from gate.simulator.scenarios import Scenario

AUTH = {"Authorization": f"Bearer {DEFAULT_API_KEY}"}
MESSAGES = [{"role": "user", "content": "Reply with exactly the word: pong"}]
RID = re.compile(r"^\d{14}\d{1,9}[0-9A-Za-z]{8}$")
JSON_TYPE = "application/json; charset=utf-8"
M = DEFAULT_MODEL
ABORT, RELAY, NA = None, "", "new_api_error"  # abort bodies have no "param"; relay bodies have "param": ""
QUOTA = "You exceeded your current quota, please check your plan and billing details."
PRICE_ZH = f"模型 {M} 倍率或价格未配置，请联系管理员设置或开始自用模式；"
PRICE = PRICE_ZH + f"Model {M} ratio or price not set, please set or start self-use mode"
TOKEN_SHORT = "token quota is not enough, token remain quota: ＄0.000100, need quota: ＄0.002000"
NO_CHANNEL = f"no available channel for group default and model {M} (distributor)"
TOO_LARGE = "request body exceeds 128 MB: request body too large"


def err(status: int, message: str, code: str = "", param: str | None = ABORT, type_: str = NA) -> Any:
    """(status, message without the request id, code, type, param (None: no param key))."""
    return status, message, code, type_, param


ERRORS: dict[str, tuple[int, str, str, str, str | None]] = {
    "gw_invalid_token": err(401, "无效的令牌"),
    "gw_invalid_token_en": err(401, "Invalid token"),
    "gw_token_exhausted": err(401, "该令牌额度已用尽"),
    "gw_user_quota": err(403, "用户额度不足, 剩余额度: ＄0.000000", "insufficient_user_quota", RELAY),
    "gw_pre_consume": err(403, TOKEN_SHORT, "pre_consume_token_quota_failed", RELAY),
    "gw_model_forbidden": err(403, f"该令牌无权访问模型 {M}"),
    "gw_group_forbidden": err(403, "令牌分组 vip 已被禁用"),
    "gw_ip_forbidden": err(403, "您的 IP 不在令牌允许访问的列表中", "access_denied"),
    "gw_no_channel": err(503, f"当前分组 default 下对于模型 {M} 无可用渠道"),
    "gw_no_channel_en": err(503, NO_CHANNEL, "model_not_found", type_="comet_api_error"),
    "gw_rate_limit": err(429, "您已达到请求数限制：1分钟内最多请求60次"),
    "gw_upstream_saturated": err(
        429, "当前分组上游负载已饱和，请稍后再试", "insufficient_quota", RELAY, "insufficient_quota"
    ),
    "gw_quota_429": err(429, QUOTA, "insufficient_quota", RELAY, "insufficient_quota"),
    "gw_invalid_request": err(500, "field messages is required", "invalid_request", RELAY),
    "gw_body_too_large": err(413, TOO_LARGE, "read_request_body_failed", RELAY),
    "gw_sensitive_words": err(500, "sensitive_words_detected", "sensitive_words_detected", RELAY),
    "gw_model_price": err(500, PRICE, "model_price_error", RELAY),
    "gw_do_request_failed": err(500, "请求上游地址失败", "do_request_failed", RELAY),
    "gw_bad_status": err(
        502, "bad response status code 502", "bad_response_status_code", "502", "upstream_error"
    ),
}
#: Scenarios that answer their error on GET /v1/models too (token-level); the rest list the models there.
TOKEN_LEVEL = {"gw_invalid_token", "gw_invalid_token_en", "gw_token_exhausted", "gw_ip_forbidden"}
#: Scenarios that answer whatever the key.
ANY_KEY = {"gw_invalid_token", "gw_invalid_token_en", "gw_token_exhausted"}


@pytest.fixture(autouse=True)
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register the gateway scenarios (the registry may already hold them: same behaviours)."""
    for name, description, behaviour in newapi.SCENARIOS:
        monkeypatch.setitem(registry.SCENARIOS, name, Scenario(name, description, behaviour))


def chat(session: requests.Session, base: str, headers: dict[str, str] | None = None, **fields: Any) -> Any:
    body = {"model": M, "messages": MESSAGES, **fields}
    return session.post(
        base + "/v1/chat/completions",
        json=body,
        headers=AUTH if headers is None else headers,
        timeout=5,
        allow_redirects=False,
    )


def gateway_id(r: requests.Response) -> str:
    """The X-Oneapi-Request-Id (checked), after checking that no retry hint is present."""
    for name in ("Retry-After", "retry-after-ms", "x-should-retry"):
        assert name not in r.headers
    rid = r.headers["X-Oneapi-Request-Id"]
    assert RID.match(rid), rid
    return rid


def expected_error(status: int, message: str, code: str, type_: str, param: str | None, rid: str) -> Any:
    err: dict[str, Any] = {"message": f"{message} (request id: {rid})", "type": type_, "code": code}
    if param is not None:
        err["param"] = param
    return {"error": err}


def test_every_scenario_is_tested() -> None:
    special = {"gw_ok", "gw_rate_limit_empty", "gw_invalid_url", "gw_web_ui", "gw_frontend_redirect"}
    assert {name for name, _, _ in newapi.SCENARIOS} == set(ERRORS) | special | {"gw_stream_error"}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_error_bodies(sim: Simulator, session: requests.Session, name: str) -> None:
    status, message, code, type_, param = ERRORS[name]
    r = chat(session, sim.url_for(name))
    assert r.status_code == status
    rid = gateway_id(r)
    assert r.headers["Content-Type"] == JSON_TYPE
    assert "x-request-id" not in r.headers
    assert r.json() == expected_error(status, message, code, type_, param, rid)
    first_key = '{"error":{"code":' if param is None else '{"error":{"message":'
    assert r.content.startswith(first_key.encode())  # gin.H keys sorted, struct fields in order
    assert message.encode() in r.content  # raw UTF-8, as Go writes it


@pytest.mark.parametrize("name", sorted(set(ERRORS) - ANY_KEY))
def test_token_checked_first(sim: Simulator, session: requests.Session, name: str) -> None:
    r = chat(session, sim.url_for(name), headers={"Authorization": "Bearer sk-wrong"})
    assert r.status_code == 401
    assert r.json() == expected_error(401, "Invalid token", "", NA, ABORT, gateway_id(r))
    zh = {"Authorization": "Bearer sk-wrong", "Accept-Language": "zh-CN,zh;q=0.9"}
    r = chat(session, sim.url_for(name), headers=zh)
    assert r.json()["error"]["message"] == f"无效的令牌 (request id: {gateway_id(r)})"


@pytest.mark.parametrize("name", sorted(ANY_KEY))
def test_token_errors_whatever_the_key(sim: Simulator, session: requests.Session, name: str) -> None:
    status, message, *_ = ERRORS[name]
    r = chat(session, sim.url_for(name), headers={})
    assert r.status_code == status
    assert r.json()["error"]["message"] == f"{message} (request id: {gateway_id(r)})"


def assert_models_list(r: requests.Response) -> None:
    assert r.status_code == 200
    gateway_id(r)
    body = r.json()
    assert list(body) == ["data", "object", "success"]
    assert body["success"] is True and body["object"] == "list"
    assert [m["id"] for m in body["data"]] == [M, "text-embedding-3-small"]
    item = {"id": M, "object": "model", "created": 1626777600, "owned_by": "openai"}
    assert body["data"][0] == {**item, "supported_endpoint_types": ["openai"]}


@pytest.mark.parametrize("name", sorted(set(ERRORS) | {"gw_ok", "gw_stream_error"}))
def test_models_endpoint(sim: Simulator, session: requests.Session, name: str) -> None:
    r = session.get(sim.url_for(name) + "/v1/models", headers=AUTH, timeout=5)
    if name in TOKEN_LEVEL:
        status, message, code, type_, param = ERRORS[name]
        assert r.status_code == status
        assert r.json() == expected_error(status, message, code, type_, param, gateway_id(r))
    else:
        assert_models_list(r)
    if name not in ANY_KEY:
        r = session.get(sim.url_for(name) + "/v1/models", timeout=5)
        assert r.status_code == 401
        assert r.json() == expected_error(401, "Invalid token", "", NA, ABORT, gateway_id(r))


def test_request_id_is_utc_now_and_unique(sim: Simulator, session: requests.Session) -> None:
    before = int(time.time())
    ids = [gateway_id(chat(session, sim.url_for("gw_rate_limit"))) for _ in range(5)]
    after = int(time.time())
    assert len(set(ids)) == 5
    for rid in ids:
        stamp = calendar.timegm(time.strptime(rid[:14], "%Y%m%d%H%M%S"))
        assert before - 1 <= stamp <= after + 1
        assert re.fullmatch(r"[1-9]\d{0,8}|0", rid[14:-8])


def test_ok_completion(sim: Simulator, session: requests.Session) -> None:
    r = chat(session, sim.url_for("gw_ok"))
    assert r.status_code == 200
    gateway_id(r)
    assert re.fullmatch(r"req_[0-9a-f]{24}", r.headers["x-request-id"])
    body = r.json()
    assert body["object"] == "chat.completion" and body["model"] == M
    assert body["choices"][0]["message"]["content"] == "pong"


def test_ok_stream(sim: Simulator, session: requests.Session) -> None:
    r = chat(session, sim.url_for("gw_ok"), stream=True, stream_options={"include_usage": True})
    assert r.status_code == 200
    gateway_id(r)
    assert r.headers["Content-Type"] == "text/event-stream"
    assert r.headers["X-Accel-Buffering"] == "no" and r.headers["Cache-Control"] == "no-cache"
    assert "x-request-id" not in r.headers
    events = [line[6:] for line in r.text.split("\n") if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"]) == "pong"
    assert chunks[-1]["usage"]["completion_tokens"] == 1


def test_ok_rejections(sim: Simulator, session: requests.Session) -> None:
    base = sim.url_for("gw_ok")
    r = chat(session, base, model="gpt-unknown")
    assert r.status_code == 503
    message = "No available channel for model gpt-unknown under group default (distributor)"
    assert r.json() == expected_error(503, message, "model_not_found", NA, ABORT, gateway_id(r))
    r = chat(session, base, messages=[])
    assert r.status_code == 500
    rid = gateway_id(r)
    assert r.json() == expected_error(500, "field messages is required", "invalid_request", NA, RELAY, rid)
    r = chat(session, base, headers={"Authorization": "Bearer nope", "Accept-Language": "zh"})
    assert r.status_code == 401
    assert r.json() == expected_error(401, "无效的令牌", "", NA, ABORT, gateway_id(r))


def test_rate_limit_empty(sim: Simulator, session: requests.Session) -> None:
    r = chat(session, sim.url_for("gw_rate_limit_empty"), headers={})
    assert r.status_code == 429
    gateway_id(r)
    assert r.content == b"" and r.headers["Content-Length"] == "0"
    assert "Content-Type" not in r.headers


def test_invalid_url_prefixed_and_default(sim: Simulator, session: requests.Session) -> None:
    r = chat(session, sim.url_for("gw_invalid_url"), headers={})
    assert r.status_code == 404
    gateway_id(r)
    message = "Invalid URL (POST /s/gw_invalid_url/v1/chat/completions)"
    assert r.json() == {
        "error": {"message": message, "type": "invalid_request_error", "param": "", "code": ""}
    }
    assert r.content.startswith(b'{"error":{"message":"Invalid URL (POST ')
    with Simulator(scenario="gw_invalid_url") as default:
        r = chat(session, default.base_url)
        assert r.json()["error"]["message"] == "Invalid URL (POST /v1/chat/completions)"
        r = session.get(default.base_url + "/v1/models?limit=5", timeout=5)
        assert r.status_code == 404
        assert r.json()["error"]["message"] == "Invalid URL (GET /v1/models)"
        gateway_id(r)


def test_web_ui(sim: Simulator, session: requests.Session) -> None:
    for r in (
        chat(session, sim.url_for("gw_web_ui"), headers={}),
        session.get(sim.url_for("gw_web_ui") + "/v1/models", timeout=5),
    ):
        assert r.status_code == 200
        gateway_id(r)
        assert r.headers["Content-Type"] == "text/html; charset=utf-8"
        assert r.headers["Cache-Control"] == "no-cache"
        assert "<title>New API</title>" in r.text
        assert '<div id="root" translate="no" class="notranslate"></div>' in r.text
        assert 'content="Unified AI API gateway and admin dashboard."' in r.text


def test_frontend_redirect(sim: Simulator, session: requests.Session) -> None:
    r = chat(session, sim.url_for("gw_frontend_redirect"), headers={})
    assert r.status_code == 301
    gateway_id(r)
    expected = "https://console.example.com/s/gw_frontend_redirect/v1/chat/completions"
    assert r.headers["Location"] == expected
    assert r.content == b""
    url = sim.url_for("gw_frontend_redirect") + "/v1/models?a=1&b=2"
    r = session.get(url, timeout=5, allow_redirects=False)
    assert r.status_code == 301
    location = "https://console.example.com/s/gw_frontend_redirect/v1/models?a=1&b=2"
    assert r.headers["Location"] == location
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.text == f'<a href="{location.replace("&", "&amp;")}">Moved Permanently</a>.\n\n'


def test_stream_error(sim: Simulator, session: requests.Session) -> None:
    r = chat(session, sim.url_for("gw_stream_error"), stream=True)
    assert r.status_code == 200
    gateway_id(r)
    assert r.headers["Content-Type"] == "text/event-stream"
    events = [line[6:] for line in r.text.split("\n") if line.startswith("data: ")]
    assert len(events) == 3
    assert json.loads(events[0])["object"] == "chat.completion.chunk"
    assert events[1] == newapi.STREAM_ERROR
    error = {"message": "upstream error: do request failed", "type": "upstream_error"}
    assert json.loads(events[1]) == {"error": {**error, "code": "bad_response_status_code"}}
    assert events[2] == "[DONE]"
    r = chat(session, sim.url_for("gw_stream_error"))
    assert r.status_code == 502
    assert r.json() == expected_error(502, *ERRORS["gw_bad_status"][1:], gateway_id(r))


def test_connection_reusable_after_empty_answers(sim: Simulator) -> None:
    body, headers = (
        json.dumps({"model": M, "messages": MESSAGES}),
        {**AUTH, "Content-Type": "application/json"},
    )
    with contextlib.closing(http.client.HTTPConnection("127.0.0.1", sim.port, timeout=5)) as conn:
        for name, status in (("gw_rate_limit_empty", 429), ("gw_frontend_redirect", 301), ("gw_ok", 200)):
            conn.request("POST", f"/s/{name}/v1/chat/completions", body=body, headers=headers)
            response = conn.getresponse()
            assert response.status == status and response.read().startswith(b"{" if status == 200 else b"")
