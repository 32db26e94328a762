"""--api responses | embeddings: the gate against the simulator's /v1/responses and /v1/embeddings over real
sockets. Passes, each failing scenario's class, exit code and next step, the request bodies the simulator
saw, and the API named in the report, the metrics and the log lines."""

from __future__ import annotations

import json

import pytest

from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL, Simulator
from gate.simulator.responses import EMBEDDING_MODEL

AUTH = ["--api-key", DEFAULT_API_KEY, "--model", DEFAULT_MODEL]
FAST = ["--retries", "0", "--timeout", "5", "--samples", "1"]


def at(sim, scenario: str) -> list[str]:
    return ["--base-url", sim.url_for(scenario), *AUTH]


def bodies(sim, suffix: str) -> list[dict]:
    return [json.loads(r.body) for r in sim.log if r.path.split("?", 1)[0].endswith(suffix)]


# --- passes ---


def test_responses_passes_and_sends_the_responses_body(sim, gate):
    run = gate(*at(sim, "ok"), "--api", "responses").expect_exit(0)
    assert run.report["result"] == "pass"
    assert run.check("output")["message"].startswith("assistant said 'pong'")
    assert "responses API, status completed" in run.check("completion")["message"]
    sent = bodies(sim, "/v1/responses")
    assert len(sent) == 3 and not bodies(sim, "/chat/completions")
    assert sent[0] == {
        "model": DEFAULT_MODEL,
        "input": "ping",
        "instructions": "Reply with exactly the word: pong",
        "max_output_tokens": 16,
        "temperature": 0.0,
    }
    config = run.report["config"]
    assert config["api"] == "responses"
    assert config["endpoint"].endswith("/v1/responses")
    assert run.report["tokens"]["prompt"] > 0  # the Responses API's input_tokens are counted


def test_responses_stream_reassembles_the_typed_events(sim, gate):
    run = gate(*at(sim, "ok"), *FAST, "--api", "responses", "--stream").expect_exit(0)
    stream = run.check("stream")
    assert stream["status"] == "pass"
    assert "events + response.completed" in stream["message"]
    assert "assistant said 'pong'" in stream["message"]
    assert stream["details"]["finish_reason"] == "completed"
    assert [b.get("stream") for b in bodies(sim, "/v1/responses")] == [None, True]


def test_embeddings_pass_with_the_output_check_skipped(sim, gate):
    run = gate(*at(sim, "ok"), "--api", "embeddings").expect_exit(0)
    output = run.check("output")
    assert (output["status"], output["message"]) == ("skip", "the condition does not apply to embeddings")
    assert run.check("embeddings")["message"] == "2 vector(s) of 256 dimensions, every value finite"
    sent = bodies(sim, "/v1/embeddings")
    assert sent[0] == {"model": DEFAULT_MODEL, "input": ["ping", "Reply with exactly the word: pong"]}
    assert run.report["config"]["api"] == "embeddings"


def test_embeddings_of_the_embedding_model_pass(sim, gate):
    args = ["--base-url", sim.url_for("ok"), "--api-key", DEFAULT_API_KEY, "--model", EMBEDDING_MODEL]
    gate(*args, *FAST, "--api", "embeddings").expect_exit(0)


def test_expect_dimensions_passes_when_it_matches_and_fails_when_not(sim, gate):
    gate(*at(sim, "ok"), *FAST, "--api", "embeddings", "--expect-dimensions", "256").expect_exit(0)
    run = gate(*at(sim, "ok"), *FAST, "--api", "embeddings", "--expect-dimensions", "3").expect_exit(1)
    assert (run.failure_class, run.report["failed_check"]) == ("contract", "embeddings")
    assert "256 dimensions, not the --expect-dimensions 3" in run.check("embeddings")["message"]


# --- failures: scenario -> (args, exit code, class, failed check, words of the next step) ---

NOT_RELAYED = "does not relay the Responses API"
FAILING = {
    "responses_unsupported": ([], 1, "endpoint", "completion", NOT_RELAYED),
    "responses_not_implemented": ([], 1, "endpoint", "completion", NOT_RELAYED),
    "responses_incomplete": ([], 1, "empty", "output", "raise --max-tokens"),
    "responses_refusal": ([], 1, "empty", "output", None),
    "responses_failed": ([], 3, "upstream", "completion", "The model failed behind the API"),
    "responses_stream_error": (["--stream"], 3, "upstream", "stream", None),
}
VECTORS = {
    "embeddings_ragged": "the vectors differ in dimension",
    "embeddings_nan": "not a finite number",
    "embeddings_empty": "2 inputs were answered with 0 vector(s)",
    "embeddings_count": "2 inputs were answered with 1 vector(s)",
}


