"""docker/entrypoint.py routes: no arguments -> `run`; a gate subcommand or option -> the gate; else exec.

Run here on the host exactly as in the image: a copy of the script beside a fake `cometapi-smoke-gate` that
prints its arguments, the INPUT_BASE-URL it received and exits with $FAKE_EXIT.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "docker" / "entrypoint.py"

FAKE_GATE = """\
import os, sys
print("gate:" + " ".join(sys.argv[1:]), os.environ.get("INPUT_BASE-URL", "-"))
sys.exit(int(os.environ.get("FAKE_EXIT", "0")))
"""


@pytest.fixture()
def entrypoint(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "cometapi-smoke-gate"
    fake.write_text(f"#!{sys.executable}\n{FAKE_GATE}", encoding="utf-8")
    fake.chmod(0o755)
    script = bin_dir / "gate-entrypoint"
    shutil.copy(SOURCE, script)
    return script


def _run(script: Path, args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-I", str(script), *args],
        # No HOME, and a PATH without the fake gate: the entry point finds the gate beside itself.
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
        input="from stdin\n",
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )


def test_is_an_executable_script():
    assert SOURCE.read_text(encoding="utf-8").startswith("#!/usr/bin/env python3\n")
    assert os.access(SOURCE, os.X_OK), "git must keep docker/entrypoint.py executable"


def test_no_arguments_runs_the_gate(entrypoint):
    assert _run(entrypoint, []).stdout == "gate:run -\n"


@pytest.mark.parametrize(
    "args",
    [
        ["run"],
        ["run", "--base-url", "sim://ok"],
        ["demo"],
        ["simulate", "--list"],
        ["merge", "reports/eu/report.json"],
        ["--version"],
        ["-h"],
    ],
)
def test_gate_subcommands_and_options_go_to_the_gate(entrypoint, args):
    assert _run(entrypoint, args).stdout == f"gate:{' '.join(args)} -\n"


def test_hyphenated_input_variables_reach_the_gate(entrypoint):
    """GitHub passes INPUT_BASE-URL; a /bin/sh entry point (dash) would silently drop it."""
    assert _run(entrypoint, ["run"], **{"INPUT_BASE-URL": "sim://ok"}).stdout == "gate:run sim://ok\n"


def test_the_gate_exit_code_is_the_container_exit_code(entrypoint):
    assert _run(entrypoint, ["run"], FAKE_EXIT="3").returncode == 3


@pytest.mark.skipif(shutil.which("sh") is None or shutil.which("cat") is None, reason="needs sh and cat")
@pytest.mark.parametrize(
    ("args", "stdout"),
    [
        (["sh", "-c", "echo from a GitLab script"], "from a GitLab script\n"),  # GitLab: entrypoint + sh -c
        (["cat"], "from stdin\n"),  # Jenkins docker.inside keeps the container alive with cat
        (["echo", "run"], "run\n"),  # only the first argument decides
    ],
)
def test_anything_else_is_executed_as_given(entrypoint, args, stdout):
    result = _run(entrypoint, args)
    assert (result.returncode, result.stdout) == (0, stdout)


def test_a_missing_command_exits_127(entrypoint):
    result = _run(entrypoint, ["no-such-command-here"])
    assert result.returncode == 127
    assert "gate-entrypoint: cannot run no-such-command-here" in result.stderr
