"""The release-gate checks. Each takes the run context and returns a CheckResult; none prints."""

from __future__ import annotations

import random
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from gate.checks.exchange import Exchange
from gate.checks.results import CheckResult
from gate.config.preflight import Preflight
from gate.config.resolve import GateConfig
from gate.http.model_families import RequestFields

Resolver = Callable[..., list[Any]]


@dataclass(eq=False)
class RunState:
    """What earlier checks hand on to later ones, typed."""

    first_exchange: Exchange | None = None  # the completion check's exchange, judged again by output/samples
    request_fields: RequestFields | None = None  # the smoke request's model-dependent fields, once adapted
    results: list[CheckResult] = field(default_factory=list)  # every result so far, in order

    def result(self, check_id: str) -> CheckResult | None:
        return next((r for r in self.results if r.id == check_id), None)


@dataclass(eq=False)
class RunContext:
    """What checks share: the config, one HTTP session, the environment and earlier checks' findings."""

    config: GateConfig
    session: requests.Session
    env: Mapping[str, str]
    rng: random.Random = field(default_factory=random.Random)
    sleep: Callable[[float], None] = time.sleep
    resolver: Resolver = socket.getaddrinfo
    state: RunState = field(default_factory=RunState)
    progress: Callable[[str], None] = lambda _line: None  # retries scheduled, heartbeats: shown as they come
    preflight: Preflight | None = None  # the run's pre-flight checklist (run-wide)


def elapsed_ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)
