"""The release-gate checks. Each takes the run context and returns a CheckResult; none prints."""

from __future__ import annotations

import random
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from gate.config import GateConfig

Resolver = Callable[..., list[Any]]


@dataclass
class RunContext:
    """What checks share: the config, one HTTP session, the environment and earlier checks' findings."""

    config: GateConfig
    session: requests.Session
    env: Mapping[str, str]
    rng: random.Random = field(default_factory=random.Random)
    sleep: Callable[[float], None] = time.sleep
    resolver: Resolver = socket.getaddrinfo
    state: dict[str, Any] = field(default_factory=dict)


def elapsed_ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)
