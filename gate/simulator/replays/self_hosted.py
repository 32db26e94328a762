"""Self-hosted OpenAI-compatible servers (and two hosted APIs often pointed at the same way), replayed.

Each body is what the server writes for ``POST /v1/chat/completions``, byte for byte as its serializer
emits it: starlette ``JSONResponse`` and axum/serde ``Json`` are compact, nlohmann ``json::dump(-1)``
(llama.cpp) is compact with keys in sorted order, Go ``json.Encoder.Encode`` (Ollama's OpenAI layer)
ends in a newline, LM Studio's Express server sends some errors compact and some 4-space indented.

Sources (``source`` names the file and symbol; commits are the ones read):

- vLLM (vllm-project/vllm): ``vllm/entrypoints/openai/engine/serving.py`` ``create_error_response`` and
  ``_check_model`` @619e4b3; ``engine/protocol.py`` ``ErrorResponse``/``ErrorInfo`` @d7e5252;
  ``chat_completion/api_router.py`` ``create_chat_completion`` @c0bc596; ``api_server.py``
  ``AuthenticationMiddleware``/``XRequestIdMiddleware`` @048027f; before v0.10.1 (PR #22099) the flat
  ``serving_engine.py`` ``create_error_response`` @7ded96b.
- text-generation-inference (huggingface/text-generation-inference @db931fc): ``router/src/server.rs``
  ``impl From<InferError> for (StatusCode, Json<ErrorResponse>)``, ``router/src/infer/mod.rs`` ``InferError``,
  ``router/src/validation.rs`` ``ValidationError``, ``router/src/lib.rs`` ``ErrorResponse``.
- llama.cpp (ggml-org/llama.cpp @aa6192d): ``tools/server/server-common.cpp`` ``format_error_response``,
  ``tools/server/server-http.cpp`` middlewares and error handler, ``tools/server/server-task.cpp``
  ``server_task_result_error::to_json``.
- Ollama (ollama/ollama @fb30760 and tags): ``openai/openai.go`` ``NewError``, ``middleware/openai.go``
  ``BaseWriter.writeError``, ``server/routes.go`` ``ChatHandler``/``handleScheduleError``.
- LM Studio (closed source): verbatim captures in lmstudio-ai/lmstudio-bug-tracker#618 and client issues.
- DeepSeek and Mistral (hosted): verbatim bodies quoted by client issues, DeepSeek's error-code page.

/work/research/self_hosted.md has one row per replay: meaning, exact source, verdict, next step.
"""

from __future__ import annotations

from gate.simulator.replays.replay import Replay

_JSON_UTF8 = "application/json; charset=utf-8"

