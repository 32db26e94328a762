"""The data every check returns and every reporter reads."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gate.core.failures import ExitCode, FailureClass
from gate.core.text import one_line


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
    # the same requests measured from the first attempt to the answer, retries and waits included; set only
    # when some request needed a retry (the figures above are of the successful attempt alone)
    with_retries: Latency | None = None

    def text(self) -> str:
        text = f"p50 {self.p50:.0f} ms, p95 {self.p95:.0f} ms, max {self.max:.0f} ms"
        if self.with_retries is not None:
            again = self.with_retries
            text += (
                f" per successful attempt; with retries and waits p50 {again.p50:.0f}, p95 {again.p95:.0f}, "
                f"max {again.max:.0f} ms"
            )
        return text

    def as_dict(self) -> dict[str, object]:
        figures: dict[str, object] = {"p50": self.p50, "p95": self.p95, "max": self.max}
        if self.with_retries is not None:
            figures["basis"] = "successful attempts only"
            figures["with_retries"] = self.with_retries.as_dict()
        return figures


@dataclass(frozen=True)
class Tokens:
    """Tokens the gate itself spent (what its requests cost), from each response's usage."""

    prompt: int = 0
    completion: int = 0
    reasoning: int = 0  # part of completion

    @property
    def total(self) -> int:
        return self.prompt + self.completion

    def __add__(self, other: Tokens) -> Tokens:
        return Tokens(
            self.prompt + other.prompt, self.completion + other.completion, self.reasoning + other.reasoning
        )

    def as_dict(self) -> dict[str, int]:
        return {
            "prompt": self.prompt,
            "completion": self.completion,
            "reasoning": self.reasoning,
            "total": self.total,
        }

    @staticmethod
    def of(usage: Mapping[str, Any] | None) -> Tokens:
        """From a Chat Completions `usage` object; what is missing or not a whole number counts 0."""
        if not isinstance(usage, Mapping):
            return Tokens()
        details = usage.get("completion_tokens_details")
        reasoning = details.get("reasoning_tokens") if isinstance(details, Mapping) else 0
        return Tokens(
            _count(usage.get("prompt_tokens")), _count(usage.get("completion_tokens")), _count(reasoning)
        )


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**12 else 0


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
    hint: str | None = None  # the specific next step, when the answer said more than its class
    retryable: bool | None = None  # overrides the class's transient flag (a temporary DNS failure)
    tokens: Tokens | None = None  # what this check's requests cost
    exit_code: ExitCode | None = None  # overrides the class's exit code (an interruption: 130 or 143)

    @property
    def next_step(self) -> str | None:
        if self.failure_class is None:
            return None
        return self.hint or self.failure_class.next_step

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
