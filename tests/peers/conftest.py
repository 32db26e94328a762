"""Fixtures of the peer suite: one LiteLLM proxy per session, the gate as a subprocess, a plain HTTP session.

Opt-in (marker ``peers``): ``make test-peers``, or ``scripts/peers_setup.sh`` and then
``.venv/bin/python -m pytest -m peers tests/peers``. Each suite is skipped when its gateway is not installed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from gate.simulator import Simulator
from tests.peers.litellm_peer import LITELLM, OBSERVED, Peer, RunGate, gate_runner, running_litellm
from tests.peers.portkey_peer import (
    PortkeyPeer,
    missing_reason,
    portkey_gate_runner,
    running_portkey,
    write_observations,
)


def pytest_configure(config: pytest.Config) -> None:
    # Registered here as well, so --strict-markers accepts the suite wherever it is collected.
    config.addinivalue_line("markers", "peers: runs the gate against real gateways (LiteLLM); opt-in")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not OBSERVED:
        return
    terminalreporter.section("LiteLLM answers observed")
    terminalreporter.write_line(f"{'case':46} {'status':6} {'error.type':22} {'code':5} {'gate':10} note")
    for o in OBSERVED:
        terminalreporter.write_line(
            f"{o.case:46} {o.status!s:6} {o.error_type or '-':22} {o.error_code or '-':5} "
            f"{o.gate_class or '-':10} {o.note}"
        )
    target = os.environ.get("PEERS_OBSERVED_JSON")
    if target:
        Path(target).write_text(json.dumps([o.__dict__ for o in OBSERVED], indent=2) + "\n")


@pytest.fixture(scope="session")
def litellm_peer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Peer]:
    if not os.access(LITELLM, os.X_OK):
        pytest.skip(f"LiteLLM is not installed ({LITELLM} is missing): run scripts/peers_setup.sh first")
    with running_litellm(tmp_path_factory.mktemp("litellm")) as peer:
        yield peer


@pytest.fixture
def run_gate(litellm_peer: Peer, tmp_path: Path) -> RunGate:
    return gate_runner(litellm_peer, tmp_path)


@pytest.fixture
def http(litellm_peer: Peer) -> Iterator[requests.Session]:
    """A plain HTTP session to the peer, for the answers the gate cannot provoke."""
    with requests.Session() as session:
        session.trust_env = False
        yield session


# ---------------------------------------------------------------------------------------------------------
# Portkey: one gateway and one simulator (its only upstream) per session


@pytest.fixture(scope="session")
def portkey_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PortkeyPeer]:
    reason = missing_reason()
    if reason is not None:
        pytest.skip(reason)
    # slow_seconds outlasts the 500 ms request timeout the 408 test gives Portkey, and nothing else waits.
    with (
        Simulator(slow_seconds=5.0, drip_interval=0.3, flaky_failures=2) as sim,
        running_portkey(tmp_path_factory.mktemp("portkey"), sim) as peer,
    ):
        yield peer
    write_observations()


@pytest.fixture
def portkey(portkey_session: PortkeyPeer) -> PortkeyPeer:
    """The session's Portkey gateway, its simulator with an empty request log and fresh counters."""
    portkey_session.sim.clear_log()
    return portkey_session


@pytest.fixture
def run_gate_portkey(portkey: PortkeyPeer, tmp_path: Path) -> Any:
    """The gate as a subprocess through Portkey: ``run_gate_portkey(scenario, *args, headers=...)``."""
    return portkey_gate_runner(portkey, tmp_path)


@pytest.fixture
def portkey_http(portkey: PortkeyPeer) -> Iterator[requests.Session]:
    """A plain HTTP session, for Portkey's answers on the wire."""
    with requests.Session() as session:
        session.trust_env = False
        yield session
