"""The Markdown job summary (`--summary`, default `$GITHUB_STEP_SUMMARY`): what a reviewer reads on a PR.

Verdict first, then the checks, latency and request ids, the runbook's decision record and, on failure,
what to check next. Every value is escaped for a table cell and cut, so the summary stays small and renders
as intended whatever the server sends.
"""

from __future__ import annotations

from gate.report import RunReport
from gate.reporters.text import one_line
from gate.results import CheckResult, Status

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
    return one_line(str(value), limit).translate(_ESCAPES) or "—"


def code(value: object, limit: int = 120) -> str:
    text = one_line(str(value), limit).replace("`", "'").replace("|", "¦")
    return f"`{text}`" if text else "—"


def verdict_line(report: RunReport) -> str:
    verdict = report.verdict
    env = cell(report.config.environment, 60)
    if not verdict.passed:
        return (
            f"## ❌ Smoke gate: hold ({env}), failure class `{verdict.failure_class}` "
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


def _status_of(report: RunReport, *check_ids: str) -> str:
    results = [r for r in report.results if r.id in check_ids]
    if not results:
        return "not run"
    worst = next((r for r in results if r.status is Status.FAIL), None)
    if worst is not None:
        return f"fail ({worst.failure_class})"
    if all(r.status is Status.SKIP for r in results):
        return "not run"
    return "warn" if any(r.status is Status.WARN for r in results) else "pass"


def _parser_result(report: RunReport) -> str:
    completion = next((r for r in report.results if r.id == "completion"), None)
    if completion is None or completion.status is Status.SKIP:
        return "not run"
    if completion.failure_class in ("protocol", "contract"):
        return f"fail ({completion.failure_class})"
    if completion.status is Status.FAIL:
        return "not reached (no 2xx body)"
    return "pass (JSON parsed, contract holds)"


def _observability_result(report: RunReport) -> str:
    completion = next((r for r in report.results if r.id == "completion"), None)
    if completion is None or completion.status in (Status.SKIP,):
        return "not run"
    parts = ["request id recorded" if report.request_ids else "no request id"]
    if completion.status is not Status.FAIL:
        parts.append("usage recorded" if completion.details.get("usage") else "usage missing")
        parts.append("latency recorded" if report.latency_ms else "no latency")
    return ", ".join(parts)


def _decision_record(report: RunReport) -> list[str]:
    config = report.config
    rows = [
        ("phase", config.phase or "—"),
        ("change id", config.change_id or "—"),
        ("environment", config.environment),
        ("deployment version", config.deployment_version or "—"),
        ("config version", config.config_version or "—"),
        ("endpoint host", config.endpoint_host),
        ("model", config.model),
        ("smoke test result", _status_of(report, "completion", "output", "samples")),
        ("parser result", _parser_result(report)),
        ("observability result", _observability_result(report)),
        ("started", report.started_at.replace(microsecond=0).isoformat()),
        ("completed", report.completed_at.replace(microsecond=0).isoformat()),
        ("decision", f"{report.verdict.decision} ({report.verdict.result})"),
    ]
    lines = ["### Decision record", "", "| field | value |", "|---|---|"]
    lines += [f"| {name} | {cell(value)} |" for name, value in rows]
    return lines


def render(report: RunReport) -> str:
    lines = [verdict_line(report), ""]
    verdict = report.verdict
    if not verdict.passed and verdict.failure_class is not None:
        failed = report.first_failure
        lines += [
            f"**{cell(verdict.failure_class.info.title)}**: {cell(failed.message if failed else '', 500)}",
            "",
        ]
    lines += _checks_table(report.results)
    lines.append("")
    if report.latency_ms:
        lat = report.latency_ms
        lines.append(
            f"**Latency**: p50 {lat['p50']:.0f} ms · p95 {lat['p95']:.0f} ms · max {lat['max']:.0f} ms"
        )
        lines.append("")
    if report.request_ids:
        lines.append("**Request ids**: " + ", ".join(code(r) for r in report.request_ids[:10]))
        lines.append("")
    if not verdict.passed and verdict.failure_class is not None:
        failure = verdict.failure_class
        lines += [
            "### What to check next",
            "",
            f"- **`{failure}`** ({cell(failure.info.title)}): {cell(failure.next_step, 600)}",
        ]
        if report.request_ids:
            lines.append(f"- Quote request id {code(report.request_ids[0])} to the provider.")
        lines.append("")
    if report.warnings:
        lines += ["### Warnings", ""]
        lines += [f"- {cell(check)}: {cell(text)}" for check, text in report.warnings[:20]]
        lines.append("")
    negatives = [r for r in report.results if r.id.startswith("negative-") and r.status is not Status.SKIP]
    if negatives:
        note = "Negative tests send deliberately invalid requests: run them in staging or scheduled jobs."
        if report.config.environment.lower() in ("production", "prod"):
            note += " **These ran against production.**"
        lines += [f"> {note}", ""]
    if report.config.phase == "rollback":
        lines += ["> Rollback verification: the same smoke test, run again against the rolled-back path.", ""]
    lines += _decision_record(report)
    lines.append("")
    return fit("\n".join(lines) + "\n")


def fit(text: str) -> str:
    """Cut a summary to MAX_BYTES on a line boundary, saying so."""
    data = text.encode("utf-8")
    if len(data) <= MAX_BYTES:
        return text
    cut = data[: MAX_BYTES - 200].decode("utf-8", "ignore")
    return cut.rsplit("\n", 1)[0] + "\n\n_(summary cut to stay under the size limit; see the JSON report)_\n"
