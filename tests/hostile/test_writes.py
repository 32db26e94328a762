"""Writes that stay in their place, and evidence or a loud failure (README, Security).

Tried as an attacker with write access to the repository (and as a full disk) would: every test runs the gate
on the real file system, with links, directories, FIFOs, read-only and full tmpfs mounts in its way.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from gate.cli import main
from gate.core.safe_files import append_file, check_destination, replace_file
from tests.hostile.server import FAST, KEY, HostileServer, completion_bytes, response, run_gate

OUTSIDE = "precious: must never change\n"


@pytest.fixture
def ok_server() -> Iterator[HostileServer]:
    server = HostileServer(lambda _req: response(200, completion_bytes()))
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A checkout the gate runs in (the working directory) and a precious file outside it."""
    root = tmp_path / "workspace"
    root.mkdir()
    (tmp_path / "outside.txt").write_text(OUTSIDE)
    monkeypatch.chdir(root)
    return root


@contextlib.contextmanager
def tmpfs(path: Path, *options: str) -> Iterator[Path]:
    """A real tmpfs mounted at `path` (CI runs as root); skipped where mounting is not allowed."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", ",".join(options), "tmpfs", str(path)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def _gate(server: HostileServer, *args: str, **env: str) -> tuple[int, str, str]:
    """The gate with exactly these report options (the hostile `run_gate` adds its own)."""
    argv = ["run", f"--base-url={server.base_url}", f"--api-key={KEY}", *FAST, *args]
    result = CliRunner().invoke(main, argv, env={"NO_COLOR": "1", **env}, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _no_temp_files(directory: Path) -> list[str]:
    return [p.name for p in directory.rglob("*") if p.name.endswith((".tmp", ".probe"))]


# --- 1. writes that stay in their place -------------------------------------------------------------------


def test_a_planted_temp_link_is_never_written_through(workspace, ok_server):
    """The old fixed temp name, committed as a link to a file elsewhere, is left alone: the temp name is new
    and random each time, created exclusively."""
    reports = workspace / "reports"
    reports.mkdir()
    outside = workspace.parent / "outside.txt"
    (reports / "report.json.tmp").symlink_to(outside)
    run = run_gate(reports, ok_server.base_url, github=False)
    assert run.exit_code == 0, run.describe()
    assert outside.read_text() == OUTSIDE
    assert not (reports / "report.json").is_symlink()
    assert json.loads((reports / "report.json").read_text())["result"] == "pass"
    assert (reports / "report.json").stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("name", ["report.json", "junit.xml", "summary.md"])
def test_a_destination_that_is_a_link_is_refused_before_anything_is_sent(workspace, ok_server, name):
    reports = workspace / "reports"
    reports.mkdir()
    outside = workspace.parent / "outside.txt"
    (reports / name).symlink_to(outside)
    run = run_gate(reports, ok_server.base_url, github=False)
    assert run.exit_code == 2, run.describe()
    assert ok_server.completion_requests == []
    assert outside.read_text() == OUTSIDE
    assert f"NOT WRITTEN: {reports / name}: is a symbolic link (never followed)" in run.stdout
    assert f"wrote      : {reports / name}" not in run.stdout
    assert "is a symbolic link (never followed)" in run.stderr


def test_a_directory_link_in_the_workspace_is_never_followed(workspace, ok_server):
    """`reports -> ../elsewhere` committed to the repository: no report lands outside the workspace."""
    elsewhere = workspace.parent / "elsewhere"
    elsewhere.mkdir()
    (workspace / "reports").symlink_to(elsewhere, target_is_directory=True)
    run = run_gate(workspace / "reports", ok_server.base_url, github=False)
    assert run.exit_code == 2, run.describe()
    assert list(elsewhere.iterdir()) == []
    assert "its directory" in run.stderr and "is a symbolic link (never followed)" in run.stderr
    assert ok_server.completion_requests == []


def test_a_directory_or_a_fifo_as_destination_is_refused_without_hanging(workspace, ok_server):
    reports = workspace / "reports"
    reports.mkdir()
    (reports / "report.json").mkdir()
    os.mkfifo(reports / "summary.md")
    run = run_gate(reports, ok_server.base_url, github=False)
    assert run.exit_code == 2, run.describe()
    assert "is a directory" in run.stdout
    assert ok_server.completion_requests == []


def test_appending_never_follows_a_link_and_a_trusted_path_is_followed(tmp_path):
    target = tmp_path / "target.md"
    target.write_text("earlier\n")
    link = tmp_path / "link.md"
    link.symlink_to(target)
    with pytest.raises(OSError, match="symbolic link"):
        append_file(link, "mine\n")
    assert target.read_text() == "earlier\n"
    append_file(link, "mine\n", trusted=True)  # GITHUB_STEP_SUMMARY: the runner's own file
    assert target.read_text() == "earlier\nmine\n"


def test_replace_file_refuses_a_link_that_appears_after_the_check(tmp_path):
    """The last look happens on the directory handle right before the rename: a link planted after the
    pre-flight check is refused too, and the temp file removed."""
    path = tmp_path / "r.json"
    check_destination(path)
    path.symlink_to(tmp_path / "elsewhere.json")
    with pytest.raises(OSError, match="symbolic link"):
        replace_file(path, "{}")
    assert not (tmp_path / "elsewhere.json").exists()
    assert _no_temp_files(tmp_path) == []


# --- 2. evidence, or a loud failure ----------------------------------------------------------------------


def test_a_read_only_directory_is_a_config_error_nothing_sent(tmp_path, ok_server):
    with tmpfs(tmp_path / "ro", "ro", "size=64k") as readonly:
        code, stdout, stderr = _gate(ok_server, "--json", str(readonly / "r.json"))
    assert code == 2, stdout + stderr
    assert ok_server.completion_requests == []
    assert "Read-only file system" in stderr
    assert f"NOT WRITTEN: {readonly / 'r.json'}: Read-only file system" in stdout


def _fill(directory: Path) -> None:
    """Fill a tmpfs to the last byte."""
    with contextlib.suppress(OSError), (directory / "filler").open("wb") as handle:
        while True:
            handle.write(b"\0" * 4096)
            handle.flush()


def test_a_full_disk_fails_the_run_as_evidence_and_names_nothing_unwritten(tmp_path, ok_server):
    """The pre-flight check passes (a file can be created), the report does not fit: NOT WRITTEN, class
    evidence, exit 1, no temp file left, report-path not set, and the files that were written say why."""
    junit, outputs, step_summary = tmp_path / "junit.xml", tmp_path / "output", tmp_path / "step.md"
    github = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_STEP_SUMMARY": str(step_summary),
    }
    with tmpfs(tmp_path / "full", "size=16k") as full:
        _fill(full)
        code, stdout, stderr = _gate(
            ok_server, "--json", str(full / "r.json"), "--junit", str(junit), **github
        )
        assert sorted(p.name for p in full.iterdir()) == ["filler"]
    assert code == 1, stdout + stderr
    assert f"NOT WRITTEN: {full / 'r.json'}: No space left on device" in stdout
    assert f"wrote      : {full / 'r.json'}" not in stdout
    assert "RESULT: FAIL" in stdout and "Failure class: evidence" in stdout
    values = outputs.read_text()
    assert "report-path=\n" in values and "failure-class=evidence" in values
    assert f"junit-path={junit}" in values
    assert 'type="evidence"' in junit.read_text()
    assert "failure class `evidence`" in step_summary.read_text()
    assert "Traceback" not in stdout + stderr


def test_report_mode_records_missing_evidence_without_failing_the_job(tmp_path, ok_server):
    outputs = tmp_path / "output"
    github = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(outputs)}
    with tmpfs(tmp_path / "full", "size=16k") as full:
        _fill(full)
        code, stdout, stderr = _gate(ok_server, "--json", str(full / "r.json"), "--mode", "report", **github)
    assert code == 0, stdout + stderr
    assert "NOT WRITTEN" in stdout and "result=fail" in outputs.read_text()


def test_an_unwritable_step_summary_is_evidence_never_a_traceback(tmp_path, ok_server):
    summary_dir = tmp_path / "step_summary_is_a_directory"
    summary_dir.mkdir()
    report = tmp_path / "r.json"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary_dir)}
    code, stdout, stderr = _gate(ok_server, "--json", str(report), **env)
    assert code == 1, stdout + stderr
    assert f"NOT WRITTEN: {summary_dir}: Is a directory" in stdout
    assert json.loads(report.read_text())["failure_class"] == "evidence"
    assert "Traceback" not in stdout + stderr


def test_outputs_in_a_missing_directory_warn_and_fail_as_evidence_before_the_result_line(tmp_path, ok_server):
    missing = tmp_path / "no-such-dir" / "output"
    run = run_gate(tmp_path / "out", ok_server.base_url, env={"GITHUB_OUTPUT": str(missing)})
    assert run.exit_code == 1, run.describe()
    warning = run.stdout.index("warning: could not write the step outputs")
    assert warning < run.stdout.index("RESULT: FAIL")
    assert "RESULT: PASS" not in run.stdout
    assert "::warning title=smoke gate%3A outputs::" in run.stdout
    assert run.report["failure_class"] == "evidence"
    assert "Traceback" not in run.stdout + run.stderr


@pytest.mark.parametrize("option", ["--summary", "--json"])
def test_a_dot_dot_after_a_planted_link_is_taken_as_written(workspace, ok_server, option):
    """`reports/../s.md` with `reports` a planted link: the kernel would walk the link and land beside its
    target; the gate takes the path as written and writes in the checkout."""
    deep = workspace.parent / "elsewhere" / "deep"
    deep.mkdir(parents=True)
    (workspace / "reports").symlink_to(deep, target_is_directory=True)
    code, stdout, stderr = _gate(ok_server, option, "reports/../out.txt")
    assert code == 0, stdout + stderr
    assert (workspace / "out.txt").is_file()
    assert not (workspace.parent / "elsewhere" / "out.txt").exists()
