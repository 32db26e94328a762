"""Interruption: SIGINT (Ctrl-C, and the first signal a cancelled CI job gets) and SIGTERM (`docker stop`,
then GitHub's second signal) end the run at once with every report written, saying it was interrupted.

Real signals to a real process: the gate runs as a subprocess against a loopback server that holds its
requests open, and is signalled while a request is in flight. The time limit below only tells a hang from an
exit; how fast the gate exits is not asserted here.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hostile.server import KEY, MODEL, HostileServer, completion_bytes, response

HANG = 15.0  # seconds: far above the gate's own bound (it exits within 2 s of the signal)


class HoldingServer(HostileServer):
    """Answers the first `fast` completion requests, then holds every later one open until closed."""

    def __init__(self, fast: int = 0) -> None:
        self.release = threading.Event()
        self._fast = fast
        self._count = 0
        self._count_lock = threading.Lock()
        super().__init__(self._answer)

    def _answer(self, _request: bytes) -> bytes:
        with self._count_lock:
            self._count += 1
            number = self._count
        if number > self._fast:
            self.release.wait(60)
        return response(200, completion_bytes())

    def close(self) -> None:
        self.release.set()
        super().close()

    def __enter__(self) -> HoldingServer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


@pytest.fixture
def holding() -> Iterator[HoldingServer]:
    server = HoldingServer()
    try:
        yield server
    finally:
        server.close()


def _start(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "gate", "run", *args]
    command += ["--json", str(tmp_path / "r.json"), "--junit", str(tmp_path / "j.xml")]
    command += ["--summary", str(tmp_path / "s.md")]
    full_env = {**os.environ, "NO_COLOR": "1", "COMETAPI_API_KEY": KEY, **(env or {})}
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=full_env)


def _wait_for_requests(server: HostileServer, count: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + HANG
    while len(server.completion_requests) < count:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the gate never sent its request"
        time.sleep(0.02)
    time.sleep(0.1)  # the gate is now waiting for the answer


def _stop(proc: subprocess.Popen[str], signum: int) -> tuple[int, str, str]:
    proc.send_signal(signum)
    try:
        stdout, stderr = proc.communicate(timeout=HANG)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"the gate did not exit after {signal.Signals(signum).name}")
    return proc.returncode, stdout, stderr


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_mid_request_writes_every_report_as_interrupted(tmp_path, holding, signum, code):
    proc = _start(tmp_path, "--base-url", holding.base_url, "--model", MODEL, "--timeout", "60")
    _wait_for_requests(holding, 1, proc)
    exit_code, stdout, stderr = _stop(proc, signum)
    name = signal.Signals(signum).name
    assert exit_code == code, stdout + stderr
    assert "Aborted!" not in stdout + stderr and "Traceback" not in stdout + stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert (report["result"], report["failure_class"], report["exit_code"]) == ("fail", "interrupted", code)
    statuses = {c["id"]: c["status"] for c in report["checks"]}
    assert statuses["completion"] == "fail"
    assert statuses["output"] == statuses["samples"] == "skip"
    skipped = next(c for c in report["checks"] if c["id"] == "samples")
    assert f"interrupted by {name}" in skipped["message"]
    junit = ET.parse(tmp_path / "j.xml").getroot()
    assert junit.find(".//failure").get("type") == "interrupted"
    assert "failure class `interrupted`" in (tmp_path / "s.md").read_text()
    assert f"interrupted by {name}" in stdout and "RESULT: FAIL" in stdout
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_a_signal_while_samples_are_in_flight_does_not_wait_for_them(tmp_path):
    """The first request answers; the concurrent samples hang. The gate must not join their threads."""
    with HoldingServer(fast=1) as server:
        args = ["--base-url", server.base_url, "--model", MODEL, "--timeout", "60", "--samples", "4"]
        proc = _start(tmp_path, *args)
        _wait_for_requests(server, 4, proc)
        exit_code, stdout, stderr = _stop(proc, signal.SIGTERM)
    assert exit_code == 143, stdout + stderr
    report = json.loads((tmp_path / "r.json").read_text())
    statuses = {c["id"]: c["status"] for c in report["checks"]}
    assert statuses["completion"] == statuses["output"] == "pass"
    assert statuses["samples"] == "fail" and report["failure_class"] == "interrupted"


def test_a_signal_with_several_targets_reports_each_as_far_as_it_got(tmp_path):
    with HoldingServer() as server:
        targets = tmp_path / "targets.toml"
        targets.write_text(
            "".join(
                f'[[target]]\nname = "{name}"\nbase-url = "{server.base_url}"\nmodel = "{MODEL}"\n'
                'api-key-env = "COMETAPI_API_KEY"\n'
                for name in ("east", "west")
            )
        )
        proc = _start(tmp_path, "--targets", str(targets), "--timeout", "60")
        _wait_for_requests(server, 2, proc)
        exit_code, stdout, stderr = _stop(proc, signal.SIGINT)
    assert exit_code == 130, stdout + stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["failure_class"] == "interrupted" and report["exit_code"] == 130
    assert [t["name"] for t in report["targets"]] == ["east", "west"]
    assert all(t["failure_class"] == "interrupted" for t in report["targets"])


def test_a_second_signal_while_the_reports_are_written_does_not_cut_them_short(tmp_path, holding):
    """GitHub sends SIGINT, then SIGTERM: the second one is noted, the reports still complete."""
    proc = _start(tmp_path, "--base-url", holding.base_url, "--model", MODEL, "--timeout", "60")
    _wait_for_requests(holding, 1, proc)
    proc.send_signal(signal.SIGINT)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=HANG)
    assert proc.returncode in (130, 143), stdout + stderr
    assert json.loads((tmp_path / "r.json").read_text())["failure_class"] == "interrupted"
    ET.parse(tmp_path / "j.xml")  # whole, parseable XML
