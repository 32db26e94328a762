"""The matrix recipes (examples/github-matrix.yml, examples/gitlab-matrix.yml): valid against the CI systems'
schemas, and their steps run for real: each matrix leg's gate run against the simulator (its base URL
replaced by a sim:// one) into its own directory, the artifacts moved as the CI system moves them, then the
merge step's own command, whose exit code and outputs decide the deploy."""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

yaml = pytest.importorskip("yaml", reason="PyYAML is a test dependency (the test extra)")

ROOT = Path(__file__).resolve().parents[2]
GITHUB = ROOT / "examples" / "github-matrix.yml"
GITLAB = ROOT / "examples" / "gitlab-matrix.yml"
KEY = "sk-MatrixRecipe-0123456789abcdef"
SHA = "3f2c1e0d9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e"
BIN = str(Path(sys.executable).parent)  # where the test environment installed cometapi-smoke-gate
_CI_VARIABLES = ("INPUT_", "COMETAPI_", "GATE_", "GITHUB_", "GITLAB_", "CI_", "JENKINS_URL", "RUNNER_")


def _load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _clean_env(**extra: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith(_CI_VARIABLES)}
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    return {**env, **extra}


def _check_jsonschema() -> str | None:
    candidates = [
        ROOT / ".venv" / "bin" / "check-jsonschema",
        # where scripts/lint_packaging.sh installs it
        Path(os.environ.get("LINT_VENV", "/tmp/lintvenv")) / "bin" / "check-jsonschema",
    ]
    return next((str(path) for path in candidates if path.is_file() and os.access(path, os.X_OK)), None)


@pytest.mark.parametrize(
    ("path", "schema"),
    [(GITHUB, ["vendor.github-workflows"]), (GITLAB, ["vendor.gitlab-ci", "--data-transform", "gitlab-ci"])],
    ids=["github", "gitlab"],
)
def test_the_recipes_validate_against_the_ci_schemas(path, schema):
    tool = _check_jsonschema()
    if tool is None:
        pytest.skip("check-jsonschema is not installed (.venv/bin, or $LINT_VENV/bin: make lint-packaging)")
    proc = subprocess.run(
        [tool, "--builtin-schema", *schema, str(path)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_packaging_lint_checks_the_recipes():
    script = (ROOT / "scripts" / "lint_packaging.sh").read_text(encoding="utf-8")
    workflows = re.search(r"^WORKFLOWS=\((.*)\)$", script, re.M).group(1).split()
    assert "examples/github-matrix.yml" in workflows
    assert re.search(r"vendor\.gitlab-ci[^\n]*\\\n[^\n]*examples/gitlab-matrix\.yml", script)


def test_the_github_legs_pass_the_action_known_inputs_and_every_required_one():
    action = _load(ROOT / "action.yml")
    workflow = _load(GITHUB)
    (gate_step,) = [
        s for s in workflow["jobs"]["smoke"]["steps"] if "cometapi-smoke-gate" in s.get("uses", "")
    ]
    given = set(gate_step["with"])
    assert given <= set(action["inputs"])
    assert {name for name, entry in action["inputs"].items() if entry["required"]} <= given
    assert workflow["permissions"] == {"contents": "read"}


# --- GitHub Actions ---------------------------------------------------------------------------------------

_EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")


def _expand(text: str, context: Mapping[str, Any]) -> str:
    """`${{ a.b }}` replaced from `context`; an expression the test does not know fails it."""

    def value(match: re.Match[str]) -> str:
        found: Any = context
        for part in match.group(1).split("."):
            found = found[part]
        return str(found)

    return _EXPRESSION.sub(value, text)


def _outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines() if "=" in line)


def _github_leg(
    job: Mapping[str, Any], leg: Mapping[str, Any], scenario: str, workspace: Path, artifacts: Path
) -> int:
    """One matrix leg: the action's step as the container runs it (`cometapi-smoke-gate run` reading its
    INPUT_* variables), then the upload step (`if: always()`)."""
    workspace.mkdir(parents=True)
    context = {"matrix": {**leg, "base-url": f"sim://{scenario}"}, "secrets": {"COMETAPI_API_KEY": KEY}}
    gate_step, upload = job["steps"]
    assert re.fullmatch(r"org/cometapi-smoke-gate@v\d+", gate_step["uses"])
    inputs = {f"INPUT_{name.upper()}": _expand(str(v), context) for name, v in gate_step["with"].items()}
    env = _clean_env(
        GITHUB_ACTIONS="true",
        GITHUB_WORKSPACE=str(workspace),
        GITHUB_OUTPUT=str(workspace.parent / f"{workspace.name}.output"),
        GITHUB_STEP_SUMMARY=str(workspace.parent / f"{workspace.name}.summary"),
        GITHUB_SHA=SHA,
        **inputs,
    )
    proc = subprocess.run(
        [sys.executable, "-m", "gate", "run"], cwd=workspace, env=env, capture_output=True, text=True
    )
    assert upload["uses"].startswith("actions/upload-artifact@") and upload["if"] == "always()"
    source = workspace / upload["with"]["path"]
    if source.exists():
        shutil.copytree(source, artifacts / _expand(upload["with"]["name"], context))
    return proc.returncode


def _github_merge(
    workflow: Mapping[str, Any], artifacts: Path, workspace: Path
) -> tuple[int, dict[str, str]]:
    """The merge job: the download step (each artifact in its own directory under `path`), then its own
    run steps, but the install step (the gate is installed in the test environment)."""
    job = workflow["jobs"]["merge"]
    workspace.mkdir()
    env = _clean_env(
        GITHUB_ACTIONS="true",
        GITHUB_WORKSPACE=str(workspace),
        GITHUB_OUTPUT=str(workspace.parent / "merge.output"),
        GITHUB_STEP_SUMMARY=str(workspace.parent / "merge.summary"),
        GITHUB_SHA=SHA,
    )
    code = None
    for step in job["steps"]:
        uses, script = step.get("uses", ""), step.get("run", "")
        if uses.startswith("actions/download-artifact@"):
            for artifact in sorted(artifacts.iterdir()):
                if fnmatch.fnmatch(artifact.name, step["with"]["pattern"]):
                    shutil.copytree(artifact, workspace / step["with"]["path"] / artifact.name)
        elif "pip install" in script:
            assert "cometapi-smoke-gate" in script
        elif script:
            proc = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                cwd=workspace,
                env=env,
                capture_output=True,
                text=True,
            )
            assert step.get("id") == "merge", f"unexpected run step {step}"
            code = proc.returncode
            assert "Traceback" not in proc.stdout + proc.stderr
    assert code is not None, "the merge job runs no merge"
    return code, _outputs(workspace.parent / "merge.output")


