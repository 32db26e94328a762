"""The data every check returns and every reporter reads: `CheckResult` and the typed facts in it.

What a reporter or a later check reads is a typed field (the attempts, the HTTP status, the excerpt, the
check's facts); `details` is display data that the JSON report writes under `details` for its consumers and
that nothing in the gate reads back.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from gate.core.failures import ExitCode, FailureClass
from gate.core.text import one_line


class Status(enum.StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


@dataclass(frozen=True, kw_only=True, eq=False)
class Latency:
    """Latency figures of successful requests, in milliseconds (nearest-rank percentiles)."""

    p50: float
    p95: float
    max: float
    # the same requests measured from the first attempt to the answer, retries and waits included; set only
    # when some request needed a retry (the figures above are of the successful attempt alone)
    with_retries: Latency | None = None

    @classmethod
    def of_one(cls, ms: float) -> Latency:
        """One request's latency: every figure is that request's."""
        return cls(p50=ms, p95=ms, max=ms)

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


@dataclass(frozen=True, kw_only=True, eq=False)
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
            prompt=self.prompt + other.prompt,
            completion=self.completion + other.completion,
            reasoning=self.reasoning + other.reasoning,
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
        """From a Chat Completions `usage` object (or the Responses API's input/output tokens, or the
        Embeddings API's prompt tokens); what is missing or not a whole number counts 0."""
        if not isinstance(usage, Mapping):
            return Tokens()
        if "input_tokens" in usage or "output_tokens" in usage:  # the Responses API's names
            details = usage.get("output_tokens_details")
            reasoning = details.get("reasoning_tokens") if isinstance(details, Mapping) else 0
            return Tokens(
                prompt=_count(usage.get("input_tokens")),
                completion=_count(usage.get("output_tokens")),
                reasoning=_count(reasoning),
            )
        details = usage.get("completion_tokens_details")
        reasoning = details.get("reasoning_tokens") if isinstance(details, Mapping) else 0
        return Tokens(
            prompt=_count(usage.get("prompt_tokens")),
            completion=_count(usage.get("completion_tokens")),
            reasoning=_count(reasoning),
        )


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**12 else 0


@dataclass(frozen=True, kw_only=True, eq=False)
class Attempt:
    """One request sent: the first of a logical request (number 1) or a retry of it (2, 3, ...)."""

    number: int
    status: int | None  # the HTTP status; None when no answer arrived
    failure_class: FailureClass | None
    elapsed_ms: float
    waited_s: float = 0.0  # the wait before it
    request_id: str | None = None  # the gateway's, else the provider's (failed attempts too)

    @property
    def is_retry(self) -> bool:
        return self.number > 1

    def as_dict(self) -> dict[str, object]:
        """An entry of the JSON report's `attempt_log`."""
        return {
            "attempt": self.number,
            "status": self.status,
            "failure_class": self.failure_class,
            "request_id": self.request_id,
            "elapsed_ms": round(self.elapsed_ms, 1),
            "waited_s": round(self.waited_s, 3),
        }


@dataclass(frozen=True, kw_only=True, eq=False)
class ResponseFacts:
    """What a successful answer said about itself: the decision record reads `usage`, the baseline compares
    `shape` and `model` with the last known-good run's."""

    model: str | None = None
    finish_reason: str | None = None
    usage: Mapping[str, Any] | None = None
    shape: tuple[str, ...] = ()  # the field paths of the response ('choices[].message.content', ...)


@dataclass(frozen=True, kw_only=True, eq=False)
class StreamFacts:
    """What the stream check read: its timings (ms from the request), chunks and the fields they carried."""

    chunks: int = 0
    done: bool = False  # data: [DONE] arrived
    comments: int = 0
    first_byte_ms: float | None = None
    first_token_ms: float | None = None
    finish_reason: str | None = None
    usage: Mapping[str, Any] | None = None
    model: str | None = None
    shape: tuple[str, ...] = ()  # the field paths seen in the chunks, compared by the baseline
    ttfb_ms: float | None = None  # to the response's headers, once they arrived with a stream's status


@dataclass(frozen=True, kw_only=True, eq=False)
class TlsFacts:
    version: str | None = None
    expires: dt.datetime | None = None
    days_left: int | None = None  # whole days until the certificate expires


@dataclass(frozen=True, kw_only=True, eq=False)
class SampleStats:
    samples: int  # positive requests in all, the completion's included
    succeeded: int
    min_success_rate: float

    @property
    def success_rate(self) -> float:
        return self.succeeded / self.samples if self.samples else 0.0


Facts = ResponseFacts | StreamFacts | TlsFacts | SampleStats
F = TypeVar("F", ResponseFacts, StreamFacts, TlsFacts, SampleStats)


@dataclass(frozen=True, kw_only=True, eq=False)
class CheckResult:
    """The outcome of one check: what the verdict, the reporters and later checks read, typed."""

    id: str
    status: Status
    message: str
    duration_ms: float = 0.0
    failure_class: FailureClass | None = None
    hint: str | None = None  # the specific next step, when the answer said more than its class
    retryable: bool | None = None  # overrides the class's transient flag (a temporary DNS failure)
    exit_code: ExitCode | None = None  # overrides the class's exit code (an interruption: 130 or 143)
    warnings: tuple[str, ...] = ()
    warning_class: FailureClass | None = None  # the class a warning fails with under --fail-on-warn
    latency: Latency | None = None
    request_ids: tuple[str, ...] = ()
    tokens: Tokens | None = None  # what this check's requests cost
    attempts: tuple[Attempt, ...] = ()  # every request this check sent, retries included, in order
    http_status: int | None = None  # the status of the answer the check judged
    excerpt: str | None = None  # the start of a failed answer's body, for the JUnit failure text
    facts: Facts | None = None  # what the check found that a reporter or a later check reads
    details: Mapping[str, Any] = field(default_factory=dict)  # display data for the JSON report only

    @property
    def next_step(self) -> str | None:
        if self.failure_class is None:
            return None
        return self.hint or self.failure_class.next_step

    @property
    def failed(self) -> bool:
        return self.status is Status.FAIL

    @property
    def retries(self) -> int:
        return sum(1 for attempt in self.attempts if attempt.is_retry)

    def facts_of(self, kind: type[F]) -> F | None:
        """This check's facts if they are of `kind` (TlsFacts for the tls check, ...), else None."""
        return self.facts if isinstance(self.facts, kind) else None


def passed(check_id: str, message: str, duration_ms: float = 0.0, **details: Any) -> CheckResult:
    return CheckResult(
        id=check_id, status=Status.PASS, message=message, duration_ms=duration_ms, details=details
    )


def failed(
    check_id: str, failure: FailureClass, message: str, duration_ms: float = 0.0, **details: Any
) -> CheckResult:
    return CheckResult(
        id=check_id,
        status=Status.FAIL,
        message=message,
        duration_ms=duration_ms,
        failure_class=failure,
        details=details,
    )


def skipped(check_id: str, reason: str) -> CheckResult:
    return CheckResult(id=check_id, status=Status.SKIP, message=reason)


def internal_failure(check_id: str, trace: str) -> CheckResult:
    """A bug in the gate as a failed check: class internal, the exception in one line, the traceback in the
    details for a bug report."""
    last = trace.strip().splitlines()[-1] if trace.strip() else "unknown error"
    return CheckResult(
        id=check_id,
        status=Status.FAIL,
        message=f"the gate itself failed here: {one_line(last, 300)}",
        failure_class=FailureClass.INTERNAL,
        details={"traceback": trace},
    )
