"""The first hour: `simulate` as a stand-in to point at (the lines to paste, a log line per request served),
`sim://ok` answering the application's own structured-output and tool requests, and a mistyped scenario
answered with the closest names instead of all of them."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from gate.simulator import (
    DEFAULT_API_KEY,
    DEFAULT_MODEL,
    SCENARIOS,
    Simulator,
    closest_scenarios,
    unknown_scenario_hint,
)
from tests.support import run_cli

ROOT = Path(__file__).resolve().parents[2]
STRUCTURED = ROOT / "examples" / "request-structured-output.json"
TOOLS = ROOT / "examples" / "request-tools.yml"
RESPONSES = ROOT / "examples" / "request-responses.json"
EMBEDDINGS = ROOT / "examples" / "request-embeddings.json"
APP = {"APP_NAME": "Acme Shop", "COMETAPI_REQUEST_VARS": "APP_NAME"}  # the tool example reads ${APP_NAME}
HANG = 30.0  # seconds: only tells a hang from an answer; no test asserts how fast anything is
LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (?P<method>[A-Z]+) (?P<path>\S+) scenario=(?P<scenario>\S+) "
    r"status=(?P<status>\d+) \(\d+ ms\)$"
)
SHOWN = 3  # at most this many names in a "did you mean"


def _child_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "COMETAPI_", "GATE_"))}


class Simulate:
    """`python -m gate simulate ARGS` as a child process, its stdout read line by line on a thread."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gate", "simulate", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_child_env(),
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def line(self) -> str:
        try:
            line = self.lines.get(timeout=HANG)
        except queue.Empty:
            raise AssertionError("simulate printed nothing more (not flushed?)") from None
        assert line is not None, f"simulate exited {self.proc.wait()}: {self.proc.stderr.read()}"
        return line

    def banner(self) -> list[str]:
        """Every line up to and including the one that announces the request log."""
        lines = [self.line()]
        while not lines[-1].startswith("Requests served"):
            lines.append(self.line())
        return lines

    def stop(self) -> tuple[int, str]:
        self.proc.send_signal(signal.SIGINT)
        try:
            _, stderr = self.proc.communicate(timeout=HANG)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError("simulate did not stop on SIGINT") from None
        return self.proc.returncode, stderr


@pytest.fixture
def simulate() -> Iterator[Simulate]:
    child = Simulate("--scenario", "ok", "--port", "0")
    try:
        yield child
    finally:
        if child.proc.poll() is None:
            child.proc.kill()
            child.proc.communicate()


def _pasted(banner: list[str]) -> tuple[dict[str, str], str]:
    """The exported variables and the --model value the banner tells the user to paste."""
    exports = dict(re.findall(r"^\s*export (\w+)=(\S+)$", "\n".join(banner), re.MULTILINE))
    model = re.search(r"--model (\S+)", "\n".join(banner))
    assert model is not None, banner
    return exports, model.group(1)


# --- simulate: the lines to paste, a log line per request ---


def test_simulate_prints_the_lines_to_paste_then_a_line_per_request(simulate):
    banner = simulate.banner()
    exports, model = _pasted(banner)
    base = exports["COMETAPI_BASE_URL"]
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base) and not base.endswith(":0")  # the bound port
    assert exports["COMETAPI_API_KEY"] == DEFAULT_API_KEY and model == DEFAULT_MODEL
    assert any(f"{base}/s/<scenario>" in line for line in banner)

    auth = {"Authorization": f"Bearer {exports['COMETAPI_API_KEY']}"}
    assert requests.get(f"{base}/v1/models", headers=auth, timeout=HANG).status_code == 200
    served = LOG_LINE.match(simulate.line())
    assert served is not None
    assert served.groupdict() == {"method": "GET", "path": "/v1/models", "scenario": "ok", "status": "200"}

    body = {"model": model, "messages": [{"role": "user", "content": "hi"}]}
    answer = requests.post(f"{base}/s/auth/v1/chat/completions?x=1", json=body, headers=auth, timeout=HANG)
    assert answer.status_code == 401
    served = LOG_LINE.match(simulate.line())
    assert served is not None, "the query string is never logged (it may carry a credential)"
    assert served.groupdict() == {
        "method": "POST",
        "path": "/s/auth/v1/chat/completions?...",
        "scenario": "auth",
        "status": "401",
    }
    code, stderr = simulate.stop()
    assert code == 130 and "Traceback" not in stderr


def test_the_pasted_lines_point_the_gate_at_the_simulator(simulate):
    exports, model = _pasted(simulate.banner())
    run = run_cli("--model", model, env=exports)
    assert run.exit_code == 0, run.stdout + run.stderr
    assert "RESULT: PASS: proceed (exit 0)" in run.stdout
    assert exports["COMETAPI_API_KEY"] not in run.stdout + run.stderr  # the gate masks it as any key
    # a marker request after the gate's: every log line before its line is one of the gate's requests
    marker = requests.get(f"{exports['COMETAPI_BASE_URL']}/s/forbidden/v1/models", timeout=HANG)
    assert marker.status_code == 403
    served = []
    while True:
        line = LOG_LINE.match(simulate.line())
        assert line is not None
        if line["scenario"] == "forbidden":
            break
        served.append((line["method"], line["path"], line["scenario"], line["status"]))
    assert served and set(served) == {("POST", "/v1/chat/completions", "ok", "200")}


