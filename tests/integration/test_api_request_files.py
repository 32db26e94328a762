"""--request-file with --api responses | embeddings: the body is checked against that API's request schema
(gate/core/contract/responses_request.schema.json, embeddings_request.schema.json), filled and scanned as a
chat body is, sent to that API's path and judged by that API's judge, against the simulator."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gate.config.inputs import ConfigError
from gate.config.request_file import load_request_file
from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL

AUTH = ["--api-key", DEFAULT_API_KEY, "--model", DEFAULT_MODEL, "--samples", "1", "--retries", "0"]

RESPONSES = {
    "model": "{{model}}",
    "instructions": "You are the order assistant of ${APP_NAME}. Reply with exactly: pong",
    "input": [{"role": "user", "content": [{"type": "input_text", "text": "{{prompt}}"}]}],
    "max_output_tokens": 64,
    "temperature": 0,
    "reasoning": None,
    "text": {"format": {"type": "text"}},
    "store": False,
    "metadata": {"app": "smoke-gate"},
    "truncation": "disabled",
}
EMBEDDINGS = {
    "model": "{{model}}",
    "input": ["{{prompt}}", "order assistant of ${APP_NAME}"],
    "dimensions": 64,
}
APP = {"APP_NAME": "Acme Shop", "COMETAPI_REQUEST_VARS": "APP_NAME"}
SECRET = "sk-" + "proj-" + "Qw3rTy7uIo9pAs1dFg5hJk2l"  # assembled at run time: no scanner flags this file


def _file(tmp_path: Path, body: dict, name: str = "request.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(body))
    return path


def _reports(tmp_path: Path) -> list[str]:
    return ["--junit", str(tmp_path / "junit.xml"), "--summary", str(tmp_path / "summary.md")]


def _run(gate, sim, api: str, path: Path, *args: str, env: dict[str, str] | None = None, scenario="ok"):
    return gate(
        "--base-url", sim.url_for(scenario), *AUTH, "--api", api, "--request-file", str(path), *args,
        env=APP if env is None else env,
    )  # fmt: skip


def _sent(sim) -> tuple[str, dict]:
    first = sim.log[0]
    return first.path, json.loads(first.body)


def _config_error_everywhere(run, tmp_path: Path) -> None:
    run.expect_exit(2)
    report = run.report
    assert (report["result"], report["failure_class"], report["exit_code"]) == ("fail", "config", 2)
    assert report["checks"][0]["details"]["option"] == "request-file"
    failure = ET.parse(tmp_path / "junit.xml").getroot().find("testsuite/testcase/failure")
    assert failure is not None and failure.get("type") == "config"
    assert "failure class `config`" in (tmp_path / "summary.md").read_text()


# --- the Responses API ---


def test_a_valid_responses_request_file_passes_and_is_sent_to_v1_responses(sim, gate, tmp_path):
    run = _run(gate, sim, "responses", _file(tmp_path, RESPONSES)).expect_exit(0)
    path, sent = _sent(sim)
    assert path.endswith("/v1/responses")
    assert sent["model"] == DEFAULT_MODEL and sent["input"][0]["content"][0]["text"] == "ping"
    assert sent["instructions"].startswith("You are the order assistant of Acme Shop.")
    assert sent["text"] == {"format": {"type": "text"}} and sent["store"] is False  # sent as written
    assert run.report["config"]["api"] == "responses"
    assert "responses API, status completed" in run.check("completion")["message"]
    assert "any answer passes" in run.check("output")["message"]
    assert run.check("config")["status"] == "pass"  # every field is one the Responses reference defines


def test_a_responses_request_file_with_expect_checks_the_text(sim, gate, tmp_path):
    path = _file(tmp_path, {"input": "{{prompt}}", "instructions": "Reply with exactly: pong"})
    passing = _run(gate, sim, "responses", path, "--expect", "pong").expect_exit(0)
    assert "pong" in passing.check("output")["message"]
    failing = _run(gate, sim, "responses", path, "--expect", "banana").expect_exit(1)
    assert failing.report["failed_check"] == "output"


def test_a_responses_request_file_is_judged_by_the_responses_judge(sim, gate, tmp_path):
    path = _file(tmp_path, {"input": "{{prompt}}"})
    run = _run(gate, sim, "responses", path, scenario="responses_unsupported").expect_exit(1)
    assert (run.failure_class, run.report["failed_check"]) == ("endpoint", "completion")
    assert "no /v1/responses route" in run.check("completion")["message"]


@pytest.mark.parametrize(
    ("api", "scenario", "body", "advice"),
    [
        ("responses", "responses_incomplete", {"input": "{{prompt}}", "max_output_tokens": 16},
         "raise max_output_tokens in the request file budget.json"),
        ("responses", "responses_incomplete", {"input": "{{prompt}}"},
         "set max_output_tokens in the request file budget.json"),
        ("chat", "length", {"messages": [{"role": "user", "content": "{{prompt}}"}], "max_tokens": 16},
         "raise max_tokens in the request file budget.json"),
    ],
)  # fmt: skip
def test_a_request_file_answer_cut_short_names_the_files_field_not_max_tokens(
    sim, gate, tmp_path, api, scenario, body, advice
):
    """Under a request file --max-tokens changes nothing (the body is sent as it is): the file's field."""
    run = _run(gate, sim, api, _file(tmp_path, body, "budget.json"), scenario=scenario).expect_exit(1)
    output = run.check("output")
    assert (run.failure_class, run.report["failed_check"]) == ("empty", "output")
    assert advice in output["message"], output["message"]
    assert "--max-tokens" not in json.dumps(run.report) and "--max-tokens" not in run.stdout
    assert advice in output["next_step"] and advice in run.report["next_step"]


