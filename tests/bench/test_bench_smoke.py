"""The bench runs end to end and reports every ratio. Nothing here asserts a time: it is a measurement."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench.py"
TARGETS = (
    "gate(1 sample, all reports) / dependency floor",
    "samples10 / samples1 at 100 ms",
    "--help / import click",
    "--version / import click",
    "peak RSS of the gate run",
)


def test_bench_quick_single_run(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--runs", "1", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    for name in TARGETS:
        line = next((x for x in lines if name in x and "target <=" in x), None)
        assert line is not None, f"no ratio line for {name!r}:\n{proc.stdout}"
        assert line.split()[0] in {"PASS", "MISS"}, line
    result = json.loads(out.read_text(encoding="utf-8"))
    assert len(result["targets"]) == len(TARGETS)
    assert {"requests", "deps", "gate_all_reports", "samples1", "samples10", "help", "version"} <= set(
        result["commands"]
    )
    assert all(cmd["runs"] == 1 for cmd in result["commands"].values())