def test_simulate_with_a_mistyped_scenario_names_the_closest(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "gate", "simulate", "--scenario", "rate_limt", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=HANG,
        env=_child_env(),
    )
    assert result.returncode == 2
    assert "did you mean rate_limit" in result.stderr
    named = [name for name in SCENARIOS if re.search(rf"\b{name}\b", result.stderr)]
    assert len(named) <= SHOWN, named
    assert "Traceback" not in result.stderr

    listed = subprocess.run(
        [sys.executable, "-m", "gate", "simulate", "--list"],
        capture_output=True,
        text=True,
        timeout=HANG,
        env=_child_env(),
    )
    assert listed.returncode == 0
    assert {line.split()[0] for line in listed.stdout.splitlines()} == set(SCENARIOS)


def test_the_request_log_line_is_printable_and_never_shows_the_query():
    lines: queue.Queue[str] = queue.Queue()
    with (
        Simulator(access_log=lines.put) as stand_in,
        socket.create_connection(("127.0.0.1", stand_in.port)) as conn,
    ):
        conn.sendall(b"GET /v1/\x1b[31mred\x07?api_key=sk-live-0123456789 HTTP/1.1\r\nHost: x\r\n\r\n")
        conn.settimeout(HANG)
        assert conn.recv(12).startswith(b"HTTP/1.1 404")
        line = lines.get(timeout=HANG)  # written once the answer is out
    served = LOG_LINE.match(line)
    assert served is not None, line
    assert served["path"] == "/v1/\\x1b[31mred\\x07?..." and served["status"] == "404"
    assert "sk-live" not in line and all(ch.isprintable() for ch in line)


def test_a_workflow_command_in_a_request_path_is_inert_in_the_log():
    """A runner reads `##[command]` anywhere in a line of the log the simulator prints in a CI step."""
    lines: queue.Queue[str] = queue.Queue()
    with (
        Simulator(access_log=lines.put) as stand_in,
        socket.create_connection(("127.0.0.1", stand_in.port)) as conn,
    ):
        conn.sendall(b"GET /v1/##[error]planted HTTP/1.1\r\nHost: x\r\n\r\n")
        conn.settimeout(HANG)
        assert conn.recv(12).startswith(b"HTTP/1.1")
        line = lines.get(timeout=HANG)
    assert "##[" not in line and "#\\x23[error]planted" in line, line


# --- a mistyped sim:// scenario ---


def test_a_mistyped_sim_scenario_is_a_config_error_that_suggests_the_closest(gate, tmp_path):
    junit, summary = tmp_path / "junit.xml", tmp_path / "summary.md"
    run = gate("--base-url", "sim://rate_limt", "--junit", str(junit), "--summary", str(summary))
    run.expect_exit(2)
    assert run.failure_class == "config"
    assert junit.is_file() and summary.is_file()  # every report written, as for any config error
    output = run.stdout + run.stderr
    assert "sim://rate_limt is not a simulator scenario" in output
    assert "did you mean sim://rate_limit" in output
    assert "did you mean sim://rate_limit" in run.report["next_step"]
    named = {name for name in SCENARIOS if re.search(rf"sim://{name}\b", output)}
    assert len(named) <= SHOWN, named
    assert "anthropic_overloaded" not in output  # the full list is gone


@given(
    name=st.sampled_from(sorted(n for n in SCENARIOS if len(n) >= 4)),
    position=st.integers(min_value=0),
    typo=st.sampled_from(["drop", "swap", "double"]),
)
def test_one_typo_in_a_scenario_name_suggests_it(name, position, typo):
    i = position % len(name)
    mistyped = {
        "drop": name[:i] + name[i + 1 :],
        "swap": name[:i] + ("x" if name[i] != "x" else "y") + name[i + 1 :],
        "double": name[:i] + name[i] + name[i:],
    }[typo]
    if mistyped in SCENARIOS:
        return
    assert name in closest_scenarios(mistyped)
    hint = unknown_scenario_hint(mistyped, "sim://")
    assert f"sim://{name}" in hint and hint.count("sim://") <= SHOWN


@given(st.text(max_size=300))
def test_a_hint_never_lists_more_than_three_names(text):
    close = closest_scenarios(text)
    assert len(close) <= SHOWN and set(close) <= set(SCENARIOS)
    assert unknown_scenario_hint(text).count(" or ") <= SHOWN - 1


# --- sim://ok answers the application's own requests ---


@pytest.mark.parametrize(
    ("request_file", "check_id", "message"),
    [
        (STRUCTURED, "structured-output", "validates against json_schema 'ticket_triage'"),
        (TOOLS, "tool-calls", "1 tool call(s) (get_order_status)"),
    ],
)
def test_the_example_request_files_pass_against_sim_ok(gate, request_file, check_id, message):
    run = gate("--base-url", "sim://ok", "--request-file", str(request_file), env=APP).expect_exit(0)
    check = run.check(check_id)
    assert check["status"] == "pass" and message in check["message"]
    assert "RESULT: PASS: proceed (exit 0)" in run.stdout


