"""The application's own request (--request-file) and the built-in capability probes, against a simulator
that honours, drops, rejects or breaks structured outputs and tool calls."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL

ROOT = Path(__file__).resolve().parents[2]
STRUCTURED = ROOT / "examples" / "request-structured-output.json"
TOOLS = ROOT / "examples" / "request-tools.yml"
AUTH = ["--api-key", DEFAULT_API_KEY, "--model", DEFAULT_MODEL, "--samples", "1", "--retries", "0"]
APP = {"APP_NAME": "Acme Shop", "COMETAPI_REQUEST_VARS": "APP_NAME"}  # the tool example reads ${APP_NAME}


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


def test_a_listed_variable_the_environment_does_not_set_is_a_config_error(sim, gate):
    run = _run(gate, sim, "tmpl_ok", "--request-file", str(TOOLS), env={"COMETAPI_REQUEST_VARS": "APP_NAME"})
    assert "uses ${APP_NAME}, which the environment does not set" in run.expect_exit(2).stderr
    assert sim.count() == 0


# --- ${VAR}: only what --request-vars lists, never a credential ---

# Secret-shaped samples are assembled at run time so that no secret scanner flags this file.
SECRETS = {
    "API key (sk-)": "sk-" + "ant-api03-" + "Zy1xWv2uTs3rQp4oNm5lKj6i",
    "AWS access key id": "AKIA" + "Q3EXAMPLE7WZ4K2M",
    "AWS secret access key": "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY",
    "GitHub token": "gh" + "s_" + "a1B2c3D4e5" * 3 + "F6g7H8",
    "GitLab token": "gl" + "pat-" + "Xy9zAb3cDe6fGh2iJk5L",
    "Slack token": "xo" + "xb-" + "1234567890-1234567890-abcdefghijKLMN",
    "Google API key": "AI" + "za" + "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6q",
    "JSON Web Token": "eyJhbGciOiJIUzI1NiJ9" + ".eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
    "private key": "-----BEGIN "
    + "EC PRIVATE KEY-----\nMHcCAQEEIIrYSSNQFaA2Hwf1duRSxKtLYX5CB04f\n-----END EC "
    "PRIVATE KEY-----",
}
CI_TOKEN = "Zq8-opaque-" + "runtime-Credential-7731"  # the shape of no rule: only its variable's name tells


def _reports(tmp_path: Path) -> list[str]:
    return ["--junit", str(tmp_path / "junit.xml"), "--summary", str(tmp_path / "summary.md")]


def _says_config_everywhere(run, tmp_path: Path, option: str) -> None:
    """Exit 2 and every report says class config, naming the option."""
    run.expect_exit(2)
    report = run.report
    assert (report["result"], report["failure_class"], report["exit_code"]) == ("fail", "config", 2)
    assert report["checks"][0]["details"]["option"] == option
    failure = ET.parse(tmp_path / "junit.xml").getroot().find("testsuite/testcase/failure")
    assert failure is not None and failure.get("type") == "config"
    assert "failure class `config`" in (tmp_path / "summary.md").read_text()


def _printed(run, tmp_path: Path) -> str:
    """Everything the run wrote: the console and every report."""
    files = [run.report_path, tmp_path / "junit.xml", tmp_path / "summary.md"]
    return run.stdout + run.stderr + "".join(f.read_text() for f in files if f.exists())


@pytest.mark.parametrize("listed", [None, "APP_NAME"])
def test_an_unlisted_variable_is_refused_and_nothing_is_sent(sim, gate, tmp_path, listed):
    path = _file(tmp_path, _chat("Order assistant of ${APP_NAME} for ${TENANT}: {{prompt}}"))
    env = {
        "APP_NAME": "Acme Shop",
        "TENANT": "acme-eu-tenant",
        **({"COMETAPI_REQUEST_VARS": listed} if listed else {}),
    }
    run = _run(gate, sim, "tmpl_ok", "--request-file", str(path), *_reports(tmp_path), env=env)
    _says_config_everywhere(run, tmp_path, "request-file")
    assert sim.count() == 0
    missing = "${TENANT}" if listed else "${APP_NAME}, ${TENANT}"
    assert f"uses {missing}, which --request-vars" in run.stderr
    assert f"allow it with --request-vars {'TENANT' if listed else 'APP_NAME,TENANT'}" in run.stderr
    assert "acme-eu-tenant" not in _printed(run, tmp_path)


def test_a_listed_harmless_variable_is_sent_and_passes(sim, gate, tmp_path):
    path = _file(tmp_path, _chat("Order assistant of ${APP_NAME} for ${TENANT}: {{prompt}}"))
    env = {"APP_NAME": "Acme Shop", "TENANT": "acme-eu-tenant"}
    run = _run(
        gate, sim, "tmpl_ok", "--request-file", str(path), "--request-vars", "APP_NAME, TENANT", env=env
    )
    run.expect_exit(0)
    assert json.loads(sim.log[0].body)["messages"][0]["content"] == (
        "Order assistant of Acme Shop for acme-eu-tenant: ping"
    )


@pytest.mark.parametrize(
    "name", ["ACTIONS_RUNTIME_TOKEN", "AWS_SECRET_ACCESS_KEY", "CI_JOB_TOKEN", "GITHUB_TOKEN", "DB_PASSWORD"]
)
def test_a_listed_credential_name_is_refused(sim, gate, tmp_path, name):
    path = _file(tmp_path, _chat("debug ${" + name + "}"))
    env = {name: CI_TOKEN, "INPUT_REQUEST-VARS": f"APP_NAME,{name}"}
    run = _run(gate, sim, "tmpl_ok", "--request-file", str(path), *_reports(tmp_path), env=env)
    _says_config_everywhere(run, tmp_path, "request-vars")
    assert sim.count() == 0
    assert f"--request-vars (from INPUT_REQUEST-VARS): {name} looks like a credential" in run.stderr
    assert CI_TOKEN not in _printed(run, tmp_path)


@pytest.mark.parametrize(
    "name",
    ["ACTIONS_RUNTIME_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "AWS_SECRET_ACCESS_KEY", "CI_JOB_TOKEN"],
)
def test_a_credential_placeholder_is_refused_whatever_is_listed(sim, gate, tmp_path, name):
    path = _file(tmp_path, _chat("Summarise ${APP_NAME}: ${" + name + "}"))
    env = {name: CI_TOKEN, "APP_NAME": "Acme Shop", "COMETAPI_REQUEST_VARS": "APP_NAME"}
    run = _run(gate, sim, "tmpl_ok", "--request-file", str(path), *_reports(tmp_path), env=env)
    _says_config_everywhere(run, tmp_path, "request-file")
    assert sim.count() == 0
    assert f"uses ${{{name}}}, whose name looks like a credential" in run.stderr
    assert CI_TOKEN not in _printed(run, tmp_path)


def test_a_credential_variables_value_pasted_literally_is_refused_and_never_printed(sim, gate, tmp_path):
    path = _file(tmp_path, {"messages": [{"role": "user", "content": f"debug: {CI_TOKEN}"}], "user": "ci"})
    env = {"ACTIONS_RUNTIME_TOKEN": CI_TOKEN, "APP_NAME": "Acme Shop"}
    run = _run(gate, sim, "tmpl_ok", "--request-file", str(path), *_reports(tmp_path), env=env)
    _says_config_everywhere(run, tmp_path, "request-file")
    assert sim.count() == 0
    assert "$.messages[0].content: value of $ACTIONS_RUNTIME_TOKEN (***)" in run.stderr
    printed = _printed(run, tmp_path)
    assert CI_TOKEN not in printed and CI_TOKEN[:12] not in printed and CI_TOKEN[-12:] not in printed


def test_public_values_under_credential_prefixes_and_the_gates_own_settings_are_not_findings(sim, gate):
    """The structured example says "smoke-gate" and max_completion_tokens: neither is a secret."""
    env = {
        "CI_JOB_NAME": "smoke-gate",
        "AWS_REGION": "max_completion_tokens",
        "COMETAPI_TOKEN_PARAM": "max_completion_tokens",
        "INPUT_SECRET-VERSION": "triage@3",
    }
    _run(gate, sim, "tmpl_ok", "--request-file", str(STRUCTURED), env=env).expect_exit(0)
    assert sim.count() == 1


@pytest.mark.parametrize(("kind", "secret"), SECRETS.items(), ids=SECRETS.keys())
def test_each_kind_of_secret_written_into_the_file_is_refused(sim, gate, tmp_path, kind, secret):
    text = f"aws_secret_access_key = {secret}" if kind == "AWS secret access key" else f"use {secret} now"
    path = _file(tmp_path, _chat(text))
    run = _run(gate, sim, "tmpl_ok", "--request-file", str(path), *_reports(tmp_path))
    _says_config_everywhere(run, tmp_path, "request-file")
    assert sim.count() == 0
    assert f"$.messages[0].content: {kind} (" in run.stderr
    printed = _printed(run, tmp_path)
    assert all(part not in printed for part in (secret, secret[:12], secret[-12:]))


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


def test_request_vars_are_set_per_target_in_a_targets_file(sim, gate, tmp_path):
    body = _file(tmp_path, _chat("Order assistant for ${TENANT}: {{prompt}}"))
    eu = f"""
[defaults]
samples = 1
retries = 0
model = "{DEFAULT_MODEL}"
request-file = "{body}"

[[target]]
name = "eu"
base-url = "{sim.url_for("tmpl_ok")}"
api-key-env = "EU_KEY"
request-vars = "TENANT"
"""
    targets = tmp_path / "targets.toml"
    targets.write_text(eu)
    env = {"EU_KEY": DEFAULT_API_KEY, "TENANT": "acme-eu-tenant"}
    gate("--targets", str(targets), env=env).expect_exit(0)
    assert json.loads(sim.log[0].body)["messages"][0]["content"] == "Order assistant for acme-eu-tenant: ping"
    sim.clear_log()
    targets.write_text(
        eu + f'[[target]]\nname = "us"\nbase-url = "{sim.url_for("tmpl_ok")}"\napi-key-env = "EU_KEY"\n'
    )
    run = gate("--targets", str(targets), env=env).expect_exit(2)
    assert "target 'us': " in run.stderr and "uses ${TENANT}, which --request-vars" in run.stderr
    assert sim.count() == 0
