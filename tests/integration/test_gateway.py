"""The gate against the gateway CometAPI runs, answering as its source does (docs/gateway.md): class, retry
decision, exit code and next step for each answer; the gateway's request id quoted; reasoning models."""

from __future__ import annotations

import re

import pytest

from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL, SCENARIOS

AUTH = ["--api-key", DEFAULT_API_KEY, "--model", DEFAULT_MODEL]
FAST = ["--retries", "2", "--max-retry-after", "0.05", "--retry-budget", "30"]
GATEWAY_ID = re.compile(r"^\d{14}\d{1,9}[0-9A-Za-z]{8}$")

# scenario -> (exit code, failure class, requests the simulator saw with --samples 3, words of the next step)
EXPECTED = {
    "gw_ok": (0, None, 3, None),
    "gw_invalid_token": (1, "auth", 1, "gateway console"),
    "gw_invalid_token_en": (1, "auth", 1, "gateway console"),
    "gw_token_exhausted": (1, "quota", 1, "token's) quota"),
    "gw_user_quota": (1, "quota", 1, "Top up"),
    "gw_pre_consume": (1, "quota", 1, "token's) quota"),
    "gw_model_forbidden": (1, "auth", 1, "model list"),
    "gw_group_forbidden": (1, "auth", 1, "group"),
    "gw_ip_forbidden": (1, "auth", 1, "egress IP"),
    "gw_no_channel": (1, "request", 1, "not served for your key's group"),
    "gw_no_channel_en": (1, "request", 1, "not served for your key's group"),
    "gw_rate_limit_empty": (3, "rate_limit", 3, "throttled"),
    "gw_rate_limit": (3, "rate_limit", 3, "throttled"),
    "gw_upstream_saturated": (3, "rate_limit", 3, "not your billing"),
    "gw_quota_429": (1, "quota", 1, "Top up the account"),
    "gw_invalid_request": (1, "request", 1, "could not use the request"),
    "gw_body_too_large": (1, "request", 1, "body's size"),
    "gw_sensitive_words": (1, "request", 1, "sensitive-word filter"),
    "gw_model_price": (1, "request", 1, "no ratio or price"),
    "gw_do_request_failed": (3, "upstream", 3, "failed to reach the upstream"),
    "gw_bad_status": (3, "upstream", 3, "upstream provider failed"),
    "gw_invalid_url": (1, "endpoint", 1, "path under the gateway is wrong"),
    "gw_web_ui": (1, "endpoint", 1, "serves its web UI"),
    "gw_frontend_redirect": (1, "endpoint", 1, "--base-url"),
    "gw_stream_error": (3, "upstream", 3, "upstream provider failed"),
}


def test_every_gateway_scenario_has_an_expectation():
    assert {n for n in SCENARIOS if n.startswith("gw_")} == set(EXPECTED)


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_gateway_answer(sim, gate, scenario):
    code, failure_class, requests_seen, next_step = EXPECTED[scenario]
    run = gate("--base-url", sim.url_for(scenario), *AUTH, *FAST).expect_exit(code)
    report = run.report
    assert report["failure_class"] == failure_class
    assert sim.count(scenario) == requests_seen, [r.path for r in sim.log]
    if failure_class is None:
        return
    assert report["failed_check"] == "completion"
    assert next_step in report["next_step"], report["next_step"]
    assert next_step in run.stdout
    if scenario not in ("gw_frontend_redirect",):
        quoted = report["quoted_request_id"]
        assert quoted and GATEWAY_ID.match(quoted), quoted  # the gateway's id, not the provider's
        assert f"{quoted} (quote it to support)" in run.stdout


def test_every_attempt_id_is_recorded_and_the_last_is_quoted(sim, gate):
    run = gate("--base-url", sim.url_for("gw_do_request_failed"), *AUTH, *FAST).expect_exit(3)
    attempts = run.check("completion")["details"]["attempt_log"]
    ids = [a["request_id"] for a in attempts]
    assert len(ids) == 3 and len(set(ids)) == 3 and all(GATEWAY_ID.match(i) for i in ids)
    assert run.report["request_ids"] == ids
    assert run.report["quoted_request_id"] == ids[-1]


