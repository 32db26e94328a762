"""The merge's inputs: its options, and its files, each one a job, read with limits, validated and named.

A file is read as every input file is (gate/config/input_files.py: a regular file, never through a link out
of the checkout, strict UTF-8, finite numbers, bounded depth), up to REPORT_MAX_BYTES, and validated against
the report schema (gate/core/contract/report.schema.json), as --baseline is. One that cannot be used is kept
as a job with its problem (the merge reports it, class config), never dropped. Each file is a job, named
after its directory or its file name; a file given twice is read once, and a second file of one job name is
refused and renamed `name~2` so both stay in the record.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from gate.checks.results import CheckResult, Status
from gate.config.baseline_file import BaselineError, read_report_file
from gate.config.inputs import ConfigError
from gate.core.failures import FailureClass
from gate.core.text import one_line

REPORT_MAX_BYTES = 8 * 1_048_576  # a report is a few KB a target; a merge of a large matrix stays far below
NAME_FROM = ("dir", "file")
MAX_EXPECTED = 1000


@dataclass(frozen=True)
class MergeOptions:
    expect_count: int | None = None
    expect_jobs: tuple[str, ...] = ()
    name_from: str = "dir"
    allow_mixed_changes: bool = False


@dataclass(frozen=True)
class Job:
    """One input file: its job's name, and the report, or why it cannot be used."""

    path: Path
    name: str
    body: Mapping[str, Any] | None
    problem: str | None = None


class BadReport(ValueError):
    """A report that cannot be used."""


def merge_options(
    expect: str | None, expect_jobs: str | None, name_from: str | None, allow_mixed_changes: bool
) -> MergeOptions:
    """The options, checked; a bad one is a ConfigError (exit 2, every report written)."""
    count = None
    text = (expect or "").strip()
    if text:
        if not re.fullmatch(r"[0-9]{1,4}", text) or not 1 <= int(text) <= MAX_EXPECTED:
            raise ConfigError("expect", f"'{one_line(text, 40)}' is not a number of jobs", "give 1 to 1000")
        count = int(text)
    jobs = tuple(dict.fromkeys(n for n in re.split(r"[,\s]+", expect_jobs or "") if n))
    if count is not None and jobs and count != len(jobs):
        raise ConfigError(
            "expect", f"{count} jobs expected, but --expect-jobs names {len(jobs)}", "give one of the two"
        )
    name_from = (name_from or "dir").strip().lower()
    if name_from not in NAME_FROM:
        raise ConfigError(
            "name-from", f"'{one_line(name_from, 40)}' is not one of dir, file", "use dir or file"
        )
    return MergeOptions(count, jobs, name_from, allow_mixed_changes)


def read_report(path: Path) -> dict[str, Any]:
    """The report, read with the input-file limits and valid against the report schema."""
    try:
        data = read_report_file(path, REPORT_MAX_BYTES)
    except BaselineError as exc:
        raise BadReport(str(exc)) from None
    for body in data.get("targets") or [data]:
        if body["result"] == "fail" and not any(c["status"] == "fail" for c in body["checks"]):
            raise BadReport(f"{path} says result fail, but none of its checks failed")
    return data


def job_name(path: Path, name_from: str) -> str:
    """The job a file speaks for: its directory's name (one artifact directory per job), or its file name."""
    absolute = Path(os.path.abspath(path))
    name = absolute.parent.name if name_from == "dir" else absolute.stem
    return one_line(name, 100) or "report"


def failed_check(
    check_id: str, failure: FailureClass, message: str, hint: str, **details: Any
) -> CheckResult:
    return CheckResult(
        id=check_id,
        status=Status.FAIL,
        message=message,
        failure_class=failure,
        hint=hint,
        details=details,
    )


def load_jobs(paths: Sequence[Path], name_from: str) -> tuple[list[Job], list[CheckResult]]:
    """Every file once, each job's name unique (a clash is refused, the later file renamed `name~2`)."""
    jobs: list[Job] = []
    problems: list[CheckResult] = []
    first_of: dict[str, Path] = {}
    for path in paths:
        real = os.path.realpath(path)
        if real in first_of:
            problems.append(
                failed_check(
                    "merge-duplicates",
                    FailureClass.CONFIG,
                    f"{path} was given twice (also as {first_of[real]})",
                    "Pass each job's report once.",
                    file=str(path),
                )
            )
            continue
        first_of[real] = path
        name = job_name(path, name_from)
        try:
            jobs.append(Job(path, name, read_report(path)))
        except BadReport as exc:
            jobs.append(Job(path, name, None, str(exc)))
    return _unique(jobs, problems, name_from)


def _unique(
    jobs: list[Job], problems: list[CheckResult], name_from: str
) -> tuple[list[Job], list[CheckResult]]:
    seen: dict[str, Job] = {}
    for job in jobs:
        name, number = job.name, 1
        while name in seen:
            number += 1
            name = f"{job.name}~{number}"
        if number > 1:
            problems.append(_clash(job, seen[job.name], name_from))
        seen[name] = replace(job, name=name)
    return list(seen.values()), problems


def _clash(job: Job, first: Job, name_from: str) -> CheckResult:
    other = "file" if name_from == "dir" else "dir"
    return failed_check(
        "merge-names",
        FailureClass.CONFIG,
        f"{job.path} and {first.path} are both job '{job.name}' (--name-from {name_from})",
        f"Keep one directory per job (one CI artifact each), or name the jobs by --name-from {other}.",
        file=str(job.path),
    )