@pytest.mark.parametrize("scenario", sorted(FAILING))
def test_each_failing_responses_scenario(sim, gate, scenario):
    extra, code, failure, check, words = FAILING[scenario]
    run = gate(*at(sim, scenario), *FAST, "--api", "responses", *extra).expect_exit(code)
    assert (run.failure_class, run.report["failed_check"]) == (failure, check)
    if words is not None:
        assert words in run.report["next_step"]
    assert "Traceback" not in run.stdout + run.stderr


def test_the_failing_responses_scenarios_say_what_happened(sim, gate):
    refusal = gate(*at(sim, "responses_refusal"), *FAST, "--api", "responses").expect_exit(1)
    assert "the model refused: 'I can't help with that.'" in refusal.check("output")["message"]
    incomplete = gate(*at(sim, "responses_incomplete"), *FAST, "--api", "responses").expect_exit(1)
    assert "incomplete (max_output_tokens)" in incomplete.check("output")["message"]
    failed = gate(*at(sim, "responses_failed"), *FAST, "--api", "responses").expect_exit(3)
    assert "status is 'failed' (server_error)" in failed.check("completion")["message"]
    unsupported = gate(*at(sim, "responses_unsupported"), *FAST, "--api", "responses").expect_exit(1)
    assert unsupported.check("completion")["details"]["diagnosis_rule"] == "newapi.responses_not_relayed"


@pytest.mark.parametrize("scenario", sorted(VECTORS))
def test_each_broken_embeddings_answer_is_a_contract_failure(sim, gate, scenario):
    run = gate(*at(sim, scenario), *FAST, "--api", "embeddings").expect_exit(1)
    assert (run.failure_class, run.report["failed_check"]) == ("contract", "embeddings")
    assert VECTORS[scenario] in run.check("embeddings")["message"]


def test_embeddings_not_relayed_is_an_endpoint_failure(sim, gate):
    run = gate(*at(sim, "embeddings_unsupported"), *FAST, "--api", "embeddings").expect_exit(1)
    assert (run.failure_class, run.report["failed_check"]) == ("endpoint", "completion")
    assert "does not relay the Embeddings API" in run.report["next_step"]


@pytest.mark.parametrize("scenario", ["responses_unsupported", "embeddings_ragged", "responses_failed"])
def test_the_chat_default_is_untouched_by_the_api_scenarios(sim, gate, scenario):
    run = gate(*at(sim, scenario), *FAST).expect_exit(0)
    assert run.report["config"]["api"] == "chat"
    assert bodies(sim, "/chat/completions") and not bodies(sim, "/v1/responses")


@pytest.mark.parametrize(("api", "path"), [("responses", "/v1/responses"), ("embeddings", "/v1/embeddings")])
def test_an_error_scenario_answers_the_same_on_the_other_apis(sim, gate, api, path):
    run = gate(*at(sim, "auth"), *FAST, "--api", api).expect_exit(1)
    assert run.failure_class == "auth"
    assert bodies(sim, path)


# --- model-aware body ---


def test_a_reasoning_model_sends_the_effort_and_no_temperature():
    with Simulator(model="gpt-5-mini") as stand_in:
        from click.testing import CliRunner

        from gate.cli import main

        args = ["run", "--base-url", stand_in.base_url, "--api-key", DEFAULT_API_KEY, "--model", "gpt-5-mini"]
        result = CliRunner().invoke(main, [*args, *FAST, "--api", "responses"], catch_exceptions=False)
        assert result.exit_code == 0, result.stdout
        sent = [json.loads(r.body) for r in stand_in.log if r.path.endswith("/v1/responses")]
    assert len(sent) == 1
    assert sent[0]["reasoning"] == {"effort": "minimal"}
    assert "temperature" not in sent[0] and "reasoning_effort" not in sent[0]
    assert sent[0]["max_output_tokens"] == 256


