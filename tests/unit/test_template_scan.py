"""The pre-flight scan of request templates, and the request schema it shares its field list with."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from gate import contract
from gate.template_scan import CONFIGURED_KEY, KNOWN_FIELDS, MASK, Finding, scan, unknown_fields

# Secret-shaped samples are assembled at run time so that no secret scanner flags this file.
OPENAI_KEY = "sk-" + "proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8t"
ANTHROPIC_KEY = "sk-" + "ant-api03-" + "Zy1xWv2uTs3rQp4oNm5lKj6i"
AWS_KEY = "AKIA" + "Q3EXAMPLE7WZ4K2M"
GITHUB_TOKEN = "gh" + "p_" + "a1B2c3D4e5" * 3 + "F6g7H8"
GITHUB_PAT = "github" + "_pat_" + "11ABCDEFG0abcdefghijkl_" + "mnopqrstuvwxyz0123456789"
SLACK_TOKEN = "xo" + "xb-" + "1234567890-abcdefghijKLMN"
GOOGLE_KEY = "AI" + "za" + "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6q"
JWT = "eyJhbGciOiJIUzI1NiJ9" + ".eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
PEM = (
    "-----BEGIN "
    + "RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo\n-----END RSA PRIVATE KEY-----"
)
PEM_PGP = "-----BEGIN PGP " + "PRIVATE KEY BLOCK-----\n\nlQOYBF0AAAAB\n-----END PGP PRIVATE KEY BLOCK-----"
PEM_OPENSSH = "-----BEGIN " + "OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU="

FOUND = [
    # (text, kind, the secret inside the text)
    (f"use {OPENAI_KEY} here", "API key", OPENAI_KEY),
    (f"key={ANTHROPIC_KEY}", "API key", ANTHROPIC_KEY),
    (f"aws {AWS_KEY}.", "API key", AWS_KEY),
    (f"token: {GITHUB_TOKEN}", "API key", GITHUB_TOKEN),
    (GITHUB_PAT, "API key", GITHUB_PAT),
    (f"slack {SLACK_TOKEN}", "API key", SLACK_TOKEN),
    (f"maps key {GOOGLE_KEY} ok", "API key", GOOGLE_KEY),
    (f"Authorization: Bearer {JWT}", "bearer token", JWT),
    (f"curl -H 'authorization: bearer {JWT}'", "bearer token", JWT),
    (f"here:\n{PEM}\nthanks", "private key", PEM),
    (PEM_OPENSSH, "private key", PEM_OPENSSH),
    (PEM_PGP, "private key", PEM_PGP),
    ("write to jane.doe@acme-corp.io today", "email address", "jane.doe@acme-corp.io"),
    ("cc: o'brien+ml@mail.uni-heidelberg.de", "email address", "o'brien+ml@mail.uni-heidelberg.de"),
    ("call +14155550123 now", "phone number", "+14155550123"),
    ("office +44 20 7946 0958.", "phone number", "+44 20 7946 0958"),
    ("US line +1 (415) 555-0123", "phone number", "+1 (415) 555-0123"),
    ("desk (415) 555-0123", "phone number", "(415) 555-0123"),
    ("cell 415-555-0123", "phone number", "415-555-0123"),
    ("card 4111 1111 1111 1111 exp 12/29", "card number", "4111 1111 1111 1111"),
    ("card 4111111111111111 12/29", "card number", "4111111111111111"),
    ("ref 2024 4111111111111111", "card number", "4111111111111111"),
    ("mc 5555-5555-5555-4444", "card number", "5555-5555-5555-4444"),
    ("amex 3782 822463 10005", "card number", "3782 822463 10005"),
]

NEVER = [
    "{{prompt}}",
    "{{ model }}",
    "${COMETAPI_KEY}",
    "Authorization: Bearer ${COMETAPI_KEY}",
    "Authorization: Bearer {{api_key}}",
    "Say hello to {{name}} at {{email}} and call {{phone}}.",
    "123e4567-e89b-12d3-a456-426614174000",
    "12345678-1234-1234-1234-123456789012",
    "2024-01-15T10:30:00Z",
    "2024-01-15T10:30:00.123456+05:30",
    "2024-01-15 10:30:00 +0000",
    "15.01.2024, 2024/01/15, 01-15-2024",
    "+2024-01-15 and UTC+05:30",
    "1700000000",
    "1700000000000",
    "gpt-4o-mini-2024-07-18",
    "claude-3-5-sonnet-20241022",
    "deepseek-chat",
    "gemini-1.5-pro-002",
    "task-force-alpha-bravo-charlie-delta",
    "1.2.3",
    "v10.20.300",
    "1.0.0+build.20240115",
    "3.11.4 or 192.168.100.200",
    "42, 911, 1234, 12345678, +1, 2+2=4, -5",
    "Order #1234567890 ships in 3-5 days for $1,234.56.",
    "The quick brown fox jumps over the lazy dog. Use the Bearer scheme for auth.",
    "Reply with exactly one word: pong.",
    "Send a Bearer authentication-scheme-header, see the Bearer AuthenticationSchemes docs.",
    "user@localhost, alice@example.com, bob@mail.example.org, ci@build.test",
    "4111 1111 1111 1112",
]


def _at(content: str) -> dict[str, Any]:
    return {
        "model": "gpt-4o-mini",
        "messages": [{"role": "system", "content": "hi"}, {"role": "user", "content": content}],
    }


def _shows(masked: str, secret: str, run: int = 5) -> bool:
    """Does `masked` show `run` or more consecutive characters of `secret` (in any case)?"""
    m, s = masked.lower(), secret.lower()
    return any(m[i : i + run] in s for i in range(len(m) - run + 1))


@pytest.mark.parametrize(("text", "kind", "secret"), FOUND)
def test_each_kind_is_found_where_it_is_and_masked(text: str, kind: str, secret: str) -> None:
    findings = scan(_at(text))
    assert [(f.path, f.kind) for f in findings] == [("$.messages[1].content", kind)]
    masked = findings[0].masked
    assert MASK in masked and len(masked.replace(MASK, "")) <= 4
    assert not _shows(masked, secret)


@pytest.mark.parametrize("text", NEVER)
def test_harmless_text_is_never_flagged(text: str) -> None:
    assert scan(_at(text)) == []
    assert scan({text: text}) == []


@pytest.mark.parametrize(
    "text",
    ["my key is cmt-Zx9QwErTyUiOp1234567890abcdef, keep it", "CMT-ZX9QWERTYUIOP1234567890ABCDEF", "x" * 3],
)
def test_the_configured_key_is_found_mid_sentence_and_in_any_case(text: str) -> None:
    key = "cmt-Zx9QwErTyUiOp1234567890abcdef"
    expected = [] if text == "x" * 3 else [Finding("$.messages[1].content", CONFIGURED_KEY, MASK)]
    assert scan(_at(text), [key]) == expected


def test_the_configured_key_wins_over_the_pattern_it_also_matches() -> None:
    assert scan({"a": f"Bearer {OPENAI_KEY}"}, [OPENAI_KEY]) == [Finding("$.a", CONFIGURED_KEY, MASK)]
    assert scan({"a": f"Bearer {OPENAI_KEY}"}) == [Finding("$.a", "API key", "sk***8t")]


def test_short_or_empty_configured_keys_are_ignored() -> None:
    assert scan({"a": "some prose with abc in it"}, ["", "abc", "prose"]) == []


def test_a_finding_in_a_key_is_reported_on_the_key_and_masked_in_every_path() -> None:
    key = "cmt-Zx9QwErTyUiOp1234567890abcdef"
    body = {"metadata": {f"id-{key}": {"owner": "jane.doe@acme-corp.io"}}}
    assert scan(body, [key]) == [
        Finding('$.metadata["id-***"]~', CONFIGURED_KEY, MASK),
        Finding('$.metadata["id-***"].owner', "email address", "ja***io"),
    ]


def test_findings_are_ordered_by_path_then_kind() -> None:
    messages = [{"role": "user", "content": "hi"} for _ in range(12)]
    messages[10]["content"] = "jane.doe@acme-corp.io"
    messages[2]["content"] = "+14155550123 or jane.doe@acme-corp.io"
    findings = scan({"model": "m", "messages": messages, "b": OPENAI_KEY, "a": OPENAI_KEY})
    assert [(f.path, f.kind) for f in findings] == [
        ("$.a", "API key"),
        ("$.b", "API key"),
        ("$.messages[2].content", "email address"),
        ("$.messages[2].content", "phone number"),
        ("$.messages[10].content", "email address"),
    ]
    assert scan({"messages": messages}) == scan({"messages": messages})


def test_odd_keys_and_values_render_as_json_paths() -> None:
    body = {"a b": ["x", {"c.d": "jane.doe@acme-corp.io"}], 7: "+14155550123", "n": 4111111111111111}
    assert [f.path for f in scan(body)] == ['$["7"]', '$["a b"][1]["c.d"]']


def test_a_10000_deep_body_does_not_crash() -> None:
    body: Any = "jane.doe@acme-corp.io"
    for i in range(10_000):
        body = {"a": body} if i % 2 else [body]
    findings = scan(body)
    assert len(findings) == 1 and findings[0].kind == "email address"
    assert findings[0].path == "$" + ".a[0]" * 5_000


def test_a_recursive_body_is_walked_once() -> None:
    loop: list[Any] = ["jane.doe@acme-corp.io"]
    loop.append(loop)
    assert [f.path for f in scan({"x": loop})] == ["$.x[0]"]


def test_unknown_fields_are_the_top_level_fields_the_schema_does_not_define() -> None:
    body = {"model": "m", "messages": [], "temperature": 0, "foo": 1, "Stream": True}
    assert unknown_fields(body) == ["Stream", "foo"]
    assert unknown_fields(["not", "a", "mapping"]) == []
    assert frozenset(contract.schema("chat_completion_request")["properties"]) == KNOWN_FIELDS
    assert {"model", "messages", "tools", "tool_choice", "response_format", "stream_options"} <= KNOWN_FIELDS


# --- properties -------------------------------------------------------------------------------------------

KEYS = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=20, max_size=100)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=15,
)


def _containers(root: Any) -> list[Any]:
    out, stack = [], [root]
    while stack:
        node = stack.pop()
        if isinstance(node, dict | list):
            out.append(node)
            stack.extend(node.values() if isinstance(node, dict) else node)
    return out


@st.composite
def _embedded(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A key, and a generated body holding it somewhere: in a string value, a list item or a mapping key."""
    key = draw(KEYS)
    body = draw(st.dictionaries(st.text(max_size=8), VALUES, max_size=4))
    target = draw(st.sampled_from(_containers(body)))
    carrier = draw(st.text(max_size=10)) + key + draw(st.text(max_size=10))
    if isinstance(target, list):
        target.insert(draw(st.integers(0, len(target))), carrier)
    elif draw(st.booleans()):
        target[carrier] = draw(VALUES)
    else:
        target[draw(st.text(max_size=8))] = carrier
    return key, body


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_embedded())
def test_an_embedded_key_is_always_found_and_never_shown(case: tuple[str, dict[str, Any]]) -> None:
    key, body = case
    findings = scan(body, [key])
    assert any(f.kind == CONFIGURED_KEY for f in findings)
    for finding in findings:
        assert not _shows(finding.masked, key), finding


