"""The GitHub Actions side: masking, log groups, annotations, step outputs and workspace file ownership.

Active only when `GITHUB_ACTIONS=true` (and not under GitLab or Jenkins, which must see none of it). The
environment and the output stream are passed in, so tests run it with exactly what a runner provides.
"""

from __future__ import annotations

import os
import secrets
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from gate.core.redact import SHORTEST_SECRET, Redactor
from gate.core.safe_files import append_file
from gate.core.text import neutralise, one_line
from gate.outcome.report import RunReport

# The secrets each run (its Redactor) has handed to the runner: once is enough, however many places ask.
_MASKED: weakref.WeakKeyDictionary[Redactor, set[str]] = weakref.WeakKeyDictionary()
OUTPUT_NAMES = (
    "result",
    "decision",
    "failure-class",
    "latency-ms",
    "request-id",
    "junit-path",
    "report-path",
)


def escape_data(text: str) -> str:
    """As @actions/core escapes a command's message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """As @actions/core escapes a command property (title=...)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def mask_on_github(secrets: list[str], env: Mapping[str, str], stream: TextIO, redactor: Redactor) -> None:
    """`::add-mask::` for every candidate secret before any other output, whatever the run ends in (a
    configuration error included), so GitHub masks the key in this step's log and every later step's."""
    if GitHubActions.active(env):
        github = GitHubActions(env, stream, redactor)
        for secret in secrets:
            github.add_mask(secret)


class GitHubActions:
    def __init__(self, env: Mapping[str, str], stream: TextIO, redactor: Redactor) -> None:
        self.env = env
        self.stream = stream
        self.redactor = redactor

    @staticmethod
    def active(env: Mapping[str, str]) -> bool:
        return env.get("GITHUB_ACTIONS") == "true" and not env.get("GITLAB_CI") and not env.get("JENKINS_URL")

    def _command(self, text: str, *, raw: bool = False) -> None:
        """Every command line but add-mask passes the Redactor (its data was redacted before escaping)."""
        self.stream.write((text if raw else self.redactor.redact(text)) + "\n")
        self.stream.flush()

    def add_mask(self, secret: str) -> None:
        """Register the secret with the runner's log masking, one command per line of it. Written raw:
        this is the one line the key may appear in, and the runner hides it."""
        masked = _MASKED.setdefault(self.redactor, set())
        if len(secret) < SHORTEST_SECRET or secret in masked:  # no secret (refused by the configuration:
            return  # masking `x` would hide every x in the log), or one this run already handed over
        masked.add(secret)
        for line in secret.splitlines() or [secret]:
            if line.strip():
                self._command(f"::add-mask::{line}", raw=True)

    def group(self, title: str) -> None:
        self._command(f"::group::{escape_data(self._safe(title))}")

    def end_group(self) -> None:
        self._command("::endgroup::")

    def annotate(self, run: RunReport) -> None:
        """An ::error for each failing target (and run-level check), a ::warning for each warning."""
        failures = [(t.name, t.verdict.failure_class, t.first_failure) for t in run.targets]
        failures += [(None, r.failure_class, r) for r in run.run_results]
        for name, failure_class, failed in failures:
            if failure_class is None or failed is None or not failed.failed:
                continue
            where = f" ({name})" if name else ""
            message = f"{failure_class.info.title}{where}: {failed.message}. Next: {failed.next_step}"
            title = f"smoke gate: {failure_class}{where}"
            self._command(
                f"::error title={escape_property(self._safe(title))}::{escape_data(self._safe(message))}"
            )
        for notice in run.settings.notices:
            title = "smoke gate: configuration"
            self._command(
                f"::warning title={escape_property(self._safe(title))}::{escape_data(self._safe(notice))}"
            )
        for target in run.targets:
            where = f"{target.name}/" if target.name else ""
            for check, text in target.warnings:
                title = f"smoke gate warning ({where}{check})"
                self._command(
                    f"::warning title={escape_property(self._safe(title))}::{escape_data(self._safe(text))}"
                )

    def warn(self, title: str, text: str) -> None:
        self._command(
            f"::warning title={escape_property(self._safe(title))}::{escape_data(self._safe(text))}"
        )

    def _safe(self, text: str) -> str:
        """A title or message: one line, inert (no `##[`, no line-leading `::`), redacted."""
        return self.redactor.redact(neutralise(one_line(text, 1000)))

    def write_outputs(self, values: Mapping[str, str]) -> Path | None:
        """Append the step outputs to $GITHUB_OUTPUT; multi-line values get a random heredoc delimiter."""
        target = self.env.get("GITHUB_OUTPUT")
        if not target:
            return None
        chunks = []
        for name, value in values.items():
            value = self.redactor.redact(value)
            if "\n" in value or "\r" in value:
                delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
                chunks.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
            else:
                chunks.append(f"{name}={value}\n")
        path = Path(target)
        append_file(path, "".join(chunks), trusted=True)  # raises OSError: the caller reports it
        return path

    def give_to_workspace_owner(self, paths: list[Path]) -> None:
        """Container actions run as root; files they leave in the workspace must belong to its owner."""
        workspace = self.env.get("GITHUB_WORKSPACE")
        if not workspace or not hasattr(os, "geteuid") or os.geteuid() != 0:
            return
        root = Path(workspace).resolve()
        try:
            owner = root.stat()
        except OSError:
            return
        if owner.st_uid == 0:
            return
        for path in paths:
            resolved = Path(os.path.abspath(path))  # lexical: a link on the way is never followed
            if root not in resolved.parents:
                continue
            current = resolved
            while current != root:
                try:
                    if current.lstat().st_uid == 0:
                        os.chown(current, owner.st_uid, owner.st_gid, follow_symlinks=False)
                except OSError:
                    pass
                current = current.parent


def outputs(run: RunReport) -> dict[str, str]:
    """The step outputs: the run's verdict, and the latency and request id of the target it speaks of (the
    first that failed, else the first): the failing check's id, the one to quote to support."""
    verdict = run.verdict
    focus = run.focus
    latency = focus.latency.p50 if focus.latency else None
    return {
        "result": verdict.result.value,
        "decision": verdict.decision.value,
        "failure-class": verdict.failure_class.value if verdict.failure_class else "",
        "latency-ms": f"{latency:.0f}" if latency is not None else "",
        "request-id": focus.quoted_request_id or "",
        "junit-path": str(run.settings.junit or ""),
        "report-path": str(run.settings.json or ""),
    }