# --- configuration and reports ---


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--expect-dimensions", "256"], "expect-dimensions"),
        (["--api", "responses", "--expect-dimensions", "256"], "expect-dimensions"),
        (["--api", "embeddings", "--stream"], "stream"),
        (["--api", "responses", "--token-param", "max_tokens"], "token-param"),
        (["--api", "responses", "--check-tools"], "check-tools"),
        (["--api", "bogus"], "api"),
    ],
)
def test_options_that_do_not_fit_the_api_are_a_config_error(sim, gate, args, option):
    run = gate(*at(sim, "ok"), *args).expect_exit(2)
    assert run.failure_class == "config"
    assert f"--{option}" in run.check("config")["message"] or option in run.check("config")["message"]
    assert not sim.log  # nothing was sent


def test_the_api_comes_from_the_variable_too(sim, gate):
    run = gate(*at(sim, "ok"), *FAST, env={"COMETAPI_API": "embeddings"}).expect_exit(0)
    assert run.report["config"]["api"] == "embeddings"
    assert bodies(sim, "/v1/embeddings")


def test_metrics_logs_summary_and_junit_name_the_api(sim, gate, tmp_path):
    metrics, summary, junit = tmp_path / "m.prom", tmp_path / "s.md", tmp_path / "j.xml"
    run = gate(
        *at(sim, "ok"),
        *FAST,
        "--api",
        "responses",
        "--log-format",
        "json",
        "--metrics-file",
        str(metrics),
        "--summary",
        str(summary),
        "--junit",
        str(junit),
    ).expect_exit(0)
    text = metrics.read_text(encoding="utf-8")
    assert 'cometapi_smoke_gate_result{environment="unspecified",target="default",' in text
    samples = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert samples and all('api="responses"' in line for line in samples)
    events = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    assert events and all(e.get("api") == "responses" for e in events if e["event"] != "notice")
    assert "responses API)" in summary.read_text(encoding="utf-8").splitlines()[0]
    assert '<property name="api" value="responses"' in junit.read_text(encoding="utf-8")


def test_the_console_header_names_the_url_of_the_api_in_use(sim, gate):
    """The header says where the smoke request went: /v1/responses, not /v1/chat/completions."""
    from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL

    run = gate(
        "--base-url",
        sim.url_for("ok"),
        "--api-key",
        DEFAULT_API_KEY,
        "--model",
        DEFAULT_MODEL,
        "--api",
        "responses",
        "--samples",
        "1",
    ).expect_exit(0)
    header = next(line for line in run.stdout.splitlines() if line.strip().startswith("endpoint"))
    assert header.rstrip(")").endswith("/v1/responses"), header


@pytest.mark.parametrize(
    ("api", "keys"),
    [("responses", {"status", "output_types", "text", "refusal"}), ("embeddings", {"vectors", "dimensions"})],
)
def test_sdk_parity_compares_the_raw_and_sdk_parse_per_api(sim, gate, api, keys):
    """--sdk-parity sends the gate's own request once more through openai's responses / embeddings client."""
    from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL

    run = gate(
        "--base-url",
        sim.url_for("ok"),
        "--api-key",
        DEFAULT_API_KEY,
        "--model",
        DEFAULT_MODEL,
        "--api",
        api,
        "--samples",
        "1",
        "--sdk-parity",
    ).expect_exit(0)
    parity = run.check("sdk-parity")
    assert parity["status"] == "pass", parity
    assert set(parity["details"]["sdk_shape"]) == keys
    assert parity["details"]["raw_shape"] == parity["details"]["sdk_shape"]
    path = "/responses" if api == "responses" else "/embeddings"
    assert sum(r.path.endswith(path) for r in sim.log) == 2  # the raw call and the SDK's


def test_a_broken_answer_fails_its_own_check_before_sdk_parity_runs(sim, gate):
    """A ragged embeddings answer: the raw check fails first, so parity never runs on a broken answer."""
    from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL

    run = gate(
        "--base-url",
        sim.url_for("embeddings_ragged"),
        "--api-key",
        DEFAULT_API_KEY,
        "--model",
        DEFAULT_MODEL,
        "--api",
        "embeddings",
        "--samples",
        "1",
        "--sdk-parity",
    )
    run.expect_exit(1)
    assert run.report["failure_class"] == "contract"
    assert run.report["failed_check"] != "sdk-parity"
    assert run.check("sdk-parity")["status"] == "skip"  # never sent the SDK a request on a broken answer
    assert sum(r.path.endswith("/embeddings") for r in sim.log) == 1
