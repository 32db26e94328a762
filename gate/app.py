"""One gate run from a resolved config to a published report: the flow of docs/design.md, stage by stage.

resolve (config.py) -> for each target: plan and run the checks (runner.py), decide (verdict.py) -> publish
once (publish.py) -> exit code. One target and several take the same path; several run concurrently and
print their logs as blocks, in file order.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import replace
from typing import TypeVar

from gate.checks import RunContext
from gate.checks.results import CheckResult, Status, internal_failure
from gate.checks.runner import Progress, run_checks
from gate.checks.samples import MAX_WORKERS
from gate.config.resolve import ConfigError, GateConfig, RunConfig, RunSettings, Target
from gate.core import contract
from gate.core.failures import FailureClass
from gate.core.interrupt import Interrupted, Signals
from gate.http.client import new_session
from gate.outcome.report import RunReport, TargetReport, run_report, target_report
from gate.publish.github import GitHubActions
from gate.publish.reporters import console_lines as console
from gate.publish.terminal import Console, events_module
from gate.publish.writer import Artifact, default_artifacts, publish

MAX_CONCURRENT_TARGETS = 8
T = TypeVar("T")


@contextmanager
def _live(config: GateConfig) -> Iterator[GateConfig]:
    """The config to run against: for sim://<scenario>, a simulator started in-process on a free port."""
    if config.sim_scenario is None:
        yield config
        return
    from gate.simulator import Simulator

    with Simulator(scenario=config.sim_scenario, api_key=config.api_key, model=config.model) as sim:
        yield config.with_base_url(sim.base_url)


def run_target(
    target: Target,
    settings: RunSettings,
    env: Mapping[str, str],
    out: Console,
    rng: random.Random,
    progress: Progress | None = None,
) -> TargetReport:
    """Plan and run one target's checks, each result printed (redacted first) as it ends."""
    emit, redact = out.emit, out.redactor.redact_deep
    config = target.config
    emit(*console.header(redact(config)))
    out.event(lambda: events_module().run_start(redact(config), settings, target.name))

    def on_result(result: CheckResult) -> None:
        safe = redact(result)  # before any line or event cuts its text
        emit(*console.check_line(safe))
        out.event(lambda: events_module().check_events(safe, redact(config), settings, target.name))

    started = dt.datetime.now(dt.UTC)
    with _live(config) as live:
        ca_bundle = str(config.ca_bundle) if config.ca_bundle else None
        session = new_session(pool_size=min(max(config.samples - 1, 1), MAX_WORKERS), ca_bundle=ca_bundle)
        try:
            ctx = RunContext(
                config=live,
                session=session,
                env=env,
                rng=rng,
                progress=lambda line: emit(f"      {line}"),
                preflight=settings.preflight,
            )
            preparing = contract.prepare()  # ~40 ms of import and compile, overlapped with the first request
            results = run_checks(ctx, on_result=on_result, progress=progress)
            preparing.join()
        finally:
            session.close()
    return target_report(target.name, config, results, started, settings.policy)


def _run_several(
    run: RunConfig, env: Mapping[str, str], out: Console, rng: random.Random, progress: list[Progress]
) -> list[TargetReport]:
    """Every target concurrently; each one's log printed as a block, in file order, ending in its status."""
    seeds = [rng.random() for _ in run.targets]

    def one(item: tuple[Target, float, Progress]) -> tuple[TargetReport, str]:
        target, seed, own = item
        buffer = out.copy(io.StringIO())
        report = run_target(target, run.settings, env, buffer, random.Random(seed), own)
        return report, buffer.stream.getvalue()  # type: ignore[attr-defined]

    workers = min(len(run.targets), MAX_CONCURRENT_TARGETS)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="target") as pool:
        finished = list(pool.map(one, zip(run.targets, seeds, progress, strict=True)))
    for report, log in finished:
        status = console.target_status(out.redactor.redact_deep(report))
        out.block(f"=== target {report.name} ===", log, status)
    return [report for report, _ in finished]


def execute_config_error(
    error: ConfigError, run: RunConfig, out: Console, env: Mapping[str, str]
) -> RunReport:
    """Publish a run that failed its configuration: nothing was sent, every report says class config."""
    failure = CheckResult(
        id="config",
        status=Status.FAIL,
        message=f"configuration error, nothing was sent: {error}",
        failure_class=FailureClass.CONFIG,
        details={"option": error.option, "source": error.source or None, "problem": error.problem},
        hint=f"Fix --{error.option}: {error.fix}.",
    )
    return execute_unstarted(failure, run, out, env)


def execute_interrupted_early(
    stop: Interrupted, run: RunConfig, out: Console, env: Mapping[str, str]
) -> RunReport:
    """Publish a run interrupted before its checks started (while the configuration was read)."""
    failure = Progress().cut_short(stop.name, stop.exit_code)[0]
    return execute_unstarted(failure, run, out, env)


