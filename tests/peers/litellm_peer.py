"""The LiteLLM proxy as a peer gateway (started offline on loopback) and the gate run against it.

Nothing leaves the machine: every model entry answers from LiteLLM's ``mock_response`` and points its
``api_base`` at the loopback discard port, the model cost map and the other remote lookups are read from
the installed package, and the proxy runs without a database.

Every answer a test relies on is recorded with :func:`observe`; the suite's conftest prints them as a table
at the end of the run (and writes them as JSON to ``$PEERS_OBSERVED_JSON`` when set).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.peers import process

ROOT = Path(__file__).resolve().parents[2]
PEERS_VENV = Path(os.environ.get("PEERS_VENV") or ROOT / ".venv-peers")
if not PEERS_VENV.is_absolute():
    PEERS_VENV = ROOT / PEERS_VENV
LITELLM = PEERS_VENV / "bin" / "litellm"
GATE_PYTHON = ROOT / ".venv" / "bin" / "python"
STARTUP_TIMEOUT_S = float(os.environ.get("PEERS_STARTUP_TIMEOUT", "60"))

MASTER_KEY = "sk-peer-master-0123456789"
MODEL = "gpt-4o-mini"
# Where a real upstream call would go if a mock ever fell through: the discard port on loopback.
NOWHERE = "http://127.0.0.1:9/v1"

# Extra model groups whose deployment makes LiteLLM itself raise one of its errors, so the gate meets the
# proxy's real error answers through its normal request (it cannot send a malformed one).
ERROR_MODELS: dict[str, dict[str, Any]] = {
    "peer-rate-limited": {"mock_response": "litellm.RateLimitError"},
    "peer-context-window": {"mock_response": "litellm.ContextWindowExceededError"},
    "peer-internal-error": {"mock_response": "litellm.InternalServerError"},
    "peer-timeout": {"mock_response": "pong", "mock_timeout": True, "timeout": 1},
}

# Model groups for `--api embeddings` (tests/peers/test_litellm_apis.py). LiteLLM's embedding mock answers
# one vector (this list) whatever the input; without a mock the request goes to the discard port and fails.
EMBEDDING_MODEL = "peer-embedding"
EMBEDDING_MOCK_VECTOR = [0.25, -0.5, 0.125]
API_MODELS: dict[str, dict[str, Any]] = {
    EMBEDDING_MODEL: {"model": "openai/text-embedding-3-small", "mock_response": EMBEDDING_MOCK_VECTOR},
    "peer-embedding-unmocked": {"model": "openai/text-embedding-3-small"},
}

# Keep the proxy offline and independent of the developer's shell: local copies of every remote lookup,
# no database (the observed auth answers depend on it), no proxy in front of loopback.
OFFLINE_ENV = {
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS": "True",
    "LITELLM_LOCAL_POLICY_TEMPLATES": "True",
    "LITELLM_LOCAL_BLOG_POSTS": "True",
    "LITELLM_LOCAL_AUTOROUTER_PRESETS": "True",
    "LITELLM_TELEMETRY": "False",
    "DISABLE_SCHEMA_UPDATE": "True",
    "DO_NOT_TRACK": "1",
    "NO_PROXY": "*",
    "no_proxy": "*",
}
_DROPPED_ENV_PREFIXES = (
    "LITELLM_",
    "DATABASE_URL",
    "DIRECT_URL",
    "REDIS_",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
)
# Inputs of the gate that must not reach it from the developer's shell.
_GATE_ENV_PREFIXES = (
    "INPUT_",
    "COMETAPI_",
    "GATE_",
    "GITHUB_",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
)


# ---------------------------------------------------------------------------------------------------------
# What the peer answered, case by case


@dataclass
class Observation:
    case: str
    status: int | None
    error_type: str | None = None
    error_code: str | None = None
    gate_class: str | None = None
    note: str = ""


OBSERVED: list[Observation] = []


def observe(
    case: str,
    status: int | None,
    body: Any = None,
    gate_class: str | None = None,
    note: str = "",
) -> Observation:
    """Record one answer of the peer (status, `error.type` and `error.code` of its body), the gate's class."""
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    item = Observation(
        case,
        status,
        None if error.get("type") is None else str(error["type"]),
        None if error.get("code") is None else str(error["code"]),
        gate_class,
        note,
    )
    OBSERVED.append(item)
    return item


# ---------------------------------------------------------------------------------------------------------
# The proxy


