"""Cloud platforms, fast-inference providers and relays, replayed: Cloudflare Workers AI
(``/client/v4/accounts/<id>/ai/v1/chat/completions``), Cloudflare AI Gateway (``/compat/chat/completions``),
Groq, Together AI, Fireworks AI and a LiteLLM proxy relaying a provider's answer.

Sources (each replay names its own in ``source``; research notes and verdicts in /work/research/clouds.md):
- Cloudflare: developers.cloudflare.com/workers-ai/platform/errors/ (internal codes), answers quoted in
  cloudflare/cloudflare-docs#31050, anomalyco/opencode#18552, #23773 and #32051, diegosouzapw/OmniRoute#6980.
- Groq: console.groq.com/docs/errors and /docs/flex-processing; answers quoted in
  ag5826000/resume-commentor#4, crewAIInc/crewAI#1976, lobehub/lobehub#3367, ago19800/HomeMind#29,
  continuedev/continue#10920. Groq ends its JSON with a newline (content-length 96 for a 95-byte object).
- Together AI: docs.together.ai/docs/error-codes; harshitv804/LawGPT#4, evo-design/evo#14,
  HeyPuter/puter#3168, togethercomputer/MoA#27.
- Fireworks AI: warpdotdev/warp#15107, GordeyZuev/LEAP#6.
- LiteLLM: BerriAI/litellm litellm/proxy/_types.py ProxyException (``code`` is ``str(status)``),
  docs.litellm.ai/docs/proxy/error_reference, BerriAI/litellm#24680, #7287, PR #37242.

A body marked "assembled" in its description was put together from a documented or observed envelope and
an observed or documented message; every other body is as the cited page quotes it (JSON whitespace
removed where the page pretty-printed it).
"""

from __future__ import annotations

from gate.simulator.replays.replay import Replay

CF_WORKERS = "Cloudflare Workers AI"
CF_GATEWAY = "Cloudflare AI Gateway"
GROQ = "Groq"
TOGETHER = "Together AI"
FIREWORKS = "Fireworks AI"
LITELLM = "LiteLLM proxy"

