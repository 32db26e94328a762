"""samples: N positive requests in all (the completion request was the first), the rest concurrent."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from gate.checks import RunContext, elapsed_ms
from gate.checks.answer import assert_output
from gate.failures import FailureClass
from gate.probe import Exchange, exchange
from gate.results import CheckResult, Latency, Status, Tokens

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
    return Latency(round(percentile(values, 50), 1), round(percentile(values, 95), 1), round(max(values), 1))


def check_samples(ctx: RunContext) -> CheckResult:
    config = ctx.config
    first = ctx.state.first_exchange
    assert first is not None, "samples runs only after completion passed"
    started = time.monotonic()
    extra = config.samples - 1
    seeds = [ctx.rng.random() for _ in range(extra)]
    others: list[Exchange] = []
    if extra:
        with ThreadPoolExecutor(max_workers=min(extra, MAX_WORKERS), thread_name_prefix="sample") as pool:
            others = list(
                pool.map(
                    lambda seed: exchange(
                        config,
                        ctx.session,
                        shape=ctx.state.request_shape,
                        rng=random.Random(seed),
                        sleep=ctx.sleep,
                    ),
                    seeds,
                )
            )
    exchanges = [first, *others]
    latencies = [ex.latency_ms for ex in exchanges if ex.ok and ex.latency_ms is not None]
    summary = latency_summary(latencies)
    request_ids = tuple(dict.fromkeys(rid for ex in exchanges for rid in ex.request_ids))
    tokens = sum((Tokens.of(ex.usage) for ex in others), Tokens())  # the first is the completion check's
    succeeded = 0
    first_failure: tuple[FailureClass, str] | None = None
    for number, ex in enumerate(exchanges, start=1):
        failure, message = (ex.failure, ex.message) if not ex.ok else assert_output(config, ex)
        if failure is None:
            succeeded += 1
        elif first_failure is None:
            first_failure = (failure, f"sample {number}: {message}")
    details = {
        "samples": len(exchanges),
        "succeeded": succeeded,
        "latency_ms": summary.as_dict() if summary else None,
        "retries": sum(ex.retried for ex in exchanges),
    }
    rate = f"{succeeded}/{len(exchanges)} succeeded"
    timing = (
        f"p50 {summary.p50:.0f} ms, p95 {summary.p95:.0f} ms, max {summary.max:.0f} ms"
        if summary
        else "no latency"
    )

    def result(
        status: Status,
        message: str,
        failure: FailureClass | None = None,
        warnings: tuple[str, ...] = (),
        warning_class: FailureClass | None = None,
    ) -> CheckResult:
        return CheckResult(
            "samples",
            status,
            message,
            elapsed_ms(started),
            failure,
            details,
            warnings,
            warning_class,
            latency=summary,
            request_ids=request_ids,
            tokens=tokens,
        )

    if first_failure is not None:
        failure, message = first_failure
        return result(Status.FAIL, f"{rate}; {message}", failure)
    if config.max_latency_ms is not None and summary and summary.p95 > config.max_latency_ms:
        return result(
            Status.FAIL,
            f"p95 latency {summary.p95:.0f} ms is over --max-latency-ms {config.max_latency_ms:g} ({timing})",
            FailureClass.LATENCY,
        )
    if config.warn_latency_ms is not None and summary and summary.p95 > config.warn_latency_ms:
        warning = f"p95 latency {summary.p95:.0f} ms is over --warn-latency-ms {config.warn_latency_ms:g}"
        return result(Status.WARN, f"{rate}; {timing}", None, (warning,), FailureClass.LATENCY)
    return result(Status.PASS, f"{rate}; {timing}")
