"""Fixtures for the simulator tests: a running simulator with short timings and a requests session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from gate.simulator import Simulator


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """A simulator serving ``ok`` by default, with timings small enough for fast tests."""
    with Simulator(slow_seconds=20.0, drip_interval=0.05, flaky_failures=2, huge_bytes=8 * 1024 * 1024) as s:
        yield s


@pytest.fixture
def session() -> Iterator[requests.Session]:
    """A requests session; tests pass ``allow_redirects=False`` (the redirect scenario points off-host)."""
    with requests.Session() as s:
        yield s
