"""The pre-flight scan of request templates, and the request schema it shares its field list with."""

from __future__ import annotations

import base64
import hashlib
import json
import string
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from gate.config.payload_scan import CONFIGURED_KEY, KNOWN_FIELDS, MASK, Finding, scan, unknown_fields
from gate.core import contract

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
PEM_ENCRYPTED = "-----BEGIN " + "ENCRYPTED PRIVATE KEY-----\nMIIFHzBJBgkqhkiG9w0BBQ0wPDAbBgkqhkiG9w0BBQww"
PUTTY = "PuTTY-User-Key-File-" + "3: ssh-ed25519\nEncryption: none"
AWS_TEMP_KEY = "AS" + "IA" + "Z7Q2EXAMPLE4M9KD"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"
GITLAB_PAT = "gl" + "pat-" + "Xy9zAb3cDe6fGh2iJk5L"
GITLAB_ROUTABLE = "gl" + "pat-" + "Xy9zAb3cDe6fGh2iJk5LmN8o.01.0r1nq5k8a"
GITLAB_JOB = "gl" + "cbt-" + "64_Xy9zAb3cDe6fGh2iJk5L"
GITLAB_DEPLOY = "gl" + "dt-" + "Xy9zAb3cDe6fGh2iJk5LmN"
SLACK_USER = "xo" + "xp-" + "1234567890-1234567890-1234567890-0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d"
SLACK_ROTATING = "xo" + "xe.xoxp-" + "1-Mi0yLTEyMzQ1Njc4OTAtMTIzNDU2Nzg5MA"
SLACK_APP = "xa" + "pp-" + "1-A0123456789-1234567890123-abcdef0123456789"
SLACK_HOOK = "https://hooks.slack.com/" + "services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
OPAQUE_BEARER = "Zm9vYmFy" + "9q8w7e6r5t4y"

