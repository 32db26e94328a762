"""Writes where the platform has no O_NOFOLLOW, no O_DIRECTORY, no O_CLOEXEC, no dir_fd and no fchmod: the
shape of Windows, where the composite action runs the gate (gate/core/safe_files.py's path-based branch).

Each test runs the whole gate in a child Python whose `os` module has those names removed before the gate
is imported, against the built-in simulator, on the real file system: every report is written, and a link in
the way is still refused, never followed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUTSIDE = "precious: must never change\n"
WINDOWS_SHAPED = """
import os, sys
POSIX_ONLY = ("O_NOFOLLOW", "O_DIRECTORY", "O_CLOEXEC", "O_NONBLOCK", "O_NOCTTY", "fchmod", "geteuid",
              "chown")
for name in POSIX_ONLY:
    if hasattr(os, name):
        delattr(os, name)
os.supports_dir_fd.clear()
from gate.core import safe_files
assert not safe_files._AT and safe_files.NOFOLLOW == 0, "the path-based branch is not the one in use"
from gate.cli import main
sys.argv = ["cometapi-smoke-gate", *sys.argv[1:]]
main()
"""


def _gate(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v for k, v in os.environ.items() if not k.startswith(("COMETAPI_", "GATE_", "INPUT_", "GITHUB_"))
    }
    base.update(PYTHONPATH=str(ROOT), NO_COLOR="1", **env)
    argv = [sys.executable, "-c", WINDOWS_SHAPED, "run", "--base-url", "sim://ok", "--model", "gpt-4o-mini"]
    return subprocess.run([*argv, *args], cwd=cwd, env=base, capture_output=True, text=True, timeout=60)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "workspace"
    root.mkdir()
    (tmp_path / "outside.txt").write_text(OUTSIDE)
    return root


def test_every_report_and_github_file_is_written_without_the_posix_only_calls(workspace):
    summary, output = workspace / "step-summary.md", workspace / "github-output"
    summary.write_text("earlier step\n")
    github = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(output)}
    run = _gate(workspace, "--json", "reports/report.json", "--junit", "reports/junit.xml", **github)
    assert run.returncode == 0, run.stdout + run.stderr
    reports = workspace / "reports"
    assert json.loads((reports / "report.json").read_text())["result"] == "pass"
    assert "<testcase" in (reports / "junit.xml").read_text()
    appended = summary.read_text()
    assert appended.startswith("earlier step\n") and "Smoke gate" in appended  # appended, not replaced
    assert "result=pass" in output.read_text()
    # --summary names a file of the user's instead: replaced, as on Linux.
    assert _gate(workspace, "--summary", "reports/summary.md").returncode == 0
    assert "Smoke gate" in (reports / "summary.md").read_text()
    assert not [p.name for p in workspace.rglob("*") if p.name.endswith((".tmp", ".probe"))]


@pytest.mark.parametrize("option", ["--json", "--junit", "--summary"])
def test_a_destination_that_is_a_link_is_still_refused(workspace, option):
    outside = workspace.parent / "outside.txt"
    (workspace / "reports").mkdir()
    (workspace / "reports" / "out").symlink_to(outside)
    run = _gate(workspace, option, "reports/out")
    assert run.returncode == 2, run.stdout + run.stderr
    assert "is a symbolic link (never followed)" in run.stderr
    assert outside.read_text() == OUTSIDE


def test_a_directory_link_in_the_workspace_is_still_never_followed(workspace):
    elsewhere = workspace.parent / "elsewhere"
    elsewhere.mkdir()
    (workspace / "reports").symlink_to(elsewhere, target_is_directory=True)
    run = _gate(workspace, "--json", "reports/report.json")
    assert run.returncode == 2, run.stdout + run.stderr
    assert "its directory" in run.stderr and "is a symbolic link (never followed)" in run.stderr
    assert list(elsewhere.iterdir()) == []


def test_a_step_summary_given_by_the_user_as_a_link_is_not_appended_through(workspace):
    """An appended file (the step summary the user names is replaced; GITHUB_STEP_SUMMARY is the runner's and
    followed): without O_NOFOLLOW the link is seen by lstat before the open."""
    from gate.core import safe_files

    target = workspace.parent / "outside.txt"
    link = workspace / "summary-link.md"
    link.symlink_to(target)
    child = (
        "import os\n"
        "for name in ('O_NOFOLLOW', 'O_DIRECTORY', 'O_CLOEXEC', 'fchmod'):\n"
        "    hasattr(os, name) and delattr(os, name)\n"
        "os.supports_dir_fd.clear()\n"
        "import sys\n"
        "from pathlib import Path\n"
        "from gate.core.safe_files import append_file, RefusedPath\n"
        "try:\n"
        "    append_file(Path(sys.argv[1]), 'mine\\n')\n"
        "except RefusedPath as exc:\n"
        "    print(exc.problem)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", child, str(link)], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "is a symbolic link (never followed)", out.stderr
    assert target.read_text() == OUTSIDE
    assert safe_files.NOFOLLOW  # and in this (Linux) process the descriptor-based branch is the one in use
