"""The one-api / new-api gateway family's answers (CometAPI runs one), recognised by code and message.

Read from their source (songquanpeng/one-api, QuantumNous/new-api, its older name Calcium-Ion/new-api); each
rule's source and the gate's answer are listed in docs/gateway.md. Messages come in Chinese (one-api, new-api
up to 2025, and new-api when the client or user prefers Chinese) and English (new-api's i18n default), so
every pattern holds both. Forks rename `error.type` (`comet_api_error`, ...): rules look at `code` and the
message, never at the type's brand.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from gate.core.failures import FailureClass
from gate.diagnosis.rules.row import API_NAMES, Rule, not_relayed_hint, rule
from gate.http.headers import GATEWAY_ID_HEADER

_NA, _OA = "QuantumNous/new-api", "songquanpeng/one-api"
_NO_CHANNEL_HINT = (
    "This model id is not served for your key's group: check --model against the models the gateway lists "
    "for the group (GET /v1/models), or ask the operator to add a channel. Retrying will not help."
)


# First match wins: the specific before the general (a saturated upstream keeps the upstream's
# insufficient_quota code, but it is the gateway's channel that is out, not the user's billing).
RULES: tuple[Rule, ...] = (
    rule(
        "upstream_saturated",
        FailureClass.RATE_LIMIT,
        "the gateway's upstream channel is saturated",
        f"{_OA} controller/relay.go Relay (new-api up to 2025)",
        "The gateway's upstream for this model is at capacity (not your billing, whatever the code says): "
        "retry later, or ask the gateway operator to add channels.",
        statuses=(429,),
        pattern=r"上游负载已饱和|upstream load is saturated",
    ),
    rule(
        "token_quota",
        FailureClass.QUOTA,
        "the key's own quota is used up",
        f"{_OA} model/token.go; {_NA} service/quota.go PreConsumeQuota",
        "Raise this key's (token's) quota in the gateway console, or use another key; retrying will not "
        "help.",
        codes=("pre_consume_token_quota_failed",),
        pattern=r"令牌额度(已用尽|不足)|token quota is (exhausted|not enough)|TokenStatusExhausted",
    ),
    rule(
        "user_quota",
        FailureClass.QUOTA,
        "the account's balance is used up",
        f"{_OA} relay/controller/helper.go preConsumeQuota; {_NA} service/quota.go PreConsumeQuota",
        "Top up the account's balance (or its subscription); retrying will not help.",
        codes=("insufficient_user_quota",),
        pattern=r"用户额度不足|user quota is not enough|预扣费额度失败|订阅额度不足",
    ),
    rule(
        "no_channel",
        FailureClass.REQUEST,
        "this model is not served for the key's group",
        f"{_OA} and {_NA} middleware/distributor.go Distribute",
        _NO_CHANNEL_HINT,
        pattern=r"无可用渠道|no available channel|可用渠道(获取)?(失败|不存在)",
    ),
    rule(
        "no_channel_code",
        FailureClass.REQUEST,
        "this model is not served for the key's group",
        f"{_NA} middleware/distributor.go Distribute (503 with types.ErrorCodeModelNotFound)",
        _NO_CHANNEL_HINT,
        statuses=(503,),
        codes=("model_not_found", "get_channel_failed"),
    ),
    rule(
        "model_forbidden",
        FailureClass.AUTH,
        "the key may not use this model",
        f"{_NA} middleware/distributor.go Distribute; {_OA} middleware/auth.go",
        "This key is not allowed this model: add the model to the token's model list, or use a key that may.",
        statuses=(403,),
        pattern=r"无权(使用|访问)(任何)?模型|no access to (model|any models)",
    ),
    rule(
        "group_forbidden",
        FailureClass.AUTH,
        "the key's group is disabled or not allowed",
        f"{_NA} middleware/distributor.go, middleware/auth.go",
        "The key's group is disabled, deprecated or not allowed for this user: check the token's group in "
        "the gateway console.",
        statuses=(403,),
        pattern=r"分组 ?\S* ?已被(禁用|弃用)|无权访问\S* ?\S*分组|no permission to access this group",
    ),
    rule(
        "ip_forbidden",
        FailureClass.AUTH,
        "this runner's IP address is not allowed",
        f"{_NA} middleware/auth.go TokenAuth",
        "This runner's egress IP is not in the key's allow-list: add it (or the runner's NAT range) to the "
        "token, or run from an allowed network.",
        codes=("access_denied",),
        pattern=r"IP 不在|只能在指定网段|无法解析客户端 IP|IP (address )?is not allowed",
    ),
    rule(
        "user_banned",
        FailureClass.AUTH,
        "the account is banned",
        f"{_NA} middleware/auth.go TokenAuth",
        "The account behind this key is banned: contact the gateway operator.",
        statuses=(403,),
        pattern=r"用户已被封禁|user (has been |is )?banned",
    ),
    rule(
        "token_invalid",
        FailureClass.AUTH,
        "the key is invalid, expired or disabled",
        f"{_OA} middleware/auth.go TokenAuth, model/token.go ValidateUserToken; {_NA} i18n token.invalid",
        "Check the secret's path (CI variable / secret name) and that the token is enabled and not expired "
        "in the gateway console.",
        statuses=(401,),
        pattern=r"无效的令牌|invalid token|未提供令牌|token not provided|令牌已过期|token has expired"
        r"|令牌状态不可用|token status is unavailable|令牌验证失败",
    ),
    rule(
        "sensitive_words",
        FailureClass.REQUEST,
        "the gateway's sensitive-word filter rejected the prompt",
        f"{_NA} controller/relay.go, service/sensitive.go",
        "The gateway's sensitive-word filter matched the prompt: change --prompt / --system-prompt (the "
        "application's own prompts may hit the same filter).",
        codes=("sensitive_words_detected",),
        pattern=r"sensitive.words",
    ),
    rule(
        "model_price",
        FailureClass.REQUEST,
        "the gateway has no price for this model",
        f"{_NA} relay/helper/price.go",
        "The gateway has no ratio or price set for this model: ask the gateway operator to set one.",
        codes=("model_price_error",),
        pattern=r"倍率或价格未配置|ratio or price not set",
    ),
    rule(
        "body_too_large",
        FailureClass.REQUEST,
        "the request body is too large for the gateway",
        f"{_NA} common/gin.go, controller/relay.go",
        "The gateway refused the body's size: shorten the request (the gateway's MAX_REQUEST_BODY_MB).",
        statuses=(413,),
        codes=("read_request_body_failed",),
        pattern=r"request body (exceeds|too large)",
    ),
    rule(
        "invalid_request",
        FailureClass.REQUEST,
        "the gateway rejected the request body",
        f"{_NA} controller/relay.go (types.NewError defaults to 500)",
        "The gateway could not use the request: check the body against the API reference (model id, "
        "messages, token limit).",
        codes=("invalid_request", "invalid_text_request", "bad_request_body", "read_request_body_failed"),
    ),
    rule(
        "do_request_failed",
        FailureClass.UPSTREAM,
        "the gateway could not reach its upstream provider",
        f"{_NA} service/error.go OpenAIErrorWrapper",
        "The gateway failed to reach the upstream provider: check the status page, keep the request id for "
        "the gateway's support, retry later.",
        codes=("do_request_failed",),
        pattern=r"请求上游地址失败|do request failed",
    ),
    rule(
        "bad_upstream_status",
        FailureClass.UPSTREAM,
        "the upstream provider answered with an error status",
        f"{_OA} relay/controller/error.go; {_NA} service/error.go RelayErrorHandler",
        "The upstream provider failed behind the gateway: keep the request id for the gateway's support, "
        "retry later.",
        codes=("bad_response_status_code",),
    ),
    *(
        rule(
            f"{api}_not_relayed",
            FailureClass.ENDPOINT,
            f"the gateway has no {path} route",
            f"{_OA} router/relay.go SetRelayRouter (no /v1/responses route: NoRoute answers Invalid URL); "
            f"{_NA} router/relay-router.go (relayed per channel type)",
            not_relayed_hint(api),
            statuses=(404, 405),
            pattern=rf"^Invalid URL \(POST [^)]*{path}\)$",
            when=lambda a, api=api: a.api == api and "/v1/v1/" not in a.detail,
        )
        for api, (_, path) in API_NAMES.items()
    ),
    *(
        rule(
            f"{api}_not_implemented",
            FailureClass.ENDPOINT,
            f"the gateway's channel for this model does not implement {path}",
            f"{_NA} relay/responses_handler.go, relay/embedding_handler.go: the channel adaptor's Convert* "
            "returns 'not implemented', answered as types.NewError(ErrorCodeConvertRequestFailed) (500)",
            not_relayed_hint(api),
            statuses=(500, 501),
            codes=("convert_request_failed",),
            when=lambda a, api=api: a.api == api and "not implemented" in a.detail.lower(),
        )
        for api, (_, path) in API_NAMES.items()
    ),
    rule(
        "invalid_url",
        FailureClass.ENDPOINT,
        "the gateway has no such API path",
        f"{_NA} router/web-router.go NoRoute, controller/relay.go RelayNotFound",
        "The path under the gateway is wrong (often /v1 twice, or a typo): use the host alone or host/v1 as "
        "--base-url; the gate adds /v1/chat/completions.",
        statuses=(404, 405),
        pattern=r"^Invalid URL \(",
    ),
)


_TITLE = re.compile(rb"<title>\s*([^<]{0,80}?)\s*</title>", re.IGNORECASE)
_SPA_ROOT = re.compile(rb"<div id=[\"']root[\"']", re.IGNORECASE)
_PORTAL = re.compile(
    rb"captive|wifi|hotspot|log ?in to (the )?network|type=[\"']password[\"']", re.IGNORECASE
)


def web_ui_evidence(headers: Mapping[str, str], body: bytes) -> list[str]:
    """Why an HTML page looks like the gateway's own web UI (its index.html, served with 200 for any path it
    does not route: the base URL's path is wrong), or [] when it looks like something else in the way (a
    proxy, a captive portal, another site)."""
    head = body[:8192]
    if _PORTAL.search(head):
        return []
    evidence = []
    if headers.get(GATEWAY_ID_HEADER):
        evidence.append("the X-Oneapi-Request-Id header of one-api/new-api")
    title = _TITLE.search(head)
    if title and re.search(rb"\b(one|new) api\b", title.group(1), re.IGNORECASE):
        evidence.append(f"the page title '{title.group(1).decode('utf-8', 'replace')}'")
    if _SPA_ROOT.search(head) and evidence:
        evidence.append('a single-page app\'s <div id="root">')
    return evidence
