"""Servers a team runs itself behind an OpenAI-compatible base URL: vLLM, text-generation-inference,
llama.cpp's server, Ollama and LM Studio. Read from their source (docs/dialects.md quotes each answer);
most of their answers are also what the status means anywhere (the status table), so only the ones that
differ are here.
"""

from __future__ import annotations

from gate.core.failures import FailureClass
from gate.diagnosis.rules.row import Rule, rule

_TGI = "huggingface/text-generation-inference router/src/server.rs (InferError -> StatusCode)"
_LLAMA = "ggml-org/llama.cpp tools/server/utils.hpp format_error_response"

RULES: tuple[Rule, ...] = (
    rule(
        "lmstudio_unexpected_endpoint",
        FailureClass.ENDPOINT,
        "the server has no such endpoint",
        'LM Studio\'s server: 200 {"error": "Unexpected endpoint or method. (POST /path)"} for any path it '
        "does not serve (docs/dialects.md)",
        "The server at this base URL does not serve this path: use http://<host>:<port>/v1 as --base-url "
        "(the gate adds /chat/completions).",
        pattern=r"^Unexpected endpoint or method\b",
    ),
    rule(
        "tgi_generation_failed",
        FailureClass.UPSTREAM,
        "the model server failed while generating",
        f"{_TGI}: InferError::GenerationError is 424 Failed Dependency, error_type generation",
        "The model server failed during generation (often out of GPU memory or a crashed shard): check its "
        "logs; the gate retried.",
        statuses=(424,),
    ),
    rule(
        "llamacpp_embeddings_only",
        FailureClass.ENDPOINT,
        "the server does not serve chat completions",
        f"{_LLAMA}: ERROR_TYPE_NOT_SUPPORTED is 501, 'This server does not support completions. Start it "
        "without `--embeddings`'",
        "The server at this base URL was started for embeddings only (llama-server --embeddings): point "
        "--base-url at a server started without it. Retrying will not help.",
        statuses=(501,),
        when=lambda a: a.api == "chat",  # on another API's path a 501 is that API not being served
    ),
    rule(
        "llamacpp_loading",
        FailureClass.UPSTREAM,
        "the model is still loading",
        f"{_LLAMA}: ERROR_TYPE_UNAVAILABLE is 503 'Loading model'",
        "The server is still loading its model: wait for its /health to answer 200 before the gate runs "
        "(the gate retried).",
        statuses=(503,),
        pattern=r"^Loading model\b",
    ),
    rule(
        "ollama_model_missing",
        FailureClass.REQUEST,
        "the model is not pulled on this server",
        'ollama/ollama server/routes.go ChatHandler, openai/openai.go NewError: 404 \'model "x" not '
        "found, try pulling it first' (to v0.11), 'model 'x' not found' (v0.12 on)",
        "This Ollama server does not have the model: `ollama pull <model>` on it, or correct --model "
        "(`ollama list` shows what it has).",
        statuses=(404,),
        pattern=r"^(?-i:model) ['\"][^'\"]+['\"] not found",  # LM Studio's says "Model"
    ),
    rule(
        "ollama_busy",
        FailureClass.RATE_LIMIT,
        "the server's request queue is full",
        "ollama/ollama server/sched.go ErrMaxQueue: 503 'server busy, please try again.  maximum pending "
        "requests exceeded'",
        "The Ollama server's queue is full: retry later, or raise OLLAMA_MAX_QUEUE / OLLAMA_NUM_PARALLEL.",
        statuses=(503,),
        pattern=r"^server busy, please try again",
    ),
    rule(
        "lmstudio_model_not_loaded",
        FailureClass.REQUEST,
        "the model is not loaded on this server",
        "LM Studio's server: 404 'Model \"x\" not found. Please specify a valid model.', 404 'No models "
        "loaded', 400 'Invalid model identifier' (docs/dialects.md)",
        "LM Studio has no such model loaded: `lms load <model>` (or enable just-in-time loading), or set "
        "--model to a key `lms ls` lists.",
        pattern=r"^No models loaded\b|Please specify a valid (downloaded )?model",
    ),
    rule(
        "vllm_not_a_chat_model",
        FailureClass.ENDPOINT,
        "the server's model does not chat",
        "vllm-project/vllm entrypoints/openai api_router create_chat_completion: 'The model does not support "
        "Chat Completions API' (with status 200 for a pooling model)",
        "The server at this base URL runs an embedding (pooling) model: point --base-url at the vLLM "
        "serving the generative model.",
        pattern=r"does not support Chat Completions API",
    ),
)
