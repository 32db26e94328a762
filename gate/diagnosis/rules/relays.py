"""Gateways that relay other providers' answers: the LiteLLM proxy, Portkey's gateway and Cloudflare's AI
Gateway. Their own answers (a key the relay refuses, a header it needs) and what they change in a relayed
one (LiteLLM's code is the status and its type a class name; Portkey prefixes the provider's message with
`<provider> error: `). Observed on loopback (tests/peers) or read from their source (docs/dialects.md).
"""

from __future__ import annotations

from gate.core.failures import FailureClass
from gate.diagnosis.rules.row import Rule, rule

_PORTKEY = (
    "Portkey-AI/gateway v1.15.2 src/middlewares/requestValidator/index.ts (tests/peers/test_portkey.py)"
)

RULES: tuple[Rule, ...] = (
    rule(
        "portkey_needs_provider",
        FailureClass.REQUEST,
        "the Portkey gateway was not told where to send the request",
        f"{_PORTKEY}: 400 without x-portkey-config or x-portkey-provider",
        "Portkey needs to know the provider: add --header 'x-portkey-provider: openai' (or "
        "--header-env 'x-portkey-config=PORTKEY_CONFIG' for a saved config, and x-portkey-api-key on "
        "Portkey's hosted gateway).",
        statuses=(400,),
        pattern=r"x-portkey-(config|provider)",
    ),
    rule(
        "portkey_bad_route",
        FailureClass.REQUEST,
        "the Portkey gateway refused the route the headers give",
        f"{_PORTKEY}: 400 'Invalid provider passed', 400 'Invalid custom host'",
        "Portkey did not accept the route: x-portkey-provider must be a provider slug it knows (openai, "
        "azure-openai, ...) and x-portkey-custom-host an http(s) URL that ends in /v1.",
        statuses=(400,),
        pattern=r"^Invalid (provider passed|custom host)",
    ),
    rule(
        "aigateway_unauthorized",
        FailureClass.AUTH,
        "the AI Gateway refused the request (authenticated gateway)",
        "developers.cloudflare.com/ai-gateway/configuration/authentication/: 401 code 2009 Unauthorized",
        "This Cloudflare AI Gateway is authenticated: send its token with "
        "--header-env 'cf-aig-authorization=CF_AIG_TOKEN' (value 'Bearer <token>'), besides the provider's "
        "key.",
        statuses=(401,),
        codes=("2009",),
    ),
    rule(
        "relayed_billing",
        FailureClass.QUOTA,
        "quota or credit exhausted (relayed)",
        "OpenAI's insufficient_quota message relayed under another code: LiteLLM's 429 throttling_error "
        "(BerriAI/litellm litellm/exceptions.py RateLimitError), Portkey's 'openai error: ' prefix",
        "The provider behind the relay says the account's quota or credit is used up: top up or raise the "
        "limit at the provider; retrying will not help.",
        pattern=r"exceeded your current quota, please check your plan and billing",
        # The code itself: the status table's quota row; Gemini's RESOURCE_EXHAUSTED says the same words
        # for a per-minute limit (the hosted table's row).
        when=lambda a: not a.keys & {"insufficient_quota", "resource_exhausted"},
    ),
    rule(
        "litellm_budget_exceeded",
        FailureClass.QUOTA,
        "the LiteLLM proxy's budget for this key, user or team is spent",
        "BerriAI/litellm litellm/proxy/auth/auth_checks.py BudgetExceededError, type budget_exceeded "
        "(BerriAI/litellm#36729: 429; #14144: relayed as a 400 before)",
        "A budget set in the LiteLLM proxy (the key's, user's, team's or the model's max_budget) is spent: "
        "raise it or wait for its budget_duration to reset; retrying will not help.",
        codes=("budget_exceeded",),
        pattern=r"budget has been exceeded|exceeded budget|ExceededBudget|ExceededTokenBudget",
    ),
    rule(
        "litellm_relayed_not_found",
        FailureClass.REQUEST,
        "the provider behind the LiteLLM proxy has no such model or deployment",
        "BerriAI/litellm litellm/proxy/_types.py ProxyException (code is the status as text; the message "
        "starts with the exception's name: 'litellm.BadRequestError: ...Exception - ')",
        "The LiteLLM proxy routed the model, but its provider has no such model or deployment: fix that "
        "entry's model / api_base in the proxy's model_list (the provider's answer is quoted).",
        statuses=(404,),
        pattern=r"^litellm\.\w+Error\b",
    ),
)
