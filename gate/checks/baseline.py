"""baseline: compare this run with the JSON report of the last known-good run.

Response-shape drift (fields added or missing in the completion and in stream chunks), a p50 latency
regression over `--max-latency-regression` times the baseline's, and a change of the answering model. Each
is a warning, or a failure with `--fail-on-drift`. The runbook's "compare against the previous known-good",
made mechanical.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from gate.checks import RunContext
from gate.checks.results import CheckResult, Latency, Status
from gate.config.resolve import GateConfig
from gate.core.failures import FailureClass


def _details(report: Mapping[str, Any], check_id: str) -> Mapping[str, Any]:
    checks = report.get("checks")
    for check in checks if isinstance(checks, list) else []:
        if isinstance(check, dict) and check.get("id") == check_id:
            details = check.get("details")
            return details if isinstance(details, dict) else {}
    return {}


def _fields(shape: Any) -> set[str]:
    """The field paths of a shape; anything but a list of strings is no shape (the baseline was validated
    against the report schema, but a comparison must never crash on what a file holds)."""
    return {path for path in shape if isinstance(path, str)} if isinstance(shape, list) else set()


def _finite(value: Any) -> float | None:
    try:
        number = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    except OverflowError:  # an integer too large for a float
        return None
    return number if number is not None and math.isfinite(number) else None


def _shape_drift(kind: str, before: Any, after: Any) -> list[str]:
    old, new = _fields(before), _fields(after)
    if not old or not new:
        return []
    added, missing = sorted(new - old), sorted(old - new)
    findings = []
    if missing:
        findings.append(f"{kind} lost field(s): {', '.join(missing[:8])}")
    if added:
        findings.append(f"{kind} gained field(s): {', '.join(added[:8])}")
    return findings


def compare(
    config: GateConfig,
    baseline: Mapping[str, Any],
    current: Mapping[str, Mapping[str, Any]],
    latency: Latency | None,
) -> list[tuple[FailureClass, str]]:
    """Findings as (class, text): contract for shape and model drift, latency for a regression."""
    findings: list[tuple[FailureClass, str]] = []
    before, after = _details(baseline, "completion"), current.get("completion", {})
    for text in _shape_drift(
        "the completion response", before.get("response_shape"), after.get("response_shape")
    ):
        findings.append((FailureClass.CONTRACT, text))
    stream_before, stream_after = _details(baseline, "stream"), current.get("stream", {})
    for text in _shape_drift(
        "stream chunks", stream_before.get("chunk_shape"), stream_after.get("chunk_shape")
    ):
        findings.append((FailureClass.CONTRACT, text))
    old_model, new_model = before.get("response_model"), after.get("response_model")
    if isinstance(old_model, str) and old_model and new_model and old_model != new_model:
        findings.append(
            (FailureClass.CONTRACT, f"the answering model changed from {old_model} to {new_model}")
        )
    old_latency = baseline.get("latency_ms")
    old_p50 = _finite(old_latency.get("p50")) if isinstance(old_latency, dict) else None
    new_p50 = latency.p50 if latency else None
    if old_p50 is not None and old_p50 > 0 and new_p50 is not None:
        limit = old_p50 * config.max_latency_regression
        if new_p50 > limit:
            findings.append(
                (
                    FailureClass.LATENCY,
                    f"p50 latency {new_p50:.0f} ms is over {config.max_latency_regression:g}x the "
                    f"baseline's {old_p50:.0f} ms",
                )
            )
    return findings


def check_baseline(ctx: RunContext) -> CheckResult:
    config = ctx.config
    baseline = config.baseline_report
    assert baseline is not None, "planned only with --baseline"
    latency = next((r.latency for r in reversed(ctx.state.results) if r.latency), None)
    findings = compare(config, baseline, ctx.state.details(), latency)
    source = f"baseline from {baseline.get('completed_at', 'an earlier run')}"
    details = {"baseline": str(config.baseline), "findings": [text for _, text in findings]}
    if not findings:
        return CheckResult("baseline", Status.PASS, f"no drift against the {source}", 0.0, None, details)
    texts = tuple(text for _, text in findings)
    if config.fail_on_drift:
        return CheckResult("baseline", Status.FAIL, "; ".join(texts), 0.0, findings[0][0], details)
    return CheckResult(
        "baseline",
        Status.WARN,
        f"{len(texts)} drift finding(s) against the {source}",
        0.0,
        None,
        details,
        texts,
        findings[0][0],
    )
