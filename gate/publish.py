"""Publish ONCE: every artifact of a run, one target or many, through the same code.

Each reporter renders the run report; the text passes the Redactor and is written (gate/safe_files.py: never
through a link, never half a file); every file is then scanned for the key, and a finding scrubs it, fails
the run as `leak` and re-renders every artifact. A file or the step outputs that could not be written fail
the run as `evidence` the same way, and are never called written: the console says NOT WRITTEN and the
outputs name no such file. Then the console footer, the GitHub annotations and the workspace file ownership.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
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
from gate.safe_files import append_file, describe, replace_file
from gate.terminal import Console
from gate.text import one_line

Render = Callable[[RunReport], str]


@dataclass(frozen=True, eq=False)
class Artifact:
    """A file the gate writes; `write` is replaceable so tests can force a leak past the Redactor. A
    `trusted` path is one the CI system handed over (GITHUB_STEP_SUMMARY): followed as given."""

    path: Path
    render: Render
    append: bool = False
    write: Callable[[Path, str], None] | None = None
    kind: str = "json"  # json / junit / summary: the minimal form written when its renderer fails
    trusted: bool = False

    def save(self, text: str) -> None:
        if self.write is not None:
            self.write(self.path, text)
        elif self.append:
            append_file(self.path, text, trusted=self.trusted)
        else:
            replace_file(self.path, text)


def default_artifacts(settings: RunSettings) -> list[Artifact]:
    artifacts = []
    if settings.json is not None:
        artifacts.append(Artifact(settings.json, json_report.render))
    if settings.junit is not None:
        artifacts.append(Artifact(settings.junit, junit.render, kind="junit"))
    if settings.summary is not None:
        trusted = settings.summary == settings.step_summary
        artifacts.append(
            Artifact(settings.summary, summary.render, append=True, kind="summary", trusted=trusted)
        )
    if settings.metrics_file is not None:
        from gate.reporters import metrics  # imported only when asked for, as every opt-in output

        artifacts.append(Artifact(settings.metrics_file, metrics.render, kind="metrics"))
    return artifacts


@dataclass(eq=False)
class _Writing:
    """One run's files: where each appended file started (a rewrite replaces this run's section) and what
    could not be written in the last round."""

    artifacts: Sequence[Artifact]
    out: Console
    starts: dict[Path, int]
    missing: dict[Path, str]
    rounds: int = 0

    def round(self, run: RunReport) -> tuple[RunReport, RunReport]:
        """Render and write every artifact; returns (run, redacted run), a failed renderer recorded."""
        if self.rounds:  # an appended file is rewritten, not appended twice: cut this run's section off
            for artifact in self.artifacts:
                if artifact.append and self.written(artifact.path):
                    _truncate(artifact, self.starts.get(artifact.path, 0))
        self.rounds += 1
        run, safe, texts = _render_round(run, self.artifacts, self.out)
        self.missing = {}
        for artifact, text in texts:
            try:
                artifact.save(text)
            except OSError as exc:
                self.missing[artifact.path] = describe(exc)
        return run, safe

    def written(self, path: Path | None) -> bool:
        return path is not None and any(a.path == path for a in self.artifacts) and path not in self.missing


def publish(
    run: RunReport, artifacts: Sequence[Artifact], out: Console, github: GitHubActions | None
) -> RunReport:
    """Write every artifact and output of the run; returns the final report. A leak found fails it (class
    leak), and so does a report, step summary or step output that could not be written (class evidence):
    every artifact that was written is then written again to say so."""
    writing = _Writing(artifacts, out, {a.path: _size(a) for a in artifacts if a.append}, {})
    run, safe = writing.round(run)
    leaked = [a.path for a in artifacts if writing.written(a.path) and out.redactor.scan_and_scrub(a.path)]
    if leaked:
        leak = CheckResult(
            "leak-scan",
            Status.FAIL,
            f"the API key was found in {', '.join(map(str, leaked))} and scrubbed",
            failure_class=FailureClass.LEAK,
        )
        writing.artifacts = [replace(a, write=None) for a in artifacts]
        run, safe = writing.round(run.with_run_result(leak))
        out.emit(*console.check_line(leak))
    if writing.missing:
        run, safe = _evidence_missing(run, writing, dict(writing.missing))
    if github is not None:
        problem = _write_outputs(safe, github, writing)
        if problem is not None:
            out.emit(f"warning: {problem}")
            github.warn("smoke gate: outputs", problem)
            run, safe = _evidence_missing(run, writing, {Path("$GITHUB_OUTPUT"): problem})
            _write_outputs(safe, github, writing)  # the verdict changed: try once more, quietly
    out.emit(*console.footer(safe))
    for artifact in artifacts:
        if artifact.path in writing.missing:
            out.emit(f"  NOT WRITTEN: {artifact.path}: {writing.missing[artifact.path]}")
        else:
            out.emit(f"  wrote      : {artifact.path}")
    pushed = _push(safe, out, github)
    if out.json_lines:
        from gate.reporters import events

        for path, problem in writing.missing.items():
            out.event(events.notice(f"NOT WRITTEN: {path}: {problem}"))
        out.event({**events.verdict(safe), "metrics_pushed": pushed})
    if github is not None:
        github.annotate(safe)
        github.give_to_workspace_owner([a.path for a in artifacts if writing.written(a.path)])
    return run


def _evidence_missing(
    run: RunReport, writing: _Writing, missing: dict[Path, str]
) -> tuple[RunReport, RunReport]:
    """Fail the run as `evidence` and write again what can be written, so every file says why."""
    listed = "; ".join(f"{path}: {problem}" for path, problem in missing.items())
    failure = CheckResult(
        "evidence",
        Status.FAIL,
        f"could not write {listed}",
        failure_class=FailureClass.EVIDENCE,
    )
    writing.out.emit(*console.check_line(writing.out.redactor.redact_deep(failure)))
    run, safe = writing.round(run.with_run_result(failure))
    writing.missing = {**missing, **writing.missing}
    return run, safe


def _write_outputs(run: RunReport, github: GitHubActions, writing: _Writing) -> str | None:
    """The step outputs, naming only files that were written; the problem when they cannot be written."""
    values = outputs(run)
    for name, path in (("junit-path", run.settings.junit), ("report-path", run.settings.json)):
        if not writing.written(path):
            values[name] = ""
    try:
        outputs_file = github.write_outputs(values)
    except OSError as exc:
        return f"could not write the step outputs to $GITHUB_OUTPUT: {describe(exc)}"
    if outputs_file is not None:
        writing.out.redactor.scan_and_scrub(outputs_file)
    return None


def _push(run: RunReport, out: Console, github: GitHubActions | None) -> bool | None:
    """Push each target's metrics; a pushgateway that fails is a warning, never a failure."""
    base = run.settings.pushgateway
    if not base or run.verdict.failure_class is FailureClass.INTERRUPTED:
        return None  # an interrupted run has seconds left: no network, and nothing to chart
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


