"""Rules 3 and 4: no server answer crashes the gate, every run leaves all its evidence (strict JSON report,
JUnit XML, Markdown summary), and server text is printed as data, never as terminal or workflow commands.

Every run uses catch_exceptions=False: a traceback inside the gate fails the test with that traceback.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.hostile.server import (
    HostileServer,
    Run,
    completion_bytes,
    error_bytes,
    response,
    run_gate,
)


@pytest.fixture(scope="module")
def server():
    srv = HostileServer()
    yield srv
    srv.close()


def _strict_json(text: str) -> dict:
    """Parse as strict JSON: NaN, Infinity and -Infinity are not JSON."""
    return json.loads(
        text, parse_constant=lambda c: pytest.fail(f"the JSON report holds the non-JSON constant {c}")
    )


def assert_evidence(run: Run) -> dict:
    """Exit 1 or 3 (a verdict, not a crash) and every artifact written and well-formed; returns the report."""
    assert "Traceback" not in run.stdout + run.stderr, run.describe()
    report_path = run.files["report.json"]
    assert report_path.exists(), "the JSON report was not written\n" + run.describe()
    report = _strict_json(report_path.read_text(encoding="utf-8"))
    junit_path = run.files["junit.xml"]
    assert junit_path.exists(), "the JUnit XML was not written\n" + run.describe()
    ET.fromstring(junit_path.read_bytes())
    summary_path = run.files["summary.md"]
    assert summary_path.exists(), "the Markdown summary was not written\n" + run.describe()
    summary_path.read_text(encoding="utf-8")
    assert summary_path.stat().st_size > 0
    assert run.exit_code in (1, 3), run.describe()
    assert report["result"] != "pass"
    assert report["failure_class"], report
    return report


DEEP_ARRAY = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
# A completion whose content is a lone high surrogate, written as a JSON escape (valid JSON text, not UTF-8).
LONE_SURROGATE_SUCCESS = completion_bytes("pong").replace(b'"pong"', b'"\\ud83d"')
LONE_SURROGATE_ERROR = b'{"error": {"message": "bad \\ud83d input", "type": "invalid_request_error"}}'


def _usage_body(value: bytes) -> bytes:
    """A valid 'pong' completion whose usage.completion_tokens is `value` (a field the contract types)."""
    body = completion_bytes("pong")
    return body.replace(b'"completion_tokens": 1', b'"completion_tokens": ' + value)


def _usage_extra(value: bytes) -> bytes:
    """A valid 'pong' completion whose usage carries an extra field `cost` of `value` (untyped by the
    contract, so it rides along into the report's details)."""
    body = completion_bytes("pong")
    return body.replace(b'"total_tokens": 6', b'"total_tokens": 6, "cost": ' + value)


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(response(200, DEEP_ARRAY), id="a-200-array-100k-deep"),
        pytest.param(response(200, DEEP_OBJECT), id="a-200-object-100k-deep"),
        pytest.param(response(400, DEEP_ARRAY), id="a-400-array-100k-deep"),
        pytest.param(response(400, b'{"error":' + DEEP_OBJECT + b"}"), id="a-400-error-object-100k-deep"),
        pytest.param(response(200, LONE_SURROGATE_SUCCESS), id="b-200-content-lone-surrogate"),
        pytest.param(response(400, LONE_SURROGATE_ERROR), id="b-400-message-lone-surrogate"),
        pytest.param(response(200, _usage_body(b"NaN")), id="d-usage-NaN"),
        pytest.param(response(200, _usage_body(b"Infinity")), id="d-usage-Infinity"),
        pytest.param(response(200, _usage_body(b"-Infinity")), id="d-usage-minus-Infinity"),
        pytest.param(response(200, _usage_body(b"9" * 5000)), id="d-usage-5000-digit-integer"),
        pytest.param(response(200, _usage_extra(b"9" * 5000)), id="d-usage-extra-5000-digit-integer"),
        pytest.param(
            response(400, b'{"error": {"message": "bad \xff\xfe\xc3\x28 bytes \xed\xa0\xbd", "type": "x"}}'),
            id="e-400-invalid-utf8-message",
        ),
        pytest.param(
            response(500, b'{"error": {"message": "\x80\x81\xc0\xaf broken", "type": "server_error"}}'),
            id="e-500-invalid-utf8-message",
        ),
    ],
)
def test_hostile_body_ends_in_a_verdict_with_all_evidence(server, tmp_path: Path, answer: bytes):
    """Rule 3 (a, b, d, e): 100,000-deep JSON, lone surrogates, NaN/Infinity/5,000-digit usage and invalid
    UTF-8 end in exit 1 or 3 with a strict-JSON report, parseable JUnit XML and a summary."""
    server.answer_with(answer)
    run = run_gate(tmp_path, server.base_url)
    assert_evidence(run)


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity"])
def test_non_finite_number_in_an_untyped_field_is_reported_not_copied(server, tmp_path: Path, literal: bytes):
    """Rule 3 (d): NaN/Infinity where the contract has no type (usage.cost) passes with a warning that names
    the field; the report stays strict JSON and holds no raw NaN."""
    server.answer_with(response(200, _usage_extra(literal)))
    run = run_gate(tmp_path, server.base_url)
    assert run.exit_code == 0, run.describe()
    report = json.loads(
        run.text("report.json"), parse_constant=lambda c: pytest.fail(f"non-strict JSON constant {c}")
    )
    assert (
        "usage.cost" in report["warnings"][0]["message"]
        and "NaN/Infinity" in report["warnings"][0]["message"]
    )
    usage = next(c for c in report["checks"] if c["id"] == "completion")["details"]["usage"]
    assert usage["cost"] == literal.decode()  # kept as a string: the report says what came, strictly


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(("Retry-After", "NaN"), id="retry-after-NaN"),
        pytest.param(("Retry-After", "inf"), id="retry-after-inf"),
        pytest.param(("Retry-After", "-inf"), id="retry-after-minus-inf"),
        pytest.param(("retry-after-ms", "1e400"), id="retry-after-ms-1e400"),
        pytest.param(("retry-after-ms", "nan"), id="retry-after-ms-nan"),
        pytest.param(("Retry-After", "99999999999999999999"), id="retry-after-20-digits"),
    ],
)
def test_hostile_retry_after_ends_in_rate_limit(server, tmp_path: Path, header: tuple[str, str]):
    """Rule 3 (c): a 429 with a NaN, infinite or absurd Retry-After, run with --retries 1, is a rate_limit
    failure, exit 3: no crash, no endless wait, all the evidence written."""
    server.answer_with(response(429, error_bytes("slow down", type="rate_limit_error"), [header]))
    run = run_gate(tmp_path, server.base_url, "--retries", "1")
    report = assert_evidence(run)
    assert report["failure_class"] == "rate_limit", run.describe()
    assert run.exit_code == 3, run.describe()


