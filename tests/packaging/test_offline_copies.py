"""The offline copies that scripts/runner_test.sh runs under act and gitlab-ci-local
(tests/runners/offline_copies.py) change only what cannot run offline, and refuse loudly when a recipe no
longer has a line they replace."""

from __future__ import annotations

import difflib
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "runners" / "offline_copies.py"
STAND_INS = ROOT / "tests" / "runners" / "github" / "stand-ins"


def _copy(tmp_path: Path, kind: str, source: Path, *rest: str) -> subprocess.CompletedProcess[str]:
    target = tmp_path / "copy.yml"
    argv = [sys.executable, str(SCRIPT), kind, str(source), str(target), *rest]
    return subprocess.run(argv, capture_output=True, text=True)


def _changed(source: Path, target: Path) -> list[str]:
    lines = difflib.ndiff(source.read_text().splitlines(), target.read_text().splitlines())
    return [line for line in lines if line[:2] in ("- ", "+ ")]


def test_github_matrix_copy_changes_only_what_cannot_run_offline(tmp_path):
    source = ROOT / "examples" / "github-matrix.yml"
    assert _copy(tmp_path, "github-matrix", source, "auth").returncode == 0
    copy = yaml.safe_load((tmp_path / "copy.yml").read_text())
    smoke, merge = copy["jobs"]["smoke"], copy["jobs"]["merge"]
    legs = {leg["leg"]: leg["base-url"] for leg in smoke["strategy"]["matrix"]["include"]}
    assert legs == {"eu-west": "sim://ok", "us-east": "sim://ok", "on-prem": "sim://auth"}
    assert smoke["strategy"]["max-parallel"] == 1 and smoke["strategy"]["fail-fast"] is False
    uses = [step.get("uses") for job in copy["jobs"].values() for step in job["steps"] if step.get("uses")]
    assert uses[0] == "./"
    assert all(use == "./" or use.startswith("./tests/runners/github/stand-ins/") for use in uses), uses
    for use in uses[1:]:
        assert (ROOT / use / "action.yml").is_file(), use
    # Everything else is the recipe's: the merge command, the outputs, the deploy condition.
    original = yaml.safe_load(source.read_text())
    assert merge["outputs"] == original["jobs"]["merge"]["outputs"]
    assert copy["jobs"]["deploy"]["if"] == original["jobs"]["deploy"]["if"]
    assert [s.get("run") for s in merge["steps"]][-2] == [
        s.get("run") for s in original["jobs"]["merge"]["steps"]
    ][-2]
    assert len(_changed(source, tmp_path / "copy.yml")) == 2 * 10 + 1  # 10 lines replaced, 1 added


def test_gitlab_matrix_copy_changes_only_the_base_urls(tmp_path):
    source = ROOT / "examples" / "gitlab-matrix.yml"
    assert _copy(tmp_path, "gitlab-matrix", source, "rate_limit").returncode == 0
    changed = _changed(source, tmp_path / "copy.yml")
    assert len(changed) == 6 and all("COMETAPI_BASE_URL: " in line for line in changed)
    matrix = yaml.safe_load((tmp_path / "copy.yml").read_text())["smoke"]["parallel"]["matrix"]
    assert [leg["COMETAPI_BASE_URL"] for leg in matrix] == ["sim://ok", "sim://ok", "sim://rate_limit"]


def test_composite_copy_replaces_only_setup_python(tmp_path):
    source = ROOT / "composite" / "action.yml"
    assert _copy(tmp_path, "composite", source).returncode == 0
    changed = _changed(source, tmp_path / "copy.yml")
    assert [line[2:].strip() for line in changed if line.startswith("- ")] == [
        "- uses: actions/setup-python@v5",
        "with:",
        'python-version: "3.11"',
    ]
    steps = yaml.safe_load((tmp_path / "copy.yml").read_text())["runs"]["steps"]
    assert "python3 -m venv" in steps[0]["run"] and not any(
        "setup-python" in str(s.get("uses")) for s in steps
    )


@pytest.mark.parametrize(
    ("kind", "source", "edit", "expected"),
    [
        (
            "github-matrix",
            "examples/github-matrix.yml",
            ("uses: org/cometapi-smoke-gate@v1", "uses: org/x@v2"),
            "the action",
        ),
        (
            "github-matrix",
            "examples/github-matrix.yml",
            ("- leg: on-prem", "- leg: apac"),
            "the matrix legs are",
        ),
        ("github-matrix", "examples/github-matrix.yml", ("fail-fast: false", "fail-fast: true"), "fail-fast"),
        (
            "github-matrix",
            "examples/github-matrix.yml",
            ("run: pip install", "run: pipx install"),
            "pip install",
        ),
        (
            "gitlab-matrix",
            "examples/gitlab-matrix.yml",
            ("- LEG: us-east", "- LEG: us-west"),
            "the matrix legs",
        ),
        (
            "composite",
            "composite/action.yml",
            ("actions/setup-python@v5", "actions/setup-python@v6"),
            "setup-python",
        ),
    ],
)
def test_a_recipe_that_changed_under_the_copy_is_refused(tmp_path, kind, source, edit, expected):
    changed = tmp_path / "source.yml"
    text = (ROOT / source).read_text()
    assert edit[0] in text
    changed.write_text(text.replace(edit[0], edit[1]))
    proc = _copy(tmp_path, kind, changed, "auth")
    assert proc.returncode == 1 and expected in proc.stderr, proc.stderr
    assert not (tmp_path / "copy.yml").exists()


def test_stand_ins_are_composite_actions_without_network():
    for action in sorted(STAND_INS.glob("*/action.yml")):
        spec = yaml.safe_load(action.read_text())
        assert spec["runs"]["using"] == "composite", action
        text = action.read_text()
        assert "http" not in text.split("runs:", 1)[1], action
