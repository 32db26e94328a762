"""Behaviours answering exactly as the one-api / new-api gateway family (the software CometAPI runs) does.

Sources: songquanpeng/one-api (OA), Calcium-Ion/new-api of 2025-04 (NA-25), QuantumNous/new-api of
2025-2026 (NA). The RequestId middleware runs before routing, so every answer carries
``X-Oneapi-Request-Id``; none carries Retry-After. Errors come in two envelopes: middleware aborts
(``abortWithOpenAiMessage``, a gin.H whose keys Go sorts) ``{"error":{"code","message","type"}}`` and relay
errors (``types.OpenAIError``) ``{"error":{"message","type","param","code"}}``. Unless a scenario says
otherwise TokenAuth runs first (401 for a wrong key) and ``GET /v1/models`` answers the new-api list.
"""

from __future__ import annotations

import json
import secrets
import string
import time
from typing import Any
from urllib.parse import unquote, urlsplit

from gate.simulator.apis import API_ENDPOINTS, accepted_models
from gate.simulator.behaviours import Behaviour, complete
from gate.simulator.exchange import Exchange
from gate.simulator.responses import EMBEDDING_MODEL, Completion, sse_event, stream_chunks, validate_chat

REQUEST_ID_HEADER = "X-Oneapi-Request-Id"
JSON_TYPE = "application/json; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
NEW_API_ERROR = "new_api_error"
FRONTEND_BASE_URL = "https://console.example.com"
#: ``helper.SetEventStreamHeaders`` (NA relay/helper/common.go); no upstream header is copied on a stream.
SSE_HEADERS = [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")]
SSE_HEADERS += [("Connection", "keep-alive"), ("X-Accel-Buffering", "no")]
STREAM_ERROR = (
    '{"error":{"message":"upstream error: do request failed","type":"upstream_error",'
    '"code":"bad_response_status_code"}}'
)
QUOTA_MESSAGE = "You exceeded your current quota, please check your plan and billing details."
#: NA common/gin.go: ``errors.Wrap(ErrRequestBodyTooLarge, "request body exceeds 128 MB")``
BODY_TOO_LARGE = "request body exceeds 128 MB: request body too large"
#: NA web/index.html, served by the NoRoute handler (router/web-router.go) for any unknown path.
INDEX_HTML = (
    b'<!doctype html>\n<html lang="en">\n  <head>\n    <meta charset="UTF-8" />\n'
    b'    <link rel="icon" type="image/png" sizes="32x32" href="/favicon-32x32.png" />\n'
    b'    <link rel="icon" type="image/png" sizes="16x16" href="/favicon-16x16.png" />\n'
    b'    <link rel="apple-touch-icon" href="/apple-touch-icon.png" />\n'
    b'    <meta name="viewport" content="width=device-width, initial-scale=1.0" />\n'
    b'    <meta name="google" content="notranslate" />\n\n    <!-- Primary Meta Tags -->\n'
    b'    <title>New API</title>\n    <meta name="title" content="New API" />\n    <meta\n'
    b'      name="description"\n      content="Unified AI API gateway and admin dashboard."\n    />\n\n'
    b'    <meta name="theme-color" content="#fff" />\n    <!--umami-->\n    <!--Google Analytics-->\n'
    b'  </head>\n\n  <body>\n    <div id="root" translate="no" class="notranslate"></div>\n  </body>\n'
    b"</html>\n"
)

_KEY_CHARS = string.digits + string.ascii_lowercase + string.ascii_uppercase
_GO_ESCAPES = str.maketrans({c: f"\\u{ord(c):04x}" for c in "<>&\u2028\u2029"})
_HTML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"})
_NA, _NA25, _OA = "QuantumNous/new-api", "Calcium-Ion/new-api", "songquanpeng/one-api"
_DISTRIBUTE = f"{_NA25} middleware/distributor.go Distribute"
_DIST_EN = f"{_NA} middleware/distributor.go, its hard-coded English version (rebranded type)"
_AUTH, _QUOTA = f"{_NA} middleware/auth.go TokenAuth", f"{_NA} service/quota.go PreConsumeQuota"
_RELAY, _VALIDATE = f"{_NA} controller/relay.go Relay", f"{_NA} relay/helper/valid_request.go"
_TOKEN_SHORT = "token quota is not enough, token remain quota: ＄0.000100, need quota: ＄0.002000"
_IP_DENIED, _RPM = "您的 IP 不在令牌允许访问的列表中", "您已达到请求数限制：1分钟内最多请求60次"
_UPSTREAM_FAILED = "请求上游地址失败"
_NO_CHANNEL = "no available channel for group default and model {model} (distributor)"
_PRICE = (
    "模型 {model} 倍率或价格未配置，请联系管理员设置或开始自用模式；"
    "Model {model} ratio or price not set, please set or start self-use mode"
)
_QUOTA_429 = {"code": "insufficient_quota", "type_": "insufficient_quota", "src": f"{_NA} types/error.go"}
_SATURATED = {**_QUOTA_429, "src": f"{_NA25} controller/relay.go Relay (also {_OA})"}
_UPSTREAM_502 = {"type_": "upstream_error", "param": "502", "src": f"{_NA25} service/error.go"}
_CHAT_PROBLEMS = {"model": "model is required", "messages": "field messages is required"}


# -- wire helpers ----------------------------------------------------------------------------------


def gateway_request_id() -> str:
    """``GetTimeString() + GetRandomString(8)``: UTC ``YYYYMMDDhhmmss``, the nanoseconds of the second
    (unpadded), 8 characters of ``0-9a-zA-Z`` (NA common/utils.go, middleware/request-id.go)."""
    now = time.time_ns()
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(now // 1_000_000_000))
    return f"{stamp}{now % 1_000_000_000}" + "".join(secrets.choice(_KEY_CHARS) for _ in range(8))


def go_json(obj: Any) -> bytes:
    """Encode like Go's encoding/json: compact, raw UTF-8, with ``<>&`` and U+2028/9 escaped."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).translate(_GO_ESCAPES).encode()


def send_gin_json(ex: Exchange, status: int, obj: Any, rid: str | None = None) -> None:
    """``c.JSON``: ``application/json; charset=utf-8`` plus the gateway request id header."""
    ex.send(status, go_json(obj), JSON_TYPE, headers=[(REQUEST_ID_HEADER, rid or gateway_request_id())])


def gateway_error(
    ex: Exchange, status: int, msg: str, code: str = "", type_: str = NEW_API_ERROR, param: str | None = None
) -> None:
    """The message gets `` (request id: <id>)``, the id of the header. ``param`` None: a middleware abort
    (NA middleware/utils.go ``abortWithOpenAiMessage``); else a relay error (NA controller/relay.go)."""
    rid = gateway_request_id()
    message = f"{msg} (request id: {rid})"
    if param is None:
        err = {"code": code, "message": message, "type": type_}
    else:
        err = {"message": message, "type": type_, "param": param, "code": code}
    send_gin_json(ex, status, {"error": err}, rid)


def requested_model(ex: Exchange) -> str:
    """The ``model`` of the request body, or the configured model when there is none."""
    p = ex.payload
    model = p.get("model") if isinstance(p, dict) else None
    return model if isinstance(model, str) and model else ex.state.model


def invalid_token(ex: Exchange) -> None:
    """401 ``token.invalid``, in Chinese for ``Accept-Language: zh`` and English by default (NA
    middleware/auth.go ``TokenAuth``, i18n/i18n.go, i18n/locales)."""
    zh = ex.headers.get("accept-language", "").strip().lower().startswith("zh")
    gateway_error(ex, 401, "无效的令牌" if zh else "Invalid token")


def models_list(ex: Exchange) -> None:
    """NA controller/model.go ``ListModels``: ``{"data":[...],"object":"list","success":true}``."""
    kinds = [(ex.state.model, "openai"), (EMBEDDING_MODEL, "embeddings")]
    item = {"object": "model", "created": 1626777600, "owned_by": "openai"}
    data = [{"id": m, **item, "supported_endpoint_types": [k]} for m, k in kinds]
    send_gin_json(ex, 200, {"data": data, "object": "list", "success": True})


def send_sse(ex: Exchange, events: list[Any], rid: str | None = None) -> None:
    """200 SSE (chunked) with the gateway's stream headers."""
    headers = [*SSE_HEADERS, (REQUEST_ID_HEADER, rid or gateway_request_id())]
    if ex.start(200, headers, framing="chunked") and all(ex.write(sse_event(e)) for e in events):
        ex.finish()


# -- behaviour builders ----------------------------------------------------------------------------


def after_auth(chat: Behaviour, *, models_too: bool = False) -> Behaviour:
    """TokenAuth first (401 for a wrong key); ``/v1/models`` answers the list unless ``models_too``."""

    def behaviour(ex: Exchange) -> None:
        if not ex.authorized:
            return invalid_token(ex)
        if ex.endpoint == "models" and not models_too:
            return models_list(ex)
        return chat(ex)

    return behaviour


def _fixed(
    name: str, status: int, message: str, code: str, source: str, **kw: Any
) -> tuple[str, str, Behaviour]:
    """A fixed gateway error; ``{model}`` in ``message`` is the requested model. ``param``: relay errors
    only; ``scope``: ``chat`` (after TokenAuth), ``token`` (after it, /v1/models too), ``any`` (any key)."""
    type_, param, scope = kw.get("type_", NEW_API_ERROR), kw.get("param"), kw.get("scope", "chat")

    def chat(ex: Exchange) -> None:
        gateway_error(ex, status, message.format(model=requested_model(ex)), code, type_, param)

    behaviour = chat if scope == "any" else after_auth(chat, models_too=scope == "token")
    kind = "abort" if param is None else "relay"
    description = f"{status} {kind} {type_}/{code or '-'}: {message.replace('{model}', '<model>')}"
    behaviour.__doc__ = (
        f"{description.rstrip('.')}{' (any key)' if scope == 'any' else ''}. Source: {source}."
    )
    return name, description, behaviour


def _abort(name: str, status: int, message: str, code: str = "", **kw: Any) -> tuple[str, str, Behaviour]:
    """A middleware abort (no ``param``); ``src`` names the source."""
    return _fixed(name, status, message, code, kw.pop("src"), **kw)


def _relay(name: str, status: int, message: str, code: str, **kw: Any) -> tuple[str, str, Behaviour]:
    """A relay error (``param`` present, default empty); ``src`` names the source."""
    return _fixed(name, status, message, code, kw.pop("src"), param=kw.pop("param", ""), **kw)


# -- behaviours ------------------------------------------------------------------------------------


def gw_ok(ex: Exchange) -> None:
    """The real service behind new-api: TokenAuth, the new-api model list, 503 ``model_not_found`` for
    another model (NA middleware/distributor.go), 500 ``invalid_request`` for a bad body (NA
    relay/helper/valid_request.go), else the completion with the provider's ``x-request-id`` copied (NA
    service ``IOCopyBytesGracefully``); a stream copies no provider header; /v1/responses and /v1/embeddings
    answer as the ok flow, with the gateway request id. Source: QuantumNous/new-api."""
    if not ex.authorized:
        return invalid_token(ex)
    if ex.endpoint == "models":
        return models_list(ex)
    model = requested_model(ex)
    if model not in accepted_models(ex):
        message = f"No available channel for model {model} under group default (distributor)"
        return gateway_error(ex, 503, message, "model_not_found")
    if ex.endpoint in API_ENDPOINTS:  # responses and embeddings: the provider's answer, relayed
        return complete(ex, check_auth=False, headers=[(REQUEST_ID_HEADER, gateway_request_id())])
    problem = validate_chat(ex.payload)
    if problem:
        return gateway_error(ex, 500, _CHAT_PROBLEMS.get(problem[0], problem[1]), "invalid_request", param="")
    rid = gateway_request_id()
    complete(
        ex,
        check_auth=False,
        headers=[(REQUEST_ID_HEADER, rid)],
        stream_writer=lambda ex, chunks, _headers: send_sse(ex, [*chunks, "[DONE]"], rid),
    )
    return None


def gw_rate_limit_empty(ex: Exchange) -> None:
    """429, empty body, no Retry-After (``c.Status(429); c.Abort()``), any key. Source: QuantumNous/new-api
    middleware/rate-limit.go (also songquanpeng/one-api)."""
    ex.start(429, [(REQUEST_ID_HEADER, gateway_request_id()), ("Content-Length", "0")])


def gw_invalid_url(ex: Exchange) -> None:
    """404 ``Invalid URL (<METHOD> <path>)`` without request id, any key (NoRoute). Source:
    QuantumNous/new-api controller/relay.go ``RelayNotFound``, router/web-router.go."""
    path = unquote(urlsplit(ex._handler.path).path)
    err = {"message": f"Invalid URL ({ex.method} {path})", "type": "invalid_request_error"}
    send_gin_json(ex, 404, {"error": {**err, "param": "", "code": ""}})


def gw_web_ui(ex: Exchange) -> None:
    """200 SPA index.html, ``Cache-Control: no-cache``, any key. Source: QuantumNous/new-api
    router/web-router.go (NoRoute), web/index.html."""
    headers = [("Cache-Control", "no-cache"), (REQUEST_ID_HEADER, gateway_request_id())]
    ex.send(200, INDEX_HTML, HTML_TYPE, headers)


def gw_frontend_redirect(ex: Exchange) -> None:
    """301 to ``FRONTEND_BASE_URL`` + the request URI, any key; Go's ``http.Redirect`` adds a short HTML body
    for GET only. Source: Calcium-Ion/new-api router/main.go ``SetRouter`` (also songquanpeng/one-api)."""
    location = FRONTEND_BASE_URL + ex._handler.path
    headers = [("Location", location), (REQUEST_ID_HEADER, gateway_request_id())]
    if ex.method != "GET":
        ex.start(301, [*headers, ("Content-Length", "0")])
        return
    body = f'<a href="{location.translate(_HTML_ESCAPES)}">Moved Permanently</a>.\n\n'
    ex.send(301, body.encode(), HTML_TYPE, headers)


_BAD_STATUS = _relay(
    "gw_bad_status", 502, "bad response status code 502", "bad_response_status_code", **_UPSTREAM_502
)
gw_bad_status = _BAD_STATUS[2]


def gw_stream_error(ex: Exchange) -> None:
    """Stream: 200 SSE, one chunk, the upstream error line passed through, the gateway's own [DONE]; else
    gw_bad_status. Source: Calcium-Ion/new-api relay/channel/openai/relay-openai.go OaiStreamHandler."""
    if not ex.authorized or not ex.wants_stream:
        return gw_bad_status(ex)
    first = stream_chunks(Completion(model=requested_model(ex), content="pong"), False)[0]
    send_sse(ex, [first, STREAM_ERROR, "[DONE]"])
    return None


SCENARIOS: list[tuple[str, str, Behaviour]] = [
    ("gw_ok", "new-api in front of the real service: gateway headers, new-api model list", gw_ok),
    _abort("gw_invalid_token", 401, "无效的令牌", scope="any", src=f"{_NA} middleware/auth.go (zh)"),
    _abort("gw_invalid_token_en", 401, "Invalid token", scope="any", src=f"{_NA} middleware/auth.go"),
    _abort("gw_token_exhausted", 401, "该令牌额度已用尽", scope="any", src=f"{_OA} model/token.go"),
    _relay("gw_user_quota", 403, "用户额度不足, 剩余额度: ＄0.000000", "insufficient_user_quota", src=_QUOTA),
    _relay("gw_pre_consume", 403, _TOKEN_SHORT, "pre_consume_token_quota_failed", src=_QUOTA),
    _abort("gw_model_forbidden", 403, "该令牌无权访问模型 {model}", src=_DISTRIBUTE),
    _abort("gw_group_forbidden", 403, "令牌分组 vip 已被禁用", src=_DISTRIBUTE),
    _abort("gw_ip_forbidden", 403, _IP_DENIED, "access_denied", scope="token", src=_AUTH),
    _abort("gw_no_channel", 503, "当前分组 default 下对于模型 {model} 无可用渠道", src=_DISTRIBUTE),
    _abort("gw_no_channel_en", 503, _NO_CHANNEL, "model_not_found", type_="comet_api_error", src=_DIST_EN),
    ("gw_rate_limit_empty", "429 with an empty body, no Retry-After (any key)", gw_rate_limit_empty),
    _abort("gw_rate_limit", 429, _RPM, src=f"{_NA} middleware/model-rate-limit.go"),
    _relay("gw_upstream_saturated", 429, "当前分组上游负载已饱和，请稍后再试", **_SATURATED),
    _relay("gw_quota_429", 429, QUOTA_MESSAGE, **_QUOTA_429),
    _relay("gw_invalid_request", 500, "field messages is required", "invalid_request", src=_VALIDATE),
    _relay("gw_body_too_large", 413, BODY_TOO_LARGE, "read_request_body_failed", src=f"{_NA} common/gin.go"),
    _relay("gw_sensitive_words", 500, "sensitive_words_detected", "sensitive_words_detected", src=_RELAY),
    _relay("gw_model_price", 500, _PRICE, "model_price_error", src=f"{_NA} relay/helper/price.go"),
    _relay(
        "gw_do_request_failed", 500, _UPSTREAM_FAILED, "do_request_failed", src=f"{_NA25} service/error.go"
    ),
    _BAD_STATUS,
    ("gw_invalid_url", "404 Invalid URL (<METHOD> <path>) without request id (any key)", gw_invalid_url),
    ("gw_web_ui", "200 text/html: the new-api SPA index.html (any key)", gw_web_ui),
    ("gw_frontend_redirect", f"301 to {FRONTEND_BASE_URL} + the request URI (any key)", gw_frontend_redirect),
    ("gw_stream_error", "Stream: a chunk, a data: {error} line, [DONE]; else gw_bad_status", gw_stream_error),
]
