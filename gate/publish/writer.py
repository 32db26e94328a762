"""Publish ONCE: every artifact of a run, one target or many, through the same code.

Each reporter renders the run report; the text passes the Redactor and is written (gate/core/safe_files.py:
never through a link, never half a file); every file is then scanned for the key, and a finding scrubs it,
fails the run as `leak` and re-renders every artifact. A file or the step outputs that could not be written
fail the run as `evidence` the same way, and are never called written: the console says NOT WRITTEN and the
outputs name no such file. Then the console footer, the GitHub annotations and the workspace file ownership.
"""

from __future__ import annotations

import contextlib
import os
import stat
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from gate.checks.results import CheckResult, Status, internal_failure
from gate.config.resolve import RunSettings
from gate.core.failures import FailureClass
from gate.core.safe_files import NOFOLLOW, append_file, describe, replace_file
from gate.outcome.report import RunReport
from gate.publish.github import GitHubActions, outputs
from gate.publish.reporters import Reporter, reporter
from gate.publish.reporters import console_lines as console
from gate.publish.terminal import Console, events_module


@dataclass(frozen=True, eq=False)
class Artifact:
    """A file the gate writes; `write` is replaceable so tests can force a leak past the Redactor. A
    `trusted` path is one the CI system handed over (GITHUB_STEP_SUMMARY): followed as given."""

    path: Path
    reporter: Reporter
    append: bool = False
    write: Callable[[Path, str], None] | None = None
    trusted: bool = False

    @property
    def lexical(self) -> Path:
        """The path as the safe writes open it (`a/../b` is `b`: no component walked unchecked)."""
        return Path(os.path.abspath(self.path))

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
        artifacts.append(Artifact(settings.json, reporter("json")))
    if settings.junit is not None:
        artifacts.append(Artifact(settings.junit, reporter("junit")))
    if settings.summary is not None:
        trusted = settings.summary == settings.step_summary
        artifacts.append(Artifact(settings.summary, reporter("summary"), append=True, trusted=trusted))
    if settings.metrics_file is not None:  # imported only when asked for, as every opt-in output
        artifacts.append(Artifact(settings.metrics_file, reporter("metrics")))
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
    run, safe = _scan_for_leaks(run, safe, writing)
    if writing.missing:
        run, safe = _evidence_missing(run, writing, dict(writing.missing))
    if github is not None:
        run, safe = _step_outputs(run, safe, github, writing)
    _close(safe, artifacts, writing, github)
    return run


def _scan_for_leaks(run: RunReport, safe: RunReport, writing: _Writing) -> tuple[RunReport, RunReport]:
    """Every file written is scanned for the key. A finding is scrubbed, fails the run as `leak`, and every
    artifact is written again through the real writer (whatever `write` a test put in its place)."""
    out = writing.out
    leaked = [
        a.path for a in writing.artifacts if writing.written(a.path) and out.redactor.scan_and_scrub(a.path)
    ]
    if not leaked:
        return run, safe
    leak = CheckResult(
        id="leak-scan",
        status=Status.FAIL,
        message=f"the API key was found in {', '.join(map(str, leaked))} and scrubbed",
        failure_class=FailureClass.LEAK,
    )
    writing.artifacts = [replace(a, write=None) for a in writing.artifacts]
    run, safe = writing.round(run.with_run_result(leak))
    out.emit(*console.check_line(leak))
    return run, safe


def _step_outputs(
    run: RunReport, safe: RunReport, github: GitHubActions, writing: _Writing
) -> tuple[RunReport, RunReport]:
    """The step outputs. When they cannot be written the run fails as `evidence`, every file says so, and
    the outputs are tried once more with the changed verdict."""
    problem = _write_outputs(safe, github, writing)
    if problem is None:
        return run, safe
    writing.out.emit(f"warning: {problem}")
    github.warn("smoke gate: outputs", problem)
    run, safe = _evidence_missing(run, writing, {Path("$GITHUB_OUTPUT"): problem})
    _write_outputs(safe, github, writing)  # the verdict changed: try once more, quietly
    return run, safe


def _close(
    safe: RunReport, artifacts: Sequence[Artifact], writing: _Writing, github: GitHubActions | None
) -> None:
    """The console footer and each file written or NOT WRITTEN, the metrics pushed, the verdict event, then
    GitHub's annotations and the files handed to the workspace's owner."""
    out = writing.out
    out.emit(*console.footer(safe))
    for artifact in artifacts:
        if artifact.path in writing.missing:
            out.emit(f"  NOT WRITTEN: {artifact.path}: {writing.missing[artifact.path]}")
        else:
            out.emit(f"  wrote      : {artifact.path}")
    pushed = _push(safe, out, github)
    out.event(
        lambda: [events_module().notice(f"NOT WRITTEN: {p}: {why}") for p, why in writing.missing.items()]
    )
    out.event(lambda: {**events_module().verdict(safe), "metrics_pushed": pushed})
    if github is not None:
        github.annotate(safe)
        github.give_to_workspace_owner([a.path for a in artifacts if writing.written(a.path)])


def _evidence_missing(
    run: RunReport, writing: _Writing, missing: dict[Path, str]
) -> tuple[RunReport, RunReport]:
    """Fail the run as `evidence` and write again what can be written, so every file says why."""
    listed = "; ".join(f"{path}: {problem}" for path, problem in missing.items())
    failure = CheckResult(
        id="evidence",
        status=Status.FAIL,
        message=f"could not write {listed}",
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
    from gate.publish.pushgateway import push
    from gate.publish.reporters import metrics

    ok = True
    for target in run.targets:
        text = out.redactor.redact(metrics.render_target(run, target))
        problem, seconds = push(base, target.config.environment, metrics.target_label(target), text)
        if problem is None:
            out.emit(f"  pushed     : metrics of {metrics.target_label(target)} in {seconds * 1000:.0f} ms")
            continue
        ok = False
        out.emit(f"warning: {problem}")
        out.event(lambda problem=problem: events_module().notice(problem))
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
            text = artifact.reporter.render(safe)
        except Exception as exc:  # the crash-proof boundary for reporters
            failures.append(_internal(artifact, exc))
            text = artifact.reporter.minimal(safe)
        texts.append((artifact, out.redactor.redact(text)))
    return safe, texts, failures


def _size(artifact: Artifact) -> int:
    """Where this run's section of an appended file starts (a link is never followed, so never cut)."""
    try:
        info = artifact.path.stat() if artifact.trusted else artifact.lexical.lstat()
    except OSError:
        return 0
    return info.st_size if stat.S_ISREG(info.st_mode) else 0


def _truncate(artifact: Artifact, size: int) -> None:
    flags = os.O_WRONLY | getattr(os, "O_CLOEXEC", 0) | (0 if artifact.trusted else NOFOLLOW)
    with contextlib.suppress(OSError):
        fd = os.open(artifact.path if artifact.trusted else artifact.lexical, flags)
        try:
            os.ftruncate(fd, size)
        finally:
            os.close(fd)


def _internal(artifact: Artifact, exc: Exception) -> CheckResult:
    failure = internal_failure("publish", traceback.format_exc(limit=30))
    return replace(failure, message=f"rendering {artifact.path.name} failed: {failure.message}")
