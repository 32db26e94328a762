"""Hosted providers' OpenAI-compatible Chat Completions endpoints, answering with an error.

Families: OpenAI (api.openai.com), Azure OpenAI (<resource>.openai.azure.com/openai/deployments/<name>),
Anthropic's OpenAI SDK compatibility layer (api.anthropic.com/v1/chat/completions), Gemini's
OpenAI-compatible endpoint (generativelanguage.googleapis.com/v1beta/openai/chat/completions, whose errors
are a one-element JSON array) and OpenRouter (openrouter.ai/api/v1/chat/completions).

Sources: bodies pasted in public GitHub issue threads (cited owner/repo#number), recorded test snapshots
(Mirascope/mirascope), and the providers' documentation (docs.anthropic.com / platform.claude.com errors
and rate-limits pages, openrouter.ai/docs/api-reference/errors, learn.microsoft.com Azure OpenAI content
filtering).
A source starting "assembled:" says which parts came from where; nothing else was written by hand. Request ids
in headers are fixed values in each provider's format (copied from the cited thread where it shows one).
/work/research/hosted.md has the verdict, retry advice and support id for each.
"""

from __future__ import annotations

from gate.simulator.replays.replay import Replay

REPLAYS: tuple[Replay, ...] = (
    Replay(
        name="openai_country_blocked",
        family="OpenAI",
        status=403,
        body=(
            '{"error":{"code":"unsupported_country_region_territory","message":"Country, '
            'region, or territory not supported","param":null,"type":"request_forbidden"}}'
        ),
        source=(
            "github jlcodes99/cockpit-tools#611 (body verbatim; same bytes in "
            "gaboolic/vercel-reverse-fast#49)"
        ),
        description=("api.openai.com refuses the caller's country, region or territory (by source IP)"),
    ),
    Replay(
        name="openai_insufficient_quota",
        family="OpenAI",
        status=429,
        body=(
            "{\n"
            '    "error": {\n'
            '        "message": "You exceeded your current quota, please check your plan '
            "and billing details. For more information on this error, read the docs: "
            'https://platform.openai.com/docs/guides/error-codes/api-errors.",\n'
            '        "type": "insufficient_quota",\n'
            '        "param": null,\n'
            '        "code": "insufficient_quota"\n'
            "    }\n"
            "}\n"
        ),
        source=(
            "github ruvnet/agentic-reports#1 (curl output, verbatim); message as in "
            "chatanywhere/GPT_API_free#229"
        ),
        headers=(("x-request-id", "req_7f3c2a9e4b1d4e8a9c6f0b2d5e7a1c34"),),
        description=(
            "the OpenAI organization has no credit left or hit its billing hard limit; a "
            "429 that is no rate limit"
        ),
    ),
    Replay(
        name="openai_invalid_api_key",
        family="OpenAI",
        status=401,
        body=(
            "{\n"
            '  "error": {\n'
            '    "message": "Incorrect API key provided: '
            "sk-proj-**********************************************************************"
            "******************************************************************************"
            "****MxYA. You can find your API key at "
            'https://platform.openai.com/account/api-keys.",\n'
            '    "type": "invalid_request_error",\n'
            '    "param": null,\n'
            '    "code": "invalid_api_key"\n'
            "  }\n"
            "}\n"
        ),
        source=(
            "assembled: 2-space layout from nextcloud/integration_openai#194 (raw head), "
            "fields and message from continuedev/continue#11409 and #9634 (a masked key in "
            "the form #9634 shows)"
        ),
        headers=(("x-request-id", "req_1b9e0f6c2d7a4c3e8f5a6b0d9c2e4f71"),),
        description="the key is wrong, revoked or truncated; OpenAI echoes a masked form of it",
    ),
    Replay(
        name="azure_deployment_not_found",
        family="Azure OpenAI",
        status=404,
        body=(
            '{"error":{"code":"DeploymentNotFound","message":"The API deployment for this '
            "resource does not exist. If you created the deployment within the last 5 "
            'minutes, please wait a moment and try again."}}'
        ),
        source=(
            "github chatboxai/chatbox#861 (body verbatim); Azure-Samples/azure-search-openai-demo-csharp#379"
        ),
        headers=(("apim-request-id", "bb943c68-99ed-46ab-bda9-a5efbdf5897a"),),
        description=(
            "no deployment of that name on the resource (the deployment name is the path "
            "segment, not a model)"
        ),
    ),
    Replay(
        name="azure_access_denied",
        family="Azure OpenAI",
        status=401,
        body=(
            '{"error":{"code":"401","message":"Access denied due to invalid subscription '
            "key or wrong API endpoint. Make sure to provide a valid key for an active "
            'subscription and use a correct regional API endpoint for your resource."}}'
        ),
        source=(
            "github SciSharp/BotSharp#386 (body and headers verbatim: apim-request-id, Content-Length 224)"
        ),
        headers=(("apim-request-id", "bb943c68-99ed-46ab-bda9-a5efbdf5897a"),),
        description=(
            "the api-key is not a key of this resource, or the endpoint host is the wrong resource/region"
        ),
    ),
    Replay(
        name="azure_private_only",
        family="Azure OpenAI",
        status=403,
        body=(
            '{"error":{"code":"403","message":"Public access is disabled. Please configure private '
            'endpoint."}}'
        ),
        source=(
            "assembled: the message as quoted in TabularEditor/TabularEditor3#1557 and "
            "Azure-Samples/azure-search-openai-demo#1157, in the envelope of SciSharp/BotSharp#386"
        ),
        headers=(("apim-request-id", "4c1e2a7b-5d3f-4e8a-9b6c-0a1f2e3d4c5b"),),
        description="the resource's public network access is disabled: only its private endpoint is served",
    ),
    Replay(
        name="azure_token_rate_limit",
        family="Azure OpenAI",
        status=429,
        body=(
            '{"error":{"code":"429","message":"Requests to the ChatCompletions_Create '
            "Operation under Azure OpenAI API version 2024-02-15-preview have exceeded "
            "token rate limit of your current OpenAI S0 pricing tier. Please retry after "
            "33 seconds. Please go here: https://aka.ms/oai/quotaincrease if you would "
            'like to further increase the default rate limit."}}'
        ),
        source=(
            "assembled: envelope {error:{code:'429',message}} from jasonacox/TinyLLM#17, "
            "message verbatim from openai/openai-node#1108, Retry-After header per "
            "icereed/paperless-gpt#814; header values from EvolvingPrograms/oaib#11"
        ),
        headers=(
            ("retry-after", "33"),
            ("apim-request-id", "bb943c68-99ed-46ab-bda9-a5efbdf5897a"),
            ("x-ms-region", "North Central US"),
            ("x-request-id", "3a8b1a44-a02c-4a07-b51d-1c88acec4c4f"),
        ),
        description=("the deployment's tokens-per-minute quota is used up for now; Azure names the wait"),
    ),
    Replay(
        name="azure_content_filter",
        family="Azure OpenAI",
        status=400,
        body=(
            '{"error":{"message":"The response was filtered due to the prompt triggering '
            "Azure OpenAI's content management policy. Please modify your prompt and "
            "retry. To learn more about our content filtering policies please read our "
            'documentation: https://go.microsoft.com/fwlink/?linkid=2198766","type":null,"p'
            'aram":"prompt","code":"content_filter","status":400,"innererror":{"code":"Resp'
            'onsibleAIPolicyViolation","content_filter_result":{"hate":{"filtered":false,"s'
            'everity":"safe"},"jailbreak":{"filtered":false,"detected":false},"self_harm":{'
            '"filtered":true,"severity":"medium"},"sexual":{"filtered":false,"severity":"sa'
            'fe"},"violence":{"filtered":false,"severity":"safe"}}}}}'
        ),
        source=(
            "Mirascope/mirascope python/tests/e2e/output/snapshots/test_refusal/azure-opena"
            "i_completions_gpt_4o_mini_snapshots.py sync_snapshot (recorded Python repr, "
            "re-serialized as compact JSON in the same key order)"
        ),
        headers=(
            ("apim-request-id", "bb943c68-99ed-46ab-bda9-a5efbdf5897a"),
            ("x-ms-region", "North Central US"),
            ("x-request-id", "3a8b1a44-a02c-4a07-b51d-1c88acec4c4f"),
        ),
        description=(
            "Azure's content filter blocked the prompt; innererror.content_filter_result names the category"
        ),
    ),
    Replay(
        name="azure_timeout",
        family="Azure OpenAI",
        status=408,
        body='{"error":{"code":"Timeout","message":"The operation was timeout."}}',
        source=("github Ironclad/rivet#344 (body verbatim, reported against Azure OpenAI deployments)"),
        headers=(("apim-request-id", "bb943c68-99ed-46ab-bda9-a5efbdf5897a"),),
        description="the Azure OpenAI service gave up on the request before the model answered",
    ),
    Replay(
        name="anthropic_model_not_found",
        family="Anthropic",
        status=404,
        body=(
            '{"type":"error","error":{"type":"not_found_error","message":"model: '
            'claude-3-5-sonnet-latest"},"request_id":"req_011Ca91w52tzWPP7RWAd8yCY"}'
        ),
        source=(
            "github continuedev/continue#12161 (raw bytes quoted by LiteLLM, verbatim); "
            "docs.anthropic.com/en/api/errors"
        ),
        headers=(("request-id", "req_011Ca91w52tzWPP7RWAd8yCY"),),
        description="no Claude model of that name (retired or misspelled)",
    ),
    Replay(
        name="anthropic_credit_balance_low",
        family="Anthropic",
        status=400,
        body=(
            '{"type":"error","error":{"type":"invalid_request_error","message":"Your '
            "credit balance is too low to access the Anthropic API. Please go to Plans & "
            "Billing to upgrade or purchase "
            'credits."},"request_id":"req_011CbrFTcXhtiMzr3s6EocF7"}'
        ),
        source="github anthropics/claude-code#66314 (body verbatim)",
        headers=(("request-id", "req_011CbrFTcXhtiMzr3s6EocF7"),),
        description=("the organization's prepaid credit is spent; a 400 that is billing, not the request"),
    ),
    Replay(
        name="anthropic_spend_limit_reached",
        family="Anthropic",
        status=429,
        body=(
            '{"type":"error","error":{"type":"rate_limit_error","message":"You have '
            "reached your API usage limits: your organization has crossed its monthly API "
            "usage threshold, set based on your organization's API tier. You will regain "
            "access on 2026-09-01 at 00:00 "
            'UTC.","details":{"error_code":"enforced_spend_limit_reached"}},"request_id":"r'
            'eq_018EeWyXxfu5pfWkrYcMdjWG"}'
        ),
        source=(
            "assembled: platform.claude.com/docs/api/rate-limits (example body, schema + "
            "message + request_id, compacted); no retry-after header per the same page"
        ),
        headers=(("request-id", "req_018EeWyXxfu5pfWkrYcMdjWG"),),
        description=(
            "the tier's monthly spend cap is reached: rate_limit_error whose "
            "details.error_code says spend cap"
        ),
    ),
    Replay(
        name="anthropic_usage_limit_reached",
        family="Anthropic",
        status=400,
        body=(
            '{"type":"error","error":{"type":"invalid_request_error","message":"You have '
            "reached your specified API usage limits. You will regain access on 2026-04-01 "
            'at 00:00 UTC."},"request_id":"req_011CZLrUfBVkVHn5T6EqQaf7"}'
        ),
        source="github anthropics/claude-code#38035 (body verbatim)",
        headers=(("request-id", "req_011CZLrUfBVkVHn5T6EqQaf7"),),
        description=(
            "the spend limit the organization set itself in the Console is reached until the stated date"
        ),
    ),
    Replay(
        name="anthropic_overloaded",
        family="Anthropic",
        status=529,
        body=(
            '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"re'
            'quest_id":"req_011CZAau32QzxDkriovTaFCB"}'
        ),
        source="github anthropics/claude-code#35792 (body verbatim)",
        headers=(("request-id", "req_011CZAau32QzxDkriovTaFCB"),),
        description="Anthropic's API is overloaded for all customers; transient",
    ),
    Replay(
        name="anthropic_invalid_api_key",
        family="Anthropic",
        status=401,
        body=('{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}'),
        source=("github cline/cline#12 (body verbatim, 2024: before request_id was added to bodies)"),
        headers=(("request-id", "req_011CSHoEeqs5C35K2UUqR7Fy"),),
        description="the Anthropic key is malformed, revoked or expired",
    ),
    Replay(
        name="gemini_key_invalid",
        family="Gemini",
        status=400,
        body=(
            "[{\n"
            '  "error": {\n'
            '    "code": 400,\n'
            '    "message": "API key not valid. Please pass a valid API key.",\n'
            '    "status": "INVALID_ARGUMENT",\n'
            '    "details": [\n'
            "      {\n"
            '        "@type": "type.googleapis.com/google.rpc.ErrorInfo",\n'
            '        "reason": "API_KEY_INVALID",\n'
            '        "domain": "googleapis.com",\n'
            '        "metadata": {\n'
            '          "service": "generativelanguage.googleapis.com"\n'
            "        }\n"
            "      },\n"
            "      {\n"
            '        "@type": "type.googleapis.com/google.rpc.LocalizedMessage",\n'
            '        "locale": "en-US",\n'
            '        "message": "API key not valid. Please pass a valid API key."\n'
            "      }\n"
            "    ]\n"
            "  }\n"
            "}\n"
            "]"
        ),
        source="github continuedev/continue#8516 (array body verbatim)",
        content_type="application/json; charset=UTF-8",
        description="the Google AI Studio key is not valid; details[].reason is API_KEY_INVALID",
    ),
    Replay(
        name="gemini_model_not_found",
        family="Gemini",
        status=404,
        body=(
            "[{\n"
            '  "error": {\n'
            '    "code": 404,\n'
            '    "message": "models/gemini-pro is not found for API version v1beta, or is '
            "not supported for generateContent. Call ListModels to see the list of "
            'available models and their supported methods.",\n'
            '    "status": "NOT_FOUND"\n'
            "  }\n"
            "}\n"
            "]"
        ),
        source=(
            "assembled: inner object verbatim from continuedev/continue#9939, wrapped in "
            "the one-element array the OpenAI-compatible endpoint uses (layout of "
            "continuedev/continue#8516)"
        ),
        content_type="application/json; charset=UTF-8",
        description="no such Gemini model (or it does not serve generateContent)",
    ),
    Replay(
        name="gemini_quota_exhausted",
        family="Gemini",
        status=429,
        body=(
            "[{\n"
            '  "error": {\n'
            '    "code": 429,\n'
            '    "message": "You exceeded your current quota, please check your plan and '
            "billing details. For more information on this error, head to: "
            "https://ai.google.dev/gemini-api/docs/rate-limits. To monitor your current "
            'usage, head to: https://ai.dev/rate-limit. ",\n'
            '    "status": "RESOURCE_EXHAUSTED"\n'
            "  }\n"
            "}\n"
            "]"
        ),
        source=(
            "assembled: inner object verbatim from continuedev/continue#11450, wrapped in "
            "the array as in continuedev/continue#8516"
        ),
        content_type="application/json; charset=UTF-8",
        description=("RESOURCE_EXHAUSTED: the project's per-minute or per-day Gemini quota is used up"),
    ),
    Replay(
        name="gemini_location_unsupported",
        family="Gemini",
        status=400,
        body=(
            "[{\n"
            '  "error": {\n'
            '    "code": 400,\n'
            '    "message": "User location is not supported for the API use.",\n'
            '    "status": "FAILED_PRECONDITION"\n'
            "  }\n"
            "}\n"
            "]"
        ),
        source=(
            "assembled: FoundationAgents/OpenManus#803 (array repr from base_url "
            ".../v1beta/openai/), laid out as continuedev/continue#8516; text also in "
            "snailyp/gemini-balance#328"
        ),
        content_type="application/json; charset=UTF-8",
        description=(
            "FAILED_PRECONDITION: Gemini is not offered where the request comes from (egress IP region)"
        ),
    ),
    Replay(
        name="openrouter_insufficient_credits",
        family="OpenRouter",
        status=402,
        body=(
            '{"error":{"message":"This request requires more credits, or fewer max_tokens. '
            "You requested up to 65536 tokens, but can only afford 10114. To increase, "
            "visit https://openrouter.ai/settings/credits and upgrade to a paid "
            'account","code":402,"metadata":{"provider_name":null}},"user_id":"user_"}'
        ),
        source="github babikov/doka-site#7 (body verbatim; user_id redacted by the reporter)",
        description="the account or key cannot afford max_tokens at this model's price",
    ),
    Replay(
        name="openrouter_flagged",
        family="OpenRouter",
        status=403,
        body=(
            '{"error":{"message":"anthropic/claude-3-5-haiku requires moderation on Amazon '
            'Bedrock. Your input was flagged for \\"self-harm/instructions, '
            'self-harm/intent\\". No credits were '
            'charged.","code":403,"metadata":{"reasons":["self-harm/instructions","self-har'
            'm/intent"],"flagged_input":"Tell me about Instructions for '
            'self-harm","provider_name":"Amazon '
            'Bedrock","model_slug":"anthropic/claude-3-5-haiku"}}}'
        ),
        source=(
            "assembled: message, code, reasons, flagged_input from a 403 quoted in a "
            "public README (find_string 'requires moderation on', Python repr); "
            "provider_name and model_slug added per "
            "openrouter.ai/docs/api-reference/errors ModerationErrorMetadata"
        ),
        description="the model requires moderation and the prompt was flagged; nothing charged",
    ),
    Replay(
        name="openrouter_provider_error",
        family="OpenRouter",
        status=502,
        body=(
            '{"error":{"message":"Provider returned '
            'error","code":502,"metadata":{"raw":{"error":{"code":500,"message":"Internal '
            'error encountered.","status":"INTERNAL"}},"provider_name":"Google AI '
            'Studio","is_byok":false}}}'
        ),
        source=(
            "assembled: envelope per openrouter.ai/docs/api-reference/errors (502), "
            "metadata verbatim as relayed in truefoundry/models#817 ('Provider returned "
            "error | metadata: {...}')"
        ),
        description=(
            "the upstream provider failed; metadata.raw holds its own error, metadata.provider_name names it"
        ),
    ),
    Replay(
        name="openrouter_upstream_rate_limited",
        family="OpenRouter",
        status=429,
        body=(
            '{"error":{"message":"Provider returned '
            'error","code":429,"metadata":{"raw":"z-ai/glm-5.3-flash is temporarily '
            "rate-limited upstream. Please retry shortly, or add your own key to "
            "accumulate your rate limits: "
            'https://openrouter.ai/settings/integrations","provider_name":"BaseTen","limit_'
            'source":"upstream_provider_shared_pool","remedy_hint":"Retry shortly, add '
            'your own provider key, or route to another provider"}}}'
        ),
        source=(
            "github open-webui/computer#293 (live body; the reporter's '...' restored to "
            "the URL every other capture of this sentence shows)"
        ),
        description=(
            "the shared upstream pool for a (free) model is throttled; retry shortly or route elsewhere"
        ),
    ),
    Replay(
        name="openrouter_no_allowed_providers",
        family="OpenRouter",
        status=404,
        body=(
            '{"error":{"message":"No allowed providers are available for the selected '
            'model.","code":404,"metadata":{"available_providers":["z-ai"],"requested_provi'
            'ders":["anthropic"]}}}'
        ),
        source="github farion1231/cc-switch#995 (body verbatim)",
        description=("the account's provider allow/ignore list excludes every provider serving this model"),
    ),
    Replay(
        name="openrouter_user_not_found",
        family="OpenRouter",
        status=401,
        body='{"error":{"message":"User not found.","code":401}}',
        source="github Fosowl/agenticSeek#407 (Python repr re-serialized as compact JSON)",
        description="the OpenRouter key is unknown (deleted or mistyped)",
    ),
)