def execute_unstarted(
    failure: CheckResult, run: RunConfig, out: Console, env: Mapping[str, str]
) -> RunReport:
    """Publish a run that never reached its checks: one failed config check, nothing sent."""
    github = GitHubActions(env, out.stream, out.redactor) if GitHubActions.active(env) else None
    settings = replace(run.settings, targets=None)
    started = dt.datetime.now(dt.UTC)
    target = target_report(None, run.targets[0].config, [failure], started, settings.policy)
    report = run_report(settings, [target], (), started)
    return publish(report, default_artifacts(settings), out, github)


def execute(
    run: RunConfig,
    out: Console,
    env: Mapping[str, str],
    *,
    artifacts: Sequence[Artifact] | None = None,
    rng: random.Random | None = None,
    signals: Signals | None = None,
) -> RunReport:
    """Run every target, then publish every artifact through the Redactor; the report carries the verdict.
    SIGINT/SIGTERM (with `signals` installed) end the checks: what ran is reported, the rest skipped."""
    github = _announce(run, out, env)
    started = dt.datetime.now(dt.UTC)
    reports = _run_targets(run, out, env, rng or random.Random(), started)
    with signals.hold() if signals is not None else nullcontext():
        if github is not None:
            github.end_group()
        report = run_report(run.settings, reports, (), started)
        chosen = default_artifacts(run.settings) if artifacts is None else list(artifacts)
        return publish(report, chosen, out, github)


def _announce(run: RunConfig, out: Console, env: Mapping[str, str]) -> GitHubActions | None:
    """Before the first check: every key masked (the Redactor, and GitHub's log masking), the targets
    named, the log group opened on GitHub, and the configuration's own warnings printed."""
    for target in run.targets:
        for secret in target.config.secrets:
            out.redactor.register(secret)
    github = GitHubActions(env, out.stream, out.redactor) if GitHubActions.active(env) else None
    if github is not None:
        for target in run.targets:
            for secret in target.config.secrets:
                github.add_mask(secret)
    if run.several:
        names = ", ".join(t.name or "" for t in run.targets)
        out.emit(f"cometapi-smoke-gate: {len(run.targets)} targets: {names}")
    if github is not None:
        title = "targets" if run.several else run.targets[0].config.environment
        github.group(f"cometapi-smoke-gate: {title}")
    out.emit(*(f"warning: {notice}" for notice in run.settings.notices))
    out.event(lambda: [events_module().notice(notice) for notice in run.settings.notices])
    return github


def _run_targets(
    run: RunConfig, out: Console, env: Mapping[str, str], rng: random.Random, started: dt.datetime
) -> list[TargetReport]:
    """Every target's report: run to the end, cut short by a signal, or failed by a bug outside any check."""
    progress = [Progress() for _ in run.targets]
    worker_out = out.copy()  # muted once interrupted: nothing the abandoned checks print follows the verdict

    def work() -> list[TargetReport]:
        if run.several:
            return _run_several(run, env, worker_out, rng, progress)
        return [run_target(run.targets[0], run.settings, env, worker_out, rng, progress[0])]

    try:
        return _on_worker(work)
    except Interrupted as stop:  # the checks under way are abandoned; every report says so
        worker_out.muted = True
        return _cut_short(run, progress, stop, out)
    except Exception:  # a bug outside any check (each check has its own boundary): still every report
        failure = internal_failure("run", traceback.format_exc(limit=30))
        out.emit(*console.check_line(out.redactor.redact_deep(failure)))
        return [target_report(t.name, t.config, [failure], started, run.settings.policy) for t in run.targets]


def _on_worker(work: Callable[[], T]) -> T:
    """`work()` on a daemon thread while the main thread waits in short steps. The kernel hands a signal to
    any thread; a main thread blocked in a socket read would not see one that landed elsewhere until the
    read ended, so the main thread only waits, and handles SIGINT/SIGTERM within a tenth of a second. An
    abandoned worker never delays the exit."""
    outcome: list[tuple[bool, object]] = []

    def target() -> None:
        try:
            outcome.append((True, work()))
        except BaseException as exc:  # handed to the main thread as it is
            outcome.append((False, exc))

    thread = threading.Thread(target=target, name="gate-run", daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(0.1)
    done, value = outcome[0]
    if not done:
        raise value  # type: ignore[misc]
    return value  # type: ignore[return-value]


def _cut_short(
    run: RunConfig, progress: list[Progress], stop: Interrupted, out: Console
) -> list[TargetReport]:
    """Each target's report as far as it got: the check under way interrupted, the rest skipped."""
    out.emit(
        "", f"interrupted by {stop.name}: writing the reports of what ran, then exiting {stop.exit_code}"
    )
    reports = []
    for target, own in zip(run.targets, progress, strict=True):
        results = own.cut_short(stop.name, stop.exit_code)
        stopped = next(r for r in results if r.failure_class is FailureClass.INTERRUPTED)
        out.emit(*console.check_line(out.redactor.redact_deep(stopped)))
        reports.append(target_report(target.name, target.config, results, own.started, run.settings.policy))
    return reports
