"""`merge`: the JSON reports of a CI matrix (one job per region, model or runner) as ONE run of several
targets: one verdict and decision, rendered by the same reporters, with the same exit codes.

Each input file is a job, named after its directory (`--name-from dir`: CI artifacts download one directory
per job, named by the workflow) or its file name (`--name-from file`); a several-targets report (a run with
--targets, or an earlier merge) is flattened, its targets named `<job>/<target>`, its run-level checks kept
as `<job>/<check>`. What cannot be trusted fails the merge, never passes silently:

- a file that cannot be read, is not JSON, breaks the report schema or contradicts itself: the job's own
  failed target (class `config`, exit 2), naming the file; every other report still counts;
- a job that --expect / --expect-jobs names but no report came from: a failed target "job X never
  reported" (class `evidence`: the run's record is missing);
- the same file twice, the same run twice (started_at + environment + endpoint host: a report copied or
  downloaded twice would stand in for a job that never reported), two files of one job name, a job not
  expected, or reports of different changes (change id or deployment version) without
  --allow-mixed-changes: a failed run-level check `merge-*` (class `config`, exit 2).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from gate.checks.results import CheckResult
from gate.config.settings import RunSettings
from gate.core.failures import FailureClass, Mode
from gate.outcome.merge_inputs import Job, MergeOptions, failed_check, load_jobs
from gate.outcome.merge_record import merged_settings
from gate.outcome.readback import check_of, target_of
from gate.outcome.report import RunReport, TargetReport
from gate.outcome.verdict import Policy, decide, decide_run


def _unusable(job: Job, mode: Mode, now: dt.datetime) -> TargetReport:
    unusable = failed_check(
        "report",
        FailureClass.CONFIG,
        f"cannot use the report of job {job.name}: {job.problem}",
        "Pass the JSON report (--json) each job wrote, as it wrote it; a report from another tool or "
        "version, or edited by hand, cannot be merged.",
        file=str(job.path),
    )
    return pseudo_target(job.name, unusable, mode, now)


def pseudo_target(name: str | None, failure: CheckResult, mode: Mode, now: dt.datetime) -> TargetReport:
    """A target for a job without a usable report: one failed check, an endpoint nobody knows."""
    from gate.config.resolve import resolve

    config = resolve({"environment": "unknown"}, {}, lenient=True).targets[0].config
    config = replace(config, base_url="", api_root="(no report)", endpoint_host="unknown")
    verdict = decide((failure,), Policy(mode=mode))
    return TargetReport(
        name=name, config=config, results=(failure,), verdict=verdict, started_at=now, completed_at=now
    )


@dataclass(frozen=True)
class _Target:
    """A target of the merged run, the report entry it was read from ({} for a job without one) and its
    file."""

    report: TargetReport
    entry: Mapping[str, Any]
    path: Path | None


@dataclass
class _Merged:
    """What the jobs add up to, as it is built."""

    targets: list[_Target]
    run_results: list[CheckResult]
    notices: list[str]


def _expand(job: Job, mode: Mode, now: dt.datetime, merged: _Merged) -> None:
    """The job's targets (`<job>/<target>` for a several-targets report), its run-level checks, its
    notices."""
    body = job.body
    if body is None:
        merged.targets.append(_Target(_unusable(job, mode, now), {}, job.path))
        return
    entries = [(f"{job.name}/{t['name']}", t) for t in body.get("targets") or []] or [(job.name, body)]
    if "targets" in body:
        merged.run_results += [
            check_of(c, int(body["exit_code"]), check_id=f"{job.name}/{c['id']}")
            for c in body["checks"]
            if "target" not in c
        ]
    merged.targets += [_Target(target_of(name, entry, mode, now), entry, job.path) for name, entry in entries]
    merged.notices += [f"{job.name}: {notice}" for notice in body.get("notices") or []]


def _same_runs(merged: _Merged) -> None:
    """A run given twice (copied into two jobs' artifacts, or a merged report beside one of its jobs'):
    refused, and counted once. A run is its start, environment and endpoint host, and what its checks said
    (so that two jobs an earlier merge found missing, both "started" when it ran, stay two)."""
    first: dict[tuple[object, ...], _Target] = {}
    kept = []
    for target in merged.targets:
        entry = target.entry
        said = tuple(str(check.get("message")) for check in entry.get("checks") or [])
        key = (entry.get("started_at"), entry.get("environment"), entry.get("endpoint_host"), said)
        if not entry or key not in first:
            first.setdefault(key, target)
            kept.append(target)
            continue
        original = first[key]
        merged.run_results.append(
            failed_check(
                "merge-duplicates",
                FailureClass.CONFIG,
                f"{target.report.name} ({target.path}) is the same run as {original.report.name} "
                f"({original.path}): started {key[0]}, environment {key[1]}, endpoint {key[2]}",
                "Each job must upload its own report: a report copied or downloaded twice would stand in for "
                "a job that never reported.",
            )
        )
    merged.targets = kept


def _changes(merged: _Merged, allowed: bool) -> None:
    """Reports of different changes (change id, deployment version): refused unless allowed."""
    described = []
    for key, label in (("change_id", "change id"), ("deployment_version", "deployment version")):
        values: dict[str, list[str]] = {}
        for target in merged.targets:
            value = (target.entry.get("decision_record") or {}).get(key)
            if value:
                values.setdefault(str(value), []).append(target.report.name or "")
        if len(values) > 1:
            described.append(f"{label} " + "; ".join(f"{v} ({', '.join(n)})" for v, n in values.items()))
    if not described:
        return
    text = f"the reports are of different changes: {' / '.join(described)}"
    if allowed:
        merged.notices.append(f"{text} (merged as --allow-mixed-changes asks)")
        return
    merged.run_results.append(
        failed_check(
            "merge-changes",
            FailureClass.CONFIG,
            text,
            "Merge the reports of one change (rerun the jobs that tested another), or pass "
            "--allow-mixed-changes when the difference is intended.",
        )
    )


def _expected(
    jobs: Sequence[Job], options: MergeOptions, merged: _Merged, now: dt.datetime, mode: Mode
) -> None:
    """Every job that should have reported did: a missing one is a failed target of its own (class
    evidence); a job nobody expected is refused (a stale or misnamed report)."""
    present = [job.name for job in jobs]
    reported = ", ".join(present) or "none"
    if options.expect_jobs:
        missing = [name for name in options.expect_jobs if name not in present]
        unexpected = [job for job in jobs if job.name not in options.expect_jobs]
        why, status = (
            "is not in --expect-jobs",
            f"no report given is its (the jobs that reported: {reported})",
        )
    elif options.expect_count is not None:
        count = options.expect_count
        missing = [f"missing-{number}" for number in range(1, max(count - len(jobs), 0) + 1)]
        unexpected = list(jobs[count:])
        why, status = (
            f"is one more than --expect {count}",
            f"{len(jobs)} of {count} jobs reported ({reported})",
        )
    else:
        return
    for name in missing:
        never = failed_check(
            "report",
            FailureClass.EVIDENCE,
            f"job {name} never reported: {status}",
            "Open the job's log: it failed before writing its report, was cancelled or skipped, or its "
            "artifact was not uploaded or downloaded. Run it again; the release cannot proceed without its "
            "record.",
        )
        merged.targets.append(_Target(pseudo_target(name, never, mode, now), {}, None))
    for job in unexpected:
        merged.run_results.append(
            failed_check(
                "merge-jobs",
                FailureClass.CONFIG,
                f"the report of job {job.name} ({job.path}) {why}",
                "List every job of the matrix in --expect-jobs (or count it in --expect), or leave its "
                "report out.",
            )
        )


def merge_reports(
    paths: Sequence[Path], options: MergeOptions, settings: RunSettings, now: dt.datetime | None = None
) -> RunReport:
    """The reports as one run: the failing jobs first (in file order), then the passing ones."""
    now = now or dt.datetime.now(dt.UTC)
    jobs, problems = load_jobs(paths, options.name_from)
    merged = _Merged([], list(problems), [])
    for job in jobs:
        _expand(job, settings.mode, now, merged)
    _same_runs(merged)
    _changes(merged, options.allow_mixed_changes)
    _expected(jobs, options, merged, now, settings.mode)
    bodies = [target.entry for target in merged.targets if target.entry]
    run_settings = merged_settings(settings, bodies, merged.notices, Path(paths[0]))
    targets = sorted((t.report for t in merged.targets), key=lambda t: t.verdict.passed)
    verdict = decide_run([(t.name, t.verdict) for t in targets], merged.run_results, run_settings.policy)
    reported = [t.report for t in merged.targets if t.entry] or targets
    return RunReport(
        settings=run_settings,
        targets=tuple(targets),
        run_results=tuple(merged.run_results),
        verdict=verdict,
        started_at=min(t.started_at for t in reported),
        completed_at=max(t.completed_at for t in reported),
    )


def unstarted_report(failure: CheckResult, settings: RunSettings) -> RunReport:
    """A merge that never read its reports (a bad option, a bug): one failed check, the plain one-target
    shape, as a run whose configuration failed."""
    now = dt.datetime.now(dt.UTC)
    target = pseudo_target(None, failure, settings.mode, now)
    verdict = decide_run([(None, target.verdict)], (), settings.policy)
    return RunReport(
        settings=replace(settings, targets=None),
        targets=(target,),
        run_results=(),
        verdict=verdict,
        started_at=now,
        completed_at=now,
    )