def test_a_chat_shaped_body_with_api_responses_is_a_config_error_naming_the_schema(sim, gate, tmp_path):
    body = {"model": "{{model}}", "messages": [{"role": "user", "content": "{{prompt}}"}]}
    run = _run(gate, sim, "responses", _file(tmp_path, body), *_reports(tmp_path))
    _config_error_everywhere(run, tmp_path)
    assert sim.count() == 0
    assert "is not a valid Responses request (--api responses)" in run.stderr
    assert "'input' is a required property" in run.stderr
    assert "messages is a Chat Completions field" in run.stderr


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"input": "{{prompt}}", "max_output_tokens": 0}, "max_output_tokens"),
        (
            {"input": "{{prompt}}", "text": {"format": {"type": "json_schema"}}},
            "'name' is a required property",
        ),
        ({"input": "{{prompt}}", "reasoning": {"effort": "extreme"}}, "reasoning/effort"),
        ({"input": [{"content": "no role, no type"}]}, "input"),
        ({"input": "{{prompt}}", "tools": [{"type": "function"}]}, "tools/0"),
        ({"input": "{{prompt}}", "stream": True}, "stream: true"),
    ],
)
def test_a_bad_responses_body_is_refused_before_anything_is_sent(sim, gate, tmp_path, body, fragment):
    run = _run(gate, sim, "responses", _file(tmp_path, body)).expect_exit(2)
    assert sim.count() == 0 and fragment in run.stderr


def test_an_invalid_json_schema_in_text_format_is_refused(sim, gate, tmp_path):
    schema = {"type": "object", "properties": {"a": {"type": "no-such-type"}}}
    text = {"format": {"type": "json_schema", "name": "triage", "schema": schema}}
    run = _run(gate, sim, "responses", _file(tmp_path, {"input": "{{prompt}}", "text": text})).expect_exit(2)
    assert "text.format.schema" in run.stderr and sim.count() == 0


def test_an_unknown_field_in_a_responses_body_warns_naming_the_responses_reference(sim, gate, tmp_path):
    path = _file(tmp_path, {"input": "{{prompt}}", "app_trace_id": "abc"})
    config = _run(gate, sim, "responses", path).expect_exit(0).check("config")
    assert config["status"] == "warn"
    assert "field 'app_trace_id', which the Responses reference does not define" in config["warnings"][0]


# --- the Embeddings API ---


def test_a_valid_embeddings_request_file_passes_with_the_dimensions_it_asks_for(sim, gate, tmp_path):
    run = _run(gate, sim, "embeddings", _file(tmp_path, EMBEDDINGS)).expect_exit(0)
    path, sent = _sent(sim)
    assert path.endswith("/v1/embeddings")
    assert sent["input"] == ["ping", "order assistant of Acme Shop"] and sent["dimensions"] == 64
    check = run.check("embeddings")
    assert check["status"] == "pass" and "2 vector(s) of 64 dimensions" in check["message"]
    assert check["details"]["expect_dimensions"] == 64
    assert run.check("output")["status"] == "skip"


def test_one_string_input_is_one_vector_and_base64_is_decoded(sim, gate, tmp_path):
    body = {"input": "{{prompt}}", "encoding_format": "base64", "dimensions": 8}
    run = _run(gate, sim, "embeddings", _file(tmp_path, body)).expect_exit(0)
    check = run.check("embeddings")
    assert "1 vector(s) of 8 dimensions" in check["message"] and check["details"]["encoding"] == "base64"
    vector = json.loads(sim.log[0].body)
    assert vector["encoding_format"] == "base64"  # sent as written, and the answer decoded to 8 float32


def test_expect_dimensions_other_than_the_files_dimensions_fails(sim, gate, tmp_path):
    run = _run(gate, sim, "embeddings", _file(tmp_path, EMBEDDINGS), "--expect-dimensions", "128")
    run.expect_exit(1)
    assert "not the --expect-dimensions 128" in run.check("embeddings")["message"]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"model": "{{model}}", "messages": [{"role": "user", "content": "x"}]}, "'input' is a required"),
        ({"input": []}, "input"),
        ({"input": "{{prompt}}", "dimensions": 0}, "dimensions"),
        ({"input": "{{prompt}}", "encoding_format": "int8"}, "encoding_format"),
    ],
)
def test_a_bad_embeddings_body_is_refused_before_anything_is_sent(sim, gate, tmp_path, body, fragment):
    run = _run(gate, sim, "embeddings", _file(tmp_path, body)).expect_exit(2)
    assert sim.count() == 0
    assert "is not a valid Embeddings request (--api embeddings)" in run.stderr and fragment in run.stderr


