"""The application's own request (--request-file) and the built-in capability probes, against a simulator
that honours, drops, rejects or breaks structured outputs and tool calls."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL

ROOT = Path(__file__).resolve().parents[2]
STRUCTURED = ROOT / "examples" / "request-structured-output.json"
TOOLS = ROOT / "examples" / "request-tools.yml"
AUTH = ["--api-key", DEFAULT_API_KEY, "--model", DEFAULT_MODEL, "--samples", "1", "--retries", "0"]
APP = {"APP_NAME": "Acme Shop"}


def _run(gate, sim, scenario: str, *args: str, env: dict[str, str] | None = None):
    return gate("--base-url", sim.url_for(scenario), *AUTH, *args, env=env or APP)


# --- structured outputs ---


def test_a_json_schema_template_honoured_passes(sim, gate):
    run = _run(gate, sim, "tmpl_ok", "--request-file", str(STRUCTURED)).expect_exit(0)
    check = run.check("structured-output")
    assert check["status"] == "pass" and "validates against json_schema 'ticket_triage'" in check["message"]
    sent = json.loads(sim.log[0].body)
    assert sent["model"] == DEFAULT_MODEL and sent["messages"][1]["content"] == "Ticket: ping"
    assert sent["response_format"]["json_schema"]["name"] == "ticket_triage"
    assert "temperature" not in sent  # nothing of the gate's own request is added


@pytest.mark.parametrize(
    ("scenario", "code", "failure_class", "check", "fragment"),
    [
        ("tmpl_json_schema_dropped", 1, "contract", "structured-output", "dropped response_format"),
        ("tmpl_json_schema_invalid", 1, "contract", "structured-output", "does not validate"),
        ("tmpl_json_schema_rejected", 1, "request", "completion", "json_schema"),
    ],
)
def test_a_json_schema_template_not_honoured_fails(sim, gate, scenario, code, failure_class, check, fragment):
    run = _run(gate, sim, scenario, "--request-file", str(STRUCTURED)).expect_exit(code)
    assert (run.failure_class, run.report["failed_check"]) == (failure_class, check)
    assert fragment in run.check(check)["message"]


# --- tool calls (the example streams, with include_usage) ---


def test_a_streamed_tool_template_honoured_passes(sim, gate):
    run = _run(gate, sim, "tmpl_ok", "--request-file", str(TOOLS)).expect_exit(0)
    assert run.check("tool-calls")["status"] == "pass"
    assert run.check("usage-chunk")["status"] == "pass"
    assert "tool call(s): get_order_status" in run.check("output")["message"]
    sent = json.loads(sim.log[0].body)
    assert (
        sent["messages"][0]["content"] == "You are the order assistant of Acme Shop. Use the tools to answer."
    )


def test_tool_calls_streamed_in_pieces_are_reassembled(sim, gate):
    run = _run(gate, sim, "tmpl_tools_streamed_pieces", "--request-file", str(TOOLS)).expect_exit(0)
    assert "1 tool call(s) (get_order_status)" in run.check("tool-calls")["message"]


@pytest.mark.parametrize(
    ("scenario", "fragment"),
    [
        ("tmpl_tools_ignored", "tool_choice forces a tool call, but the answer is plain text"),
        ("tmpl_tools_bad_arguments", "are not JSON"),
        ("tmpl_tools_unknown_name", "names 'get_wether', which the request did not declare"),
        ("tmpl_tools_schema_violation", "break its parameters schema"),
    ],
)
def test_a_tool_template_not_honoured_fails(sim, gate, scenario, fragment):
    run = _run(gate, sim, scenario, "--request-file", str(TOOLS)).expect_exit(1)
    assert (run.failure_class, run.report["failed_check"]) == ("contract", "tool-calls")
    assert fragment in run.check("tool-calls")["message"]


# --- shapes the parser must handle, named ---


def test_a_refusal_is_named(sim, gate):
    run = gate("--base-url", sim.url_for("tmpl_refusal"), *AUTH).expect_exit(1)
    assert run.failure_class == "empty"
    assert "the model refused: 'I'm sorry, I can't help with that.'" in run.check("output")["message"]


def test_content_as_a_list_of_parts_is_a_named_contract_failure(sim, gate):
    run = gate("--base-url", sim.url_for("tmpl_content_parts"), *AUTH).expect_exit(1)
    assert run.failure_class == "contract"
    assert "a list of parts (text), not a string" in run.check("completion")["message"]


def test_tool_calls_nobody_asked_for_are_a_named_contract_failure(sim, gate):
    run = gate("--base-url", sim.url_for("tmpl_tool_calls_unasked"), *AUTH).expect_exit(1)
    assert "tool call although the request declared no tools" in run.check("completion")["message"]


# --- the built-in probes ---


def test_the_built_in_probes_pass_on_an_honest_service(sim, gate):
    run = gate("--base-url", sim.url_for("tmpl_ok"), *AUTH, "--check-structured-output", "--check-tools")
    run.expect_exit(0)
    assert run.check("structured-output")["status"] == run.check("tool-calls")["status"] == "pass"


@pytest.mark.parametrize(
    ("scenario", "flag", "check"),
    [
        ("tmpl_json_schema_dropped", "--check-structured-output", "structured-output"),
        ("tmpl_tools_ignored", "--check-tools", "tool-calls"),
    ],
)
def test_the_built_in_probes_catch_a_gateway_that_drops_the_field(sim, gate, scenario, flag, check):
    run = gate("--base-url", sim.url_for(scenario), *AUTH, flag).expect_exit(1)
    assert (run.failure_class, run.report["failed_check"]) == ("contract", check)


# --- checked before sending: exit 2, nothing sent ---


def _file(tmp_path: Path, body: dict) -> Path:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(body))
    return path


def _chat(content: str, **extra: object) -> dict:
    return {"messages": [{"role": "user", "content": content}], **extra}


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (_chat("my key is sk-proj-abcdefghijklmnopqrstuvwx"), "$.messages[0].content: API key"),
        (_chat("write to jane.doe@acme-corp.io"), "$.messages[0].content: email address"),
        (_chat("card 4111 1111 1111 1111"), "card number"),
        ({"messages": []}, "not a valid Chat Completions request"),
        ({"messages": [{"content": "no role"}]}, "not a valid Chat Completions request"),
    ],
)
def test_a_request_file_is_checked_before_anything_is_sent(sim, gate, tmp_path, body, fragment):
    run = _run(gate, sim, "tmpl_ok", "--request-file", str(_file(tmp_path, body)))
    run.expect_exit(2)
    assert sim.count() == 0 and fragment in run.stderr
    assert "sk-proj-abcdefghijklmnopqrstuvwx" not in run.stderr + run.stdout
    assert "jane.doe@acme-corp.io" not in run.stderr + run.stdout


def test_the_configured_key_in_a_request_file_is_refused(sim, gate, tmp_path):
    path = _file(tmp_path, _chat(f"debug: {DEFAULT_API_KEY}"))
    run = _run(gate, sim, "tmpl_ok", "--request-file", str(path)).expect_exit(2)
    assert "configured API key" in run.stderr and sim.count() == 0


def test_a_missing_environment_variable_is_a_config_error(sim, gate):
    run = _run(gate, sim, "tmpl_ok", "--request-file", str(TOOLS), env={"OTHER": "1"})
    assert "${APP_NAME}" in run.expect_exit(2).stderr and sim.count() == 0


def test_an_unknown_field_warns_and_a_gateway_that_rejects_it_is_the_finding(sim, gate, tmp_path):
    path = _file(tmp_path, _chat("{{prompt}}", app_trace_id="abc"))
    passing = _run(gate, sim, "tmpl_ok", "--request-file", str(path)).expect_exit(0)
    config = passing.check("config")
    assert config["status"] == "warn" and "field 'app_trace_id'" in config["warnings"][0]
    rejected = _run(gate, sim, "tmpl_rejects_unknown_field", "--request-file", str(path)).expect_exit(1)
    assert rejected.failure_class == "request"


# --- the SDK path ---


def test_sdk_parity_passes_when_the_sdk_parses_what_the_raw_call_parsed(sim, gate):
    run = _run(gate, sim, "tmpl_ok", "--request-file", str(STRUCTURED), "--sdk-parity").expect_exit(0)
    check = run.check("sdk-parity")
    assert check["status"] == "pass" and check["details"]["sdk_version"]
    assert check["details"]["raw_shape"] == check["details"]["sdk_shape"]
    tools = _run(gate, sim, "tmpl_ok", "--request-file", str(TOOLS), "--sdk-parity").expect_exit(0)
    assert tools.check("sdk-parity")["details"]["sdk_shape"]["tool_calls"] == ["get_order_status"]


def test_sdk_parity_fails_when_the_sdk_call_does(sim, gate):
    """The second request to this scenario fails: the raw call passed, the SDK call (not retried) did not."""
    run = _run(gate, sim, "one_sample_fails", "--sdk-parity").expect_exit(3)
    assert (run.failure_class, run.report["failed_check"]) == ("upstream", "sdk-parity")
    assert "the SDK call got HTTP 500" in run.check("sdk-parity")["message"]


def test_sdk_parity_without_the_sdk_is_a_config_error(sim, gate, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "openai", None)  # as if the sdk extra were not installed
    run = _run(gate, sim, "ok", "--sdk-parity")
    assert "pip install 'cometapi-smoke-gate[sdk]'" in run.expect_exit(2).stderr and sim.count() == 0
