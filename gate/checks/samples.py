"""samples: N positive requests in all (the completion request was the first), the rest concurrent."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from gate.checks import RunContext, elapsed_ms
from gate.checks.answer import assert_output, retry_warning
from gate.checks.exchange import Exchange, exchange
from gate.checks.results import CheckResult, Latency, SampleStats, Status, Tokens
from gate.config.resolve import GateConfig
from gate.core.failures import FailureClass

# --samples 10 (the first alone, then 9 at once) takes two latency rounds, not three.
MAX_WORKERS = 10


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation: a reported p95 is a latency that happened)."""
    ordered = sorted(values)
    rank = max(math.ceil(pct / 100 * len(ordered)), 1)
    return ordered[rank - 1]


def latency_summary(values: Sequence[float]) -> Latency | None:
    if not values:
        return None
    return Latency(
        p50=round(percentile(values, 50), 1), p95=round(percentile(values, 95), 1), max=round(max(values), 1)
    )


Warning = tuple[FailureClass, str]  # a warning and the class it fails with under --fail-on-warn


def check_samples(ctx: RunContext) -> CheckResult:
    config = ctx.config
    first = ctx.state.first_exchange
    assert first is not None, "samples runs only after completion passed"
    started = time.monotonic()
    others = _send_others(ctx)
    exchanges = [first, *others]
    failures = _failures(config, exchanges)
    stats = SampleStats(
        samples=len(exchanges),
        succeeded=len(exchanges) - len(failures),
        min_success_rate=config.min_success_rate,
    )
    summary = _latency(exchanges)
    status, message, failure, warnings = _judge(
        config, stats, failures, summary, retry_warning("samples", others)
    )
    details = {  # display: `retries` counts the first sample's too, `attempts` leaves them to completion
        "samples": stats.samples,
        "succeeded": stats.succeeded,
        "success_rate": round(stats.success_rate, 4),
        "min_success_rate": stats.min_success_rate,
        "latency_ms": summary.as_dict() if summary else None,
        "retries": sum(ex.retried for ex in exchanges),
        "attempts": sum(len(ex.attempts) for ex in others),
    }
    return CheckResult(
        id="samples",
        status=status,
        message=message,
        duration_ms=elapsed_ms(started),
        failure_class=failure,
        warnings=tuple(text for _, text in warnings),
        warning_class=warnings[0][0] if warnings else None,
        latency=summary,
        request_ids=tuple(dict.fromkeys(rid for ex in exchanges for rid in ex.request_ids)),
        tokens=sum((Tokens.of(ex.usage) for ex in others), Tokens()),  # the first is the completion's
        attempts=tuple(attempt for ex in others for attempt in ex.attempts),  # the first's: completion's
        facts=stats,
        details=details,
    )


def _send_others(ctx: RunContext) -> list[Exchange]:
    """Samples 2..N, concurrently on the session's keep-alive pool, each with its own seeded jitter."""
    config = ctx.config
    seeds = [ctx.rng.random() for _ in range(config.samples - 1)]
    if not seeds:
        return []

    def sample(item: tuple[int, float]) -> Exchange:
        number, seed = item
        request_file = config.request_file
        return exchange(
            config,
            ctx.session,
            body=request_file.body if request_file else None,
            fields=ctx.state.request_fields,
            rng=random.Random(seed),
            sleep=ctx.sleep,
            progress=ctx.progress,
            label=f"sample {number}",
        )

    with ThreadPoolExecutor(max_workers=min(len(seeds), MAX_WORKERS), thread_name_prefix="sample") as pool:
        return list(pool.map(sample, enumerate(seeds, start=2)))


def _failures(config: GateConfig, exchanges: Sequence[Exchange]) -> list[Warning]:
    """(class, message) of each sample that failed or whose answer does not meet the condition."""
    failures: list[Warning] = []
    for number, ex in enumerate(exchanges, start=1):
        failure, message = (ex.failure, ex.message) if not ex.ok else assert_output(config, ex)
        if failure is not None:
            failures.append((failure, f"sample {number}: {message}"))
    return failures


def _latency(exchanges: Sequence[Exchange]) -> Latency | None:
    """The successful samples' latency; with the figures including retries and waits when some retried."""
    ok = [ex for ex in exchanges if ex.ok]
    summary = latency_summary([ex.latency_ms for ex in ok if ex.latency_ms is not None])
    with_retries = latency_summary([ex.total_ms for ex in ok if ex.total_ms is not None])
    if summary is not None and with_retries is not None and any(ex.retried for ex in ok):
        return replace(summary, with_retries=with_retries)
    return summary


def _judge(
    config: GateConfig,
    stats: SampleStats,
    failures: list[Warning],
    summary: Latency | None,
    flaky: Warning | None,
) -> tuple[Status, str, FailureClass | None, list[Warning]]:
    """(status, message, failure class, warnings): too few successes fail, then a p95 over the budget; failed
    samples the success rate accepts, retries and a p95 over the warning level are warnings, in that order
    (the first one's class is the check's warning class)."""
    counts = f"{stats.succeeded}/{stats.samples} succeeded"
    warnings = [flaky] if flaky is not None else []
    if failures and stats.success_rate < config.min_success_rate:
        failure, message = failures[0]
        threshold = (
            f" (under --min-success-rate {config.min_success_rate:g})" if config.min_success_rate < 1 else ""
        )
        return Status.FAIL, f"{counts}{threshold}; {message}", failure, warnings
    if failures:
        accepted = (
            f"{len(failures)} of {stats.samples} samples failed, accepted by --min-success-rate "
            f"{config.min_success_rate:g}; first: {failures[0][1]}"
        )
        warnings.insert(0, (failures[0][0], accepted))
    slow = _slow(config, summary)
    if slow is not None and slow[0]:
        return Status.FAIL, slow[1], FailureClass.LATENCY, warnings
    if slow is not None:
        warnings.append((FailureClass.LATENCY, slow[1]))
    timing = summary.text() if summary else "no latency"
    return Status.WARN if warnings else Status.PASS, f"{counts}; {timing}", None, warnings


def _slow(config: GateConfig, summary: Latency | None) -> tuple[bool, str] | None:
    """(fails, text) when p95 is over --max-latency-ms (the check fails) or --warn-latency-ms (a warning)."""
    if summary is None:
        return None
    p95 = summary.p95
    if config.max_latency_ms is not None and p95 > config.max_latency_ms:
        return (
            True,
            f"p95 latency {p95:.0f} ms is over --max-latency-ms {config.max_latency_ms:g} ({summary.text()})",
        )
    if config.warn_latency_ms is not None and p95 > config.warn_latency_ms:
        return False, f"p95 latency {p95:.0f} ms is over --warn-latency-ms {config.warn_latency_ms:g}"
    return None
