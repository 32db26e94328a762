"""Fixtures of the peer suite: one LiteLLM proxy per session, the gate as a subprocess, a plain HTTP session.

Opt-in (marker ``peers``): ``make test-peers``, or ``scripts/peers_setup.sh`` and then
``.venv/bin/python -m pytest -m peers tests/peers``. Skipped when ``.venv-peers`` has no LiteLLM.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.peers.litellm_peer import LITELLM, OBSERVED, Peer, RunGate, gate_runner, running_litellm


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
