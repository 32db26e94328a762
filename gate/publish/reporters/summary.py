"""The Markdown job summary (`--summary`, default `$GITHUB_STEP_SUMMARY`): what a reviewer reads on a PR.

Verdict first, then the checks, the condition, latency and request ids, on failure what to check next, and
the runbook's rollback plan and decision record only as far as they are set or the run asked for them (a
phase or a pre-flight file): a plain run's summary carries no empty rows. With several targets, a table of
every target comes first, then the failing targets' sections, then the passing ones. Every value is
escaped for a table cell and cut at a word boundary, so the summary stays small and renders as intended
whatever the server sends.
"""

from __future__ import annotations

from gate.checks.results import CheckResult, Status
from gate.config.resolve import RunSettings
from gate.core.text import one_line
from gate.outcome.decision_record import Record, shown_record
from gate.outcome.report import RunReport, TargetReport, condition_text
from gate.outcome.verdict import Decision
from gate.publish.reporters import checks_of
from gate.publish.reporters.console_lines import tokens_line

KIND = "summary"

MAX_BYTES = 60 * 1024  # GitHub's limit is 1 MiB per step; stay far below it
CELL_LIMIT = 300
_ICON = {Status.PASS: "✅ pass", Status.WARN: "⚠️ warn", Status.FAIL: "❌ fail", Status.SKIP: "⏭️ skip"}
_ESCAPES = str.maketrans(
    {
        "|": "\\|",
        "<": "&lt;",
        ">": "&gt;",
        "`": "'",
        "*": "\\*",
        "_": "\\_",
        "[": "\\[",
        "]": "\\]",
        "&": "&amp;",
    }
)


def cell(value: object, limit: int = CELL_LIMIT) -> str:
    """One table cell: one line, cut, with Markdown and HTML metacharacters escaped."""
    return one_line(str(value), limit, words=True).translate(_ESCAPES) or "—"


def code(value: object, limit: int = 120) -> str:
    text = one_line(str(value), limit, words=True).replace("`", "'").replace("|", "¦")
    return f"`{text}`" if text else "—"


def verdict_line(target: TargetReport) -> str:
    verdict = target.verdict
    env = cell(target.config.environment, 60)
    if target.config.api != "chat":  # the default API is not named: a chat run's header is as before --api
        env = f"{env}, {target.config.api} API"
    if not verdict.passed:
        return (
            f"## ❌ Smoke gate: {verdict.decision} ({env}), failure class `{verdict.failure_class}` "
            f"in check `{verdict.failed_check}`"
        )
    if verdict.warnings:
        return f"## ⚠️ Smoke gate: proceed with {verdict.warnings} warning(s) ({env})"
    return f"## ✅ Smoke gate: proceed ({env})"


def _checks_table(results: tuple[CheckResult, ...]) -> list[str]:
    rows = ["| check | status | duration | detail |", "|---|---|---|---|"]
    for result in results:
        detail = result.message
        if result.failure_class:
            detail = f"[{result.failure_class}] {detail}"
        if result.warnings:
            detail += " — warning: " + "; ".join(result.warnings)
        duration = "—" if result.status is Status.SKIP else f"{result.duration_ms:.0f} ms"
        rows.append(f"| {result.id} | {_ICON[result.status]} | {duration} | {cell(detail)} |")
    return rows


def _rollback_plan(settings: RunSettings) -> list[str]:
    """The pre-flight items, where the on-call engineer finds them: on the job page. Only when the run has a
    checklist (a file, an item, --require-preflight) or its phase needs a rollback plan."""
    preflight = settings.preflight
    if not preflight.wanted:
        return []
    lines = ["### Rollback plan", "", "| item | value |", "|---|---|"]
    lines += [f"| {label} | {cell(value)} |" for label, value in preflight.given]
    if preflight.missing:
        lines.append(f"| **missing** | {cell(', '.join(preflight.missing))} |")
    return [*lines, ""]


def _decision_record(target: TargetReport, settings: RunSettings) -> list[str]:
    """The set rows; every row (an unset one as "—") when the run asked for the full record."""
    rows = shown_record(Record(settings, target, target.verdict))
    if not rows:
        return []
    lines = ["### Decision record", "", "| field | value |", "|---|---|"]
    return [*lines, *(f"| {field.label} | {cell(value) if value else '—'} |" for field, value in rows)]


def render_target(target: TargetReport, settings: RunSettings) -> str:
    lines = [verdict_line(target), "", *_failure_line(target), *_checks_table(target.results), ""]
    lines += _measured(target)
    lines += _next_steps(target)
    lines += _warnings(target)
    lines += _negative_note(target)
    lines += _phase_note(target, settings)
    lines += _notices(settings)
    lines += _rollback_plan(settings)
    lines += _decision_record(target, settings)
    lines.append("")
    return "\n".join(lines) + "\n"


def _failure_line(target: TargetReport) -> list[str]:
    verdict, failed = target.verdict, target.first_failure
    if verdict.passed or verdict.failure_class is None:
        return []
    title = cell(verdict.failure_class.info.title)
    return [f"**{title}**: {cell(failed.message if failed else '', 500)}", ""]


def _measured(target: TargetReport) -> list[str]:
    """Latency, request ids and the tokens the gate spent."""
    lines = [f"**Condition**: {cell(condition_text(target.config))}", ""]
    if target.latency:
        lines += [f"**Latency**: {cell(target.latency.text())}", ""]
    if target.request_ids:
        lines += ["**Request ids**: " + ", ".join(code(r) for r in target.request_ids[:10]), ""]
    if target.tokens.total:
        lines += [f"**Tokens spent by the gate**: {cell(tokens_line(target.tokens))}", ""]
    return lines


