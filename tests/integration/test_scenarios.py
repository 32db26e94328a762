"""Every simulator scenario through the real CLI over real sockets: exit, class, failed check, retries."""

from __future__ import annotations

import pytest

from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL, SCENARIOS, WAITING_SCENARIOS
from gate.simulator.replays import every

AUTH = ["--api-key", DEFAULT_API_KEY, "--model", DEFAULT_MODEL]


def at(sim, scenario: str) -> list[str]:
    """The gate's arguments to reach one simulator scenario with the simulator's key and model."""
    return ["--base-url", sim.url_for(scenario), *AUTH]


FAST = ["--retries", "2", "--max-retry-after", "0.05", "--timeout", "5"]

# scenario -> (exit code, failure class, failing check, requests the simulator saw with --samples 3)
EXPECTED = {
    "ok": (0, None, None, 3),
    "latency_100ms": (0, None, None, 3),
    "echo_key": (0, None, None, 3),
    "rerouted_model": (0, None, None, 3),
    "no_usage": (0, None, None, 3),
    "rate_limit_once": (0, None, None, 4),
    "accept_any_key": (0, None, None, 3),
    "accept_any_model": (0, None, None, 3),
    "models_malformed": (0, None, None, 3),
    "models_missing": (0, None, None, 3),
    "stream_split": (0, None, None, 3),
    "stream_no_done": (0, None, None, 3),
    "flaky": (0, None, None, 5),
    "one_sample_fails": (0, None, None, 4),  # the failed sample is retried: a pass with a warning
    "auth": (1, "auth", "completion", 1),
    "forbidden": (1, "auth", "completion", 1),
    "echo_key_error": (1, "auth", "completion", 1),
    "wrong_path": (1, "endpoint", "completion", 1),
    "method_not_allowed": (1, "endpoint", "completion", 1),
    "redirect": (1, "endpoint", "completion", 1),
    "redirect_same_host": (1, "endpoint", "completion", 1),
    "bad_model": (1, "request", "completion", 1),
    "bad_request": (1, "request", "completion", 1),
    "invalid_request_500": (1, "request", "completion", 1),
    "quota": (1, "quota", "completion", 1),
    "payment_required": (1, "quota", "completion", 1),
    "html": (1, "protocol", "completion", 1),
    "not_json": (1, "protocol", "completion", 1),
    "broken_stream": (1, "protocol", "completion", 1),
    "huge": (1, "protocol", "completion", 1),
    "huge_chunked": (1, "protocol", "completion", 1),
    "contract": (1, "contract", "completion", 1),
    "contract_types": (1, "contract", "completion", 1),
    "null_content": (1, "empty", "output", 1),
    "empty_content": (1, "empty", "output", 1),
    "length": (1, "empty", "output", 1),
    "wrong_answer": (1, "assertion", "output", 1),
    "rate_limit": (3, "rate_limit", "completion", 3),
    "upstream": (3, "upstream", "completion", 3),
    "gateway_timeout_524": (3, "upstream", "completion", 3),
    "error_200": (3, "upstream", "completion", 3),
    "stream_error_event": (3, "upstream", "completion", 3),
    "control_chars": (3, "upstream", "completion", 3),
    "server_error": (3, "upstream", "completion", 3),
    "disconnect": (3, "connect", "completion", 3),
}


def test_every_scenario_has_an_expectation():
    # the waiting ones are in test_deadlines.py; the gateway dialect and reasoning in test_gateway.py; other
    # servers' answers in test_dialects.py
    others = WAITING_SCENARIOS | {n for n in SCENARIOS if n.startswith(("gw_", "tmpl_"))} | {"reasoning"}
    others |= {r.name for r in every()} | {"azure_stream"}
    # the Responses and Embeddings API scenarios: tests/simulator/test_responses_api.py (the simulator) and
    # tests/integration/test_api.py (the gate with --api responses|embeddings)
    others |= {n for n in SCENARIOS if n.startswith(("responses_", "embeddings_"))}
    assert set(SCENARIOS) - others == set(EXPECTED)


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_scenario(sim, gate, scenario):
    code, failure_class, failed_check, requests_seen = EXPECTED[scenario]
    run = gate(*at(sim, scenario), *FAST).expect_exit(code)
    report = run.report
    assert report["failure_class"] == failure_class
    assert report["failed_check"] == failed_check
    assert report["result"] == ("pass" if code == 0 else "fail")
    assert report["decision"] == ("proceed" if code == 0 else "hold")
    assert sim.count(scenario) == requests_seen, [r.path for r in sim.log]
    statuses = {c["id"]: c["status"] for c in report["checks"]}
    assert list(statuses) == ["config", "dns", "tls", "completion", "output", "samples"]
    if failed_check:
        assert statuses[failed_check] == "fail"
        assert f"RESULT: FAIL: hold (exit {code}: " in run.stdout  # the code and what it means
        assert f"). Failure class: {failure_class} (check '{failed_check}')" in run.stdout
        assert "next step" in run.stdout
        later = list(statuses)[list(statuses).index(failed_check) + 1 :]
        assert all(statuses[c] == "skip" for c in later)
    else:
        assert "RESULT: PASS: proceed (exit 0)" in run.stdout
        assert report["latency_ms"]["p50"] > 0
        assert len(report["request_ids"]) == requests_seen  # every attempt's id, failed ones included


