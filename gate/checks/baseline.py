"""baseline: compare this run with the JSON report of the last known-good run.

Response-shape drift (fields added or missing in the completion and in stream chunks), a p50 latency
regression over `--max-latency-regression` times the baseline's that is also at least `--drift-floor-ms`
higher (a rise of a few milliseconds on a millisecond baseline is noise, not drift), and a change of the
answering model. Each
is a warning, or a failure with `--fail-on-drift`. The runbook's "compare against the previous known-good",
made mechanical.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from gate.checks import RunContext
from gate.checks.results import CheckResult, Latency, ResponseFacts, Status, StreamFacts
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
    response: ResponseFacts | None,
    stream: StreamFacts | None,
    latency: Latency | None,
) -> list[tuple[FailureClass, str]]:
    """Findings as (class, text): contract for shape and model drift, latency for a regression. `baseline` is
    the last known-good run's JSON report; the rest is what this run saw."""
    findings: list[tuple[FailureClass, str]] = []
    before = _details(baseline, "completion")
    after_shape = list(response.shape) if response else None
    for text in _shape_drift("the completion response", before.get("response_shape"), after_shape):
        findings.append((FailureClass.CONTRACT, text))
    chunks_before = _details(baseline, "stream").get("chunk_shape")
    for text in _shape_drift("stream chunks", chunks_before, list(stream.shape) if stream else None):
        findings.append((FailureClass.CONTRACT, text))
    old_model, new_model = before.get("response_model"), response.model if response else None
    if isinstance(old_model, str) and old_model and new_model and old_model != new_model:
        findings.append(
            (FailureClass.CONTRACT, f"the answering model changed from {old_model} to {new_model}")
        )
    regression = _latency_regression(config, baseline, latency)
    return findings + ([(FailureClass.LATENCY, regression)] if regression else [])


def _latency_regression(
    config: GateConfig, baseline: Mapping[str, Any], latency: Latency | None
) -> str | None:
    """A p50 over --max-latency-regression times the baseline's and at least --drift-floor-ms above it,
    said in words."""
    old_latency = baseline.get("latency_ms")
    old_p50 = _finite(old_latency.get("p50")) if isinstance(old_latency, dict) else None
    if old_p50 is None or old_p50 <= 0 or latency is None:
        return None
    if not is_latency_regression(old_p50, latency.p50, config.max_latency_regression, config.drift_floor_ms):
        return None
    return (
        f"p50 latency {latency.p50:.0f} ms is over {config.max_latency_regression:g}x the baseline's "
        f"{old_p50:.0f} ms, {latency.p50 - old_p50:.0f} ms higher (floor {config.drift_floor_ms:g} ms)"
    )


def is_latency_regression(old_p50: float, new_p50: float, max_ratio: float, floor_ms: float) -> bool:
    """The rule: over `max_ratio` times the old p50 AND at least `floor_ms` above it in absolute terms."""
    return new_p50 > old_p50 * max_ratio and new_p50 - old_p50 >= floor_ms


def check_baseline(ctx: RunContext) -> CheckResult:
    config = ctx.config
    baseline = config.baseline_report
    assert baseline is not None, "planned only with --baseline"
    latency = next((r.latency for r in reversed(ctx.state.results) if r.latency), None)
    completion, stream = ctx.state.result("completion"), ctx.state.result("stream")
    findings = compare(
        config,
        baseline,
        completion.facts_of(ResponseFacts) if completion else None,
        stream.facts_of(StreamFacts) if stream else None,
        latency,
    )
    source = f"baseline from {baseline.get('completed_at', 'an earlier run')}"
    details = {"baseline": str(config.baseline), "findings": [text for _, text in findings]}
    texts = tuple(text for _, text in findings)
    if not findings:
        status, message = Status.PASS, f"no drift against the {source}"
    elif config.fail_on_drift:
        status, message = Status.FAIL, "; ".join(texts)
    else:
        status, message = Status.WARN, f"{len(texts)} drift finding(s) against the {source}"
    failed = status is Status.FAIL
    return CheckResult(
        id="baseline",
        status=status,
        message=message,
        failure_class=findings[0][0] if failed else None,
        warnings=texts if status is Status.WARN else (),
        warning_class=findings[0][0] if status is Status.WARN else None,
        details=details,
    )
