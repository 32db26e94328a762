"""Publish ONCE: every artifact of a run, one target or many, through the same code.

Each reporter renders the run report; the text passes the Redactor and is written; every file is then
scanned for the key, and a finding scrubs it, fails the run as `leak` and re-renders every artifact. Then the
console footer, the GitHub annotations and outputs, and the workspace file ownership.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from gate.config import RunSettings
from gate.failures import FailureClass
from gate.github import GitHubActions, outputs
from gate.report import RunReport
from gate.reporters import console, json_report, junit, summary
from gate.results import CheckResult, Status
from gate.terminal import Console

Render = Callable[[RunReport], str]


@dataclass(frozen=True)
class Artifact:
    """A file the gate writes; `write` is replaceable so tests can force a leak past the Redactor."""

    path: Path
    render: Render
    append: bool = False
    write: Callable[[Path, str], None] | None = None

    def save(self, text: str) -> None:
        if self.write is not None:
            self.write(self.path, text)
        elif self.append:
            append_text(self.path, text)
        else:
            write_text(self.path, text)


def write_text(path: Path, text: str) -> None:
    """Replace the file atomically, so a reader never sees half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def append_text(path: Path, text: str) -> None:
    """Append (the step summary file is shared by every step of a job: never overwrite it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


def default_artifacts(settings: RunSettings) -> list[Artifact]:
    artifacts = []
    if settings.json is not None:
        artifacts.append(Artifact(settings.json, json_report.render))
    if settings.junit is not None:
        artifacts.append(Artifact(settings.junit, junit.render))
    if settings.summary is not None:
        artifacts.append(Artifact(settings.summary, summary.render, append=True))
    return artifacts


def publish(
    run: RunReport, artifacts: Sequence[Artifact], out: Console, github: GitHubActions | None
) -> RunReport:
    """Write every artifact and output of the run; returns the final report (a leak found fails it)."""
    _write_all(run, artifacts, out)
    leaked = [a.path for a in artifacts if out.redactor.scan_and_scrub(a.path)]
    if leaked:
        leak = CheckResult(
            "leak-scan",
            Status.FAIL,
            f"the API key was found in {', '.join(map(str, leaked))} and scrubbed",
            failure_class=FailureClass.LEAK,
        )
        run = run.with_run_result(leak)
        _write_all(run, [replace(a, write=None) for a in artifacts], out)
        out.emit(*console.check_line(leak))
    out.emit(*console.footer(run))
    for artifact in artifacts:
        out.emit(f"  wrote      : {artifact.path}")
    if github is not None:
        github.annotate(run)
        outputs_file = github.write_outputs(outputs(run))
        if outputs_file is not None:
            out.redactor.scan_and_scrub(outputs_file)
        github.give_to_workspace_owner([a.path for a in artifacts])
    return run


def _write_all(run: RunReport, artifacts: Sequence[Artifact], out: Console) -> None:
    for artifact in artifacts:
        artifact.save(out.redactor.redact(artifact.render(run)))
