"""The data every check returns and every reporter reads."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gate.failures import FailureClass
from gate.text import one_line


class Status(enum.StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


@dataclass(frozen=True)
class Latency:
    """Latency figures of successful requests, in milliseconds (nearest-rank percentiles)."""

    p50: float
    p95: float
    max: float

    def as_dict(self) -> dict[str, float]:
        return {"p50": self.p50, "p95": self.p95, "max": self.max}


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check. `details` holds response metadata for the reports (usage, shape, ...);
    what later checks and the report use is typed: `latency` and `request_ids`."""

    id: str
    status: Status
    message: str
    duration_ms: float = 0.0
    failure_class: FailureClass | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    warning_class: FailureClass | None = None  # the class a warning fails with under --fail-on-warn
    latency: Latency | None = None
    request_ids: tuple[str, ...] = ()

    @property
    def next_step(self) -> str | None:
        return self.failure_class.next_step if self.failure_class else None

    @property
    def failed(self) -> bool:
        return self.status is Status.FAIL


def passed(check_id: str, message: str, duration_ms: float = 0.0, **details: Any) -> CheckResult:
    return CheckResult(check_id, Status.PASS, message, duration_ms, None, details)


def failed(
    check_id: str, failure: FailureClass, message: str, duration_ms: float = 0.0, **details: Any
) -> CheckResult:
    return CheckResult(check_id, Status.FAIL, message, duration_ms, failure, details)


def skipped(check_id: str, reason: str) -> CheckResult:
    return CheckResult(check_id, Status.SKIP, reason)


def internal_failure(check_id: str, trace: str) -> CheckResult:
    """A bug in the gate as a failed check: class internal, the exception in one line, the traceback in the
    details for a bug report."""
    last = trace.strip().splitlines()[-1] if trace.strip() else "unknown error"
    return CheckResult(
        check_id,
        Status.FAIL,
        f"the gate itself failed here: {one_line(last, 300)}",
        failure_class=FailureClass.INTERNAL,
        details={"traceback": trace},
    )
