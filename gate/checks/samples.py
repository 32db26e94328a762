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
from gate.checks.results import CheckResult, Latency, Status, Tokens
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
    return Latency(round(percentile(values, 50), 1), round(percentile(values, 95), 1), round(max(values), 1))


def check_samples(ctx: RunContext) -> CheckResult:
    config = ctx.config
    first = ctx.state.first_exchange
    assert first is not None, "samples runs only after completion passed"
    started = time.monotonic()
    extra = config.samples - 1
    seeds = [ctx.rng.random() for _ in range(extra)]
    others: list[Exchange] = []

    def sample(item: tuple[int, float]) -> Exchange:
        number, seed = item
        rng = random.Random(seed)
        shape = ctx.state.request_shape
        template = config.template
        return exchange(
            config,
            ctx.session,
            body=template.body if template else None,
            shape=shape,
            rng=rng,
            sleep=ctx.sleep,
            progress=ctx.progress,
            label=f"sample {number}",
        )

    if extra:
        with ThreadPoolExecutor(max_workers=min(extra, MAX_WORKERS), thread_name_prefix="sample") as pool:
            others = list(pool.map(sample, enumerate(seeds, start=2)))
    exchanges = [first, *others]
    ok = [ex for ex in exchanges if ex.ok]
    summary = latency_summary([ex.latency_ms for ex in ok if ex.latency_ms is not None])
    with_retries = latency_summary([ex.total_ms for ex in ok if ex.total_ms is not None])
    if summary is not None and with_retries is not None and any(ex.retried for ex in ok):
        summary = replace(summary, with_retries=with_retries)
    request_ids = tuple(dict.fromkeys(rid for ex in exchanges for rid in ex.request_ids))
    tokens = sum((Tokens.of(ex.usage) for ex in others), Tokens())  # the first is the completion check's
    failures: list[tuple[FailureClass, str]] = []
    for number, ex in enumerate(exchanges, start=1):
        failure, message = (ex.failure, ex.message) if not ex.ok else assert_output(config, ex)
        if failure is not None:
            failures.append((failure, f"sample {number}: {message}"))
    succeeded = len(exchanges) - len(failures)
    rate = succeeded / len(exchanges)
    details = {
        "samples": len(exchanges),
        "succeeded": succeeded,
        "success_rate": round(rate, 4),
        "min_success_rate": config.min_success_rate,
        "latency_ms": summary.as_dict() if summary else None,
        "retries": sum(ex.retried for ex in exchanges),
        "attempts": sum(len(ex.attempts) for ex in others),  # the first sample's are the completion check's
    }
    counts = f"{succeeded}/{len(exchanges)} succeeded"
    timing = summary.text() if summary else "no latency"
    warnings: list[str] = []
    warning_class: FailureClass | None = None
    flaky = retry_warning("samples", exchanges[1:])
    if flaky is not None:
        warning_class, text = flaky
        warnings.append(text)

    def result(
        status: Status, message: str, failure: FailureClass | None = None, cls: FailureClass | None = None
    ) -> CheckResult:
        return CheckResult(
            "samples",
            status,
            message,
            elapsed_ms(started),
            failure,
            details,
            tuple(warnings),
            cls or warning_class,
            latency=summary,
            request_ids=request_ids,
            tokens=tokens,
        )

    if failures and rate < config.min_success_rate:
        failure, message = failures[0]
        threshold = (
            f" (under --min-success-rate {config.min_success_rate:g})" if config.min_success_rate < 1 else ""
        )
        return result(Status.FAIL, f"{counts}{threshold}; {message}", failure)
    if failures:
        warnings.insert(
            0,
            f"{len(failures)} of {len(exchanges)} samples failed, accepted by --min-success-rate "
            f"{config.min_success_rate:g}; first: {failures[0][1]}",
        )
        warning_class = failures[0][0]
    if config.max_latency_ms is not None and summary and summary.p95 > config.max_latency_ms:
        return result(
            Status.FAIL,
            f"p95 latency {summary.p95:.0f} ms is over --max-latency-ms {config.max_latency_ms:g} ({timing})",
            FailureClass.LATENCY,
        )
    if config.warn_latency_ms is not None and summary and summary.p95 > config.warn_latency_ms:
        warnings.append(
            f"p95 latency {summary.p95:.0f} ms is over --warn-latency-ms {config.warn_latency_ms:g}"
        )
        warning_class = warning_class or FailureClass.LATENCY
    return result(Status.WARN if warnings else Status.PASS, f"{counts}; {timing}")
