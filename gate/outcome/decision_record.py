"""The runbook's decision record: every field defined once here, rendered by every reporter from this list.

JSON (`decision_record`, every field, null when unknown) reads `decision_record`; JUnit (testsuite
properties) and the Markdown summary (the "Decision record" table) read `shown_record`: the rows that are
set, or every row when the run asked for the full record (a canary, post-deploy or rollback phase, or a
pre-flight file). A plain run's record is then the run's own facts, without rows reading "—". Adding a field
is one edit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gate.checks.results import ResponseFacts, Status
from gate.config.resolve import RunSettings
from gate.outcome.report import TargetReport
from gate.outcome.verdict import ROLLBACK_PHASES, Verdict

FULL_RECORD_PHASES = ROLLBACK_PHASES | {"rollback"}


@dataclass(frozen=True, eq=False)
class Record:
    """What one field reads: the run's settings, the target's report, and the verdict to record."""

    settings: RunSettings
    target: TargetReport
    verdict: Verdict


@dataclass(frozen=True, eq=False)
class RecordField:
    key: str  # JSON member and JUnit property name
    label: str  # the summary table's row
    value: Callable[[Record], str | None]
    # whether a set value is worth a row when the full record was not asked for (a value that only says
    # "not asked", like the pre-flight items missing of a run that has no checklist, is not)
    relevant: Callable[[Record], bool] = lambda _record: True


def _status_of(target: TargetReport, *check_ids: str) -> str:
    results = [r for r in target.results if r.id in check_ids]
    failing = next((r for r in results if r.status is Status.FAIL), None)
    if failing is not None:
        return f"fail ({failing.failure_class})"
    if not results or all(r.status is Status.SKIP for r in results):
        return "not run"
    return "warn" if any(r.status is Status.WARN for r in results) else "pass"


def parser_result(target: TargetReport) -> str:
    completion = target.result("completion")
    if completion is None or completion.status is Status.SKIP:
        return "not run"
    if completion.failure_class in ("protocol", "contract"):
        return f"fail ({completion.failure_class})"
    if completion.status is Status.FAIL:
        return "not reached (no 2xx body)"
    return "pass (JSON parsed, contract holds)"


def observability_result(target: TargetReport) -> str:
    completion = target.result("completion")
    if completion is None or completion.status is Status.SKIP:
        return "not run"
    parts = ["request id recorded" if target.request_ids else "no request id"]
    if completion.status is not Status.FAIL:
        answer = completion.facts_of(ResponseFacts)
        parts.append("usage recorded" if answer is not None and answer.usage else "usage missing")
        parts.append("latency recorded" if target.latency else "no latency")
    return ", ".join(parts)


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("yes" if value else "no")


def rollback_test_result(record: Record) -> str:
    if record.settings.phase != "rollback":
        return f"not run (phase {record.settings.phase or 'not set'})"
    return (
        "pass: the rolled-back path serves"
        if record.verdict.passed
        else "FAIL: the rollback did not restore service"
    )


def _time(value: object) -> str:
    return value.replace(microsecond=0).isoformat()  # type: ignore[attr-defined]


FIELDS: tuple[RecordField, ...] = (
    RecordField("phase", "phase", lambda r: r.settings.phase),
    RecordField("change_id", "change id", lambda r: r.settings.change_id),
    RecordField("environment", "environment", lambda r: r.target.config.environment),
    RecordField("deployment_version", "deployment version", lambda r: r.settings.deployment_version),
    RecordField("config_version", "config version", lambda r: r.settings.config_version),
    RecordField("endpoint_host", "endpoint host", lambda r: r.target.config.endpoint_host),
    RecordField("model", "model", lambda r: r.target.config.model),
    RecordField(
        "smoke_test_result",
        "smoke test result",
        lambda r: _status_of(r.target, "completion", "output", "samples"),
    ),
    RecordField("parser_result", "parser result", lambda r: parser_result(r.target)),
    RecordField("observability_result", "observability result", lambda r: observability_result(r.target)),
    RecordField("request_ids", "request ids", lambda r: ", ".join(r.target.request_ids) or None),
    RecordField("tokens_spent", "tokens spent", lambda r: str(r.target.tokens.total)),
    RecordField("started", "started", lambda r: _time(r.target.started_at)),
    RecordField("completed", "completed", lambda r: _time(r.target.completed_at)),
    RecordField(
        "rollback_test_result",
        "rollback test result",
        rollback_test_result,
        relevant=lambda r: r.settings.phase == "rollback",
    ),
    RecordField("reviewer", "reviewer", lambda r: r.settings.record.reviewer),
    RecordField("docs_checked", "docs checked", lambda r: _yes_no(r.settings.record.docs_checked)),
    RecordField(
        "endpoint_reference_checked",
        "endpoint reference checked",
        lambda r: _yes_no(r.settings.record.endpoint_reference_checked),
    ),
    RecordField("secret_version", "secret version", lambda r: r.settings.record.secret_version),
    RecordField(
        "preflight_missing",
        "pre-flight missing",
        lambda r: ", ".join(r.settings.preflight.missing) or "none",
        relevant=lambda r: r.settings.preflight.wanted,
    ),
    RecordField("run_url", "CI run", lambda r: r.settings.record.run_url),
    RecordField("actor", "actor", lambda r: r.settings.record.actor),
    RecordField("ref", "ref", lambda r: r.settings.record.ref),
    RecordField("notes", "notes", lambda r: r.settings.record.notes),
    RecordField("decision", "decision", lambda r: r.verdict.decision),
)


def decision_record(record: Record) -> list[tuple[RecordField, str | None]]:
    """Every field and its value (None when unknown): the JSON report's `decision_record`."""
    return [(field, field.value(record)) for field in FIELDS]


def full_record_asked(settings: RunSettings) -> bool:
    """The runbook's phases that act on the record (canary, post-deploy, rollback) and a pre-flight file ask
    for every row, an unset one included (it is then a gap to fill)."""
    return settings.phase in FULL_RECORD_PHASES or settings.preflight.file is not None


def shown_record(record: Record) -> list[tuple[RecordField, str | None]]:
    """The rows a reader sees (summary table, JUnit properties): every row when the full record was asked
    for, else only the set and relevant ones."""
    rows = decision_record(record)
    if full_record_asked(record.settings):
        return rows
    return [(field, value) for field, value in rows if value and field.relevant(record)]
