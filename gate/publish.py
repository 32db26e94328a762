"""Publish ONCE: every artifact of a run, one target or many, through the same code.

Each reporter renders the run report; the text passes the Redactor and is written; every file is then
scanned for the key, and a finding scrubs it, fails the run as `leak` and re-renders every artifact. Then the
console footer, the GitHub annotations and outputs, and the workspace file ownership.
"""

from __future__ import annotations

import contextlib
import json
import os
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from xml.sax.saxutils import escape

from gate.config import RunSettings
from gate.failures import FailureClass
from gate.github import GitHubActions, outputs
from gate.report import RunReport
from gate.reporters import console, json_report, junit, summary
from gate.results import CheckResult, Status, internal_failure
from gate.terminal import Console
from gate.text import one_line

Render = Callable[[RunReport], str]


@dataclass(frozen=True, eq=False)
class Artifact:
    """A file the gate writes; `write` is replaceable so tests can force a leak past the Redactor."""

    path: Path
    render: Render
    append: bool = False
    write: Callable[[Path, str], None] | None = None
    kind: str = "json"  # json / junit / summary: the minimal form written when its renderer fails

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
        artifacts.append(Artifact(settings.junit, junit.render, kind="junit"))
    if settings.summary is not None:
        artifacts.append(Artifact(settings.summary, summary.render, append=True, kind="summary"))
    if settings.metrics_file is not None:
        from gate.reporters import metrics  # imported only when asked for, as every opt-in output

        artifacts.append(Artifact(settings.metrics_file, metrics.render, kind="metrics"))
    return artifacts


def publish(
    run: RunReport, artifacts: Sequence[Artifact], out: Console, github: GitHubActions | None
) -> RunReport:
    """Write every artifact and output of the run; returns the final report (a leak found fails it)."""
    before = {a.path: _size(a.path) for a in artifacts if a.append}  # where this run's text starts
    run, safe = _write_all(run, artifacts, out)
    leaked = [a.path for a in artifacts if out.redactor.scan_and_scrub(a.path)]
    if leaked:
        leak = CheckResult(
            "leak-scan",
            Status.FAIL,
            f"the API key was found in {', '.join(map(str, leaked))} and scrubbed",
            failure_class=FailureClass.LEAK,
        )
        for path, size in before.items():  # an appended summary is rewritten, not appended twice
            with contextlib.suppress(OSError), path.open("r+b") as handle:
                handle.truncate(size)
        rewritten = [replace(a, write=None) for a in artifacts]
        run, safe = _write_all(run.with_run_result(leak), rewritten, out)
        out.emit(*console.check_line(leak))
    out.emit(*console.footer(safe))
    for artifact in artifacts:
        out.emit(f"  wrote      : {artifact.path}")
    pushed = _push(safe, out, github)
    if out.json_lines:
        from gate.reporters import events

        out.event({**events.verdict(safe), "metrics_pushed": pushed})
    if github is not None:
        github.annotate(safe)
        outputs_file = github.write_outputs(outputs(safe))
        if outputs_file is not None:
            out.redactor.scan_and_scrub(outputs_file)
        github.give_to_workspace_owner([a.path for a in artifacts])
    return run


def _push(run: RunReport, out: Console, github: GitHubActions | None) -> bool | None:
    """Push each target's metrics; a pushgateway that fails is a warning, never a failure."""
    base = run.settings.pushgateway
    if not base:
        return None
    from gate.pushgateway import push
    from gate.reporters import events, metrics

    ok = True
    for target in run.targets:
        text = out.redactor.redact(metrics.render_target(run, target))
        problem, seconds = push(base, target.config.environment, metrics.target_label(target), text)
        if problem is None:
            out.emit(f"  pushed     : metrics of {metrics.target_label(target)} in {seconds * 1000:.0f} ms")
            continue
        ok = False
        out.emit(f"warning: {problem}")
        out.event(events.notice(problem))
        if github is not None:
            github.warn("smoke gate: metrics", problem)
    return ok


def _write_all(run: RunReport, artifacts: Sequence[Artifact], out: Console) -> tuple[RunReport, RunReport]:
    """Render each artifact from the redacted report (so every cut and escape comes after redaction) and
    write it through the Redactor once more. A renderer that fails is a bug (class internal): every
    artifact is rendered again to say so, the broken one in a minimal form, so every exit leaves evidence."""
    safe, texts, failures = _render_all(run, artifacts, out)
    if failures:
        for failure in failures:
            run = run.with_run_result(failure)
        safe, texts, _ = _render_all(run, artifacts, out)
    for artifact, text in texts:
        _save(artifact, text, out)
    return run, safe


def _render_all(
    run: RunReport, artifacts: Sequence[Artifact], out: Console
) -> tuple[RunReport, list[tuple[Artifact, str]], list[CheckResult]]:
    safe = out.redactor.redact_deep(run)
    texts, failures = [], []
    for artifact in artifacts:
        try:
            text = artifact.render(safe)
        except Exception as exc:  # the crash-proof boundary for reporters
            failures.append(_internal(artifact, exc))
            text = minimal(safe, artifact.kind)
        texts.append((artifact, out.redactor.redact(text)))
    return safe, texts, failures


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _save(artifact: Artifact, text: str, out: Console) -> None:
    try:
        artifact.save(text)
    except OSError as exc:
        out.emit(f"  not written: {artifact.path}: {exc.strerror or exc}")


def _internal(artifact: Artifact, exc: Exception) -> CheckResult:
    failure = internal_failure("publish", traceback.format_exc(limit=30))
    return replace(failure, message=f"rendering {artifact.path.name} failed: {failure.message}")


def minimal(run: RunReport, kind: str) -> str:
    """A report that cannot fail to render: the verdict and each check's id, status and class."""
    verdict = run.verdict
    checks = [(t.name, r) for t in run.targets for r in t.results] + [(None, r) for r in run.run_results]
    if kind == "json":
        body = {
            "schema_version": "1",
            "result": verdict.result,
            "decision": verdict.decision,
            "failure_class": str(verdict.failure_class) if verdict.failure_class else None,
            "failed_check": verdict.failed_check,
            "exit_code": int(verdict.exit_code),
            "checks": [
                {"id": r.id, "target": name, "status": str(r.status), "failure_class": r.failure_class}
                for name, r in checks
            ],
        }
        return json.dumps(body, indent=2, default=str) + "\n"
    if kind == "junit":
        failures = sum(1 for _, r in checks if r.failed)
        cases = "".join(
            f'<testcase name="{_attr(r.id)}">'
            + (
                f'<failure type="{r.failure_class}" message="{_attr(one_line(r.message, 200))}"/>'
                if r.failed
                else ""
            )
            + "</testcase>"
            for _, r in checks
        )
        return (
            f'<?xml version="1.0" encoding="utf-8"?>\n<testsuites><testsuite name="cometapi-smoke-gate" '
            f'tests="{len(checks)}" failures="{failures}" errors="0">{cases}</testsuite></testsuites>\n'
        )
    lines = [f"## Smoke gate: {verdict.decision} ({verdict.result}, class `{verdict.failure_class}`)", ""]
    lines += [f"- {r.id}: {r.status} {r.failure_class or ''}".rstrip() for _, r in checks]
    return "\n".join(lines) + "\n"


def _attr(text: str) -> str:
    return escape(text, {'"': "&quot;"})
