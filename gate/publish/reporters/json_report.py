"""The machine-readable JSON report (`--json`). Field names are a contract: see README "Outputs"."""

from __future__ import annotations

import json
from typing import Any

from gate import __version__
from gate.checks.results import CheckResult
from gate.config.resolve import RunSettings
from gate.core.text import clean, one_line
from gate.outcome.decision_record import Record, decision_record
from gate.outcome.report import SCHEMA_VERSION, RunReport, TargetReport, public_config
from gate.outcome.verdict import Verdict
from gate.publish.reporters import checks_of

KIND = "json"

STRING_LIMIT = 2000  # a message, an excerpt or a header, after redaction (the JUnit body keeps 8,000)


def _bounded(value: Any) -> Any:
    """Every string cut to STRING_LIMIT, with control characters removed (json escapes what remains)."""
    if isinstance(value, str):
        return clean(value, STRING_LIMIT) if len(value) > STRING_LIMIT else value
    if isinstance(value, dict):
        return {str(k): _bounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_bounded(v) for v in value]
    return value


def _check(result: CheckResult) -> dict[str, Any]:
    return {
        "id": result.id,
        "status": result.status.value,
        "failure_class": result.failure_class.value if result.failure_class else None,
        "message": one_line(result.message, STRING_LIMIT, words=True),
        "next_step": result.next_step,
        "duration_ms": result.duration_ms,
        "warnings": [one_line(w, STRING_LIMIT, words=True) for w in result.warnings],
        "details": _bounded(dict(result.details)),
    }


def _verdict(verdict: Verdict, next_step: str | None) -> dict[str, Any]:
    return {
        "result": verdict.result,
        "decision": verdict.decision,
        "failure_class": verdict.failure_class.value if verdict.failure_class else None,
        "failed_check": verdict.failed_check,
        "next_step": next_step,
        "exit_code": int(verdict.exit_code),
    }


def build_target(target: TargetReport, settings: RunSettings) -> dict[str, Any]:
    latency = target.latency
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "cometapi-smoke-gate", "version": __version__},
        **_verdict(target.verdict, target.first_failure.next_step if target.first_failure else None),
        "warnings": [{"check": check, "message": text} for check, text in target.warnings],
        "environment": target.config.environment,
        "endpoint_host": target.config.endpoint_host,
        "model": target.config.model,
        "started_at": target.started_at.isoformat(),
        "completed_at": target.completed_at.isoformat(),
        "duration_ms": target.duration_ms,
        "latency_ms": latency.as_dict() if latency else None,
        "request_ids": list(target.request_ids),
        "quoted_request_id": target.quoted_request_id,
        "tokens": target.tokens.as_dict(),
        "checks": [_check(r) for r in target.results],
        "decision_record": {
            field.key: value for field, value in decision_record(Record(settings, target, target.verdict))
        },
        "config": public_config(target.config, settings),
        "notices": list(settings.notices),
    }


def _joined(values: list[str]) -> str:
    return ", ".join(dict.fromkeys(values))


def build(run: RunReport) -> dict[str, Any]:
    if not run.several:
        return build_target(run.single(), run.settings)
    targets = [(t.name, build_target(t, run.settings)) for t in run.targets]
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "cometapi-smoke-gate", "version": run.version},
        **_verdict(run.verdict, run.next_step),
        "failed_target": run.verdict.failed_target,
        "environment": _joined([t.config.environment for t in run.targets]),
        "endpoint_host": _joined([t.config.endpoint_host for t in run.targets]),
        "model": _joined([t.config.model for t in run.targets]),
        "started_at": run.started_at.isoformat(),
        "completed_at": run.completed_at.isoformat(),
        "duration_ms": run.duration_ms,
        "latency_ms": None,
        "request_ids": list(run.request_ids),
        "quoted_request_id": run.focus.quoted_request_id,
        "tokens": run.tokens.as_dict(),
        "checks": [
            {**check, "id": f"{name}/{check['id']}", "target": name}
            for name, body in targets
            for check in body["checks"]
        ]
        + [_check(r) for r in run.run_results],
        "targets": [{"name": name, **body} for name, body in targets],
        "notices": list(run.settings.notices),
    }


def render(run: RunReport) -> str:
    # Strict JSON (no NaN: jq, JSON.parse and GitHub's fromJSON reject it); the report was redacted and its
    # non-finite numbers made null before it got here.
    return json.dumps(build(run), indent=2, ensure_ascii=False, default=str, allow_nan=False) + "\n"


def minimal(run: RunReport) -> str:
    """The verdict and each check's id, status and class (the report schema's minimal form)."""
    verdict = run.verdict
    body = {
        "schema_version": SCHEMA_VERSION,
        "result": verdict.result,
        "decision": verdict.decision,
        "failure_class": str(verdict.failure_class) if verdict.failure_class else None,
        "failed_check": verdict.failed_check,
        "exit_code": int(verdict.exit_code),
        "checks": [
            {"id": r.id, "target": name, "status": str(r.status), "failure_class": r.failure_class}
            for name, r in checks_of(run)
        ],
    }
    return json.dumps(body, indent=2, default=str) + "\n"
