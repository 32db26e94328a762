"""One gate run from a validated config to an exit code: the flow of DESIGN.md, stage by stage."""

from __future__ import annotations

import datetime as dt
import os
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from gate import contract
from gate.checks import RunContext
from gate.checks.completion import FIRST_EXCHANGE
from gate.checks.samples import MAX_WORKERS
from gate.client import new_session
from gate.config import GateConfig
from gate.failures import ExitCode, FailureClass
from gate.github import GitHubActions
from gate.redact import Redactor
from gate.report import RunReport, collect_request_ids
from gate.reporters import console, json_report, junit, summary
from gate.results import CheckResult, Status
from gate.runner import run_checks
from gate.verdict import decide

Render = Callable[[RunReport], str]


class Console:
    """Writes lines to a stream, each through the Redactor first; colour only on a terminal."""

    def __init__(self, stream: TextIO, redactor: Redactor, color: bool = False) -> None:
        self.stream = stream
        self.redactor = redactor
        self.color = color

    @staticmethod
    def wants_color(stream: TextIO, env: Mapping[str, str]) -> bool:
        """Colour on a TTY unless NO_COLOR is set (https://no-color.org); never in files or pipes."""
        if "NO_COLOR" in env or env.get("TERM") == "dumb":
            return False
        isatty = getattr(stream, "isatty", None)
        return bool(isatty and isatty())

    def emit(self, *lines: str) -> None:
        for line in lines:
            text = self.redactor.redact(line)
            self.stream.write((console.colorize(text) if self.color else text) + "\n")
        self.stream.flush()


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


def default_artifacts(config: GateConfig) -> list[Artifact]:
    artifacts = []
    if config.json is not None:
        artifacts.append(Artifact(config.json, json_report.render))
    if config.junit is not None:
        artifacts.append(Artifact(config.junit, junit.render))
    if config.summary is not None:
        artifacts.append(Artifact(config.summary, summary.render, append=True))
    return artifacts


@contextmanager
def _target(config: GateConfig) -> Iterator[GateConfig]:
    """The config to run against: for sim://<scenario>, a simulator started in-process on a free port."""
    if config.sim_scenario is None:
        yield config
        return
    from gate.simulator import Simulator

    with Simulator(scenario=config.sim_scenario, api_key=config.api_key, model=config.model) as sim:
        yield config.with_base_url(sim.base_url)


def execute(
    config: GateConfig,
    out: Console,
    env: Mapping[str, str],
    *,
    artifacts: Sequence[Artifact] | None = None,
    rng: random.Random | None = None,
) -> tuple[RunReport, ExitCode]:
    """Run the checks, write every artifact through the Redactor, scan them, and decide the exit code."""
    out.redactor.register(config.api_key)
    github = GitHubActions(env, out.stream, out.redactor) if GitHubActions.active(env) else None
    if github is not None:
        github.add_mask(config.api_key)
        github.group(f"cometapi-smoke-gate: {config.environment}")
    out.emit(*console.header(config))
    started = dt.datetime.now(dt.UTC)
    with _target(config) as target:
        ca_bundle = str(config.ca_bundle) if config.ca_bundle else None
        session = new_session(pool_size=min(max(config.samples - 1, 1), MAX_WORKERS), ca_bundle=ca_bundle)
        try:
            ctx = RunContext(config=target, session=session, env=env, rng=rng or random.Random())
            preparing = contract.prepare()  # ~40 ms of import and compile, overlapped with the first request
            results = run_checks(ctx, on_result=lambda r: out.emit(*console.check_line(r)))
            preparing.join()
        finally:
            session.close()
    if github is not None:
        github.end_group()
    latency = ctx.state.get("latency_ms")
    first_exchange = ctx.state.get(FIRST_EXCHANGE)
    if latency is None and first_exchange is not None and first_exchange.ok:
        first = first_exchange.latency_ms
        latency = {"p50": round(first, 1), "p95": round(first, 1), "max": round(first, 1)}
    request_ids = collect_request_ids(results, ctx.state.get("sample_request_ids", []))
    report = _report(config, results, started, latency, request_ids)
    chosen = default_artifacts(config) if artifacts is None else list(artifacts)
    _write_all(report, chosen, out.redactor)
    leaked = [a.path for a in chosen if out.redactor.scan_and_scrub(a.path)]
    if leaked:
        leak = CheckResult(
            "leak-scan",
            Status.FAIL,
            f"the API key was found in {', '.join(map(str, leaked))} and scrubbed",
            failure_class=FailureClass.LEAK,
        )
        report = _report(config, [*results, leak], started, latency, request_ids)
        _write_all(report, [replace(a, write=None) for a in chosen], out.redactor)
        out.emit(*console.check_line(leak))
    out.emit(*console.footer(report))
    for artifact in chosen:
        out.emit(f"  wrote      : {artifact.path}")
    if github is not None:
        github.annotate(report)
        outputs_file = github.write_outputs(report, config.junit, config.json)
        if outputs_file is not None:
            out.redactor.scan_and_scrub(outputs_file)
        github.give_to_workspace_owner([a.path for a in chosen])
    return report, report.verdict.exit_code


def _report(
    config: GateConfig,
    results: Sequence[CheckResult],
    started: dt.datetime,
    latency: dict[str, float] | None,
    request_ids: tuple[str, ...],
) -> RunReport:
    return RunReport(
        config=config,
        results=tuple(results),
        verdict=decide(results, config.mode),
        started_at=started,
        completed_at=dt.datetime.now(dt.UTC),
        latency_ms=latency,
        request_ids=request_ids,
    )


def _write_all(report: RunReport, artifacts: Sequence[Artifact], redactor: Redactor) -> None:
    for artifact in artifacts:
        artifact.save(redactor.redact(artifact.render(report)))
