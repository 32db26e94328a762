"""The installed entry points as a pipeline runs them: real processes, real exit codes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from gate import __version__


def _env(**extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "COMETAPI_", "GATE_", "GITHUB_"))
    }
    env.update(extra)
    return env


def gate_process(*args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gate", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env=_env(**env),
    )


def test_version():
    result = gate_process("--version")
    assert result.returncode == 0
    assert __version__ in result.stdout


@pytest.mark.parametrize(
    ("scenario", "code", "failure_class"),
    [
        ("ok", 0, None),
        ("auth", 1, "auth"),
        ("upstream", 3, "upstream"),
    ],
)
def test_exit_codes_of_the_process(tmp_path, scenario, code, failure_class):
    report = tmp_path / "r.json"
    result = gate_process("run", "--base-url", f"sim://{scenario}", "--retries", "0", "--json", str(report))
    assert result.returncode == code, result.stdout + result.stderr
    assert json.loads(report.read_text())["failure_class"] == failure_class
    assert "Traceback" not in result.stderr


def test_config_error_exit_2_from_github_inputs():
    result = gate_process(
        "run",
        **{"INPUT_BASE-URL": "https://api.cometapi.com", "INPUT_API-KEY": "", "INPUT_MODEL": "gpt-4o-mini"},
    )
    assert result.returncode == 2
    assert result.stderr.startswith("cometapi-smoke-gate: configuration error [config]: --api-key")
    # evidence on every exit: the verdict on stdout too (and every report that was asked for)
    assert (
        "RESULT: FAIL: hold (exit 2: configuration error, nothing was sent). Failure class: config "
        "(check 'config')" in result.stdout
    )


def test_inputs_drive_a_run(tmp_path):
    report = tmp_path / "r.json"
    result = gate_process(
        "run",
        **{
            "INPUT_BASE-URL": "sim://ok",
            "INPUT_SAMPLES": "2",
            "INPUT_JSON": str(report),
            "INPUT_ENVIRONMENT": "staging",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(report.read_text())
    assert data["environment"] == "staging" and data["checks"][-1]["details"]["samples"] == 2


def test_demo_writes_reports_under_gate_reports(tmp_path):
    result = gate_process("demo", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads((tmp_path / "gate-reports" / "report.json").read_text())
    assert data["result"] == "pass" and data["decision"] == "proceed"
    assert data["schema_version"] == "1"
    assert "RESULT: PASS: proceed" in result.stdout


def test_simulate_serves_until_stopped():
    proc = subprocess.Popen(
        [sys.executable, "-m", "gate", "simulate", "--port", "0", "--scenario", "ok"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        line = proc.stdout.readline()
        base = re.search(r"(http://127\.0\.0\.1:\d+)", line).group(1)
        request = urllib.request.Request(
            f"{base}/v1/models", headers={"Authorization": "Bearer wrong-key-123"}
        )
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(request, timeout=5)
        assert info.value.code == 401  # served, and the key is checked
        info.value.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        stderr = proc.stderr.read()
        proc.stdout.close()
        proc.stderr.close()
    assert "Traceback" not in stderr


def test_simulate_lists_scenarios():
    result = gate_process("simulate", "--list")
    assert result.returncode == 0
    assert re.search(r"^auth\s+401", result.stdout, re.MULTILINE)


def test_sigterm_stops_a_running_gate_promptly():
    import signal
    import time

    proc = subprocess.Popen(
        [sys.executable, "-m", "gate", "run", "--base-url", "sim://slow", "--retries", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        proc.stdout.readline()  # the gate has started
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 143  # sim://slow would hold the request for 30 s
    finally:
        proc.kill()
        proc.wait()
        assert "Traceback" not in proc.stderr.read()
        proc.stdout.close()
        proc.stderr.close()
