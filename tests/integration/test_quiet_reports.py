"""Reports that show what is set and what matters: no empty decision-record rows or pre-flight gaps on a
plain run, a fleet table first, no Python repr, the id to quote after a retried pass, the verdict event's
message, cuts at word boundaries and the condition in force under a request file."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from gate.core.text import ELLIPSIS, cut_words, one_line
from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

AUTH = ["--api-key", DEFAULT_API_KEY, "--model", DEFAULT_MODEL]
ROOT = Path(__file__).resolve().parents[2]
STRUCTURED = ROOT / "examples" / "request-structured-output.json"
FAST = ["--samples", "1", "--max-retry-after", "0.01"]
EMPTY_ROW = re.compile(r"^\| [a-z -]+ \| — \|$", re.MULTILINE)  # a decision-record row reading "—"


def _reports(gate, tmp_path: Path, *args: str, env: dict[str, str] | None = None):
    junit, summary = tmp_path / "junit.xml", tmp_path / "summary.md"
    run = gate(*args, "--junit", str(junit), "--summary", str(summary), env=env)
    properties = {p.get("name"): p.get("value") for p in ET.parse(junit).getroot().iter("property")}
    return run, junit.read_text(encoding="utf-8"), summary.read_text(encoding="utf-8"), properties


# --- 1. decision record and pre-flight only when set or asked for ---


def test_a_plain_run_shows_no_empty_record_rows_and_no_preflight(sim, gate, tmp_path):
    run, _, text, properties = _reports(gate, tmp_path, "--base-url", sim.url_for("ok"), *AUTH, *FAST)
    run.expect_exit(0)
    assert not EMPTY_ROW.search(text) and "pre-flight" not in text and "Rollback plan" not in text
    assert "rollback test result" not in text and "| phase |" not in text
    assert "| smoke test result | pass |" in text and "| decision | proceed |" in text
    assert "preflight_missing" not in properties and "rollback_test_result" not in properties
    assert properties["decision"] == "proceed"
    record = run.report["decision_record"]  # the JSON keeps every field: the schema requires them
    assert record["phase"] is None and record["reviewer"] is None and "preflight_missing" in record


def test_a_set_field_is_shown_on_a_plain_run(sim, gate, tmp_path):
    args = ("--base-url", sim.url_for("ok"), *AUTH, *FAST, "--change-id", "CHG-9", "--reviewer", "ana")
    run, _, text, properties = _reports(gate, tmp_path, *args)
    run.expect_exit(0)
    assert "| change id | CHG-9 |" in text and "| reviewer | ana |" in text
    assert (properties["change_id"], properties["reviewer"]) == ("CHG-9", "ana")
    assert not EMPTY_ROW.search(text)


@pytest.mark.parametrize("phase", ["canary", "post-deploy", "rollback"])
def test_a_phase_asks_for_the_full_record_and_the_rollback_plan(sim, gate, tmp_path, phase):
    run, _, text, properties = _reports(
        gate, tmp_path, "--base-url", sim.url_for("ok"), *AUTH, *FAST, "--phase", phase
    )
    run.expect_exit(0)
    assert "### Rollback plan" in text and "| **missing** |" in text
    assert "| reviewer | — |" in text and "| pre-flight missing | change owner, " in text
    assert f"| phase | {phase} |" in text
    assert properties["preflight_missing"].startswith("change owner")


def test_a_preflight_file_asks_for_the_full_record(sim, gate, tmp_path):
    checklist = tmp_path / "preflight.toml"
    checklist.write_text('rollback-owner = "bob"\n', encoding="utf-8")
    run, _, text, _ = _reports(
        gate, tmp_path, "--base-url", sim.url_for("ok"), *AUTH, *FAST, "--preflight", str(checklist)
    )
    run.expect_exit(0)
    assert "| rollback owner | bob |" in text and "| notes | — |" in text and "| pre-flight missing |" in text


# --- 2. several targets: the table first, failing targets before passing ones ---


def test_several_targets_table_first_then_failing_targets(sim, gate, tmp_path):
    path = tmp_path / "targets.toml"
    blocks = [
        f'[[target]]\nname = "{name}"\nbase-url = "{sim.url_for(scenario)}"\napi-key-env = "KEY"\n'
        for name, scenario in (("alpha", "ok"), ("beta", "auth"), ("gamma", "ok"))
    ]
    path.write_text(f'[defaults]\nsamples = 1\nmodel = "{DEFAULT_MODEL}"\n\n' + "\n".join(blocks))
    run, _, text, _ = _reports(gate, tmp_path, "--targets", str(path), env={"KEY": DEFAULT_API_KEY})
    run.expect_exit(1)
    lines = text.splitlines()
    header = lines.index("| target | result | environment | model | failed check | p50 | request id |")
    rows = lines[header + 2 : header + 5]
    assert [row.split(" | ")[0] for row in rows] == ["| alpha", "| beta", "| gamma"]
    assert "❌ hold" in rows[1] and "completion (`auth`)" in rows[1] and "✅ proceed" in rows[0]
    sections = [line for line in lines if line.startswith("### Target ")]
    assert sections == ["### Target `beta`", "### Target `alpha`", "### Target `gamma`"]
    assert header < lines.index(sections[0])


# --- 3. no Python repr in any report ---

REPR = re.compile(r"\{'|\['|\bNone\b|\bTrue\b|\bFalse\b")
FAILING = [
    "contract_types",
    "bad_model",
    "wrong_answer",
    "rate_limit",
    "html",
    "null_content",
    "length",
    "flaky",
    "broken_stream",
    "forbidden",
]


@pytest.mark.parametrize("scenario", FAILING)
def test_no_python_repr_in_junit_summary_or_console(sim, gate, tmp_path, scenario):
    args = ("--base-url", sim.url_for(scenario), *AUTH, "--samples", "2", "--retries", "1", "--stream")
    run, junit, text, _ = _reports(gate, tmp_path, *args, "--max-retry-after", "0.01")
    assert run.exit_code in (1, 3), run.stdout
    for name, body in (("junit.xml", junit), ("summary.md", text), ("console", run.stdout + run.stderr)):
        found = REPR.search(body)
        assert found is None, f"{name}: {body[max(found.start() - 80, 0) : found.end() + 80]}"


def test_details_are_text_in_junit(sim, gate, tmp_path):
    _, junit, _, _ = _reports(gate, tmp_path, "--base-url", sim.url_for("ok"), *AUTH, *FAST)
    assert "request: family standard, max_tokens 16, temperature 0, reasoning_effort none" in junit
    assert "attempt 1: status 200, succeeded, request id req_" in junit


# --- 4. the id to quote: the attempt that decided the check; "quote it" only on failures ---


def _attempt_ids(report: dict, check: str) -> list[tuple[int | None, str]]:
    completion = next(c for c in report["checks"] if c["id"] == check)
    return [(a["status"], a["request_id"]) for a in completion["details"]["attempt_log"]]


@pytest.mark.parametrize("scenario", ["rate_limit_once", "flaky"])
def test_after_a_retried_pass_the_successful_attempts_id_is_quoted(sim, gate, tmp_path, scenario):
    output = tmp_path / "github_output"
    args = ("--base-url", sim.url_for(scenario), *AUTH, *FAST, "--retries", "3")
    run, junit, text, _ = _reports(
        gate, tmp_path, *args, env={"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(output)}
    )
    run.expect_exit(0)
    attempts = _attempt_ids(run.report, "completion")
    assert len(attempts) >= 2 and attempts[-1][0] == 200 and attempts[0][0] != 200
    assert run.report["quoted_request_id"] == attempts[-1][1] != attempts[0][1]
    assert f"request-id={attempts[-1][1]}\n" in output.read_text(encoding="utf-8")
    assert "quote" not in text.lower() and "quote" not in junit.lower()


def test_on_a_failure_the_last_failed_attempts_id_is_quoted(sim, gate, tmp_path):
    output = tmp_path / "github_output"
    args = ("--base-url", sim.url_for("rate_limit"), *AUTH, *FAST, "--retries", "1")
    run, junit, text, _ = _reports(
        gate, tmp_path, *args, env={"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(output)}
    )
    run.expect_exit(3)
    attempts = _attempt_ids(run.report, "completion")
    quoted = run.report["quoted_request_id"]
    assert quoted == attempts[-1][1] and len(attempts) == 2
    assert f"request-id={quoted}\n" in output.read_text(encoding="utf-8")
    assert f"Quote request id `{quoted}` to support" in text
    assert f"request id: {quoted} (quote it to support)" in junit


# --- 5. the JSON log's verdict carries the message and the next step ---


def _verdict_event(run) -> dict:
    events = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    assert events[-1]["event"] == "verdict"
    return events[-1]


def test_the_verdict_event_says_what_failed_and_what_to_do(sim, gate):
    run = gate("--base-url", sim.url_for("wrong_answer"), *AUTH, *FAST, "--log-format", "json")
    run.expect_exit(1)
    verdict, report = _verdict_event(run), run.report
    assert verdict["message"].startswith("output [assertion]: ")
    assert (
        report["checks"][[c["id"] for c in report["checks"]].index("output")]["message"] in verdict["message"]
    )
    assert verdict["next_step"] == report["next_step"] and verdict["next_step"]


def test_the_verdict_event_of_a_pass(sim, gate):
    run = gate("--base-url", sim.url_for("ok"), *AUTH, *FAST, "--log-format", "json")
    run.expect_exit(0)
    verdict = _verdict_event(run)
    assert verdict["message"].startswith("passed: ") and verdict["message"].endswith("proceed")
    assert verdict["next_step"] is None


# --- 6. cuts land on word boundaries ---


def test_the_canary_preflight_warning_is_cut_between_words(sim, gate, tmp_path):
    run, junit, text, _ = _reports(
        gate, tmp_path, "--base-url", sim.url_for("ok"), *AUTH, *FAST, "--phase", "canary"
    )
    run.expect_exit(0)
    cuts = [m.start() for m in re.finditer(ELLIPSIS, text + junit)]
    assert cuts, "the warning (over 300 characters) is cut somewhere"
    assert all((text + junit)[at - 1] == " " for at in cuts)
    assert "communication cha…" not in text


_WORDS = st.lists(st.text(alphabet="abcdefghij,.-'é🙂", min_size=1, max_size=12), min_size=1, max_size=30)


@given(words=_WORDS, limit=st.integers(min_value=1, max_value=200))
def test_a_cut_never_splits_a_word_when_a_space_is_within_the_limit(words, limit):
    text = " ".join(words)
    result = cut_words(text, limit)
    assert len(result) <= limit
    if len(text) <= limit:
        assert result == text
        return
    assert result.endswith(ELLIPSIS)
    if " " in text[1 : limit - 1]:  # a boundary the cut can use (room for " …")
        head = result.removesuffix(" " + ELLIPSIS)
        assert result == head + " " + ELLIPSIS and head and text.startswith(head)
        assert text[len(head)] == " ", "the cut splits a word"
    assert one_line(text, limit, words=True) == result


# --- 7. the condition in force under a request file ---


def test_a_request_file_without_expect_states_its_own_condition(sim, gate, tmp_path):
    args = ("--base-url", sim.url_for("ok"), *AUTH, *FAST, "--request-file", str(STRUCTURED))
    run, _, text, _ = _reports(gate, tmp_path, *args)
    run.expect_exit(0)
    (condition,) = [line for line in text.splitlines() if line.startswith("**Condition**")]
    assert "pong" not in condition and "any answer the request file implies" in condition
    assert "response\\_format" in condition


def test_a_request_file_with_expect_states_the_expectation(sim, gate, tmp_path):
    args = ("--base-url", sim.url_for("ok"), *AUTH, *FAST, "--request-file", str(STRUCTURED))
    run, _, text, _ = _reports(gate, tmp_path, *args, "--expect", "billing")
    run.expect_exit(0)
    assert "**Condition**: assistant text contains 'billing'" in text