FOUND = [
    # (text, kind, the secret inside the text)
    (f"use {OPENAI_KEY} here", "API key (sk-)", OPENAI_KEY),
    (f"key={ANTHROPIC_KEY}", "API key (sk-)", ANTHROPIC_KEY),
    (f"aws {AWS_KEY}.", "AWS access key id", AWS_KEY),
    (f"token: {GITHUB_TOKEN}", "GitHub token", GITHUB_TOKEN),
    (GITHUB_PAT, "GitHub token", GITHUB_PAT),
    (f"slack {SLACK_TOKEN}", "Slack token", SLACK_TOKEN),
    (f"maps key {GOOGLE_KEY} ok", "Google API key", GOOGLE_KEY),
    (f"Authorization: Bearer {JWT}", "JSON Web Token", JWT),
    (f"curl -H 'authorization: bearer {JWT}'", "JSON Web Token", JWT),
    (f"here:\n{PEM}\nthanks", "private key", PEM),
    (PEM_OPENSSH, "private key", PEM_OPENSSH),
    (PEM_PGP, "private key", PEM_PGP),
    (f"key:\n{PEM_ENCRYPTED}", "private key", PEM_ENCRYPTED),
    (PUTTY, "private key", "PuTTY-User-Key-File-" + "3: ssh-ed25519"),
    (f"temporary {AWS_TEMP_KEY}", "AWS access key id", AWS_TEMP_KEY),
    (f"aws_secret_access_key = {AWS_SECRET}", "AWS secret access key", AWS_SECRET),
    (f'{{"AWS_SECRET_ACCESS_KEY": "{AWS_SECRET}"}}', "AWS secret access key", AWS_SECRET),
    (f"my AWS secret is {AWS_SECRET}, keep it", "AWS secret access key", AWS_SECRET),
    (f"gitlab {GITLAB_PAT}", "GitLab token", GITLAB_PAT),
    (f"routable {GITLAB_ROUTABLE}.", "GitLab token", GITLAB_ROUTABLE),
    (f"CI_JOB_TOKEN={GITLAB_JOB}", "GitLab token", GITLAB_JOB),
    (f"deploy token {GITLAB_DEPLOY}", "GitLab token", GITLAB_DEPLOY),
    (f"user token {SLACK_USER}", "Slack token", SLACK_USER),
    (f"refresh {SLACK_ROTATING}", "Slack token", SLACK_ROTATING),
    (f"app {SLACK_APP}", "Slack token", SLACK_APP),
    (f"post to {SLACK_HOOK} now", "Slack token", SLACK_HOOK),
    (f"session={JWT};", "JSON Web Token", JWT),
    (f"Authorization: Bearer {OPAQUE_BEARER}", "bearer token", OPAQUE_BEARER),
    ("clone https://deploy:s3cr3tPa55@git.acme-corp.io/app.git", "password in a URL", "s3cr3tPa55"),
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
    "sha1 3f786850e387550fdab836ed7e6dc881de23001b, the AWS secret rotation commit",
    "secret: 3F786850E387550FDAB836ED7E6DC881DE23001B",
    "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "digest a1b4111111111111111c and build deadbeef-4111-1111-1111-1111abcdef01",
    "gpt-4.1-mini, o3-mini-2025-01-31, claude-sonnet-4-20250514, llama-3.1-70b-instruct, qwen2.5-72b",
    "glossary-of-terms-and-definitions-for-the-team and a risk-assessment-framework-version-two",
    "skeleton sk-1 xoxo hugs, AIza is a prefix, eyJ alone, ghp_short, glpat-short",
    "See https://docs.example.com:8443/v1/models and user:pass without a scheme",
    "The AWS region eu-central-1 and the secret sauce of the Secretary of State",
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
    assert scan({"a": f"Bearer {OPENAI_KEY}"}) == [Finding("$.a", "API key (sk-)", "sk***8t")]


def test_short_or_empty_configured_keys_are_ignored() -> None:
    assert scan({"a": "some prose with abc in it"}, ["", "abc", "prose"]) == []


def test_a_credential_variables_value_is_found_by_its_name_and_never_shown() -> None:
    value = "hunter2-Correct-Horse"
    findings = scan(_at(f"debug {value.upper()} here"), env_secrets={"DB_PASSWORD": value, "X_TOKEN": "true"})
    assert findings == [Finding("$.messages[1].content", "value of $DB_PASSWORD", MASK)]
    assert scan({"a": "it is true"}, env_secrets={"X_TOKEN": "true"}) == []  # shorter than 8: a word


def test_the_configured_key_wins_over_a_variable_that_holds_it() -> None:
    key = "cmt-Zx9QwErTyUiOp1234567890abcdef"
    assert scan({"a": key}, [key], {"COMETAPI_API_KEY": key}) == [Finding("$.a", CONFIGURED_KEY, MASK)]


def test_a_mask_never_shows_five_characters_of_a_variables_value() -> None:
    value = "jane.doe@acme-corp.io"  # a value that a pattern rule also finds elsewhere in the text
    findings = scan({"a": "mail jane.doe@acme-corp.io.uk"}, env_secrets={"SMTP_PASSWORD": value})
    assert findings and all(not _shows(f.masked, value) for f in findings)


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
        ("$.a", "API key (sk-)"),
        ("$.b", "API key (sk-)"),
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


# Every kind of secret, generated in the shape its issuer documents and embedded in prose: always found,
# whole, as its kind. Ordinary prose, UUIDs, hex digests and model names: never flagged.
B62 = string.ascii_letters + string.digits
URLSAFE = B62 + "_-"
WORDS = st.sampled_from(
    [
        *("the", "a", "key", "token", "secret", "aws", "password", "deploy", "model", "reply", "with"),
        *("one", "word", "ticket", "order", "status", "of", "and", "to", "for", "see", "use", "pong"),
        *("ping", "region", "build", "cache", "session"),
    ]
)
PROSE = st.lists(WORDS, max_size=10).map(" ".join)


def _text(alphabet: str, low: int, high: int | None = None) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=low, max_size=low if high is None else high)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _aws_secret_ok(key: str) -> bool:
    return (
        any(c.isupper() for c in key)
        and any(c.islower() for c in key)
        and any(c in B62[52:] + "/+" for c in key)
    )


