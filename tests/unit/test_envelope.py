"""Error envelopes read into one record, and the rule tables as data: every shape a server wraps an error in,
arbitrary JSON never breaking the reader, every row of the provider tables written for a real answer."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gate.diagnosis import envelope, rules
from gate.diagnosis.rules import row
from gate.simulator.replays import every
from tests.integration.test_dialects import ROWS


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (
            {
                "error": {
                    "message": "m",
                    "type": "invalid_request_error",
                    "code": "model_not_found",
                    "param": "model",
                }
            },
            ("m", "model_not_found", "invalid_request_error", "model", "openai"),
        ),
        ({"error": "Unauthorized"}, ("Unauthorized", "", "", None, "string")),
        (
            {"error": "Model is overloaded", "error_type": "overloaded"},
            ("Model is overloaded", "", "overloaded", None, "tgi"),
        ),
        (
            [{"error": {"code": 400, "message": "API key not valid.", "status": "INVALID_ARGUMENT"}}],
            ("API key not valid.", "400", "INVALID_ARGUMENT", None, "list"),
        ),
        (
            {
                "result": None,
                "success": False,
                "errors": [{"code": 10000, "message": "Authentication error"}],
            },
            ("Authentication error", "10000", "", None, "cloudflare"),
        ),
        ({"detail": "Not Found"}, ("Not Found", "", "", None, "detail")),
        (
            {
                "detail": [
                    {
                        "loc": ["body", "max_completion_tokens"],
                        "msg": "Extra inputs are not permitted",
                        "type": "extra_forbidden",
                    }
                ]
            },
            (
                "body.max_completion_tokens: Extra inputs are not permitted",
                "",
                "extra_forbidden",
                None,
                "detail",
            ),
        ),
        (
            {
                "object": "error",
                "message": "The model `x` does not exist.",
                "type": "NotFoundError",
                "code": 404,
            },
            ("The model `x` does not exist.", "404", "NotFoundError", None, "top-level"),
        ),
        ({"status": "failure", "message": "need a provider"}, ("need a provider", "", "", None, "top-level")),
    ],
)
def test_each_envelope_reads_into_one_record(payload, expected):
    record = envelope.read(payload)
    assert record is not None
    assert (record.message, record.code, record.type, record.param, record.envelope) == expected


def test_reasons_ids_and_relayed_answers_are_kept():
    gemini = envelope.read(
        [
            {
                "error": {
                    "code": 400,
                    "message": "bad key",
                    "status": "INVALID_ARGUMENT",
                    "details": [{"@type": "x", "reason": "API_KEY_INVALID"}],
                }
            }
        ]
    )
    assert {"api_key_invalid", "invalid_argument", "400"} <= gemini.keys
    anthropic = envelope.read(
        {
            "type": "error",
            "request_id": "req_1",
            "error": {
                "type": "rate_limit_error",
                "message": "limits",
                "details": {"error_code": "enforced_spend_limit_reached"},
            },
        }
    )
    assert anthropic.request_id == "req_1" and "enforced_spend_limit_reached" in anthropic.keys
    azure = envelope.read(
        {
            "error": {
                "code": "content_filter",
                "message": "filtered",
                "innererror": {"code": "ResponsibleAIPolicyViolation"},
            }
        }
    )
    assert "responsibleaipolicyviolation" in azure.keys
    openrouter = envelope.read(
        {
            "error": {
                "message": "Provider returned error",
                "code": 502,
                "metadata": {
                    "raw": {"error": {"message": "Internal error"}},
                    "provider_name": "Google AI Studio",
                },
            }
        }
    )
    assert openrouter.provider == "Google AI Studio" and "Internal error" in openrouter.raw
    assert "Internal error" in openrouter.words
    litellm = envelope.read(
        {"error": {"message": "m", "type": "throttling_error", "param": None, "code": "429"}}
    )
    assert litellm.primary_code == "throttling_error"  # the status in `code` is not the code to report


def test_a_success_is_read_only_for_an_error_member():
    assert envelope.read({"detail": "x", "id": "1"}, success=True) is None
    assert envelope.read({"message": "hello", "type": "t"}, success=True) is None
    assert envelope.read({"error": "Unexpected endpoint or method. (POST /x)"}, success=True) is not None
    assert envelope.read({"object": "error", "message": "no chat", "code": 400}, success=True) is not None
    assert envelope.read({"id": "c", "choices": []}) is None


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "error",
                    "message",
                    "code",
                    "type",
                    "detail",
                    "errors",
                    "success",
                    "metadata",
                    "raw",
                    "details",
                    "innererror",
                    "reason",
                    "status",
                    "request_id",
                    "id",
                    "object",
                    "x",
                ]
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=25,
)


@given(JSON, st.booleans())
def test_any_json_reads_to_a_record_or_none_never_an_exception(payload, success):
    record = envelope.read(payload, success=success)
    if record is not None:
        assert "\n" not in record.message and "\n" not in record.raw
        assert all(isinstance(k, str) for k in record.keys)
        json.dumps(record.message)


@given(JSON, st.integers(min_value=100, max_value=599))
def test_every_answer_matches_exactly_one_first_row(payload, status):
    record = envelope.read(payload) or envelope.ErrorRecord()
    table, matched = rules.match(rules.Answer(status, record, record.message, {}))
    assert table in {name for name, _ in rules.tables()}
    assert matched.message(rules.Answer(status, record, record.message, {})).startswith(f"HTTP {status} ")


def test_every_row_cites_a_source_and_the_status_table_ends_with_a_catch_all():
    for _, rows in rules.tables():
        assert rows
        for r in rows:
            assert isinstance(r, row.Rule) and len(r.source) > 15, r.name
    last = rules.tables()[-1][1][-1]
    assert last.applies(rules.Answer(418, envelope.ErrorRecord(), "", {}))


def test_every_provider_relay_and_self_hosted_row_was_written_for_a_replayed_answer():
    """No rule from memory: each row of these tables decides at least one real answer in docs/dialects.md."""
    decided = {r["rule"] for r in ROWS.values()}
    for table, rows in rules.tables():
        if table in ("relays", "hosted", "self_hosted"):
            missing = {f"{table}.{r.name}" for r in rows} - decided
            assert not missing, missing
    assert len(every()) == len(ROWS)


def _diagnose(status: int, body: bytes, content_type: str = "application/json"):
    from gate.core.jsonbody import try_parse
    from gate.diagnosis.classify import classify_status
    from gate.http.client import HttpResponse

    answer = HttpResponse(status, "", {"content-type": content_type}, body, 1.0, 1.0)
    return classify_status(answer, try_parse(answer.body))


def test_portkeys_provider_prefix_is_not_in_the_way_of_a_rule():
    body = {
        "error": {"message": "openai error: Loading model", "type": "unavailable_error"},
        "provider": "openai",
    }
    found = _diagnose(503, json.dumps(body).encode())
    assert found.rule == "self_hosted.llamacpp_loading"
    assert "openai error" not in found.message


def test_a_403_html_page_is_a_firewall_not_the_key():
    page = b"<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head></html>"
    found = _diagnose(403, page, "text/html; charset=UTF-8")
    assert (found.failure_class.value, found.rule) == ("protocol", "status.firewall_page")
    assert _diagnose(403, b'{"error": {"message": "nope"}}').failure_class.value == "auth"


def test_a_413_of_another_server_is_not_the_gateways():
    found = _diagnose(
        413,
        b'{"type":"error","error":{"type":"request_too_large","message":"Request exceeds the maximum size"}}',
    )
    assert (found.failure_class.value, found.rule) == ("request", "status.rejected")
    newapi = _diagnose(
        413,
        b'{"error":{"message":"request body exceeds 128 MB: request body too large",'
        b'"code":"read_request_body_failed"}}',
    )
    assert newapi.rule == "newapi.body_too_large"
