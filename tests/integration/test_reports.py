"""JUnit XML and the Markdown summary for every scenario the simulator serves."""

from __future__ import annotations

import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL, SCENARIOS, WAITING_SCENARIOS

xmlschema = pytest.importorskip("xmlschema")
junitparser = pytest.importorskip("junitparser")

SCHEMA = xmlschema.XMLSchema(str(Path(__file__).parents[1] / "schemas" / "junit-jenkins.xsd"))
AUTH = ["--api-key", DEFAULT_API_KEY, "--model", DEFAULT_MODEL]
ORDER = ["config", "dns", "tls", "completion", "output", "samples"]


def _run_with_reports(gate, sim, tmp_path, scenario):
    timing = (
        ["--timeout", "0.5", "--retries", "0"]
        if scenario in WAITING_SCENARIOS
        else ["--max-retry-after", "0.01"]
    )
    junit, summary = tmp_path / "junit.xml", tmp_path / "summary.md"
    run = gate(
        "--base-url",
        sim.url_for(scenario),
        *AUTH,
        *timing,
        "--junit",
        str(junit),
        "--summary",
        str(summary),
        "--environment",
        "staging",
    )
    assert run.exit_code in (0, 1, 3), run.stdout + run.stderr
    return run, junit, summary


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_junit_is_valid_and_agrees_with_the_report(sim, gate, tmp_path, scenario):
    run, junit, _ = _run_with_reports(gate, sim, tmp_path, scenario)
    SCHEMA.validate(str(junit))
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ORDER
    assert all(c.get("classname") == "cometapi-smoke-gate.staging" for c in cases)
    assert all(float(c.get("time")) > 0 for c in cases)
    statuses = {c["id"]: c["status"] for c in run.report["checks"]}
    failures = [c for c in cases if c.find("failure") is not None]
    skipped = [c for c in cases if c.find("skipped") is not None]
    assert int(suite.get("tests")) == len(cases) == 6
    assert int(suite.get("failures")) == len(failures) == sum(s == "fail" for s in statuses.values())
    assert int(suite.get("skipped")) == len(skipped) == sum(s == "skip" for s in statuses.values())
    assert suite.get("errors") == "0"
    for case in failures:
        failure = case.find("failure")
        assert failure.get("type") == run.report["failure_class"]
        assert "next step:" in failure.text
        assert "\n" not in failure.get("message")
    for prop in suite.find("properties"):
        assert prop.get("value").strip(), prop.get("name")
    # junitparser (what many CI tools use) reads the same counts
    xml = junitparser.JUnitXml.fromfile(str(junit))
    (parsed,) = list(xml)
    assert (parsed.tests, parsed.failures, parsed.skipped, parsed.errors) == (
        6,
        len(failures),
        len(skipped),
        0,
    )


def test_junit_survives_control_characters_emoji_and_big_bodies(sim, gate, tmp_path):
    _, junit, summary = _run_with_reports(gate, sim, tmp_path, "control_chars")
    text = junit.read_text(encoding="utf-8")
    SCHEMA.validate(str(junit))
    assert "\x1b" not in text and "[31m" not in text and "\x07" not in text
    assert summary.stat().st_size < 64 * 1024
    assert "<script>" not in summary.read_text(encoding="utf-8")


def test_summary_is_appended_never_overwritten(sim, gate, tmp_path):
    summary = tmp_path / "summary.md"
    summary.write_text("# an earlier step's summary\n", encoding="utf-8")
    gate("--base-url", sim.url_for("ok"), *AUTH, "--summary", str(summary)).expect_exit(0)
    gate("--base-url", sim.url_for("auth"), *AUTH, "--summary", str(summary)).expect_exit(1)
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("# an earlier step's summary\n")
    assert text.count("## ✅ Smoke gate: proceed") == 1 and text.count("## ❌ Smoke gate: hold") == 1


@pytest.mark.parametrize(
    ("scenario", "first_line"),
    [
        ("ok", "## ✅ Smoke gate: proceed (unspecified)"),
        ("rerouted_model", "## ⚠️ Smoke gate: proceed with 1 warning(s) (unspecified)"),
        ("auth", "## ❌ Smoke gate: hold (unspecified), failure class `auth` in check `completion`"),
    ],
)
def test_summary_starts_with_the_verdict(sim, gate, tmp_path, scenario, first_line):
    summary = tmp_path / "s.md"
    gate("--base-url", sim.url_for(scenario), *AUTH, "--summary", str(summary))
    text = summary.read_text(encoding="utf-8")
    assert text.splitlines()[0] == first_line
    assert ("### What to check next" in text) == (scenario == "auth")
    assert "### Decision record" in text


def test_summary_defaults_to_github_step_summary(sim, gate, tmp_path):
    target = tmp_path / "step_summary.md"
    gate("--base-url", sim.url_for("ok"), *AUTH, env={"GITHUB_STEP_SUMMARY": str(target)}).expect_exit(0)
    assert target.read_text(encoding="utf-8").startswith("## ✅")


def _cmark() -> str:
    path = shutil.which("cmark-gfm")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("cmark-gfm is required in CI (.ci/run installs it)")
        pytest.skip("cmark-gfm is not installed")
    return path


@pytest.mark.parametrize("scenario", ["ok", "auth", "control_chars", "wrong_answer"])
def test_summary_renders_as_a_table_with_cmark_gfm(sim, gate, tmp_path, scenario):
    cmark = _cmark()
    summary = tmp_path / "s.md"
    record_inputs = ["--change-id", "CHG-7", "--deployment-version", "v3"]  # a plain run shows set rows only
    gate(
        "--base-url",
        sim.url_for(scenario),
        *AUTH,
        *record_inputs,
        "--summary",
        str(summary),
        "--max-retry-after",
        "0.01",
    )
    html = subprocess.run(
        [cmark, "--extension", "table", "--extension", "autolink"],
        input=summary.read_text(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    root = ET.fromstring(f"<root>{html.replace('&nbsp;', ' ')}</root>")
    tables = root.findall("table")
    assert len(tables) == 2  # the checks and the decision record
    checks_rows = tables[0].findall("tbody/tr")
    assert [row.find("td").text for row in checks_rows] == ORDER
    assert all(len(row.findall("td")) == 4 for row in checks_rows)
    record = {row.findall("td")[0].text: row.findall("td")[1] for row in tables[1].findall("tbody/tr")}
    assert {
        "change id",
        "environment",
        "deployment version",
        "endpoint host",
        "model",
        "smoke test result",
        "parser result",
        "observability result",
        "started",
        "completed",
        "decision",
    } <= set(record)
    assert root.find("h2") is not None and root.find("h2").text.startswith(("✅", "❌", "⚠"))
    assert "<script>" not in html