def _next_steps(target: TargetReport) -> list[str]:
    verdict, failed = target.verdict, target.first_failure
    failure = verdict.failure_class
    if verdict.passed or failure is None:
        return []
    lines = [
        "### What to check next",
        "",
        f"- **`{failure}`** ({cell(failure.info.title)}): "
        + cell(failed.next_step if failed else failure.next_step, 600),
    ]
    if target.quoted_request_id:
        lines.append(f"- Quote request id {code(target.quoted_request_id)} to support.")
    return [*lines, ""]


def _warnings(target: TargetReport) -> list[str]:
    if not target.warnings:
        return []
    lines = ["### Warnings", ""]
    lines += [f"- {cell(check)}: {cell(text)}" for check, text in target.warnings[:20]]
    return [*lines, ""]


def _negative_note(target: TargetReport) -> list[str]:
    negatives = [r for r in target.results if r.id.startswith("negative-") and r.status is not Status.SKIP]
    if not negatives:
        return []
    note = "Negative tests send deliberately invalid requests: run them in staging or scheduled jobs."
    if target.config.environment.lower() in ("production", "prod"):
        note += " **These ran against production.**"
    return [f"> {note}", ""]


def _phase_note(target: TargetReport, settings: RunSettings) -> list[str]:
    """The rollback verification's result, or the call to roll back."""
    verdict = target.verdict
    if settings.phase == "rollback" and verdict.passed:
        return ["> Rollback verification passed: the same smoke test, against the rolled-back path.", ""]
    if settings.phase == "rollback":
        return [
            "> **The rollback did not restore service**: the same smoke test fails against the "
            "rolled-back path too. Escalate.",
            "",
        ]
    if verdict.decision is Decision.ROLLBACK:
        return [
            f"> **Roll back**: `{verdict.failure_class}` is a rollback trigger in the {cell(settings.phase)} "
            "phase (--rollback-on).",
            "",
        ]
    return []


def _notices(settings: RunSettings) -> list[str]:
    if not settings.notices:
        return []
    return ["### Configuration notices", "", *(f"- {cell(notice, 600)}" for notice in settings.notices), ""]


def _run_heading(run: RunReport) -> str:
    count = len(run.targets)
    failing = [cell(t.name or "", 64) for t in run.targets if not t.verdict.passed]
    if failing:
        decision = run.verdict.decision
        return (
            f"## ❌ Smoke gate: {decision}, {len(failing)} of {count} targets failed ({', '.join(failing)})"
        )
    if not run.verdict.passed:
        return f"## ❌ Smoke gate: {run.verdict.decision}, failure class `{run.verdict.failure_class}`"
    return f"## ✅ Smoke gate: proceed, all {count} targets passed"


def _target_row(target: TargetReport) -> str:
    """One target in one line: its result, where it runs, what failed, its latency and the id to quote."""
    verdict = target.verdict
    if not verdict.passed:
        result = f"❌ {verdict.decision}"
        failed = f"{cell(verdict.failed_check, 40)} (`{verdict.failure_class}`)"
    else:
        result = f"⚠️ proceed, {verdict.warnings} warning(s)" if verdict.warnings else "✅ proceed"
        failed = "—"
    latency = f"{target.latency.p50:.0f} ms" if target.latency else "—"
    quoted = code(target.quoted_request_id, 80) if target.quoted_request_id else "—"
    name, env = cell(target.name or "", 64), cell(target.config.environment, 40)
    return (
        f"| {name} | {result} | {env} | {cell(target.config.model, 60)} | {failed} | {latency} | {quoted} |"
    )


def _targets_table(run: RunReport) -> list[str]:
    rows = [
        "| target | result | environment | model | failed check | p50 | request id |",
        "|---|---|---|---|---|---|---|",
    ]
    return [*rows, *(_target_row(t) for t in run.targets), ""]


def render(run: RunReport) -> str:
    """One target's summary; or, for several, a heading for the run, a one-line-per-target table, the
    run-level failures, then one section per target (headings demoted), the failing targets first."""
    if not run.several:
        return fit(render_target(run.single(), run.settings))
    sections = [_run_heading(run), "", *_targets_table(run)]
    for result in (r for r in run.run_results if r.failed):
        sections += [f"**{cell(result.id)}** `{result.failure_class}`: {cell(result.message, 500)}", ""]
    ordered = sorted(run.targets, key=lambda t: t.verdict.passed)  # stable: file order within each group
    for target in ordered:
        text = render_target(target, run.settings)
        demoted = "\n".join(("#" + line if line.startswith("##") else line) for line in text.splitlines())
        sections += [f"### Target `{cell(target.name or '', 64)}`", "", demoted, ""]
    return fit("\n".join(sections) + "\n")


def fit(text: str) -> str:
    """Cut a summary to MAX_BYTES on a line boundary, saying so."""
    data = text.encode("utf-8")
    if len(data) <= MAX_BYTES:
        return text
    cut = data[: MAX_BYTES - 200].decode("utf-8", "ignore")
    return cut.rsplit("\n", 1)[0] + "\n\n_(summary cut to stay under the size limit; see the JSON report)_\n"


def minimal(run: RunReport) -> str:
    """The decision, the result and the class, then each check's id, status and class."""
    verdict = run.verdict
    lines = [f"## Smoke gate: {verdict.decision} ({verdict.result}, class `{verdict.failure_class}`)", ""]
    lines += [f"- {r.id}: {r.status} {r.failure_class or ''}".rstrip() for _, r in checks_of(run)]
    return "\n".join(lines) + "\n"
