"""The key never appears in stdout, stderr or any file, for every scenario, even when the server echoes it."""

from __future__ import annotations

import base64
import io
import urllib.parse
from pathlib import Path

import pytest

from gate.app import execute
from gate.config.resolve import resolve
from gate.core.redact import Redactor
from gate.publish.reporters import json_report
from gate.publish.terminal import Console
from gate.publish.writer import Artifact
from gate.simulator import DEFAULT_MODEL, SCENARIOS, WAITING_SCENARIOS, Simulator

KEY = "sk-LeakProbe+/=&%?0123456789abcdef"
FORMS = [KEY, urllib.parse.quote(KEY, safe=""), base64.b64encode(KEY.encode()).decode()]


@pytest.fixture(scope="module")
def keyed_sim():
    with Simulator(api_key=KEY, slow_seconds=5, drip_interval=0.2, huge_bytes=2 * 1024 * 1024) as sim:
        yield sim


def _assert_clean(*texts: str) -> None:
    for text in texts:
        for form in FORMS:
            assert form not in text


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_no_artifact_holds_the_key(keyed_sim, gate, tmp_path, scenario):
    timing = (
        ["--timeout", "0.6", "--retries", "0"]
        if scenario in WAITING_SCENARIOS
        else ["--max-retry-after", "0.01"]
    )
    run = gate("--base-url", keyed_sim.url_for(scenario), "--api-key", KEY, "--model", DEFAULT_MODEL, *timing)
    assert run.exit_code in (0, 1, 3)
    files = [p.read_text(encoding="utf-8") for p in tmp_path.rglob("*") if p.is_file()]
    assert files, "the JSON report was written"
    _assert_clean(run.stdout, run.stderr, *files)
    assert "leak" not in (run.failure_class or "")


def test_echoed_key_is_masked_in_the_report(keyed_sim, gate):
    run = gate("--base-url", keyed_sim.url_for("echo_key_error"), "--api-key", KEY, "--model", DEFAULT_MODEL)
    run.expect_exit(1)
    excerpt = run.check("completion")["details"]["response_excerpt"]
    assert "***" in excerpt
    _assert_clean(excerpt, run.check("completion")["message"])


def test_key_from_input_variable_is_masked_even_on_config_error(gate):
    run = gate(
        "--base-url",
        f"https://example.invalid/{KEY}",
        "--samples",
        "0",
        env={"INPUT_API-KEY": KEY, "INPUT_MODEL": "m"},
    )
    run.expect_exit(2)
    _assert_clean(run.stdout, run.stderr)


def test_a_leak_past_the_redactor_is_scrubbed_and_fails_the_gate(keyed_sim, tmp_path):
    """Force a reporter bug: the writer appends the raw key. The self-scan must catch and scrub it."""
    config = resolve(
        {"base_url": keyed_sim.url_for("ok"), "api_key": KEY, "model": DEFAULT_MODEL, "samples": "1"}, {}
    )
    leaky = tmp_path / "leaky.json"

    def buggy_write(path: Path, text: str) -> None:
        path.write_text(text + f"\n{KEY}\n", encoding="utf-8")

    out = io.StringIO()
    report = execute(
        config,
        Console(out, Redactor()),
        {},
        artifacts=[Artifact(leaky, json_report, write=buggy_write)],
    )
    assert int(report.verdict.exit_code) == 1
    assert report.verdict.failure_class == "leak"
    assert KEY not in leaky.read_text()
    assert '"failure_class": "leak"' in leaky.read_text()
    assert "[leak]" in out.getvalue()
    _assert_clean(out.getvalue())


def test_a_leak_rewrites_an_appended_summary_once_and_keeps_earlier_steps(keyed_sim, tmp_path):
    """The step summary is shared by a job's steps: the rewrite after a leak replaces this run's section,
    it neither appends a second one nor touches what earlier steps wrote."""
    from gate.publish.reporters import summary

    config = resolve(
        {"base_url": keyed_sim.url_for("ok"), "api_key": KEY, "model": DEFAULT_MODEL, "samples": "1"}, {}
    )
    step_summary = tmp_path / "step_summary.md"
    step_summary.write_text("## an earlier step\n", encoding="utf-8")

    def buggy_append(path: Path, text: str) -> None:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(text + f"\n{KEY}\n")

    artifact = Artifact(step_summary, summary, append=True, write=buggy_append)
    report = execute(config, Console(io.StringIO(), Redactor()), {}, artifacts=[artifact])
    text = step_summary.read_text(encoding="utf-8")
    assert report.verdict.failure_class == "leak" and KEY not in text
    assert text.startswith("## an earlier step\n")
    assert text.count("Smoke gate:") == 1 and "failure class `leak`" in text


@pytest.mark.parametrize("key", ["x", "e", "sk-1"])
def test_a_key_too_short_to_be_a_secret_is_refused_without_masking_the_report_to_pieces(gate, tmp_path, key):
    """A one-letter key is a config error, and masking it everywhere would make `exit` read `e***it`."""
    import json

    report = tmp_path / "report.json"
    run = gate("--base-url", "http://127.0.0.1:9", "--api-key", key, "--model", "m", "--json", str(report))
    run.expect_exit(2)
    data = json.loads(report.read_text(encoding="utf-8"))
    assert {"exit_code", "next_step", "failure_class"} <= set(data)
    assert data["failure_class"] == "config" and "shorter than 8" in data["checks"][0]["message"]
    assert "***" not in run.stdout.replace("api key : ***", "")
