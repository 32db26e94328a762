"""The runbook's own inputs: the pre-flight checklist (who rolls back, to what, how) and the decision
template's fields (reviewer, checks done, secret version, notes, the CI run).

The pre-flight items come from a small file kept in the application's repository (`--preflight PATH`,
TOML or YAML, keys as below) and from options of the same names; an option wins over the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gate.config.input_files import InputFileError, describe, is_scalar, load
from gate.config.options import PREFLIGHT_ITEMS, PREFLIGHT_KEYS


class PreflightFileError(ValueError):
    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix


def load_preflight(path: Path) -> dict[str, str]:
    """The file's items (TOML, or YAML for .yml/.yaml), keys checked, each value one string, number or
    boolean, as a string. Read with gate/config/input_files.py's limits (1 MiB, no YAML aliases or tags)."""
    try:
        document = load(path, "toml")
    except InputFileError as exc:
        raise PreflightFileError(exc.problem, exc.fix) from None
    if document is None:
        document = {}
    if not isinstance(document, Mapping):
        raise PreflightFileError(f"{path} is not a table of items", "write one `key = value` per item")
    normalized = {str(k).replace("_", "-"): v for k, v in document.items()}
    unknown = sorted(set(normalized) - PREFLIGHT_KEYS)
    if unknown:
        raise PreflightFileError(
            f"{path} has unknown item(s): {', '.join(unknown)}",
            f"use only: {', '.join(item.key for item in PREFLIGHT_ITEMS)}",
        )
    for key, value in normalized.items():
        if value is not None and not is_scalar(value):
            raise PreflightFileError(
                f"{path}: item '{key}' is {describe(value)}, not one value",
                'write one string per item, e.g. rollback-owner = "alice" (quote dates)',
            )
    return {k: str(v).strip() for k, v in normalized.items() if v is not None and str(v).strip()}


@dataclass(frozen=True)
class Preflight:
    """The pre-flight checklist as filled in: item key -> value ("" when missing)."""

    items: Mapping[str, str] = field(default_factory=dict)
    file: Path | None = None
    required: bool = False
    wanted: bool = False  # checked this run: a file or an item was given, or the phase needs a rollback plan

    def value(self, key: str) -> str:
        return self.items.get(key, "")

    @property
    def missing(self) -> list[str]:
        return [item.label for item in PREFLIGHT_ITEMS if not self.value(item.key)]

    @property
    def given(self) -> list[tuple[str, str]]:
        return [(item.label, self.value(item.key)) for item in PREFLIGHT_ITEMS if self.value(item.key)]


@dataclass(frozen=True)
class RecordInputs:
    """The decision template's fields that come from people and the CI system, not from the run."""

    reviewer: str | None = None
    docs_checked: bool | None = None
    endpoint_reference_checked: bool | None = None
    secret_version: str | None = None
    notes: str | None = None
    run_url: str | None = None
    actor: str | None = None
    ref: str | None = None


def ci_context(env: Mapping[str, str]) -> tuple[str | None, str | None, str | None]:
    """(run URL, actor, ref) from what GitHub Actions, GitLab CI or Jenkins expose to a job."""
    if env.get("GITHUB_RUN_ID") and env.get("GITHUB_REPOSITORY"):
        server = env.get("GITHUB_SERVER_URL", "https://github.com")
        url = f"{server}/{env['GITHUB_REPOSITORY']}/actions/runs/{env['GITHUB_RUN_ID']}"
        return url, env.get("GITHUB_ACTOR"), env.get("GITHUB_REF")
    if env.get("GITLAB_CI"):
        return env.get("CI_JOB_URL"), env.get("GITLAB_USER_LOGIN"), env.get("CI_COMMIT_REF_NAME")
    if env.get("JENKINS_URL"):
        return env.get("BUILD_URL"), env.get("BUILD_USER_ID"), env.get("GIT_BRANCH")
    return None, None, None