# --- placeholders, ${VAR} and the secret scan, per API ---


@pytest.mark.parametrize(
    ("api", "body"),
    [
        ("responses", {"input": "Order assistant of ${APP_NAME} for ${TENANT}: {{prompt}}"}),
        ("embeddings", {"input": ["Order assistant of ${APP_NAME} for ${TENANT}", "{{prompt}}"]}),
    ],
)
def test_an_unlisted_variable_is_refused_per_api(sim, gate, tmp_path, api, body):
    env = {"APP_NAME": "Acme Shop", "TENANT": "acme-eu-tenant", "COMETAPI_REQUEST_VARS": "APP_NAME"}
    run = _run(gate, sim, api, _file(tmp_path, body), *_reports(tmp_path), env=env)
    _config_error_everywhere(run, tmp_path)
    assert sim.count() == 0 and "uses ${TENANT}, which --request-vars" in run.stderr
    assert "acme-eu-tenant" not in run.stdout + run.stderr + run.report_path.read_text()


@pytest.mark.parametrize("api", ["responses", "embeddings"])
def test_listed_variables_and_placeholders_are_filled_per_api(sim, gate, tmp_path, api):
    body = {"model": "{{model}}", "input": "${APP_NAME} / ${TENANT}: {{prompt}}"}
    env = {"APP_NAME": "Acme Shop", "TENANT": "acme-eu", "COMETAPI_REQUEST_VARS": "APP_NAME,TENANT"}
    _run(gate, sim, api, _file(tmp_path, body, "request.yml"), env=env).expect_exit(0)
    assert _sent(sim)[1] == {"model": DEFAULT_MODEL, "input": "Acme Shop / acme-eu: ping"}


@pytest.mark.parametrize(
    ("api", "body", "where"),
    [
        ("responses", {"input": "debug " + SECRET}, "$.input"),
        ("responses", {"input": "{{prompt}}", "instructions": "key " + SECRET}, "$.instructions"),
        ("embeddings", {"input": ["{{prompt}}", "key " + SECRET]}, "$.input[1]"),
    ],
)
def test_a_key_looking_literal_is_refused_and_never_printed_per_api(sim, gate, tmp_path, api, body, where):
    run = _run(gate, sim, api, _file(tmp_path, body), *_reports(tmp_path))
    _config_error_everywhere(run, tmp_path)
    assert sim.count() == 0 and f"{where}: API key (" in run.stderr
    printed = run.stdout + run.stderr + run.report_path.read_text() + (tmp_path / "summary.md").read_text()
    assert SECRET not in printed and SECRET[:12] not in printed and SECRET[-12:] not in printed


@pytest.mark.parametrize("api", ["responses", "embeddings"])
def test_the_configured_key_in_a_request_file_is_refused_per_api(sim, gate, tmp_path, api):
    run = _run(gate, sim, api, _file(tmp_path, {"input": f"debug: {DEFAULT_API_KEY}"})).expect_exit(2)
    assert "configured API key" in run.stderr and sim.count() == 0


@pytest.mark.parametrize("api", ["responses", "embeddings"])
def test_sdk_parity_parses_the_request_file_answer_per_api(sim, gate, tmp_path, api):
    """The official SDK (responses.create, embeddings.create) parses what the raw call parsed."""
    run = _run(gate, sim, api, _file(tmp_path, {"input": "{{prompt}}"}), "--sdk-parity").expect_exit(0)
    parity = run.check("sdk-parity")
    assert parity["status"] == "pass", parity
    assert parity["details"]["raw_shape"] == parity["details"]["sdk_shape"]


# --- the schemas themselves, over many bodies (no server needed) ---

_TEXT = st.text(st.characters(codec="ascii", categories=["L", "N", "Zs"]), min_size=1, max_size=20)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    inputs=st.one_of(_TEXT, st.lists(_TEXT, min_size=1, max_size=4)),
    dimensions=st.one_of(st.none(), st.integers(min_value=-3, max_value=4096)),
)
def test_embeddings_bodies_are_accepted_exactly_when_the_schema_allows(tmp_path, inputs, dimensions):
    body: dict = {"input": inputs} | ({} if dimensions is None else {"dimensions": dimensions})
    path = _file(tmp_path, body)
    valid = dimensions is None or dimensions >= 1
    try:
        loaded = load_request_file(
            path, prompt="ping", model="m", env={}, secrets=[DEFAULT_API_KEY], source="test", api="embeddings"
        )
    except ConfigError as error:
        assert not valid, str(error)
        assert "dimensions" in str(error)
    else:
        assert valid and loaded.body["model"] == "m" and loaded.api == "embeddings"
        assert loaded.tools == [] and loaded.response_format is None  # chat's checks never read them
