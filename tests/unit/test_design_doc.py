"""docs/design.md holds the contracts pipelines depend on: it names every failure class, exit code, step
output, report field and command the code has, and cites nothing outside the repository."""

from __future__ import annotations

import json
import re
from pathlib import Path

from gate.cli import main
from gate.core.failures import ExitCode, FailureClass
from gate.publish.github import OUTPUT_NAMES

ROOT = Path(__file__).resolve().parents[2]
DESIGN = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    return DESIGN.split(f"### {title}", 1)[1].split("\n### ", 1)[0]


def test_every_failure_class_is_listed():
    listed = set(re.findall(r"`([a-z_]+)`", _section("Failure classes")))
    assert {c.value for c in FailureClass} <= listed


def test_every_exit_code_is_in_the_table():
    rows = {int(m) for m in re.findall(r"^\| (\d+) \|", _section("Exit codes"), re.MULTILINE)}
    assert rows == {int(code) for code in ExitCode}


def test_every_step_output_is_listed():
    listed = set(re.findall(r"`([a-z-]+)`", _section("Outputs (GitHub step outputs, `$GITHUB_OUTPUT`)")))
    assert set(OUTPUT_NAMES) <= listed


def test_the_required_report_fields_pipelines_rely_on_are_named():
    schema = json.loads((ROOT / "gate" / "core" / "contract" / "report.schema.json").read_text())
    required = set(schema["$defs"]["oneTarget"]["required"])
    relied_on = {"schema_version", "result", "decision", "failure_class", "failed_check", "next_step"}
    relied_on |= {"exit_code", "checks", "latency_ms", "request_ids", "quoted_request_id", "tokens"}
    assert relied_on <= required
    named = set(re.findall(r"`([a-z_]+)`", _section("Reports")))
    assert relied_on <= named


def test_every_command_is_described():
    described = set(re.findall(r"^- `([a-z]+)`", _section("Command line"), re.MULTILINE))
    assert described == set(main.commands)


def test_nothing_in_the_repository_cites_a_design_file_outside_it():
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("gate", "tests", "scripts", "bench", "docs")
        for path in (ROOT / folder).rglob("*")
        if path.suffix in (".py", ".md")
        and re.search(r"(?<!docs/)\bDESIGN\.md|\.\./shared", path.read_text(encoding="utf-8"))
        and path.name != "test_design_doc.py"
    ]
    assert offenders == []