@pytest.mark.parametrize(
    ("api", "request_file", "extra", "check_id", "message"),
    [
        ("responses", RESPONSES, ("--expect", "pong"), "output", "said 'pong' (contains 'pong')"),
        ("embeddings", EMBEDDINGS, ("--expect-dimensions", "256"), "completion", "2 vector(s)"),
    ],
)
def test_the_example_request_files_of_the_other_apis_pass_against_sim_ok(
    gate, api, request_file, extra, check_id, message
):
    run = gate(
        "--base-url", "sim://ok", "--api", api, "--request-file", str(request_file), *extra, env=APP
    ).expect_exit(0)  # fmt: skip
    check = run.check(check_id)
    assert check["status"] == "pass" and message in check["message"], check
    assert "RESULT: PASS: proceed (exit 0)" in run.stdout


def test_the_builtin_probes_pass_against_sim_ok(gate):
    run = gate("--base-url", "sim://ok", "--check-structured-output", "--check-tools").expect_exit(0)
    assert run.check("structured-output")["status"] == run.check("tool-calls")["status"] == "pass"


def _post(sim, scenario: str, body: dict[str, object]) -> requests.Response:
    return requests.post(
        f"{sim.url_for(scenario)}/v1/chat/completions",
        json=body,
        headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"},
        timeout=HANG,
    )


def _chat(sim, scenario: str, **fields: object) -> dict[str, object]:
    body = {
        "model": DEFAULT_MODEL,
        "messages": [{"role": "user", "content": "Reply with exactly the word: pong"}],
    }
    answer = _post(sim, scenario, {**body, **fields})
    assert answer.status_code == 200, answer.text
    return answer.json()


_VOLATILE = ("id", "created", "system_fingerprint")


def _stable(document: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in document.items() if k not in _VOLATILE}


@pytest.mark.parametrize("stream", [False, True])
def test_a_plain_request_gets_the_ok_flows_answer_as_before(sim, stream):
    """accept_any_key is the ok flow with the key unchecked: a keyed plain request gets the same answer."""
    body = {"model": DEFAULT_MODEL, "messages": [{"role": "user", "content": "hi"}], "stream": stream}
    ok, reference = (_post(sim, scenario, body) for scenario in ("ok", "accept_any_key"))
    assert ok.status_code == reference.status_code == 200
    assert ok.headers["Content-Type"] == reference.headers["Content-Type"]
    if not stream:
        assert _stable(ok.json()) == _stable(reference.json())
        assert ok.json()["choices"][0]["message"] == {"role": "assistant", "content": "pong"}
        return
    events = [
        [_stable(json.loads(line[6:])) for line in answer.text.split("\n\n") if line.startswith("data: {")]
        for answer in (ok, reference)
    ]
    assert events[0] == events[1] and len(events[0]) > 2
    assert ok.text.rstrip().endswith("data: [DONE]")


_ORDER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_order_status",
        "parameters": {
            "type": "object",
            "properties": {"order_id": {"type": "string"}},
            "required": ["order_id"],
        },
    },
}


@pytest.mark.parametrize(
    ("messages", "tool_choice", "calls"),
    [
        ([{"role": "user", "content": "Reply with exactly the word: pong"}], "auto", False),
        ([{"role": "user", "content": "Where is order 42? Use the tools."}], "auto", True),
        ([{"role": "user", "content": "Run get_order_status for 42"}], None, True),
        ([{"role": "user", "content": "Reply with exactly the word: pong"}], "required", True),
        ([{"role": "user", "content": "Use the tools."}], "none", False),
        (
            [
                {"role": "user", "content": "Use the tools."},
                {"role": "tool", "tool_call_id": "call_1", "content": '{"status": "shipped"}'},
            ],
            "auto",
            False,
        ),
    ],
)
def test_sim_ok_calls_a_tool_when_it_is_forced_or_asked_for(sim, messages, tool_choice, calls):
    fields: dict[str, object] = {"messages": messages, "tools": [_ORDER_TOOL]}
    if tool_choice is not None:
        fields["tool_choice"] = tool_choice
    choice = _chat(sim, "ok", **fields)["choices"][0]  # type: ignore[index]
    message = choice["message"]
    if calls:
        assert choice["finish_reason"] == "tool_calls" and message["content"] is None
        call = message["tool_calls"][0]["function"]
        assert call["name"] == "get_order_status" and "order_id" in json.loads(call["arguments"])
    else:
        assert choice["finish_reason"] == "stop" and isinstance(message["content"], str)
        assert "tool_calls" not in message


def test_sim_ok_answers_json_object_with_a_json_object(sim):
    message = _chat(sim, "ok", response_format={"type": "json_object"})["choices"][0]["message"]  # type: ignore[index]
    assert isinstance(json.loads(message["content"]), dict)