def test_retried_failure_records_each_attempt(sim, gate):
    run = gate(*at(sim, "upstream"), "--retries", "1").expect_exit(3)
    attempts = run.check("completion")["details"]["attempt_log"]
    assert [a["status"] for a in attempts] == [502, 502]
    assert attempts[1]["waited_s"] > 0
    assert "2 attempts" in run.check("completion")["message"]


def test_retry_after_is_honoured_and_capped(sim, gate):
    run = gate(*at(sim, "rate_limit"), "--retries", "1", "--max-retry-after", "0.2").expect_exit(3)
    assert run.check("completion")["details"]["attempt_log"][1]["waited_s"] == 0.2
    first, second = sim.log
    assert second.at - first.at >= 0.2


def test_warnings_do_not_fail_the_gate(sim, gate):
    run = gate(*at(sim, "rerouted_model")).expect_exit(0)
    assert run.check("completion")["status"] == "warn"
    assert any("rerouted" in w["message"] for w in run.report["warnings"])
    assert "with 1 warning(s)" in run.stdout


def test_metadata_is_recorded(sim, gate):
    run = gate(*at(sim, "ok"), "--samples", "1").expect_exit(0)
    details = run.check("completion")["details"]
    assert details["request_id"].startswith("req_")
    assert details["response_model"] == DEFAULT_MODEL
    assert details["finish_reason"] == "stop"
    assert set(details["usage"]) >= {"prompt_tokens", "completion_tokens", "total_tokens"}
    assert run.report["request_ids"] == [details["request_id"]]


def test_request_id_from_cometapi_error_message(sim, gate):
    run = gate(*at(sim, "auth")).expect_exit(1)
    rid = run.check("completion")["details"]["request_id"]
    # CometAPI sends no x-request-id on errors: the id is read from "(request id: ...)" in the message
    assert rid and f"(request id: {rid})" in run.check("completion")["message"]
    assert run.report["request_ids"] == [rid]


def test_the_request_is_minimal_and_deterministic(sim, gate):
    gate(*at(sim, "ok"), "--samples", "1").expect_exit(0)
    import json

    (entry,) = sim.log
    body = json.loads(entry.body)
    assert body["messages"] == [
        {"role": "system", "content": "Reply with exactly the word: pong"},
        {"role": "user", "content": "ping"},
    ]
    assert body["temperature"] == 0 and body["max_tokens"] == 16 and body["stream"] is False
    headers = {k.lower(): v for k, v in entry.headers.items()}
    assert headers["authorization"] == f"Bearer {DEFAULT_API_KEY}"


def test_token_param_switch(sim, gate):
    gate(
        *at(sim, "ok"), "--samples", "1", "--token-param", "max_completion_tokens", "--max-tokens", "32"
    ).expect_exit(0)
    import json

    body = json.loads(sim.log[0].body)
    assert body["max_completion_tokens"] == 32 and "max_tokens" not in body


@pytest.mark.parametrize("suffix", ["", "/", "/v1", "/v1/"])
def test_base_url_with_or_without_v1(sim, gate, suffix):
    gate(
        "--base-url",
        sim.url_for("ok") + suffix,
        "--api-key",
        DEFAULT_API_KEY,
        "--model",
        DEFAULT_MODEL,
        "--samples",
        "1",
    ).expect_exit(0)
    assert [r.path for r in sim.log] == ["/s/ok/v1/chat/completions"]


@pytest.mark.parametrize(
    ("mode", "expect", "code"),
    [
        ("equals", "PONG", 0),
        ("equals", "pon", 1),
        ("regex", r"^p[o0]ng$", 0),
        ("regex", r"^ping$", 1),
        ("contains", "on", 0),
    ],
)
def test_expect_modes(sim, gate, mode, expect, code):
    run = gate(*at(sim, "ok"), "--samples", "1", "--expect-mode", mode, "--expect", expect).expect_exit(code)
    if code:
        assert run.failure_class == "assertion"


def test_simulator_follows_the_system_prompt(sim, gate):
    gate(
        *at(sim, "ok"),
        "--samples",
        "1",
        "--system-prompt",
        "Reply with exactly the word: ready",
        "--expect",
        "ready",
        "--expect-mode",
        "equals",
    ).expect_exit(0)


def test_latency_budget(sim, gate):
    run = gate(*at(sim, "latency_100ms"), "--samples", "3", "--max-latency-ms", "50").expect_exit(1)
    assert run.failure_class == "latency"
    assert run.report["failed_check"] == "samples"


def test_samples_after_the_first_run_concurrently(sim, gate):
    run = gate(*at(sim, "latency_100ms"), "--samples", "9").expect_exit(0)
    samples = run.check("samples")
    assert samples["details"]["samples"] == 9 and samples["details"]["succeeded"] == 9
    # The 8 samples after the first were in flight together: each arrived before the first of them could have
    # been answered (the server holds every answer 100 ms), which sequential requests cannot do.
    arrivals = sorted(r.at for r in sim.log)[1:]
    assert arrivals[-1] - arrivals[0] < 0.1


def test_report_mode_exits_zero_but_reports_failure(sim, gate):
    run = gate(*at(sim, "auth"), "--mode", "report").expect_exit(0)
    assert run.report["result"] == "fail" and run.report["failure_class"] == "auth"
    assert run.report["exit_code"] == 0


def test_fault_matrix_doc_is_current():
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("fault_matrix", root / "scripts" / "fault_matrix.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (root / "docs" / "fault-matrix.md").read_text(encoding="utf-8") == module.render(), (
        "run: python scripts/fault_matrix.py --write"
    )
