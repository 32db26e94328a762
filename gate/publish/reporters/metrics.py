"""The run's metrics in the Prometheus text exposition format (`--metrics-file`, `--pushgateway`).

Gauges, one sample set per target, labelled by environment, target ("default" for a run without a targets
file), model and api (--api: chat, responses or embeddings), and by bounded values only (check, status,
class, decision, stat, kind). The names are a contract: monitoring/alerts.yml and docs/monitoring.md use
them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from gate.checks.results import Status, TlsFacts
from gate.core.failures import FailureClass
from gate.outcome.report import RunReport, TargetReport
from gate.outcome.verdict import Decision

KIND = "metrics"

PREFIX = "cometapi_smoke_gate"
HELP = {
    "result": "1 when the run passed, 0 when it failed.",
    "decision": "1 for the run's decision (proceed, hold, rollback), 0 for the others.",
    "check_status": "1 for each check's status, 0 for its other statuses.",
    "failure": "1 for the failure class the run failed with, 0 for every other class.",
    "latency_seconds": "p50, p95 and max latency of the successful requests.",
    "attempts": "Requests the gate sent, retries included.",
    "retries": "Retries the gate made.",
    "tokens": "Tokens the gate itself spent.",
    "cert_days_left": "Days until the endpoint's TLS certificate expires.",
    "duration_seconds": "Wall time of the run.",
    "last_run_timestamp_seconds": "Unix time the run ended.",
}


def target_label(target: TargetReport) -> str:
    return target.name or "default"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(base: Mapping[str, str], **extra: str) -> str:
    pairs = {**base, **extra}
    return "{" + ",".join(f'{k}="{_escape(str(v))}"' for k, v in pairs.items()) + "}"


Sample = tuple[str, str, float]  # (metric name without the prefix, labels, value)


def _samples(run: RunReport, target: TargetReport) -> Iterable[Sample]:
    base = {
        "environment": target.config.environment,
        "target": target_label(target),
        "model": target.config.model,
        "api": target.config.api,
    }
    verdict = run.verdict if not run.several else target.verdict
    yield "result", _labels(base), 1.0 if verdict.passed else 0.0
    for decision in Decision:
        yield "decision", _labels(base, decision=decision), 1.0 if verdict.decision is decision else 0.0
    for result in target.results:
        for status in Status:
            value = 1.0 if result.status is status else 0.0
            yield "check_status", _labels(base, check=result.id, status=status), value
    for cls in FailureClass:
        yield "failure", _labels(base, **{"class": cls.value}), 1.0 if verdict.failure_class == cls else 0.0
    yield from _measured(target, base)
    yield "duration_seconds", _labels(base), round(target.duration_ms / 1000, 6)
    yield "last_run_timestamp_seconds", _labels(base), round(target.completed_at.timestamp(), 3)


def _measured(target: TargetReport, base: Mapping[str, str]) -> Iterable[Sample]:
    """Latency, requests, tokens and the certificate's days left, from the checks' typed fields."""
    if target.latency is not None:
        figures = (("p50", target.latency.p50), ("p95", target.latency.p95), ("max", target.latency.max))
        for stat, value in figures:  # not `quantile`: that label belongs to summaries, these are gauges
            yield "latency_seconds", _labels(base, stat=stat), round(value / 1000, 6)
    yield "attempts", _labels(base), float(sum(len(r.attempts) for r in target.results))
    yield "retries", _labels(base), float(sum(r.retries for r in target.results))
    tokens = target.tokens
    for kind, value in (
        ("prompt", tokens.prompt),
        ("completion", tokens.completion),
        ("reasoning", tokens.reasoning),
    ):
        yield "tokens", _labels(base, kind=kind), float(value)
    tls = target.result("tls")
    facts = tls.facts_of(TlsFacts) if tls is not None else None
    if facts is not None and facts.days_left is not None:
        yield "cert_days_left", _labels(base), float(facts.days_left)


def render_target(run: RunReport, target: TargetReport) -> str:
    by_name: dict[str, list[str]] = {}
    for name, labels, value in _samples(run, target):
        by_name.setdefault(name, []).append(f"{PREFIX}_{name}{labels} {_number(value)}")
    return _families(by_name)


def render(run: RunReport) -> str:
    by_name: dict[str, list[str]] = {}
    for target in run.targets:
        for name, labels, value in _samples(run, target):
            by_name.setdefault(name, []).append(f"{PREFIX}_{name}{labels} {_number(value)}")
    return _families(by_name)


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) and abs(value) < 1e15 else repr(value)


def _families(by_name: Mapping[str, list[str]]) -> str:
    lines: list[str] = []
    for name, samples in by_name.items():
        lines += [f"# HELP {PREFIX}_{name} {HELP[name]}", f"# TYPE {PREFIX}_{name} gauge", *samples]
    return "\n".join(lines) + "\n"


def minimal(run: RunReport) -> str:
    """Still Prometheus text: per target, the result, the failure class and the time of the run."""
    by_name: dict[str, list[str]] = {}
    for target in run.targets:
        base = {"environment": target.config.environment, "target": target_label(target)}
        base["model"] = target.config.model
        base["api"] = target.config.api
        verdict = run.verdict if not run.several else target.verdict
        samples = [("result", _labels(base), 1.0 if verdict.passed else 0.0)]
        if verdict.failure_class is not None:
            samples.append(("failure", _labels(base, **{"class": str(verdict.failure_class)}), 1.0))
        samples.append(
            ("last_run_timestamp_seconds", _labels(base), round(target.completed_at.timestamp(), 3))
        )
        for name, labels, value in samples:
            by_name.setdefault(name, []).append(f"{PREFIX}_{name}{labels} {_number(value)}")
    return _families(by_name)