def _render_round(
    run: RunReport, artifacts: Sequence[Artifact], out: Console
) -> tuple[RunReport, RunReport, list[tuple[Artifact, str]]]:
    """Render each artifact from the redacted report (so every cut and escape comes after redaction), each
    text through the Redactor once more. A renderer that fails is a bug (class internal): every artifact is
    rendered again to say so, the broken one in a minimal form, so every exit leaves evidence."""
    safe, texts, failures = _render_all(run, artifacts, out)
    if failures:
        for failure in failures:
            run = run.with_run_result(failure)
        safe, texts, _ = _render_all(run, artifacts, out)
    return run, safe, texts


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


def _size(artifact: Artifact) -> int:
    """Where this run's section of an appended file starts (a link is never followed, so never cut)."""
    try:
        info = artifact.path.stat() if artifact.trusted else artifact.path.lstat()
    except OSError:
        return 0
    return info.st_size if stat.S_ISREG(info.st_mode) else 0


def _truncate(artifact: Artifact, size: int) -> None:
    flags = os.O_WRONLY | os.O_CLOEXEC | (0 if artifact.trusted else os.O_NOFOLLOW)
    with contextlib.suppress(OSError):
        fd = os.open(artifact.path, flags)
        try:
            os.ftruncate(fd, size)
        finally:
            os.close(fd)


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