# ------------------------------------------------------------------------------ rule 4: text is data

HOSTILE_MESSAGE = (
    "upstream exploded \x1b[2J\x1b[31mRED\x1b[0m \x1b]0;pwned title\x07 bell\x07 back\x08\x08space"
    "\n::error::injected"
    "\n::set-output name=x::y"
    "\r::warning::injected too"
)
GATE_COMMANDS = ("add-mask", "error", "warning", "notice", "group", "endgroup", "debug")


@pytest.mark.parametrize("github", [True, False], ids=["github-actions", "plain"])
def test_server_text_is_printed_as_data(server, tmp_path: Path, github: bool):
    """Rule 4: a 500 error message with ANSI escapes, BEL, backspace and workflow-command lines leaves no
    ESC/BEL/BS byte on stdout and no `::` line of its own (only the gate's commands start a line with ::)."""
    server.answer_with(response(500, error_bytes(HOSTILE_MESSAGE, type="server_error")))
    run = run_gate(tmp_path, server.base_url, github=github)
    assert run.exit_code in (1, 3), run.describe()
    for byte in ("\x1b", "\x07", "\x08"):
        assert byte not in run.stdout, f"{byte!r} reached stdout\n{run.stdout!r}"
    for line in run.stdout.splitlines():
        if not line.startswith("::"):
            continue
        command = line[2:].split("::", 1)[0].split(" ", 1)[0]
        assert command in GATE_COMMANDS, f"a server line became a workflow command: {line!r}"
        message = line.split("::", 2)[2] if line.count("::") >= 2 else ""
        assert not message.startswith("injected"), f"the server's ::error line was replayed: {line!r}"
        assert "set-output" not in line[:20], line
    if not github:
        assert not any(line.startswith("::") for line in run.stdout.splitlines()), run.stdout