def _github(tmp_path: Path, scenarios: Mapping[str, str | None]) -> tuple[int, dict[str, str], Path]:
    workflow = _load(GITHUB)
    job = workflow["jobs"]["smoke"]
    legs = job["strategy"]["matrix"]["include"]
    assert {leg["leg"] for leg in legs} == set(scenarios)
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    for leg in legs:
        scenario = scenarios[leg["leg"]]
        if scenario is not None:  # None: the leg's runner was lost, nothing uploaded
            _github_leg(job, leg, scenario, tmp_path / f"leg-{leg['leg']}", artifacts)
    code, outputs = _github_merge(workflow, artifacts, tmp_path / "merge")
    return code, outputs, tmp_path / "merge"


def test_github_recipe_all_legs_passing_deploys(tmp_path):
    code, outputs, workspace = _github(tmp_path, {"eu-west": "ok", "us-east": "ok", "on-prem": "gw_ok"})
    assert code == 0
    assert (outputs["result"], outputs["decision"]) == ("pass", "proceed")
    assert outputs["report-path"] == "merged/report.json"
    assert (workspace / "merged" / "junit.xml").is_file()
    summary = (tmp_path / "merge.summary").read_text(encoding="utf-8")
    assert summary.startswith("## ✅ Smoke gate: proceed, all 3 targets passed")
    workflow = _load(GITHUB)
    deploy, merge = workflow["jobs"]["deploy"], workflow["jobs"]["merge"]
    assert deploy["needs"] == "merge" and "needs.merge.outputs.decision == 'proceed'" in deploy["if"]
    assert merge["outputs"]["decision"] == "${{ steps.merge.outputs.decision }}"
    assert "!cancelled()" in merge["if"] and workflow["jobs"]["smoke"]["strategy"]["fail-fast"] is False


def test_github_recipe_a_failing_leg_holds_the_deploy(tmp_path):
    code, outputs, _ = _github(tmp_path, {"eu-west": "ok", "us-east": "ok", "on-prem": "gw_invalid_token"})
    assert code == 1
    assert (outputs["result"], outputs["decision"], outputs["failure-class"]) == ("fail", "hold", "auth")
    summary = (tmp_path / "merge.summary").read_text(encoding="utf-8")
    assert summary.startswith("## ❌ Smoke gate: hold, 1 of 3 targets failed (smoke-on-prem)")