def test_a_success_keeps_the_gateway_id_first_and_the_provider_id_beside(sim, gate):
    run = gate("--base-url", sim.url_for("gw_ok"), *AUTH, "--samples", "1").expect_exit(0)
    details = run.check("completion")["details"]
    assert GATEWAY_ID.match(details["gateway_request_id"])
    assert details["provider_request_id"].startswith("req_")
    assert details["request_id"] == details["gateway_request_id"]


def test_models_listed_the_new_api_way_pass(sim, gate):
    gate("--base-url", sim.url_for("gw_ok"), *AUTH, "--samples", "1", "--check-models").expect_exit(0)


def test_a_mid_stream_error_fails_the_stream_check(sim, gate):
    """new-api forwards an upstream error inside the 200 stream, then its own [DONE]."""
    from tests.integration.test_beyond import _stream

    result = _stream(sim, "gw_stream_error")
    assert (result.status.value, result.failure_class) == ("fail", "upstream")
    assert "error event inside the 200 stream" in result.message


def test_x_should_retry_false_stops_a_retry_and_true_starts_one(gate):
    """The server's own say wins, as in the official openai SDK."""
    from tests.hostile.server import HostileServer, error_bytes, response

    server = HostileServer()
    try:
        busy = error_bytes("busy", type="server_error")
        server.answer_with(response(503, busy, [("x-should-retry", "false")]))
        gate("--base-url", server.base_url, *AUTH, "--retries", "2").expect_exit(3)
        assert len(server.completion_requests) == 1
        server.answer_with(response(400, error_bytes("try again", type="x"), [("x-should-retry", "true")]))
        run = gate("--base-url", server.base_url, *AUTH, "--retries", "2", "--max-retry-after", "0.01")
        run.expect_exit(1)
        assert len(server.completion_requests) == 3
    finally:
        server.close()


# --- reasoning models: the default request passes; what the user set is never changed ---


def _reasoning(gate, sim, *args: str):
    return gate("--base-url", sim.url_for("reasoning"), "--api-key", DEFAULT_API_KEY, *args)


@pytest.mark.parametrize("model", ["gpt-5", "gpt-5-mini", "gpt-5.1", "o4-mini", "o3", "openai/gpt-5-nano"])
def test_the_default_request_passes_against_a_reasoning_model(sim, gate, model):
    run = _reasoning(gate, sim, "--model", model).expect_exit(0)
    completion = run.check("completion")
    assert completion["status"] == "pass", completion
    request = completion["details"]["request"]
    assert "max_completion_tokens" in request and request["temperature"] is None
    assert sim.count("reasoning") == 3  # no rejected attempt
    assert (run.report["tokens"]["reasoning"] > 0) == (model != "gpt-5.1")  # 5.1 answers with effort none


def test_an_unknown_reasoning_model_passes_after_adapting_with_a_warning(sim, gate):
    run = _reasoning(gate, sim, "--model", "acme-thinker-1").expect_exit(0)
    completion = run.check("completion")
    assert completion["status"] == "warn"
    warning = completion["warnings"][0]
    assert (
        "max_tokens (sent max_completion_tokens instead)" in warning and "temperature (left out)" in warning
    )
    assert "the application's own request must not send them either" in warning
    assert sim.count("reasoning") == 5  # two rejected, one passed, two samples


def test_an_explicit_temperature_rejected_by_the_model_is_the_finding(sim, gate):
    run = _reasoning(gate, sim, "--model", "gpt-5", "--temperature", "0").expect_exit(1)
    assert run.failure_class == "request"
    assert "temperature" in run.check("completion")["message"]
    assert sim.count("reasoning") == 1


def test_an_explicit_token_field_rejected_by_the_model_is_the_finding(sim, gate):
    run = _reasoning(gate, sim, "--model", "gpt-5", "--token-param", "max_tokens").expect_exit(1)
    assert run.failure_class == "request" and sim.count("reasoning") == 1


def test_an_exhausted_reasoning_budget_is_named_with_the_counts(sim, gate):
    run = _reasoning(gate, sim, "--model", "o4-mini", "--max-tokens", "20").expect_exit(1)
    assert run.failure_class == "empty"
    message = run.check("output")["message"]
    assert "the reasoning budget was exhausted: 20 of the 20 completion tokens went to reasoning" in message
