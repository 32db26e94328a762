"""Resource bounds: memory stays small whatever the server sends, and no thread or socket is left behind."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import time

import pytest

from gate.app import execute
from gate.config.resolve import resolve
from gate.core.redact import Redactor
from gate.publish.terminal import Console
from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL, Simulator

GIB = 1024**3


# ru_maxrss of a forked child starts at its parent's size (the high-water mark survives exec), so the gate is
# started from a small wrapper process that reports its own child's peak.
_MEASURE = """
import resource, subprocess, sys
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
sys.stdout.write(proc.stdout)
print(f"exit={proc.returncode} maxrss_kib={resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}")
"""


@pytest.mark.parametrize("scenario", ["huge", "huge_chunked"])
def test_peak_memory_stays_small_against_a_1_gib_body(tmp_path, scenario):
    with Simulator(huge_bytes=GIB) as sim:
        gate = [
            sys.executable,
            "-m",
            "gate",
            "run",
            "--base-url",
            sim.url_for(scenario),
            "--api-key",
            DEFAULT_API_KEY,
            "--model",
            DEFAULT_MODEL,
            "--retries",
            "0",
            "--json",
            str(tmp_path / "r.json"),
        ]
        result = subprocess.run(
            [sys.executable, "-c", _MEASURE, *gate], capture_output=True, text=True, timeout=120
        )
    last = result.stdout.strip().splitlines()[-1]
    exit_code, peak_kib = (int(part.split("=")[1]) for part in last.split())
    assert exit_code == 1, result.stdout + result.stderr
    assert "[protocol]" in result.stdout
    assert peak_kib / 1024 < 60, f"peak RSS {peak_kib / 1024:.1f} MB"


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _settle(measure, target: int, seconds: float = 3.0) -> int:
    deadline = time.monotonic() + seconds
    value = measure()
    while value > target and time.monotonic() < deadline:
        time.sleep(0.05)
        value = measure()
    return value


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_no_thread_or_socket_left_behind():
    with Simulator(slow_seconds=5, drip_interval=0.2) as sim:
        scenarios = ["ok", "slow", "drip", "stall_body", "disconnect", "huge_chunked", "upstream", "redirect"]
        warm = resolve(
            {"base_url": sim.url_for("ok"), "api_key": DEFAULT_API_KEY, "model": DEFAULT_MODEL}, {}
        )
        execute(warm, Console(io.StringIO(), Redactor()), {}, artifacts=[])
        threads, fds = threading.active_count(), _fds()
        for scenario in scenarios:
            config = resolve(
                {
                    "base_url": sim.url_for(scenario),
                    "api_key": DEFAULT_API_KEY,
                    "model": DEFAULT_MODEL,
                    "timeout": "0.5",
                    "retries": "1",
                    "samples": "3",
                    "max_retry_after": "0.01",
                    "stream": "true",
                },
                {},
            )
            execute(config, Console(io.StringIO(), Redactor()), {}, artifacts=[])
        assert _settle(threading.active_count, threads) <= threads
        assert _settle(_fds, fds) <= fds
