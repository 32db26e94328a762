"""The gate run with exactly the environment a GitHub runner gives a container action."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from gate.publish.github import OUTPUT_NAMES, escape_data, escape_property
from gate.simulator import DEFAULT_MODEL

KEY = "sk-GitHubRunner-0123456789abcdef"


def _runner_env(tmp_path: Path, **inputs: str) -> dict[str, str]:
    workspace = tmp_path / "workspace"
    commands = tmp_path / "file_commands"
    workspace.mkdir(exist_ok=True)
    commands.mkdir(exist_ok=True)
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "COMETAPI_", "GATE_", "GITHUB_"))
    }
    env.pop("GITLAB_CI", None)
    env.pop("JENKINS_URL", None)
    env.update(
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_OUTPUT": str(commands / "output"),
            "GITHUB_STEP_SUMMARY": str(commands / "summary"),
            "GITHUB_SHA": "3f2c1e0d9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e",
            "GITHUB_REF": "refs/heads/main",
            "RUNNER_TEMP": str(tmp_path),
            # GitHub passes every input, the unset ones as empty strings
            "INPUT_API-KEY": KEY,
            "INPUT_MODEL": DEFAULT_MODEL,
            "INPUT_SAMPLES": "",
            "INPUT_CHANGE-ID": "",
            "INPUT_JUNIT": "gate-reports/junit.xml",
            "INPUT_JSON": "gate-reports/report.json",
        }
    )
    env.update({f"INPUT_{k.upper()}": v for k, v in inputs.items()})
    return env


def _run(tmp_path: Path, **inputs: str) -> subprocess.CompletedProcess[str]:
    env = _runner_env(tmp_path, **inputs)
    return subprocess.run(
        [sys.executable, "-m", "gate", "run"],
        capture_output=True,
        text=True,
        env=env,
        cwd=env["GITHUB_WORKSPACE"],
        timeout=120,
    )


def _outputs(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8")
    values: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and "=" not in line.split("<<", 1)[0]:
            name, delimiter = line.split("<<", 1)
            body = []
            for inner in lines:
                if inner == delimiter:
                    break
                body.append(inner)
            values[name] = "\n".join(body)
        else:
            name, value = line.split("=", 1)
            values[name] = value
    return values


def _key_only_in_add_mask(*texts: str) -> None:
    for text in texts:
        for line in text.splitlines():
            if KEY in line:
                assert line == f"::add-mask::{KEY}", line


def test_passing_run_as_a_container_action(tmp_path):
    result = _run(tmp_path, **{"base-url": "sim://ok", "change-id": "CHG-1234"})
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"::add-mask::{KEY}"  # before any other output
    assert lines[1].startswith("::group::")
    assert "::endgroup::" in lines
    assert not any(line.startswith("::error") for line in lines)
    outputs = _outputs(tmp_path / "file_commands" / "output")
    assert set(outputs) == set(OUTPUT_NAMES)
    assert outputs["result"] == "pass" and outputs["decision"] == "proceed" and outputs["failure-class"] == ""
    assert int(outputs["latency-ms"]) >= 0 and outputs["request-id"].startswith("req_")
    assert outputs["junit-path"] == "gate-reports/junit.xml"
    assert outputs["report-path"] == "gate-reports/report.json"
    workspace = tmp_path / "workspace"
    assert (workspace / "gate-reports" / "junit.xml").is_file()
    summary = (tmp_path / "file_commands" / "summary").read_text(encoding="utf-8")
    assert summary.startswith("## ✅ Smoke gate: proceed")
    assert "| deployment version | 3f2c1e0d9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e |" in summary
    assert "| change id | CHG-1234 |" in summary
    files = [p.read_text(encoding="utf-8") for p in tmp_path.rglob("*") if p.is_file()]
    assert not any(KEY in f for f in files)
    _key_only_in_add_mask(result.stdout, result.stderr)


def test_failing_run_annotates_and_sets_outputs(tmp_path):
    result = _run(tmp_path, **{"base-url": "sim://auth"})
    assert result.returncode == 1
    errors = [line for line in result.stdout.splitlines() if line.startswith("::error")]
    assert len(errors) == 1
    assert errors[0].startswith("::error title=smoke gate%3A auth::authentication rejected: HTTP 401")
    assert "Next: Check the secret's path" in errors[0]
    outputs = _outputs(tmp_path / "file_commands" / "output")
    assert (outputs["result"], outputs["decision"], outputs["failure-class"]) == ("fail", "hold", "auth")
    summary = (tmp_path / "file_commands" / "summary").read_text(encoding="utf-8")
    assert "### What to check next" in summary
    _key_only_in_add_mask(result.stdout, result.stderr)


def test_echoed_key_stays_masked_everywhere(tmp_path):
    result = _run(tmp_path, **{"base-url": "sim://echo_key_error"})
    assert result.returncode == 1
    _key_only_in_add_mask(result.stdout, result.stderr)
    files = [p.read_text(encoding="utf-8") for p in tmp_path.rglob("*") if p.is_file()]
    assert files and not any(KEY in f for f in files)


def test_warnings_become_warning_annotations(tmp_path):
    result = _run(tmp_path, **{"base-url": "sim://no_usage"})
    assert result.returncode == 0
    assert any(
        line.startswith("::warning title=smoke gate warning (completion)::")
        for line in result.stdout.splitlines()
    )


@pytest.mark.parametrize("marker", ["GITLAB_CI", "JENKINS_URL"])
def test_nothing_github_specific_under_gitlab_or_jenkins(tmp_path, marker):
    env = _runner_env(tmp_path, **{"base-url": "sim://auth"})
    env[marker] = "true"
    result = subprocess.run(
        [sys.executable, "-m", "gate", "run"],
        capture_output=True,
        text=True,
        env=env,
        cwd=env["GITHUB_WORKSPACE"],
        timeout=60,
    )
    assert result.returncode == 1
    assert not re.search(r"^::", result.stdout, re.MULTILINE)
    assert not (tmp_path / "file_commands" / "output").exists()
    assert KEY not in result.stdout


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root, as container actions run"
)
def test_files_in_the_workspace_go_to_its_owner(tmp_path):
    env = _runner_env(tmp_path, **{"base-url": "sim://ok"})
    workspace = Path(env["GITHUB_WORKSPACE"])
    os.chown(workspace, 1234, 1234)
    result = subprocess.run(
        [sys.executable, "-m", "gate", "run"],
        capture_output=True,
        text=True,
        env=env,
        cwd=workspace,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for path in (
        workspace / "gate-reports",
        workspace / "gate-reports" / "junit.xml",
        workspace / "gate-reports" / "report.json",
    ):
        assert (path.stat().st_uid, path.stat().st_gid) == (1234, 1234), path


def test_escaping_matches_the_actions_toolkit():
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_a_configuration_error_still_hands_the_key_to_githubs_masking_first(tmp_path):
    """A later step's log is masked only if the runner learnt the key: on every exit, before any output."""
    result = _run(tmp_path, **{"base-url": "sim://ok", "samples": "0"})
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"::add-mask::{KEY}"
    assert lines.count(f"::add-mask::{KEY}") == 1  # once, however many places ask
    _key_only_in_add_mask(result.stdout, result.stderr)