REPLAYS: tuple[Replay, ...] = (
    # ---------------------------------------------------------------- vLLM
    Replay(
        name="vllm_model_not_found",
        family="vLLM",
        status=404,
        body=(
            '{"error":{"message":"The model `gpt-4o-mini` does not exist.","type":"NotFoundError",'
            '"param":"model","code":404}}'
        ),
        source=(
            "vllm-project/vllm vllm/entrypoints/openai/engine/serving.py OpenAIServing._check_model"
            " + create_error_response @619e4b3 (assembled; ErrorResponse{error: ErrorInfo}, v0.10.1+)"
        ),
        # only with --enable-request-id-headers (XRequestIdMiddleware, uuid4().hex unless the client sent one)
        headers=(("x-request-id", "9c2f4e6a1b3d4f5e8a7c6b5d4e3f2a1b"),),
        description="the served model name does not match the request's model (newer nested envelope)",
    ),
    Replay(
        name="vllm_model_not_found_legacy",
        family="vLLM",
        status=404,
        body=(
            '{"object":"error","message":"The model `gpt-4o-mini` does not exist.","type":"NotFoundError",'
            '"param":null,"code":404}'
        ),
        source=(
            "vllm-project/vllm vllm/entrypoints/openai/serving_engine.py OpenAIServing._check_model"
            " + create_error_response @7ded96b (assembled; flat ErrorResponse, before v0.10.1)"
        ),
        description="the served model name does not match the request's model (flat object:error envelope)",
    ),
    Replay(
        name="vllm_context_length_legacy",
        family="vLLM",
        status=400,
        body=(
            '{"object":"error","message":"This model\'s maximum context length is 2048 tokens. However, you'
            " requested 2723 tokens (1699 in the messages, 1024 in the completion). Please reduce the length"
            ' of the messages or completion.","type":"BadRequestError","param":null,"code":400}'
        ),
        source=(
            "vllm-project/vllm vllm/entrypoints/openai/serving_engine.py OpenAIServing._validate_input"
            " @7ded96b; message verbatim in vllm-project/vllm#12886"
        ),
        description="prompt plus max_tokens exceed --max-model-len",
    ),
    Replay(
        name="vllm_chat_not_supported",
        family="vLLM",
        status=200,
        body=(
            '{"error":{"message":"The model does not support Chat Completions API","type":"BadRequestError",'
            '"param":null,"code":400}}'
        ),
        source=(
            "vllm-project/vllm vllm/entrypoints/openai/chat_completion/api_router.py create_chat_completion"
            " @c0bc596 (handler None: the ErrorResponse is returned, not wrapped, so FastAPI answers 200);"
            " 200 confirmed by vllm-project/vllm#16831 (flat envelope, older release)"
        ),
        description="the server runs a pooling/embedding model: no chat handler, an error body under 200",
    ),
    Replay(
        name="vllm_unauthorized",
        family="vLLM",
        status=401,
        body='{"error":"Unauthorized"}',
        source="vllm-project/vllm vllm/entrypoints/openai/api_server.py AuthenticationMiddleware @048027f",
        description="--api-key / VLLM_API_KEY is set and the bearer token is missing or wrong",
    ),
    Replay(
        name="vllm_wrong_path",
        family="vLLM",
        status=404,
        body='{"detail":"Not Found"}',
        source=(
            "vllm-project/vllm vllm/entrypoints/openai/api_server.py build_app @048027f: no route; its"
            " http_exception_handler is keyed on fastapi.HTTPException, so starlette's 404 keeps FastAPI's"
            " default http_exception_handler body"
        ),
        description="no such route: base URL or path is wrong (e.g. /v1 doubled or missing)",
    ),
    # ---------------------------------------------------------------- text-generation-inference
    Replay(
        name="tgi_generation_failed",
        family="text-generation-inference",
        status=424,
        body=(
            '{"error":"Request failed during generation: Server error: Batch ID 408 not found in cache.",'
            '"error_type":"generation"}'
        ),
        source=(
            "huggingface/text-generation-inference router/src/server.rs From<InferError> (GenerationError"
            " -> FAILED_DEPENDENCY) @db931fc; shard message verbatim in"
            " huggingface/text-generation-inference#2316"
        ),
        description="the model shard failed while generating (FAILED_DEPENDENCY)",
    ),
    Replay(
        name="tgi_overloaded",
        family="text-generation-inference",
        status=429,
        body='{"error":"Model is overloaded","error_type":"overloaded"}',
        source=(
            "huggingface/text-generation-inference router/src/infer/mod.rs InferError::Overloaded"
            " + router/src/server.rs From<InferError> (TOO_MANY_REQUESTS) @db931fc"
        ),
        description="more requests in flight than --max-concurrent-requests",
    ),
    Replay(
        name="tgi_input_too_long",
        family="text-generation-inference",
        status=422,
        body=(
            '{"error":"Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096.'
            ' Given: 4000 `inputs` tokens and 200 `max_new_tokens`","error_type":"validation"}'
        ),
        source=(
            "huggingface/text-generation-inference router/src/validation.rs ValidationError::MaxTotalTokens"
            " + router/src/infer/mod.rs InferError::ValidationError @db931fc (assembled)"
        ),
        description="prompt tokens plus max_tokens exceed --max-total-tokens",
    ),
    # ---------------------------------------------------------------- llama.cpp server
    Replay(
        name="llamacpp_embeddings_only",
        family="llama.cpp server",
        status=501,
        body=(
            '{"error":{"code":501,"message":"This server does not support completions. Start it without'
            ' `--embeddings`","type":"not_supported_error"}}'
        ),
        source=(
            "ggml-org/llama.cpp tools/server/server-common.cpp"
            " format_error_response(ERROR_TYPE_NOT_SUPPORTED) @aa6192d"
            " + handle_completions_impl embedding check (assembled)"
        ),
        content_type=_JSON_UTF8,
        description="llama-server was started with --embeddings: it serves no completions",
    ),
    Replay(
        name="llamacpp_context_exceeded",
        family="llama.cpp server",
        status=400,
        body=(
            '{"error":{"code":400,"message":"the request exceeds the available context size, try increasing'
            ' it","n_ctx":4096,"n_prompt_tokens":5120,"type":"exceed_context_size_error"}}'
        ),
        source=(
            "ggml-org/llama.cpp tools/server/server-task.cpp server_task_result_error::to_json"
            " + server-common.cpp format_error_response(ERROR_TYPE_EXCEED_CONTEXT_SIZE) @aa6192d (assembled)"
        ),
        content_type=_JSON_UTF8,
        description="the prompt does not fit the slot's context (-c / --ctx-size divided by --parallel)",
    ),
    Replay(
        name="llamacpp_invalid_api_key",
        family="llama.cpp server",
        status=401,
        body='{"error":{"code":401,"message":"Invalid API Key","type":"authentication_error"}}',
        source="ggml-org/llama.cpp tools/server/server-http.cpp middleware_validate_api_key @aa6192d",
        content_type=_JSON_UTF8,
        description="--api-key is set and neither Authorization: Bearer nor X-Api-Key matches",
    ),
    Replay(
        name="llamacpp_loading_model",
        family="llama.cpp server",
        status=503,
        body='{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}',
        source="ggml-org/llama.cpp tools/server/server-http.cpp middleware_server_state @aa6192d",
        content_type=_JSON_UTF8,
        description="the server is up but still loading the model",
    ),
    Replay(
        name="llamacpp_wrong_path",
        family="llama.cpp server",
        status=404,
        body='{"error":{"code":404,"message":"File Not Found","type":"not_found_error"}}',
        source="ggml-org/llama.cpp tools/server/server-http.cpp set_error_handler (status 404) @aa6192d",
        content_type=_JSON_UTF8,
        description="no such route (llama-server also answers /chat/completions without /v1)",
    ),
    # ---------------------------------------------------------------- Ollama
    Replay(
        name="ollama_model_not_found",
        family="Ollama",
        status=404,
        body=(
            '{"error":{"message":"model \'llama3.2\' not found","type":"not_found_error","param":null,'
            '"code":null}}\n'
        ),
        source=(
            "ollama/ollama server/routes.go ChatHandler (GetModel os.IsNotExist) + middleware/openai.go"
            " BaseWriter.writeError + openai/openai.go NewError @fb30760 (v0.18.0+, assembled)"
        ),
        description="the model is not pulled on this Ollama host",
    ),
    Replay(
        name="ollama_model_not_found_legacy",
        family="Ollama",
        status=404,
        body=(
            '{"error":{"message":"model \\"llama3.2\\" not found, try pulling it first","type":"api_error",'
            '"param":null,"code":null}}\n'
        ),
        source=(
            "ollama/ollama server/routes.go handleScheduleError + openai/openai.go writeError"
            " (NewError(500, ...) -> api_error) at v0.11.11 (v0.3.0-v0.11.x, assembled)"
        ),
        description="the model is not pulled on this Ollama host (older release)",
    ),
    Replay(
        name="ollama_server_busy",
        family="Ollama",
        status=503,
        body=(
            '{"error":{"message":"server busy, please try again.  maximum pending requests exceeded",'
            '"type":"api_error","param":null,"code":null}}\n'
        ),
        source=(
            "ollama/ollama server/sched.go ErrMaxQueue + server/routes.go handleScheduleError"
            " + middleware/openai.go writeError @fb30760 (assembled)"
        ),
        description="the request queue is full (OLLAMA_MAX_QUEUE)",
    ),
    Replay(
        name="ollama_wrong_path",
        family="Ollama",
        status=404,
        body="404 page not found",
        source="ollama/ollama server/routes.go GenerateRoutes (gin, no NoRoute handler): gin's 404 body",
        content_type="text/plain",
        description="no such route: base URL or path is wrong",
    ),
    # ---------------------------------------------------------------- LM Studio
    Replay(
        name="lmstudio_unexpected_endpoint",
        family="LM Studio",
        status=200,
        body='{"error":"Unexpected endpoint or method. (POST /chat/completions)"}',
        source="lmstudio-ai/lmstudio-bug-tracker#618 (LM Studio 0.3.14, curl -v capture, verbatim)",
        headers=(("X-Powered-By", "Express"), ("ETag", 'W/"43-qTdCaLfEMe8wb/ShYO0yTUTunEg"')),
        content_type=_JSON_UTF8,
        description="unknown path (here the base URL lacks /v1) answered 200 with an error string",
    ),
    Replay(
        name="lmstudio_model_not_found",
        family="LM Studio",
        status=404,
        body=(
            "{\n"
            '    "error": {\n'
            '        "message": "Model \\"default\\" not found. Please specify a valid model.\\n\\nYour'
            " models:\\n\\ngemma-3-27b-it-qat\\nqwen2.5-coder-3b-instruct\\nqwen3-32b\\n"
            "text-embedding-nomic-embed-text-v1.5\\nqwen2.5-coder-32b-instruct\\n"
            'deepseek-r1-distill-qwen-32b",\n'
            '        "type": "invalid_request_error",\n'
            '        "param": "model",\n'
            '        "code": "model_not_found"\n'
            "    }\n"
            "}"
        ),
        source=(
            "gitbutlerapp/gitbutler#8706 (LM Studio 0.3.x, several models loaded, verbatim; 4-space"
            " indentation also in letta-ai/letta#1876 raw response.text)"
        ),
        content_type=_JSON_UTF8,
        description="the requested model is not among the loaded/downloaded ones (0.3.x)",
    ),
    Replay(
        name="lmstudio_no_models_loaded",
        family="LM Studio",
        status=404,
        body=(
            "{\n"
            '    "error": {\n'
            '        "message": "No models loaded. Please load a model in the developer page or use the'
            ' `lms load` command.",\n'
            '        "type": "invalid_request_error",\n'
            '        "param": "model",\n'
            '        "code": "model_not_found"\n'
            "    }\n"
            "}"
        ),
        source="canopyai/Orpheus-TTS#229 (verbatim); status 404 also in lmstudio-ai/lms#107 (0.3.5)",
        content_type=_JSON_UTF8,
        description="the server runs with no model loaded and just-in-time loading off or failing",
    ),
    Replay(
        name="lmstudio_invalid_model_identifier",
        family="LM Studio",
        status=400,
        body=(
            '{"error":{"message":"Invalid model identifier \\"o4-mini\\". Please specify a valid downloaded'
            " model (e.g., huihui-qwen3-vl-235b-a22b-instruct-abliterated, qwen3-vl-8b-nsfw-caption-v4,"
            ' huihui-qwen3-vl-30b-a3b-instruct-abliterated).","type":"invalid_request_error","param":"model",'
            '"code":"model_not_found"}}'
        ),
        source=(
            "assafelovic/gpt-researcher#1556 (newer LM Studio, 400; rebuilt from the Python repr, the"
            " whitespace is not verified)"
        ),
        content_type=_JSON_UTF8,
        description="the requested model is not downloaded (newer releases answer 400)",
    ),
    # ---------------------------------------------------------------- DeepSeek (hosted)
    Replay(
        name="deepseek_insufficient_balance",
        family="DeepSeek",
        status=402,
        body=(
            '{"error":{"message":"Insufficient Balance","type":"unknown_error","param":null,'
            '"code":"invalid_request_error"}}'
        ),
        source=(
            "Aider-AI/aider#4851 (litellm DeepseekException raw body, verbatim);"
            " https://api-docs.deepseek.com/quick_start/error_codes (402 Insufficient Balance)"
        ),
        description="the DeepSeek account has no balance left",
    ),
    Replay(
        name="deepseek_invalid_api_key",
        family="DeepSeek",
        status=401,
        body=(
            '{"error":{"message":"Authentication Fails, Your api key: ****cd15 is invalid",'
            '"type":"authentication_error","param":null,"code":"invalid_request_error"}}'
        ),
        source=(
            "BerriAI/litellm#10403 (DeepseekException raw body, verbatim);"
            " https://api-docs.deepseek.com/quick_start/error_codes (401 Authentication Fails)"
        ),
        description="the API key is wrong or deleted",
    ),
    # ---------------------------------------------------------------- Mistral (la Plateforme)
    Replay(
        name="mistral_unauthorized",
        family="Mistral",
        status=401,
        body='{"detail":"Unauthorized"}',
        source="nextcloud/integration_openai#332 and agent0ai/agent-zero#539 (raw body, verbatim)",
        description="the API key is wrong, revoked or not yet active",
    ),
    Replay(
        name="mistral_unauthorized_gateway",
        family="Mistral",
        status=401,
        body='{\n  "message":"Unauthorized",\n  "request_id":"a580d263fb1521778782b22104efb415"\n}',
        source="elastic/elasticsearch#128538 (Mistral 401 as received, verbatim; API-gateway shaped)",
        description="the API key is rejected at Mistral's gateway, before the API",
    ),
    Replay(
        name="mistral_invalid_model",
        family="Mistral",
        status=400,
        body=(
            '{"object":"error","message":"Invalid model: API","type":"invalid_model","param":null,'
            '"code":"1500"}'
        ),
        source="lfnovo/open-notebook#441 (POST /v1/chat/completions, raw body, verbatim)",
        description="the model name is not a Mistral model",
    ),
    Replay(
        name="mistral_extra_forbidden",
        family="Mistral",
        status=422,
        body=(
            '{"object":"error","message":{"detail":[{"type":"extra_forbidden","loc":["body",'
            '"max_completion_tokens"],"msg":"Extra inputs are not permitted","input":32000}]},'
            '"type":"invalid_request_error","param":null,"code":null}'
        ),
        source="editor-code-assistant/eca#231 (raw body, verbatim)",
        description="the request carries an OpenAI-only field Mistral's schema forbids",
    ),
)
