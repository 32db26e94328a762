"""A JSON report read back into the report model: a `TargetReport` per target, as the job's run built it.

`merge` (gate/outcome/merge.py) renders the jobs of a CI matrix as one run, so each job's report becomes
the `TargetReport` the reporters already render: its `GateConfig` resolved (leniently, from the report's
`config`) the way a failed run's config is, its checks as `CheckResult`s with the typed fields reporters
read (attempts, request ids, the HTTP status, the excerpt, the completion's facts) rebuilt from `details`,
which is kept whole, so the merged JSON says what each job's said.

The job's verdict stands: its decision (it knew its own --rollback-on and phase) and whether its failures
were transient (its exit code, 1 or 3, carries each check's own say, a temporary DNS failure included). Only
the exit code is decided again, under the merge's --mode: a job run with --mode report that failed fails the
merge in enforce mode, and an interrupted job (130, 143) fails it as class `interrupted` (exit 1).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from gate.checks.results import Attempt, CheckResult, Latency, ResponseFacts, Status, Tokens
from gate.config.headers import ExtraHeader
from gate.config.resolve import API_PATHS, GateConfig, resolve
from gate.core.failures import ExitCode, FailureClass, Mode
from gate.outcome.report import TargetReport
from gate.outcome.verdict import Decision, Policy, decide

# The report's `config` member -> the option it was set by (numbers and flags given back as text).
_CONFIG_OPTIONS = {
    "connect_timeout_s": "connect_timeout",
    "timeout_s": "timeout",
    "retries": "retries",
    "retry_budget_s": "retry_budget",
    "samples": "samples",
    "max_latency_ms": "max_latency_ms",
    "max_tokens": "max_tokens",
    "token_param": "token_param",
    "temperature": "temperature",
    "expect": "expect",
    "expect_mode": "expect_mode",
    "stream": "stream",
    "check_models": "check_models",
    "negative": "negative",
    "fail_on_warn": "fail_on_warn",
    "baseline": "baseline",
    "fail_on_drift": "fail_on_drift",
    "api": "api",
    "expect_dimensions": "expect_dimensions",
}
CHAT_PATH = "/chat/completions"
_CLASSES = frozenset(c.value for c in FailureClass)


def config_of(body: Mapping[str, Any]) -> GateConfig:
    """The target's config as its report states it (never a key: the report holds `***`), through the same
    lenient resolve a run whose configuration failed reports with."""
    shown = body.get("config") or {}
    endpoint = str(shown.get("endpoint") or "")
    flags: dict[str, object] = {
        "base_url": endpoint.removesuffix(API_PATHS.get(str(shown.get("api")), CHAT_PATH)) or None,
        "model": body.get("model"),
        "environment": body.get("environment"),
    }
    for member, option in _CONFIG_OPTIONS.items():
        value = shown.get(member)
        flags[option] = value if isinstance(value, bool) or value is None else str(value)
    config = resolve(flags, {}, lenient=True).targets[0].config
    headers = tuple(_header(line) for line in shown.get("headers") or [] if isinstance(line, str))
    return replace(
        config,
        endpoint_host=str(body.get("endpoint_host") or config.endpoint_host),
        sim_scenario=shown.get("simulator_scenario"),
        headers=headers,
    )


def _header(shown: str) -> ExtraHeader:
    """`Name: value` as the report shows it (a credential's value already `***`)."""
    name, _, value = shown.partition(":")
    return ExtraHeader(name.strip(), value.strip(), secret=False)


def _number(value: object) -> float:
    """A figure of the report as a float: 0 for what is no finite number (an oversized integer included)."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return 0.0
    return number if math.isfinite(number) else 0.0


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _attempt(entry: Mapping[str, Any]) -> Attempt:
    """One `details.attempt_log` entry (display data the schema leaves open: each field checked)."""
    failure, number, status = entry.get("failure_class"), entry.get("attempt"), entry.get("status")
    return Attempt(
        number=number if isinstance(number, int) and not isinstance(number, bool) else 1,
        status=status if isinstance(status, int) and not isinstance(status, bool) else None,
        failure_class=FailureClass(failure) if isinstance(failure, str) and failure in _CLASSES else None,
        elapsed_ms=_number(entry.get("elapsed_ms")),
        waited_s=_number(entry.get("waited_s")),
        request_id=_text(entry.get("request_id")),
    )


def _request_ids(details: Mapping[str, Any], attempts: Sequence[Attempt]) -> tuple[str, ...]:
    ids = [a.request_id for a in attempts if a.request_id]
    ids += [details.get(key) for key in ("request_id", "gateway_request_id", "provider_request_id")]
    return tuple(dict.fromkeys(i for i in ids if isinstance(i, str) and i))


def _facts(check_id: str, details: Mapping[str, Any]) -> ResponseFacts | None:
    """The completion's answer, which the decision record's observability result reads."""
    if check_id != "completion" or "response_shape" not in details:
        return None
    usage, shape = details.get("usage"), details.get("response_shape")
    return ResponseFacts(
        model=_text(details.get("response_model")),
        finish_reason=_text(details.get("finish_reason")),
        usage=usage if isinstance(usage, Mapping) else None,
        shape=tuple(str(path) for path in shape) if isinstance(shape, list) else (),
    )


def _job_says(status: Status, job_exit: int) -> dict[str, Any]:
    """Whether a retry may pass a failed check, as its job's exit code says: 3 only when every failure was
    transient, 1 when one was not. An interrupted job (130, 143) is the merge's failure of class
    `interrupted`, exit 1, not its signal: the merge itself was not interrupted."""
    if status is not Status.FAIL or job_exit not in (ExitCode.FAILED, ExitCode.TRANSIENT):
        return {}
    return {"retryable": job_exit == ExitCode.TRANSIENT}


def _attempts(details: Mapping[str, Any]) -> tuple[Attempt, ...]:
    log = details.get("attempt_log")
    return tuple(_attempt(a) for a in log if isinstance(a, Mapping)) if isinstance(log, list) else ()


def check_of(entry: Mapping[str, Any], job_exit: int, *, check_id: str | None = None) -> CheckResult:
    """One `checks[]` entry, the typed fields rebuilt from its details, the job's say on it kept."""
    details = dict(entry.get("details") or {})
    failure = FailureClass(entry["failure_class"]) if entry.get("failure_class") else None
    status = Status(entry["status"])
    attempts = _attempts(details)
    http_status = details.get("http_status")
    return CheckResult(
        id=check_id or str(entry["id"]),
        status=status,
        message=str(entry.get("message") or f"{status} (the job's report gives no message)"),
        duration_ms=_number(entry.get("duration_ms")),
        failure_class=failure,
        hint=entry.get("next_step") if failure is not None else None,
        warnings=tuple(str(w) for w in entry.get("warnings") or []),
        attempts=attempts,
        request_ids=_request_ids(details, attempts),
        http_status=http_status if isinstance(http_status, int) else None,
        excerpt=_text(details.get("response_excerpt")),
        facts=_facts(str(entry["id"]), details),
        details=details,
        **_job_says(status, job_exit),
    )


def _time(value: object, default: dt.datetime) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return default
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _carried(results: list[CheckResult], body: Mapping[str, Any]) -> tuple[CheckResult, ...]:
    """The target's latency, tokens and any request id no check's details named, carried by its last check:
    what the target's report is computed from (TargetReport.latency, .tokens, .request_ids)."""
    if not results:
        return ()
    latency = body.get("latency_ms")
    tokens = body.get("tokens") or {}
    named = {rid for r in results for rid in r.request_ids}
    extra = tuple(rid for rid in body.get("request_ids") or [] if isinstance(rid, str) and rid not in named)
    last = results[-1]
    results[-1] = replace(
        last,
        latency=_latency(latency) if isinstance(latency, Mapping) else last.latency,
        tokens=Tokens(
            prompt=int(tokens.get("prompt") or 0),
            completion=int(tokens.get("completion") or 0),
            reasoning=int(tokens.get("reasoning") or 0),
        ),
        request_ids=(*last.request_ids, *extra),
    )
    return tuple(results)


def _latency(figures: Mapping[str, Any]) -> Latency:
    again = figures.get("with_retries")
    return Latency(
        p50=_number(figures.get("p50")),
        p95=_number(figures.get("p95")),
        max=_number(figures.get("max")),
        with_retries=_latency(again) if isinstance(again, Mapping) else None,
    )


def target_of(name: str, body: Mapping[str, Any], mode: Mode, now: dt.datetime) -> TargetReport:
    """One target's report (a one-target report, an entry of `targets`, or a minimal report), its exit code
    decided again under the merge's `mode` and its recorded decision kept."""
    job_exit = int(body.get("exit_code", 0))
    results = [check_of(entry, job_exit) for entry in body.get("checks") or []]
    carried = _carried(results, body)
    verdict = decide(carried, Policy(mode=mode))
    recorded = body.get("decision")
    if not verdict.passed and recorded in (Decision.HOLD, Decision.ROLLBACK):
        verdict = replace(verdict, decision=Decision(recorded))
    return TargetReport(
        name=name,
        config=config_of(body),
        results=carried,
        verdict=verdict,
        started_at=_time(body.get("started_at"), now),
        completed_at=_time(body.get("completed_at"), now),
    )