@settings(max_examples=200, deadline=None)
@given(VALUES)
def test_any_body_scans_deterministically_and_masks_to_four_characters(body: Any) -> None:
    findings = scan(body)
    assert findings == scan(body)
    assert all(MASK in f.masked and len(f.masked.replace(MASK, "", 1)) <= 4 for f in findings)


# --- the request schema -----------------------------------------------------------------------------------

USER = [{"role": "user", "content": "Say pong."}]
TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        "strict": True,
    },
}
VALID = {
    "plain chat": {"model": "gpt-4o-mini", "messages": USER, "temperature": 0, "max_tokens": 16},
    "tools": {
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "Use tools."},
            {"role": "user", "content": [{"type": "text", "text": "Weather?"}]},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": "{}"},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
        ],
        "tools": [TOOL],
        "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
        "parallel_tool_calls": False,
    },
    "json schema": {
        "model": "gpt-4o-mini",
        "messages": USER,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "answer", "schema": {"type": "object"}, "strict": True},
        },
        "seed": 7,
        "stop": ["\n"],
    },
    "streamed": {
        "model": "gpt-4o-mini",
        "messages": USER,
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_completion_tokens": 32,
        "reasoning_effort": "low",
        "metadata": {"run": "ci"},
        "x_vendor_extension": 1,
    },
}
BROKEN = {
    "message without role": ({"model": "m", "messages": [{"content": "hi"}]}, "messages/0"),
    "tool without function.name": (
        {"model": "m", "messages": USER, "tools": [{"type": "function", "function": {"parameters": {}}}]},
        "tools/0/function",
    ),
    "response_format xml": (
        {"model": "m", "messages": USER, "response_format": {"type": "xml"}},
        "response_format/type",
    ),
    "temperature 5": ({"model": "m", "messages": USER, "temperature": 5}, "temperature"),
    "messages empty": ({"model": "m", "messages": []}, "messages"),
    "no model": ({"messages": USER}, "(root)"),
    "tool message without tool_call_id": (
        {"model": "m", "messages": [{"role": "tool", "content": "x"}]},
        "messages/0",
    ),
    "arguments not a string": (
        {
            "model": "m",
            "messages": [
                {
                    "role": "assistant",
                    "tool_calls": [
                        {"id": "1", "type": "function", "function": {"name": "f", "arguments": {}}}
                    ],
                }
            ],
        },
        "messages/0/tool_calls/0/function/arguments",
    ),
    "tool_choice unknown": ({"model": "m", "messages": USER, "tool_choice": "sometimes"}, "tool_choice"),
    "image part without url": (
        {"model": "m", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]},
        "messages/0/content/0/image_url",
    ),
    "five stop sequences": ({"model": "m", "messages": USER, "stop": ["a", "b", "c", "d", "e"]}, "stop"),
}


def test_the_request_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(contract.schema("chat_completion_request"))


@pytest.mark.parametrize("body", VALID.values(), ids=VALID.keys())
def test_valid_requests_hold(body: dict[str, Any]) -> None:
    assert contract.violations(body, "chat_completion_request") == []


@pytest.mark.parametrize(("body", "where"), BROKEN.values(), ids=BROKEN.keys())
def test_broken_requests_are_reported_where_they_break(body: dict[str, Any], where: str) -> None:
    found = contract.violations(body, "chat_completion_request")
    assert found and found[0].startswith(f"{where}: "), found
