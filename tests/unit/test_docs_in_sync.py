"""README.md tables are generated from the code; these tests fail when they drift apart."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _tables_module():
    spec = importlib.util.spec_from_file_location("readme_tables", ROOT / "scripts" / "readme_tables.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_tables_match_the_code():
    """Every generated table is in README.md or docs/reference.md, once, and matches the code."""
    tables = _tables_module()
    seen: list[str] = []
    for name in tables.DOCUMENTS:
        text = (ROOT / name).read_text(encoding="utf-8") if (ROOT / name).exists() else ""
        assert tables.render(text) == text, f"{name}: run python scripts/readme_tables.py --write"
        seen += sorted(tables.blocks_in(text))
    assert sorted(seen) == sorted(tables.BLOCKS)


def test_quick_start_has_exactly_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL).group(1)
    assert block.strip().splitlines() == ["make demo", "make test"]


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def _examples_module():
    spec = importlib.util.spec_from_file_location("examples", ROOT / "scripts" / "render_summary_examples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_summary_examples_match_a_fresh_run():
    """docs/examples/*.md are what the gate writes today (durations, times and request ids aside)."""
    examples = _examples_module()
    for name in examples.RUNS:
        committed = (ROOT / "docs" / "examples" / f"{name}.md").read_text(encoding="utf-8")
        fresh = examples.render_markdown(name)
        assert examples.normalized(fresh) == examples.normalized(committed), (
            "run: python scripts/render_summary_examples.py"
        )


def test_examples_script_without_the_gate_fails_cleanly_and_deletes_nothing(tmp_path):
    """A bare interpreter that cannot import the gate: one clear line, no file lost."""
    import subprocess
    import sys

    before = {p.name: p.read_bytes() for p in (ROOT / "docs" / "examples").iterdir()}
    result = subprocess.run(
        [sys.executable, "-I", "-S", str(ROOT / "scripts" / "render_summary_examples.py")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and "pip install -e ." in result.stderr
    after = {p.name: p.read_bytes() for p in (ROOT / "docs" / "examples").iterdir()}
    assert after == before


def test_the_readme_stand_in_recipe_uses_the_simulators_key_and_model():
    """The three lines a newcomer pastes work as written: the key the stand-in accepts, its model."""
    from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Rehearse against a stand-in", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL).group(1)
    assert f"COMETAPI_API_KEY={DEFAULT_API_KEY}" in block
    assert f"--model {DEFAULT_MODEL}" in block and "simulate --port 8787" in block
    assert "COMETAPI_BASE_URL=http://127.0.0.1:8787" in block