REPLAYS: tuple[Replay, ...] = (
    Replay(
        name="cloudflare_no_such_model",
        family=CF_WORKERS,
        status=400,
        body=(
            '{"errors":[{"message":"AiError: No such model: No such model '
            '@cf/meta/llama-9-8b-instruct or task (3f2b9c4e-8d71-4a56-b0e2-6c1d9a7f4e85)",'
            '"code":5007}],"success":false,"result":{},"messages":[]}'
        ),
        source=(
            "https://developers.cloudflare.com/workers-ai/platform/errors/ (No such model, 5007, "
            "400) and an observed answer of the same shape"
        ),
        headers=(("cf-ray", "8f1c2a3b4d5e6f70-SJC"),),
        description="Workers AI knows no model of that name; the message ends with Cloudflare's request id",
    ),
    Replay(
        name="cloudflare_invalid_model_id",
        family=CF_WORKERS,
        status=404,
        body=(
            '{"errors":[{"message":"AiError: The model name is invalid","code":3042}],'
            '"success":false,"result":{},"messages":[]}'
        ),
        source=(
            "https://developers.cloudflare.com/workers-ai/platform/errors/ (Invalid model ID, 3042, 404)"
        ),
        headers=(("cf-ray", "8f1c2a3b4d5e6f70-SJC"),),
        description=(
            "assembled: the 5007 envelope with the documented 3042 message; the model id is malformed"
        ),
    ),
    Replay(
        name="cloudflare_daily_allocation",
        family=CF_WORKERS,
        status=429,
        body=(
            '{"errors":[{"message":"you have used up your daily free allocation of 10,000 neurons, '
            "please upgrade to Cloudflare's Workers Paid plan if you would like to continue "
            'usage.","code":4006}],"success":false,"result":{},"messages":[]}'
        ),
        source=(
            "diegosouzapw/OmniRoute#6980 (observed 429 body, code 4006); "
            "https://developers.cloudflare.com/workers-ai/platform/errors/ (3036)"
        ),
        headers=(("cf-ray", "8f1c2a3b4d5e6f70-SJC"),),
        description=(
            "assembled: free plan's 10,000 neurons a day are spent; resets 00:00 UTC, a 429 that is quota"
        ),
    ),
    Replay(
        name="cloudflare_out_of_capacity",
        family=CF_WORKERS,
        status=429,
        body=(
            '{"errors":[{"message":"AiError: No more data centers to forward the request to",'
            '"code":3040}],"success":false,"result":{},"messages":[]}'
        ),
        source=("https://developers.cloudflare.com/workers-ai/platform/errors/ (Out of capacity, 3040, 429)"),
        headers=(("cf-ray", "8f1c2a3b4d5e6f70-SJC"),),
        description=(
            "assembled: Cloudflare has no capacity for the model right now; transient, not the account"
        ),
    ),
    Replay(
        name="cloudflare_authentication_error",
        family=CF_WORKERS,
        status=401,
        body=(
            '{"result":null,"success":false,"errors":[{"code":10000,"message":"Authentication '
            'error"}],"messages":[]}'
        ),
        source=("anomalyco/opencode#32051 (Unauthorized: ... code 10000); cloudflare/workers-sdk#4522 (403)"),
        headers=(("cf-ray", "8f1c2a3b4d5e6f70-SJC"),),
        description=(
            "the API token is missing, invalid or lacks Workers AI permission (403 with a scoped token)"
        ),
    ),
    Replay(
        name="cloudflare_no_route",
        family=CF_WORKERS,
        status=404,
        body=(
            '{"result":null,"success":false,"errors":[{"code":7003,"message":"Could not route to '
            "/client/v4/accounts/$%7BCLOUDFLARE_ACCOUNT_ID%7D/ai/v1/chat/completions, perhaps your "
            'object identifier is invalid?"}],"messages":[]}'
        ),
        source="anomalyco/opencode#18552 (Not Found: ... code 7003)",
        headers=(("cf-ray", "8f1c2a3b4d5e6f70-SJC"),),
        description="the account id in the base URL is wrong (here an unexpanded ${CLOUDFLARE_ACCOUNT_ID})",
    ),
    Replay(
        name="aigateway_unauthorized",
        family=CF_GATEWAY,
        status=401,
        body=(
            '{"success":false,"error":[{"code":2009,"message":"Unauthorized"}],'
            '"name":"AiGatewayError","httpCode":401}'
        ),
        source=(
            "cloudflare/cloudflare-docs#31050 (AiGatewayError 2009); observed on /compat/chat/completions"
        ),
        headers=(("cf-ray", "8f1c2a3b4d5e6f71-AMS"),),
        description="authenticated gateway: cf-aig-authorization is missing or not a gateway token",
    ),
    Replay(
        name="aigateway_rate_limited",
        family=CF_GATEWAY,
        status=429,
        body=(
            '{"success":false,"error":[{"code":2003,"message":"Rate limited"}],'
            '"name":"AiGatewayError","httpCode":429}'
        ),
        source=(
            "https://developers.cloudflare.com/ai-gateway/ (rate limiting); body as observed by its users"
        ),
        headers=(("cf-ray", "8f1c2a3b4d5e6f71-AMS"),),
        description="the gateway's own rate-limiting rule refused the request before any provider saw it",
    ),
    Replay(
        name="aigateway_insufficient_credits",
        family=CF_GATEWAY,
        status=402,
        body=(
            '{"success":false,"result":[],"messages":[],"error":[{"code":2021,'
            '"message":"Insufficient balance; add money to your gateway or use BYOK"}],'
            '"name":"AiGatewayError","httpCode":402,"internalCode":2021,"message":"Insufficient '
            'balance; add money to your gateway or use BYOK"}'
        ),
        source=(
            "observed 402 quoted in a public spike report (tail elided there; completed like the 2040 one)"
        ),
        headers=(
            ("cf-aig-event-id", "01M3YQKKR8MKYW26A1PWBGGB4Y"),
            ("cf-aig-request-id", "01M3YQKKR8MKYW26A1PWBGGB4Z"),
            ("cf-ray", "8f1c2a3b4d5e6f71-AMS"),
        ),
        description=(
            "assembled tail: Unified Billing credits are spent; top up or bring your own provider key"
        ),
    ),
    Replay(
        name="aigateway_spend_limit",
        family=CF_GATEWAY,
        status=429,
        body=(
            '{"name":"AiGatewayError","internalCode":2041,"message":"Spend limit exceeded: rule '
            "'5e7f1b6b' (cost limit 100 per 604800s, sliding) for openai openai/gpt-4o-mini\"}"
        ),
        source=(
            "observed 429 quoted in a public commit message (Anthropic model there; keys beyond these unseen)"
        ),
        headers=(("cf-ray", "8f1c2a3b4d5e6f71-AMS"),),
        description="a gateway spend-limit rule (cost per window) is exhausted: a 429 that is quota",
    ),
    Replay(
        name="groq_invalid_api_key",
        family=GROQ,
        status=401,
        body=(
            '{"error":{"message":"Invalid API Key","type":"invalid_request_error",'
            '"code":"invalid_api_key"}}\n'
        ),
        source="ag5826000/resume-commentor#4 (status, headers and body, content-length 96)",
        headers=(
            ("x-groq-region", "us-west-1"),
            ("x-request-id", "req_01jngbvsctfy0bmjw87yea904b"),
            ("via", "1.1 google"),
            ("cf-ray", "91b0c10e4a051b5a-NBO"),
        ),
        description="the Groq key (gsk_...) is wrong or revoked",
    ),
    Replay(
        name="groq_model_not_found",
        family=GROQ,
        status=404,
        body=(
            '{"error":{"message":"The model `llama-3.1-405b-reasoning` does not exist or you do '
            'not have access to it.","type":"invalid_request_error","code":"model_not_found"}}\n'
        ),
        source="lobehub/lobehub#3367 (error object); continuedev/continue#9890 (status 404)",
        headers=(
            ("x-groq-region", "us-west-1"),
            ("x-request-id", "req_01jq5c8w3ye9vb2m4nx7k6t0ad"),
            ("via", "1.1 google"),
            ("cf-ray", "91b0c10e4a051b5a-NBO"),
        ),
        description="no such model for this organisation (or not offered on its tier)",
    ),
    Replay(
        name="groq_model_decommissioned",
        family=GROQ,
        status=400,
        body=(
            '{"error":{"message":"The model `llama-3.1-70b-versatile` has been decommissioned and '
            "is no longer supported. Please refer to https://console.groq.com/docs/deprecations "
            'for a recommendation on which model to use instead.","type":"invalid_request_error",'
            '"code":"model_decommissioned"}}\n'
        ),
        source="crewAIInc/crewAI#1976 (GroqException body); valentinfrlch/ha-llmvision#324",
        headers=(
            ("x-groq-region", "us-west-1"),
            ("x-request-id", "req_01jj8r2kq4fm6a9xw3vd5tbn7c"),
            ("via", "1.1 google"),
            ("cf-ray", "91b0c10e4a051b5a-NBO"),
        ),
        description="the model was retired; pick its replacement from the deprecations page",
    ),
    Replay(
        name="groq_rate_limit_tpm",
        family=GROQ,
        status=429,
        body=(
            '{"error":{"message":"Rate limit reached for model `llama-3.3-70b-versatile` in '
            "organization `org_01kes94v04f9ramd2n1vj4gjnc` service tier `on_demand` on tokens per "
            "minute (TPM): Limit 12000, Used 2542, Requested 9855. Please try again in "
            "1.984999999s. Need more tokens? Upgrade to Dev Tier today at "
            'https://console.groq.com/settings/billing","type":"tokens",'
            '"code":"rate_limit_exceeded"}}\n'
        ),
        source=(
            "ago19800/HomeMind#29 (body); https://console.groq.com/docs/errors (retry-after set on every 429)"
        ),
        headers=(
            ("retry-after", "2"),
            ("x-groq-region", "us-west-1"),
            ("x-request-id", "req_01kes9x2m7q4d8v0h3n6b1c5ta"),
            ("via", "1.1 google"),
            ("cf-ray", "91b0c10e4a051b5a-NBO"),
        ),
        description="per-minute token limit; wait the seconds the message and retry-after give",
    ),
    Replay(
        name="groq_rate_limit_tpd",
        family=GROQ,
        status=429,
        body=(
            '{"error":{"message":"Rate limit reached for model `llama-3.3-70b-versatile` in '
            "organization `org_01kjh7p9n8f1qs6nz2bz77vy6b` service tier `on_demand` on tokens per "
            "day (TPD): Limit 100000, Used 97050, Requested 3619. Please try again in 9m38.016s. "
            "Need more tokens? Upgrade to Dev Tier today at "
            'https://console.groq.com/settings/billing","type":"tokens",'
            '"code":"rate_limit_exceeded"}}\n'
        ),
        source="continuedev/continue#10920 (message); envelope as in ago19800/HomeMind#29",
        headers=(
            ("retry-after", "579"),
            ("x-groq-region", "us-west-1"),
            ("x-request-id", "req_01kjh8a3w5c7e9g1j3m5p7r9tv"),
            ("via", "1.1 google"),
            ("cf-ray", "91b0c10e4a051b5a-NBO"),
        ),
        description=(
            "assembled: the free tier's tokens-per-day budget; same code as TPM, retry-after ~10 min"
        ),
    ),
    Replay(
        name="groq_flex_capacity",
        family=GROQ,
        status=498,
        body=(
            '{"error":{"message":"Flex Tier Capacity Exceeded: the flex tier is at capacity and '
            "the request won't be processed. You can try again later.\","
            '"code":"capacity_exceeded"}}\n'
        ),
        source=(
            "https://console.groq.com/docs/errors (498) and "
            "https://console.groq.com/docs/flex-processing (capacity_exceeded)"
        ),
        headers=(
            ("x-groq-region", "us-west-1"),
            ("x-request-id", "req_01km0f4t6v8x0z2b4d6f8h0k2n"),
            ("via", "1.1 google"),
            ("cf-ray", "91b0c10e4a051b5a-NBO"),
        ),
        description="assembled: service_tier=flex has no capacity; Groq's own status 498, retry with jitter",
    ),
    Replay(
        name="together_invalid_api_key",
        family=TOGETHER,
        status=401,
        body=(
            '{"error":{"message":"Invalid API key provided. You can find your API key at '
            'https://api.together.xyz/settings/api-keys.","type":"invalid_request_error",'
            '"param":null,"code":"invalid_api_key"}}'
        ),
        source="harshitv804/LawGPT#4; https://docs.together.ai/docs/error-codes (401)",
        headers=(("cf-ray", "8b2f4c6e8a0b1d3f-SJC"),),
        description="the Together key is wrong",
    ),
    Replay(
        name="together_model_not_found",
        family=TOGETHER,
        status=404,
        body=(
            '{"error":{"message":"Unable to access model togethercomputer/evo-1-131k-base. Please '
            "visit https://api.together.xyz to see the list of supported models or contact the "
            'owner to request access.","type":"invalid_request_error","param":null,'
            '"code":"model_not_found"}}'
        ),
        source="evo-design/evo#14 (openai.NotFoundError 404)",
        headers=(("cf-ray", "85c3e7a9b1d3f5a7-SJC"),),
        description="the model id is unknown to Together or not open to this account",
    ),
    Replay(
        name="together_model_not_available",
        family=TOGETHER,
        status=400,
        body=(
            '{"id":"okkMWqL-2kFHot-a023f60e9b77ff7e","error":{"message":"Unable to access '
            "non-serverless model mistralai/Mixtral-8x7B-Instruct-v0.1. Please visit "
            "https://api.together.ai/models/mistralai/Mixtral-8x7B-Instruct-v0.1 to create and "
            'start a new dedicated endpoint for the model.","type":"invalid_request_error",'
            '"param":null,"code":"model_not_available"}}'
        ),
        source="HeyPuter/puter#3168 (400 bodies with Together's request id)",
        headers=(("cf-ray", "a023f60e9b77ff7e-SJC"),),
        description="the model exists only on a dedicated endpoint, not serverless; the key itself is fine",
    ),
    Replay(
        name="together_endpoint_not_running",
        family=TOGETHER,
        status=400,
        body=(
            '{"id":"okkMWzu-2kFHot-a023f611fd50ff7e","error":{"message":"The dedicated endpoint '
            "for mistralai/Mixtral-8x22B-Instruct-v0.1 is not running. Please visit "
            'https://api.together.ai/models to start the endpoint.","type":"invalid_request_error",'
            '"param":null,"code":"dedicated_endpoint_not_running"}}'
        ),
        source="HeyPuter/puter#3168",
        headers=(("cf-ray", "a023f611fd50ff7e-SJC"),),
        description="the account's dedicated endpoint for this model is stopped",
    ),
    Replay(
        name="together_rate_limited",
        family=TOGETHER,
        status=429,
        body=(
            '{"error":{"message":"You have been rate limited. Your rate limit is 60 queries per '
            "minute. Please navigate to https://api.together.xyz/settings/billing to upgrade to a "
            'paid plan.","type":"credit_limit","param":null,"code":null}}'
        ),
        source="togethercomputer/MoA#27; https://docs.together.ai/docs/rate-limits",
        headers=(("cf-ray", "89a1c3e5f7092b4d-SJC"),),
        description='a per-minute rate limit, though its type says "credit_limit"',
    ),
    Replay(
        name="fireworks_model_not_found",
        family=FIREWORKS,
        status=404,
        body=(
            '{"error":{"message":"Model not found, inaccessible, and/or not deployed",'
            '"param":"model","code":"NOT_FOUND","type":"error"}}'
        ),
        source="warpdotdev/warp#15107 (openai-go printed the inner error object; envelope restored)",
        description=(
            "assembled envelope: the model is not served serverless or not deployed for this account"
        ),
    ),
    Replay(
        name="fireworks_rate_limited",
        family=FIREWORKS,
        status=429,
        body=(
            '{"error":"Too Many Requests","message":"You have exceeded your usage limits. Please '
            'try again later or contact Fireworks to explore dedicated capacity."}'
        ),
        source="GordeyZuev/LEAP#6 (body as Python printed it, turned back into JSON)",
        description="serverless usage (rate) limit; a string error, not an object",
    ),
    Replay(
        name="litellm_relayed_quota",
        family=LITELLM,
        status=429,
        body=(
            '{"error":{"message":"litellm.RateLimitError: RateLimitError: OpenAIException - You '
            "exceeded your current quota, please check your plan and billing details. For more "
            "information on this error, read the docs: "
            "https://platform.openai.com/docs/guides/error-codes/api-errors.. Received Model "
            'Group=gpt-4o-mini\\nAvailable Model Group Fallbacks=None","type":"throttling_error",'
            '"param":null,"code":"429"}}'
        ),
        source=(
            "BerriAI/litellm litellm/proxy/_types.py ProxyException; "
            "docs.litellm.ai/docs/proxy/error_reference"
        ),
        headers=(
            ("x-litellm-call-id", "5b0e3c2a-9f4d-4e71-8a6b-2d1c0f9e8b7a"),
            ("x-litellm-model-id", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ),
        description=(
            "assembled: OpenAI's insufficient_quota relayed; LiteLLM keeps the 429, drops the OpenAI code"
        ),
    ),
    Replay(
        name="litellm_budget_exceeded",
        family=LITELLM,
        status=429,
        body=(
            '{\n  "error": {\n    "message": "Budget has been exceeded! Current cost: 10.51, Max budget: '
            '10.00",\n    "type": "budget_exceeded",\n    "code": "429"\n  }\n}'
        ),
        source="BerriAI/litellm#36729 (the current response, as the issue quotes it)",
        headers=(("x-litellm-call-id", "7d2c9e41-3b8a-4f6e-a1d0-5c9b8e7f6a54"),),
        description="the proxy's own budget (key, user, team or model max_budget) is spent: 429, yet quota",
    ),
    Replay(
        name="litellm_budget_exceeded_relayed",
        family=LITELLM,
        status=400,
        body=(
            '{"error":{"message":"litellm.BadRequestError: OpenAIException - Budget has been exceeded! '
            "Current cost: 14.2, Max budget: 100. Received Model Group=meta.llama3-8b-instruct-v1:0\\n"
            'Available Model Group Fallbacks=None","type":null,"param":null,"code":"400"}}'
        ),
        source=(
            "assembled: the error dict quoted in BerriAI/litellm#14144 (a comment's Python repr, cost "
            "rounded there) as ProxyException.to_dict serialises it"
        ),
        headers=(("x-litellm-call-id", "1e8f3a5c-7b9d-4c2e-8f6a-3d5b7c9e1a20"),),
        description="an upstream LiteLLM's budget error relayed by another as a 400 BadRequestError",
    ),
    Replay(
        name="litellm_relayed_auth",
        family=LITELLM,
        status=401,
        body=(
            '{"error":{"message":"litellm.AuthenticationError: AuthenticationError: '
            "OpenAIException - Incorrect API key provided: "
            "sk-proj-********************************wxyz. You can find your API key at "
            "https://platform.openai.com/account/api-keys.. Received Model "
            'Group=gpt-4o-mini\\nAvailable Model Group Fallbacks=None",'
            '"type":"authentication_error","param":null,"code":"401"}}'
        ),
        source=(
            "BerriAI/litellm litellm/exceptions.py AuthenticationError; "
            "docs.litellm.ai/docs/proxy/error_diagnosis"
        ),
        headers=(
            ("x-litellm-call-id", "5b0e3c2a-9f4d-4e71-8a6b-2d1c0f9e8b7a"),
            ("x-litellm-model-id", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ),
        description=(
            "assembled: the provider key in the proxy's config was refused upstream, not the caller's key"
        ),
    ),
    Replay(
        name="litellm_relayed_not_found",
        family=LITELLM,
        status=404,
        body=(
            '{"error":{"message":"litellm.BadRequestError: Fireworks_aiException - {\\n  '
            '\\"error\\": {\\n    \\"type\\": \\"invalid_request_error\\",\\n    \\"code\\": '
            '\\"DeploymentNotFound\\",\\n    \\"message\\": \\"The API deployment for this '
            'resource does not exist. ...\\"\\n  }\\n}. Received Model '
            'Group=kimi-k3-foundry\\nAvailable Model Group Fallbacks=None","type":null,'
            '"param":null,"code":"404"}}'
        ),
        source="BerriAI/litellm PR #37242 (curl output, the provider message elided there with ...)",
        headers=(
            ("x-litellm-call-id", "5b0e3c2a-9f4d-4e71-8a6b-2d1c0f9e8b7a"),
            ("x-litellm-model-id", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ),
        description="the upstream deployment does not exist; a BadRequestError class with code 404",
    ),
    Replay(
        name="litellm_token_not_found",
        family=LITELLM,
        status=401,
        body=(
            '{"error":{"message":"Authentication Error, Invalid proxy server token passed. '
            "Received API Key = sk-...m31Q, Key Hash (Token) "
            "=569909a917a742e1c954a5ae2ff043fb10fff299956707ca9f9ce64c1f257585. Unable to find "
            'token in cache or `LiteLLM_VerificationTokenTable`","type":"token_not_found_in_db",'
            '"param":"key","code":"401"}}'
        ),
        source="BerriAI/litellm#24680 and OpenHands/OpenHands#17390 (hash from the latter)",
        description="the proxy's own refusal: this virtual key is unknown to the LiteLLM database",
    ),
    Replay(
        name="litellm_invalid_token",
        family=LITELLM,
        status=401,
        body=(
            '{"error":{"message":"Authentication Error, Invalid proxy server token passed. '
            'valid_token=None.","type":"auth_error","param":"None","code":"401"}}'
        ),
        source="BerriAI/litellm#7287 (curl output, v1.52.15+)",
        description='the proxy\'s own refusal, older wording; note param is the string "None"',
    ),
    Replay(
        name="litellm_key_rate_limited",
        family=LITELLM,
        status=429,
        body=(
            '{"error":{"message":"Rate limit exceeded for api_key: '
            "7b41ef1ecb31b286fdb9815a5266c8a232edf059cc02dfdf05a1a38d85f87ab3. Limit type: "
            'requests. Current limit: 3, Remaining: 0.","type":"throttling_error","param":null,'
            '"code":"429"}}'
        ),
        source=(
            "observed proxy answer quoted in a public deployment guide; "
            "docs.litellm.ai/docs/proxy/error_reference"
        ),
        headers=(
            ("retry-after", "60"),
            ("x-litellm-call-id", "5b0e3c2a-9f4d-4e71-8a6b-2d1c0f9e8b7a"),
        ),
        description="the proxy's own per-key RPM limit, no provider involved",
    ),
    Replay(
        name="litellm_no_deployments",
        family=LITELLM,
        status=429,
        body=(
            '{"error":{"message":"litellm.RateLimitError: No deployments available for selected '
            "model. Passed model=qwen3.5-122b. "
            "Deployments={'bab43edbf5f8dac9e034ec98c62034592b1176f02a7e6dc1475a8d1c0cd88d87': "
            "{'current_tpm': 40830, 'tpm_limit': inf, 'current_rpm': 5, 'rpm_limit': 6}}. Received "
            'Model Group=qwen3.5-122b\\nAvailable Model Group Fallbacks=None",'
            '"type":"throttling_error","param":null,"code":"429"}}'
        ),
        source=(
            "observed proxy answer quoted in a public run log; BerriAI/litellm ProxyException (No "
            "deployments)"
        ),
        headers=(
            ("retry-after", "5"),
            ("x-litellm-call-id", "5b0e3c2a-9f4d-4e71-8a6b-2d1c0f9e8b7a"),
        ),
        description="every deployment of the group is cooling down or at its configured rpm/tpm",
    ),
)
