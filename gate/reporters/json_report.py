"""The machine-readable JSON report (`--json`). Field names are a contract: see README "Outputs"."""

from __future__ import annotations

import json
from typing import Any

from gate.report import SCHEMA_VERSION, RunReport, decision_record, public_config
from gate.results import CheckResult


def _check(result: CheckResult) -> dict[str, Any]:
    return {
        "id": result.id,
        "status": result.status.value,
        "failure_class": result.failure_class.value if result.failure_class else None,
        "message": result.message,
        "next_step": result.next_step,
        "duration_ms": result.duration_ms,
        "warnings": list(result.warnings),
        "details": dict(result.details),
    }


def build(report: RunReport) -> dict[str, Any]:
    verdict = report.verdict
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "cometapi-smoke-gate", "version": report.version},
        "result": verdict.result,
        "decision": verdict.decision,
        "failure_class": verdict.failure_class.value if verdict.failure_class else None,
        "failed_check": verdict.failed_check,
        "next_step": verdict.failure_class.next_step if verdict.failure_class else None,
        "exit_code": int(verdict.exit_code),
        "warnings": [{"check": check, "message": text} for check, text in report.warnings],
        "environment": report.config.environment,
        "endpoint_host": report.config.endpoint_host,
        "model": report.config.model,
        "started_at": report.started_at.isoformat(),
        "completed_at": report.completed_at.isoformat(),
        "duration_ms": report.duration_ms,
        "latency_ms": report.latency_ms,
        "request_ids": list(report.request_ids),
        "checks": [_check(r) for r in report.results],
        "decision_record": decision_record(report.config),
        "config": public_config(report.config),
    }


def render(report: RunReport) -> str:
    return json.dumps(build(report), indent=2, ensure_ascii=False, default=str) + "\n"