JSON_OBJECTS = st.dictionaries(
    _text(string.ascii_letters, 1, 8), _text(B62, 0, 12) | st.integers(), min_size=1
)
TOKENS: dict[str, st.SearchStrategy[str]] = {
    "API key (sk-)": st.builds(
        "sk-{}{}".format, st.sampled_from(["", "proj-", "ant-api03-", "svcacct-"]), _text(URLSAFE, 20, 80)
    ),
    "AWS access key id": st.builds(
        "{}{}".format, st.sampled_from(["AKIA", "ASIA"]), _text(string.ascii_uppercase + string.digits, 16)
    ),
    "GitHub token": st.builds("gh{}_{}".format, st.sampled_from("pousr"), _text(B62, 36))
    | st.builds("github_pat_{}_{}".format, _text(B62, 22), _text(B62, 59)),
    "GitLab token": st.builds(
        "{}-{}".format,
        st.sampled_from(
            ["glpat", "gloas", "gldt", "glrt", "glcbt", "glptt", "glft", "glimt", "glagent", "glsoat"]
        ),
        _text(URLSAFE, 20, 64),
    ),
    "Slack token": st.builds(
        "{}-{}-{}-{}".format,
        st.sampled_from(["xoxb", "xoxp", "xoxa", "xoxe.xoxp", "xapp"]),
        _text(string.digits, 1, 13),
        _text(string.digits, 10, 13),
        _text(B62, 24, 32),
    ),
    "Google API key": st.builds("AIza{}".format, _text(URLSAFE, 35)),
    "JSON Web Token": st.builds(
        lambda header, payload, signature: f"{_b64url(header)}.{_b64url(payload)}.{_b64url(signature)}",
        JSON_OBJECTS.map(lambda d: json.dumps({"alg": "HS256", **d}).encode()),
        JSON_OBJECTS.map(lambda d: json.dumps(d).encode()),
        st.binary(min_size=16, max_size=64),
    ),
    "private key": st.builds(
        "-----BEGIN {0}PRIVATE KEY-----\n{1}\n-----END {0}PRIVATE KEY-----".format,
        st.sampled_from(["", "RSA ", "EC ", "DSA ", "OPENSSH ", "ENCRYPTED "]),
        st.binary(min_size=32, max_size=200).map(lambda b: base64.b64encode(b).decode()),
    ),
}
BEFORE = st.sampled_from([" ", "\n", ": ", ' "', " (", " key="])
AFTER = st.sampled_from([" ", "\n", ". ", '" ', ") ", ", "])


@st.composite
def _secret_in_prose(draw: st.DrawFn) -> tuple[str, str, str]:
    kind = draw(st.sampled_from(sorted(TOKENS)))
    token = draw(TOKENS[kind])
    return kind, token, draw(PROSE) + draw(BEFORE) + token + draw(AFTER) + draw(PROSE)


@st.composite
def _aws_secret_in_prose(draw: st.DrawFn) -> tuple[str, str, str]:
    key = draw(_text(B62 + "/+", 40).filter(_aws_secret_ok))
    context = draw(st.sampled_from(["aws_secret_access_key = ", "AWS secret: ", '"SecretAccessKey": "']))
    return "AWS secret access key", key, draw(PROSE) + " " + context + key + draw(AFTER) + draw(PROSE)


def _found_whole(text: str, kind: str, token: str) -> None:
    findings = scan(_at(text))
    whole = f"{token[:2]}{MASK}{token[-2:]}"
    assert any(f.kind == kind and f.masked == whole for f in findings), (text, findings)
    assert not any(_shows(f.masked, token) for f in findings)


@settings(max_examples=150, deadline=None)
@given(_secret_in_prose() | _aws_secret_in_prose())
def test_a_generated_secret_in_prose_is_found_whole_as_its_kind(case: tuple[str, str, str]) -> None:
    kind, token, text = case
    _found_whole(text, kind, token)


def _digest(name: str) -> st.SearchStrategy[str]:
    return st.binary(max_size=64).map(lambda b: hashlib.new(name, b).hexdigest())


MODEL_NAMES = st.builds(
    "{}{}".format,
    st.sampled_from(
        [
            "gpt-4o",
            "gpt-4.1-mini",
            "o3-mini",
            "claude-3-5-sonnet",
            "claude-sonnet-4",
            "gemini-2.5-pro",
            "deepseek-chat",
            "llama-3.1-70b-instruct",
            "qwen2.5-72b-instruct",
            "mistral-large",
        ]
    ),
    st.sampled_from(["", "-latest"])
    | st.dates(date(2023, 1, 1), date(2030, 12, 31)).map(lambda d: f"-{d.isoformat()}")
    | st.dates(date(2023, 1, 1), date(2030, 12, 31)).map(lambda d: f"-{d:%Y%m%d}"),
)
HARMLESS = st.one_of(
    PROSE,
    st.uuids().map(str),
    st.uuids().map(lambda u: str(u).upper()),
    _digest("md5"),
    _digest("sha1"),
    _digest("sha1").map(str.upper),
    _digest("sha256"),
    MODEL_NAMES,
)


@settings(max_examples=150, deadline=None)
@given(st.lists(HARMLESS, max_size=8), st.sampled_from([" ", ", ", "\n", ": ", " and "]))
def test_prose_uuids_digests_and_model_names_are_never_flagged(parts: list[str], sep: str) -> None:
    text = sep.join(parts)
    assert scan(_at(text)) == [], text


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
