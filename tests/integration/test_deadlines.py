"""Hard deadlines, size caps and dead hosts: every one ends in a classified failure, never a hang."""

from __future__ import annotations

import socket

import pytest

from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL, WAITING_SCENARIOS

AUTH = ["--api-key", DEFAULT_API_KEY, "--model", DEFAULT_MODEL]
# scenario -> (exit, failure class, failing check, requests seen with --retries 0); read by the fault matrix
DEADLINE_EXPECTED = {
    "slow": (3, "timeout", "completion", 1),
    "drip": (3, "timeout", "completion", 1),
    "stall_body": (3, "timeout", "completion", 1),
    "stream_stall": (3, "timeout", "completion", 1),
}


def test_every_waiting_scenario_has_a_deadline_test():
    assert set(DEADLINE_EXPECTED) == WAITING_SCENARIOS


@pytest.mark.parametrize("scenario", sorted(DEADLINE_EXPECTED))
def test_deadline_holds_against_slow_dripping_and_stalled_servers(sim, gate, scenario):
    """Each of these servers would answer in full, or hold the connection, far beyond 1 s (slow after 20 s,
    drip a byte every 0.3 s so per-read timeouts alone never fire, the stalls until stopped): a timeout
    naming the 1 s deadline is the gate's own deadline at work. No wall-clock budget: that is bench/'s."""
    code, failure_class, check, seen = DEADLINE_EXPECTED[scenario]
    run = gate("--base-url", sim.url_for(scenario), *AUTH, "--timeout", "1", "--retries", "0").expect_exit(
        code
    )
    assert run.failure_class == failure_class and run.report["failed_check"] == check
    assert sim.count(scenario) == seen
    assert "1 s deadline" in run.check("completion")["message"]


def test_retry_budget_bounds_the_whole_request(sim, gate):
    """Five retries of a 1 s deadline would be six attempts; the 2 s budget allows at most three."""
    run = gate(
        "--base-url", sim.url_for("drip"), *AUTH, "--timeout", "1", "--retries", "5", "--retry-budget", "2"
    ).expect_exit(3)
    assert run.failure_class == "timeout"
    assert 1 <= len(run.check("completion")["details"]["attempt_log"]) <= 3


def test_timeouts_are_retried(sim, gate):
    run = gate(
        "--base-url", sim.url_for("stall_body"), *AUTH, "--timeout", "0.5", "--retries", "1"
    ).expect_exit(3)
    assert sim.count("stall_body") == 2
    assert run.check("completion")["details"]["attempts"] == 2


@pytest.mark.parametrize("scenario", ["huge", "huge_chunked"])
def test_size_cap(sim, gate, scenario):
    run = gate("--base-url", sim.url_for(scenario), *AUTH, "--max-response-bytes", "65536").expect_exit(1)
    assert run.failure_class == "protocol"
    assert "65536 byte cap" in run.check("completion")["message"]
    assert sim.count(scenario) == 1  # a protocol failure is not retried


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_connection_refused_is_connect_and_retried(gate):
    run = gate("--base-url", f"http://127.0.0.1:{_closed_port()}", *AUTH, "--retries", "1").expect_exit(3)
    assert run.failure_class == "connect"
    assert run.check("completion")["details"]["attempts"] == 2
    assert "Check egress firewall rules" in run.stdout


def test_server_that_accepts_and_never_answers(gate):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        run = gate("--base-url", f"http://127.0.0.1:{port}", *AUTH, "--timeout", "1", "--retries", "0")
    run.expect_exit(3)
    assert run.failure_class == "timeout"  # the server never answers: only the gate's deadline ends this
    assert "1 s deadline" in run.check("completion")["message"]