def test_github_recipe_a_leg_that_never_reported_holds_the_deploy(tmp_path):
    code, outputs, _ = _github(tmp_path, {"eu-west": "ok", "us-east": "ok", "on-prem": None})
    assert code == 1
    assert (outputs["decision"], outputs["failure-class"]) == ("hold", "evidence")


def test_github_recipe_transient_failures_only_exit_3(tmp_path):
    code, outputs, _ = _github(tmp_path, {"eu-west": "ok", "us-east": "gw_rate_limit", "on-prem": "ok"})
    assert code == 3
    assert outputs["failure-class"] == "rate_limit"


# --- GitLab CI --------------------------------------------------------------------------------------------


def _gitlab_vars(text: str, variables: Mapping[str, str]) -> str:
    """GitLab's expansion of $NAME / ${NAME} in a variable's value."""
    return re.sub(r"\$\{?(\w+)\}?", lambda m: variables.get(m.group(1), m.group(0)), text)


def _gitlab_script(job: Mapping[str, Any], workspace: Path, variables: Mapping[str, str]) -> int:
    script = "\n".join(job["script"])
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=workspace,
        env=_clean_env(GITLAB_CI="true", CI_COMMIT_SHA=SHA, COMETAPI_API_KEY=KEY, **variables),
        capture_output=True,
        text=True,
    )
    assert "Traceback" not in proc.stdout + proc.stderr
    return proc.returncode


def _gitlab(tmp_path: Path, scenarios: Mapping[str, str | None]) -> tuple[int, Path]:
    """Each leg of smoke's parallel:matrix run in its own checkout, its artifact paths then extracted into
    the merge job's checkout (GitLab's `needs: artifacts: true`), and the merge job's script run there."""
    pipeline = _load(GITLAB)
    smoke, merge = pipeline["smoke"], pipeline["merge"]
    assert smoke["artifacts"]["when"] == "always" and merge["when"] == "always"
    assert merge["needs"] == [{"job": "smoke", "artifacts": True}] and pipeline["deploy"]["needs"] == [
        "merge"
    ]
    legs = smoke["parallel"]["matrix"]
    assert {leg["LEG"] for leg in legs} == set(scenarios)
    merged = tmp_path / "merge"
    merged.mkdir()
    for leg in legs:
        scenario = scenarios[leg["LEG"]]
        if scenario is None:
            continue
        variables = {**leg, "COMETAPI_BASE_URL": f"sim://{scenario}"}
        variables |= {name: _gitlab_vars(str(v), variables) for name, v in smoke["variables"].items()}
        checkout = tmp_path / f"leg-{leg['LEG']}"
        checkout.mkdir()
        _gitlab_script(smoke, checkout, variables)
        for path in smoke["artifacts"]["paths"]:
            if (checkout / path).exists():
                shutil.copytree(checkout / path, merged / path, dirs_exist_ok=True)
    code = _gitlab_script(merge, merged, {})
    for path in merge["artifacts"]["paths"]:
        assert (merged / path).is_dir()
    assert (merged / merge["artifacts"]["reports"]["junit"]).is_file()
    return code, merged


def test_gitlab_recipe_all_legs_passing(tmp_path):
    code, merged = _gitlab(tmp_path, {"eu-west": "ok", "us-east": "ok", "on-prem": "ok"})
    assert code == 0
    summary = (merged / "gate-merged" / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith("## ✅ Smoke gate: proceed, all 3 targets passed")
    assert "| eu-west | ✅ proceed | production-eu-west |" in summary


def test_gitlab_recipe_a_failing_leg_and_a_lost_one_fail_the_merge(tmp_path):
    code, merged = _gitlab(tmp_path, {"eu-west": "auth", "us-east": "ok", "on-prem": None})
    assert code == 1
    summary = (merged / "gate-merged" / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith("## ❌ Smoke gate: hold, 2 of 3 targets failed (eu-west, on-prem)")


def test_gitlab_recipe_transient_failures_only_exit_3(tmp_path):
    code, _ = _gitlab(tmp_path, {"eu-west": "ok", "us-east": "ok", "on-prem": "gw_rate_limit"})
    assert code == 3
