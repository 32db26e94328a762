"""Hosted providers behind an OpenAI-compatible base URL: OpenAI, Azure OpenAI, Anthropic's and Gemini's
OpenAI-compatible endpoints, OpenRouter, Cloudflare Workers AI, Groq, DeepSeek, Mistral, Together and
Fireworks. Only the answers whose meaning differs from what their status means anywhere are here; each row
cites its source, docs/dialects.md quotes the answers.
"""

from __future__ import annotations

from gate.core.failures import FailureClass
from gate.diagnosis.rules.row import Rule, rule

_OPENAI_CODES = "platform.openai.com/docs/guides/error-codes"
_AZURE = "learn.microsoft.com/azure/ai-services/openai"
_ANTHROPIC = "docs.anthropic.com/en/api/errors"
_GEMINI = "ai.google.dev/gemini-api/docs/troubleshooting"
_OPENROUTER = "openrouter.ai/docs/api-reference/errors"
_WORKERS_AI = "developers.cloudflare.com/workers-ai/platform/errors/"
_GROQ = "console.groq.com/docs/errors"

RULES: tuple[Rule, ...] = (
    rule(
        "country_blocked",
        FailureClass.REQUEST,
        "the provider does not serve the runner's country or region",
        f"{_OPENAI_CODES}: 403 unsupported_country_region_territory; {_GEMINI}: 400 FAILED_PRECONDITION "
        "'User location is not supported for the API use'",
        "The provider refuses requests from this runner's egress region (the key is fine): run the gate "
        "where production's traffic leaves from, or through the gateway production uses.",
        codes=("unsupported_country_region_territory",),
        pattern=r"country, region, or territory not supported|user location is not supported",
    ),
    rule(
        "azure_private_only",
        FailureClass.REQUEST,
        "the resource accepts only traffic from its private endpoint",
        f"{_AZURE}/how-to/network: 403 'Public access is disabled. Please configure private endpoint.' "
        "(TabularEditor/TabularEditor3#1557)",
        "The Azure resource has public network access disabled (the key is fine): run the gate inside the "
        "network that reaches its private endpoint (and resolves the host to the private IP), or allow the "
        "runner's network.",
        statuses=(403,),
        pattern=r"public access is disabled|private endpoint",
    ),
    rule(
        "azure_deployment_not_found",
        FailureClass.REQUEST,
        "the Azure deployment does not exist",
        f"{_AZURE}/how-to/... : 404 DeploymentNotFound",
        "The deployment name (Azure's name for the model) does not exist on this resource: check it in the "
        "Azure AI Foundry portal and in the URL; a new deployment can take 5 minutes to answer.",
        codes=("deploymentnotfound",),
    ),
    rule(
        "content_filtered",
        FailureClass.REQUEST,
        "the provider's content filter rejected the prompt",
        f"{_AZURE}/concepts/content-filter: 400 content_filter, innererror ResponsibleAIPolicyViolation; "
        f"{_OPENROUTER}: 403 flagged input (metadata.reasons, flagged_input)",
        "The provider's moderation flagged the prompt: change --prompt / --system-prompt (the "
        "application's own prompts may be flagged the same way) or the deployment's filter policy.",
        codes=("content_filter", "responsibleaipolicyviolation"),
        pattern=r"\bflagged\b|content management policy",
    ),
    rule(
        "model_not_found",
        FailureClass.REQUEST,
        "the model does not exist here",
        f"{_ANTHROPIC}: 404 not_found_error 'model: <id>'; {_GEMINI}: 404 NOT_FOUND 'models/<id> is not "
        f"found'; {_WORKERS_AI}: 3042 'No such model'",
        "The model id is not served by this provider (or not to this key): check --model against its "
        "model list (GET /v1/models) and its exact spelling.",
        codes=("3042",),
        pattern=r"^model: \S|\bmodels/\S+ is not found|\bno such model\b",
    ),
    rule(
        "azure_access_denied",
        FailureClass.AUTH,
        "the key is not for this Azure resource, or the endpoint is wrong",
        f"{_AZURE}/reference: 401 'Access denied due to invalid subscription key or wrong API endpoint'",
        "Azure cannot tell a wrong key from a wrong endpoint: check the key was copied from the resource "
        "whose host is in --base-url, and send it the way that resource expects (Azure keys: "
        "--header-env 'api-key=AZURE_OPENAI_API_KEY'; Entra ID tokens: --api-key).",
        statuses=(401,),
        pattern=r"invalid subscription key or wrong API endpoint",
    ),
    rule(
        "openrouter_no_provider",
        FailureClass.REQUEST,
        "no provider the account allows serves this model",
        f"{_OPENROUTER}: 404 'No allowed providers are available for the selected model' "
        "(metadata.available_providers, requested_providers)",
        "The account's provider allow/ignore settings exclude every provider of this model: change them "
        "(openrouter.ai/settings) or pick a model an allowed provider serves.",
        statuses=(404,),
        pattern=r"no allowed providers are available",
    ),
    rule(
        "gemini_resource_exhausted",
        FailureClass.RATE_LIMIT,
        "the project's Gemini quota is exhausted for now",
        f"{_GEMINI}: 429 RESOURCE_EXHAUSTED 'You exceeded your current quota' (per-minute and per-day "
        "limits alike; details carry QuotaFailure and RetryInfo)",
        "Gemini's per-minute or per-day quota for this project is used up: look at ai.dev/rate-limit; when "
        "the model's limit is 0 the project needs billing enabled, else retry after the window.",
        statuses=(429,),
        codes=("resource_exhausted",),
    ),
    rule(
        "credit_exhausted",
        FailureClass.QUOTA,
        "the account's credit or spend limit is used up",
        f"{_ANTHROPIC}: 400 'Your credit balance is too low', 400 'reached your specified API usage "
        f"limits', 429 enforced_spend_limit_reached; {_WORKERS_AI}: 3036 (seen as 4006) daily free "
        "allocation used up; Cloudflare AI Gateway 2041 spend limit; DeepSeek 402 Insufficient Balance",
        "The provider account is out of credit or at its spend limit: top up or raise the limit in the "
        "provider's billing console; retrying will not help.",
        codes=("3036", "4006", "2041", "enforced_spend_limit_reached"),
        pattern=r"credit balance is too low|spend limit|used up your daily free allocation"
        r"|insufficient (balance|credits)|reached your specified (workspace )?API usage limits",
    ),
    rule(
        "model_retired",
        FailureClass.REQUEST,
        "the model has been retired",
        f"{_GROQ}: 400 model_decommissioned",
        "This model was decommissioned: move --model (and the application) to the replacement the "
        "provider's deprecations page names.",
        codes=("model_decommissioned",),
        pattern=r"has been decommissioned",
    ),
    rule(
        "cloudflare_out_of_capacity",
        FailureClass.UPSTREAM,
        "the platform has no capacity left for this model",
        f"{_WORKERS_AI}: 3040 Out of capacity, 429 'No more data centers to forward the request to'",
        "Workers AI is out of capacity for this model right now (not your limits): retry later or use a "
        "less loaded model.",
        codes=("3040",),
    ),
    rule(
        "groq_flex_capacity",
        FailureClass.UPSTREAM,
        "the provider's flex tier is at capacity",
        f"{_GROQ}: 498 Flex Tier Capacity Exceeded, retry later",
        "Groq's flex tier is at capacity: retry later, or use the on-demand service tier for the gate.",
        statuses=(498,),
    ),
    rule(
        "key_invalid",
        FailureClass.AUTH,
        "the key is not valid",
        f"{_GEMINI}: 400 INVALID_ARGUMENT, reason API_KEY_INVALID; {_WORKERS_AI}: 10000 Authentication error",
        None,
        codes=("api_key_invalid", "10000"),
    ),
)
