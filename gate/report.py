"""The run report: one data model every reporter renders (none of them re-decides pass or fail)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gate import __version__
from gate.config import GateConfig
from gate.results import CheckResult
from gate.verdict import Verdict

SCHEMA_VERSION = "1"


@dataclass(frozen=True)
class RunReport:
    config: GateConfig
    results: tuple[CheckResult, ...]
    verdict: Verdict
    started_at: dt.datetime
    completed_at: dt.datetime
    latency_ms: dict[str, float] | None
    request_ids: tuple[str, ...]
    version: str = __version__

    @property
    def duration_ms(self) -> float:
        return round((self.completed_at - self.started_at).total_seconds() * 1000, 1)

    @property
    def first_failure(self) -> CheckResult | None:
        return next((r for r in self.results if r.failed), None)

    @property
    def warnings(self) -> list[tuple[str, str]]:
        return [(r.id, w) for r in self.results for w in r.warnings]


def collect_request_ids(results: Sequence[CheckResult], extra: Sequence[str] = ()) -> tuple[str, ...]:
    ids: list[str] = []
    for result in results:
        rid = result.details.get("request_id") if result.details else None
        if rid and rid not in ids:
            ids.append(str(rid))
    for rid in extra:
        if rid not in ids:
            ids.append(rid)
    return tuple(ids)


def public_config(config: GateConfig) -> dict[str, Any]:
    """The non-secret settings, as printed and reported."""
    return {
        "environment": config.environment,
        "endpoint_host": config.endpoint_host,
        "endpoint": config.chat_url,
        "model": config.model,
        "api_key": "***",
        "connect_timeout_s": config.connect_timeout,
        "timeout_s": config.timeout,
        "retries": config.retries,
        "retry_budget_s": config.retry_budget,
        "samples": config.samples,
        "max_latency_ms": config.max_latency_ms,
        "max_tokens": config.max_tokens,
        "token_param": config.token_param,
        "expect": config.expect,
        "expect_mode": config.expect_mode,
        "mode": config.mode,
        "simulator_scenario": config.sim_scenario,
        "stream": config.stream,
        "check_models": config.check_models,
        "negative": config.negative,
        "fail_on_warn": config.fail_on_warn,
        "baseline": str(config.baseline) if config.baseline else None,
        "fail_on_drift": config.fail_on_drift,
    }


def decision_record(config: GateConfig) -> dict[str, Any]:
    """The runbook's decision record fields known before the run."""
    return {
        "phase": config.phase,
        "change_id": config.change_id,
        "deployment_version": config.deployment_version,
        "config_version": config.config_version,
        "environment": config.environment,
        "endpoint_host": config.endpoint_host,
        "model": config.model,
    }
