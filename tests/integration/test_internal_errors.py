"""A bug inside the gate still ends in a verdict and every report: class internal, exit 1, the traceback
redacted into the JSON report, one clear console line, never a bare traceback.

The bug is injected by replacing one of the gate's own functions with one that raises (never requests)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from gate import app
from gate.checks import answer
from gate.publish.reporters import summary

KEY = "sk-internal-0123456789abcdef"


def _boom(*_args, **_kwargs):
    raise RuntimeError(f"injected bug holding the key {KEY}")


@pytest.fixture
def run_with_reports(gate, sim, tmp_path):
    def run(*extra: str):
        junit, summary_md, outputs = tmp_path / "junit.xml", tmp_path / "summary.md", tmp_path / "out"
        env = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(outputs)}
        result = gate(
            "--base-url",
            sim.url_for("accept_any_key"),
            "--api-key",
            KEY,
            "--model",
            "gpt-4o-mini",
            "--junit",
            str(junit),
            "--summary",
            str(summary_md),
            *extra,
            env=env,
        )
        stdout = "\n".join(line for line in result.stdout.splitlines() if not line.startswith("::add-mask::"))
        texts = [stdout, result.stderr] + [p.read_text() for p in (junit, summary_md, outputs)]
        texts.append(result.report_path.read_text())
        assert all(KEY not in text for text in texts), "the key leaked through an internal error"
        assert "Traceback (most recent call last)" not in result.stdout + result.stderr
        ET.parse(junit)
        values = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
        return result, values, summary_md.read_text()

    return run


def test_a_check_that_raises_fails_as_internal_with_every_report(monkeypatch, run_with_reports):
    monkeypatch.setattr(answer, "shape", _boom)
    result, outputs, summary_text = run_with_reports()
    result.expect_exit(1)
    check = result.check("completion")
    assert (check["status"], check["failure_class"]) == ("fail", "internal")
    assert "RuntimeError: injected bug" in check["message"]
    assert "Traceback (most recent call last)" in check["details"]["traceback"]
    assert "***" in check["details"]["traceback"]
    assert outputs["failure-class"] == "internal" and outputs["result"] == "fail"
    assert "::error title=smoke gate%3A internal::" in result.stdout
    assert "`internal`" in summary_text


def test_a_reporter_that_raises_is_replaced_by_a_minimal_report(monkeypatch, run_with_reports):
    monkeypatch.setattr(summary, "render", _boom)
    result, outputs, summary_text = run_with_reports()
    result.expect_exit(1)
    assert result.report["failure_class"] == "internal"
    assert result.report["failed_check"] == "publish"
    assert "## Smoke gate: hold (fail, class `internal`)" in summary_text
    assert outputs["failure-class"] == "internal"


@pytest.mark.parametrize("kind", ["junit", "metrics"])
def test_a_failing_renderer_is_replaced_by_its_own_minimal_form(
    monkeypatch, run_with_reports, tmp_path, kind
):
    """A JUnit file stays JUnit and a .prom file stays Prometheus text when their renderer raises."""
    from gate.publish.reporters import reporter

    monkeypatch.setattr(reporter(kind), "render", _boom)
    prom = tmp_path / "gate.prom"
    result, _, _ = run_with_reports("--metrics-file", str(prom))
    result.expect_exit(1)
    assert (result.report["failure_class"], result.report["failed_check"]) == ("internal", "publish")
    if kind == "metrics":
        samples = [line for line in prom.read_text().splitlines() if not line.startswith("#")]
        assert all(re.fullmatch(r"cometapi_smoke_gate_\w+\{[^}]*\} [0-9.e+-]+", line) for line in samples)
        assert any('class="internal"} 1' in line for line in samples), samples
    else:
        failure = ET.parse(tmp_path / "junit.xml").getroot().find(".//failure[@type='internal']")
        assert failure is not None


def test_a_bug_outside_any_check_still_writes_every_report(monkeypatch, run_with_reports):
    monkeypatch.setattr(app, "run_checks", _boom)
    result, outputs, _ = run_with_reports()
    result.expect_exit(1)
    report = json.loads(result.report_path.read_text())
    assert (report["failure_class"], report["failed_check"]) == ("internal", "run")
    assert outputs["result"] == "fail"