@dataclass
class Peer:
    base_url: str
    master_key: str
    model: str
    config_path: Path
    log_path: Path
    models: list[str] = field(default_factory=list)

    def log_tail(self, lines: int = 40) -> str:
        return process.log_tail(self.log_path, lines)


def _yaml_model(name: str, params: Mapping[str, Any]) -> str:
    # JSON scalars are valid YAML, so json.dumps quotes every value safely.
    full = {"model": f"openai/{MODEL}", "api_key": "sk-fake", "api_base": NOWHERE, **params}
    lines = [f"  - model_name: {json.dumps(name)}", "    litellm_params:"]
    lines += [f"      {key}: {json.dumps(value)}" for key, value in full.items()]
    return "\n".join(lines)


def write_config(path: Path, model_params: Mapping[str, Mapping[str, Any]] | None = None) -> list[str]:
    """The LiteLLM config: the smoke model answering "pong", the error and embedding models (or the given
    ``model_params``: model group -> litellm_params), a master key, no retries."""
    models = model_params or {MODEL: {"mock_response": "pong"}, **ERROR_MODELS, **API_MODELS}
    text = "\n".join(
        [
            "model_list:",
            *(_yaml_model(name, params) for name, params in models.items()),
            "litellm_settings:",
            "  telemetry: false",
            "  num_retries: 0",
            "router_settings:",
            "  num_retries: 0",
            "general_settings:",
            f"  master_key: {json.dumps(MASTER_KEY)}",
            "",
        ]
    )
    path.write_text(text)
    return list(models)


def _peer_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED_ENV_PREFIXES)}
    env.update(OFFLINE_ENV)
    return env


@contextlib.contextmanager
def running_litellm(
    workdir: Path, model_params: Mapping[str, Mapping[str, Any]] | None = None
) -> Iterator[Peer]:
    """Start ``litellm --config`` on a free loopback port, wait until it is live, stop its process group."""
    config_path = workdir / "litellm.yaml"
    models = write_config(config_path, model_params)
    port = process.free_port()
    peer = Peer(f"http://127.0.0.1:{port}", MASTER_KEY, MODEL, config_path, workdir / "litellm.log", models)
    argv = [str(LITELLM), "--config", str(config_path), "--host", "127.0.0.1", "--port", str(port)]
    # LiteLLM loads a .env from its working directory: give it one without.
    proc = process.start(argv, cwd=workdir, env=_peer_env(), log_path=peer.log_path)
    try:
        process.wait_until_live(
            proc,
            "LiteLLM (/health/liveliness)",
            lambda session: session.get(f"{peer.base_url}/health/liveliness", timeout=2).status_code == 200,
            peer.log_path,
            timeout_s=STARTUP_TIMEOUT_S,
        )
        yield peer
    finally:
        process.stop(proc, term_wait_s=15.0)


# ---------------------------------------------------------------------------------------------------------
# The gate, as CI runs it: a subprocess with a JSON report


@dataclass
class GateRun:
    exit_code: int
    stdout: str
    stderr: str
    report: dict[str, Any]

    def check(self, check_id: str) -> dict[str, Any]:
        for item in self.report.get("checks", []):
            if item["id"] == check_id:
                return item
        raise AssertionError(f"no check {check_id!r} in {[c['id'] for c in self.report.get('checks', [])]}")

    def explain(self) -> str:
        return f"exit {self.exit_code}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


RunGate = Callable[..., GateRun]


def gate_runner(peer: Peer, workdir: Path) -> RunGate:
    """``python -m gate run`` against the peer, as CI runs it; keywords ``api_key`` / ``model`` override."""
    python = str(GATE_PYTHON) if GATE_PYTHON.exists() else sys.executable
    env = {k: v for k, v in os.environ.items() if not k.startswith(_GATE_ENV_PREFIXES)}
    env.update({"NO_COLOR": "1", "NO_PROXY": "*", "no_proxy": "*"})
    runs = iter(range(1_000_000))

    def run(*args: str, api_key: str = MASTER_KEY, model: str = MODEL) -> GateRun:
        report_path = workdir / f"report-{next(runs)}.json"
        argv = [python, "-m", "gate", "run", "--base-url", peer.base_url, "--api-key", api_key]
        argv += ["--model", model, "--json", str(report_path), *args]
        done = subprocess.run(
            argv, cwd=workdir, env=env, capture_output=True, text=True, timeout=180, check=False
        )
        report = json.loads(report_path.read_text()) if report_path.exists() else {}
        return GateRun(done.returncode, done.stdout, done.stderr, report)

    return run
