"""The simulator is wire-compatible with the official OpenAI Python SDK."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL, Simulator

openai = pytest.importorskip("openai")

MESSAGES = [{"role": "user", "content": "Reply with exactly the word: pong"}]


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator() as s:
        yield s


def client_for(base: str, api_key: str = DEFAULT_API_KEY) -> openai.OpenAI:
    return openai.OpenAI(base_url=base + "/v1", api_key=api_key, max_retries=0, timeout=5.0)


def test_create_returns_pong(sim: Simulator) -> None:
    with client_for(sim.base_url) as client:
        completion = client.chat.completions.create(model=DEFAULT_MODEL, messages=MESSAGES)
    assert completion.choices[0].message.content == "pong"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.model == DEFAULT_MODEL
    assert completion.usage is not None and completion.usage.completion_tokens == 1
    assert completion._request_id is not None and completion._request_id.startswith("req_")


def test_stream_yields_pong(sim: Simulator) -> None:
    with client_for(sim.base_url) as client:
        stream = client.chat.completions.create(
            model=DEFAULT_MODEL, messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
        text, usage = "", None
        for chunk in stream:
            if chunk.choices:
                text += chunk.choices[0].delta.content or ""
            if chunk.usage is not None:
                usage = chunk.usage
    assert text == "pong"
    assert usage is not None and usage.total_tokens == usage.prompt_tokens + 1


def test_models_list(sim: Simulator) -> None:
    with client_for(sim.base_url) as client:
        ids = [m.id for m in client.models.list()]
    assert DEFAULT_MODEL in ids


def test_wrong_key(sim: Simulator) -> None:
    with (
        client_for(sim.base_url, api_key="sk-wrong") as client,
        pytest.raises(openai.AuthenticationError) as info,
    ):
        client.chat.completions.create(model=DEFAULT_MODEL, messages=MESSAGES)
    assert info.value.status_code == 401
    assert info.value.code == "invalid_api_key"


def test_bad_model(sim: Simulator) -> None:
    with client_for(sim.base_url) as client, pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model="gpt-nope", messages=MESSAGES)
    assert info.value.code == "model_not_found"


@pytest.mark.parametrize(
    ("scenario", "error"),
    [
        ("bad_request", "BadRequestError"),
        ("rate_limit", "RateLimitError"),
        ("quota", "RateLimitError"),
        ("auth", "AuthenticationError"),
        ("forbidden", "PermissionDeniedError"),
        ("upstream", "InternalServerError"),
        ("invalid_request_500", "InternalServerError"),
    ],
)
def test_scenario_errors(sim: Simulator, scenario: str, error: str) -> None:
    with client_for(sim.url_for(scenario)) as client, pytest.raises(getattr(openai, error)):
        client.chat.completions.create(model=DEFAULT_MODEL, messages=MESSAGES)
    assert sim.count(scenario) == 1


def test_rate_limit_once_recovers_with_sdk_retry(sim: Simulator) -> None:
    base = sim.url_for("rate_limit_once")
    with openai.OpenAI(base_url=base + "/v1", api_key=DEFAULT_API_KEY, max_retries=1, timeout=5.0) as client:
        completion = client.chat.completions.create(model=DEFAULT_MODEL, messages=MESSAGES)
    assert completion.choices[0].message.content == "pong"
    assert sim.count("rate_limit_once") == 2


@pytest.mark.parametrize("scenario", ["stream_split", "stream_no_done"])
def test_sdk_reads_awkward_but_valid_streams(sim: Simulator, scenario: str) -> None:
    with client_for(sim.url_for(scenario)) as client:
        stream = client.chat.completions.create(model=DEFAULT_MODEL, messages=MESSAGES, stream=True)
        chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "pong"
    assert (chunks[-1].usage is not None) is (scenario == "stream_split")
