"""`--log-format json`: one JSON object per line for each event of a run, for a log pipeline.

Events: `run_start` (per target), `attempt` (each request sent, retries included), `check` (each check's
result), `notice` (a configuration warning) and `verdict` (the run's, with its `message`: the failed check's
message or a pass line, and its `next_step`). The fields are the runbook's
observability fields under stable names (docs/monitoring.md); everything is redacted like every other
output, and server text is cleaned and cut.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from gate.checks.results import CheckResult
from gate.config.resolve import GateConfig, RunSettings
from gate.core.text import one_line
from gate.outcome.report import RunReport

_BUCKETS = ((500, "<0.5s"), (1000, "0.5-1s"), (2000, "1-2s"), (5000, "2-5s"), (10_000, "5-10s"))


def status_category(status: object) -> str:
    return f"{status // 100}xx" if isinstance(status, int) and 100 <= status < 600 else "none"


def latency_bucket(ms: object) -> str | None:
    if not isinstance(ms, int | float):
        return None
    return next((label for limit, label in _BUCKETS if ms < limit), ">=10s")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def _base(event: str, config: GateConfig, settings: RunSettings, target: str | None) -> dict[str, Any]:
    return {
        "ts": _now(),
        "event": event,
        "environment": config.environment,
        "target": target or "default",
        "model": config.model,
        "api": config.api,
        "endpoint_host": config.endpoint_host,
        "deployment_version": settings.deployment_version,
        "phase": settings.phase,
    }


def run_start(config: GateConfig, settings: RunSettings, target: str | None) -> dict[str, Any]:
    return {**_base("run_start", config, settings, target), "samples": config.samples, "mode": settings.mode}


def check_events(
    result: CheckResult, config: GateConfig, settings: RunSettings, target: str | None
) -> list[dict[str, Any]]:
    """The check's attempts (each request it sent, retries included), then the check itself."""
    events = []
    for attempt in result.attempts:
        elapsed = round(attempt.elapsed_ms, 1)
        events.append(
            {
                **_base("attempt", config, settings, target),
                "check": result.id,
                "attempt": attempt.number,
                "request_id": attempt.request_id,
                "http_status": attempt.status,
                "status_category": status_category(attempt.status),
                "latency_ms": elapsed,
                "latency_bucket": latency_bucket(elapsed),
                "waited_s": round(attempt.waited_s, 3),
                "failure_class": attempt.failure_class,
            }
        )
    events.append(
        {
            **_base("check", config, settings, target),
            "check": result.id,
            "status": result.status.value,
            "failure_class": result.failure_class.value if result.failure_class else None,
            "message": one_line(result.message, 500, words=True),
            "request_id": result.request_ids[-1] if result.request_ids else None,
            "status_category": status_category(result.http_status),
            "latency_ms": result.duration_ms,
            "latency_bucket": latency_bucket(result.duration_ms),
            "retries": result.retries,
            "fallback_used": _rerouted(result),
            "warnings": [one_line(w, 300, words=True) for w in result.warnings],
        }
    )
    return events


def _rerouted(result: CheckResult) -> bool:
    """The gateway answered with another model than the one asked for (its fallback, as the runbook means)."""
    return any("rerouted by the gateway" in w for w in result.warnings)


def notice(text: str) -> dict[str, Any]:
    return {"ts": _now(), "event": "notice", "message": one_line(text, 1000, words=True)}


def verdict_message(run: RunReport) -> str:
    """What the verdict says in one line: the failed check's message (its id and class first), or the pass."""
    failure = run.failure
    if failure is not None:
        return f"{failure.id} [{failure.failure_class}]: {one_line(failure.message, 500, words=True)}"
    if not run.verdict.passed:  # failed without a failing check to name (cannot happen today): say what it is
        return f"failed: {run.verdict.failure_class}"
    checks = sum(len(t.results) for t in run.targets) + len(run.run_results)
    warnings = f" with {run.verdict.warnings} warning(s)" if run.verdict.warnings else ""
    targets = f" across {len(run.targets)} targets" if run.several else ""
    return f"passed{warnings}: {checks} checks{targets}, proceed"


def verdict(run: RunReport) -> dict[str, Any]:
    focus = run.focus
    verdict_ = run.verdict
    latency = focus.latency
    return {
        **_base("verdict", focus.config, run.settings, focus.name),
        "result": verdict_.result.value,
        "decision": verdict_.decision.value,
        "failure_class": verdict_.failure_class.value if verdict_.failure_class else None,
        "failed_check": verdict_.failed_check,
        "failed_target": verdict_.failed_target,
        "message": verdict_message(run),
        "next_step": run.next_step,
        "exit_code": int(verdict_.exit_code),
        "request_id": focus.quoted_request_id,
        "latency_p50_ms": latency.p50 if latency else None,
        "latency_bucket": latency_bucket(latency.p50) if latency else None,
        "tokens": run.tokens.total,
        "duration_ms": run.duration_ms,
        "targets": len(run.targets),
    }
