"""The Portkey AI gateway as a peer (npm ``@portkey-ai/gateway``, started on loopback) and the gate run
through it.

Nothing leaves the machine: every request names the simulator as Portkey's custom upstream
(``x-portkey-provider: openai`` plus ``x-portkey-custom-host: <simulator>/s/<scenario>/v1``: the custom host
must include ``/v1``, Portkey appends only ``/chat/completions``), and a preload (:data:`LOOPBACK_GUARD`)
binds the gateway's listening socket to 127.0.0.1 (it listens on every interface otherwise) and refuses
every outgoing connection to a host that is not loopback, before any DNS look-up.

``scripts/peers_setup.sh`` installs the pinned :data:`PORTKEY_VERSION` into ``.peers-node`` (``$PEERS_NODE``).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL, Simulator
from tests.peers import process
from tests.peers.litellm_peer import _GATE_ENV_PREFIXES, GATE_PYTHON, ROOT, GateRun

#: The version scripts/peers_setup.sh installs (keep the two in step).
PORTKEY_VERSION = "1.15.2"
PEERS_NODE = Path(os.environ.get("PEERS_NODE") or ROOT / ".peers-node")
if not PEERS_NODE.is_absolute():
    PEERS_NODE = ROOT / PEERS_NODE
PORTKEY_PACKAGE = PEERS_NODE / "node_modules" / "@portkey-ai" / "gateway"
PORTKEY_SERVER = PORTKEY_PACKAGE / "build" / "start-server.js"
STARTUP_TIMEOUT_S = float(os.environ.get("PEERS_STARTUP_TIMEOUT", "60"))

API_KEY = DEFAULT_API_KEY
MODEL = DEFAULT_MODEL

#: Loaded with ``node --require`` before the gateway: loopback only, in and out.
LOOPBACK_GUARD = r"""
"use strict";
// Written by tests/peers/portkey_peer.py. The gateway calls serve({port}) (all interfaces): bind it to
// 127.0.0.1. Refuse every outgoing TCP connection whose host is not loopback (before DNS is asked).
const net = require("net");
const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === "number" && typeof args[1] !== "string") {
    args.splice(1, 0, "127.0.0.1");
  } else if (args[0] && typeof args[0] === "object" && args[0].path === undefined) {
    args[0] = { ...args[0], host: "127.0.0.1" };
  }
  return listen.apply(this, args);
};
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  let host = "localhost";
  if (first && typeof first === "object") {
    if (first.path !== undefined) return connect.apply(this, args);
    host = first.host ?? "localhost";
  } else if (typeof args[1] === "string") {
    host = args[1];
  }
  if (!LOOPBACK.has(host)) {
    const err = new Error(`peer guard: connection to ${host} refused (loopback only)`);
    err.code = "ECONNREFUSED";
    process.nextTick(() => this.destroy(err));
    return this;
  }
  return connect.apply(this, args);
};
"""

# The gateway's environment: nothing from a developer's proxy settings, no production mode surprises.
_DROPPED_ENV_PREFIXES = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "NODE_OPTIONS",
    "PORTKEY_",
)


def installed_version() -> str | None:
    """The version of @portkey-ai/gateway in the node prefix, or None when it is not installed."""
    try:
        manifest = json.loads((PORTKEY_PACKAGE / "package.json").read_text())
    except (OSError, ValueError):
        return None
    return str(manifest.get("version")) if PORTKEY_SERVER.is_file() else None


def missing_reason() -> str | None:
    """Why the Portkey suite cannot run here (None: it can)."""
    if shutil.which("node") is None:
        return "node is not on PATH (the Portkey gateway runs on node 20 or later)"
    version = installed_version()
    if version is None:
        return f"Portkey is not installed ({PORTKEY_SERVER} is missing): run scripts/peers_setup.sh first"
    if version != PORTKEY_VERSION:
        return (
            f"@portkey-ai/gateway {version} is installed in {PEERS_NODE}, the suite expects "
            f"{PORTKEY_VERSION}: rerun scripts/peers_setup.sh"
        )
    return None


# ---------------------------------------------------------------------------------------------------------
# What Portkey answered, case by case (written to $PEERS_PORTKEY_OBSERVED_JSON when set)


@dataclass
class PortkeyObservation:
    case: str
    status: int | None
    headers: dict[str, str]
    body: str
    gate: dict[str, Any] = field(default_factory=dict)


PORTKEY_OBSERVED: list[PortkeyObservation] = []

#: Response headers worth recording: Portkey's own, ids, retry hints.
NOTABLE_HEADERS = ("x-portkey-", "x-request-id", "retry-after", "content-type", "server")


def notable_headers(response: requests.Response) -> dict[str, str]:
    return {
        name.lower(): value
        for name, value in response.headers.items()
        if name.lower().startswith(NOTABLE_HEADERS)
    }


def observe_portkey(
    case: str, response: requests.Response, gate: dict[str, Any] | None = None
) -> PortkeyObservation:
    item = PortkeyObservation(
        case, response.status_code, notable_headers(response), response.text, dict(gate or {})
    )
    PORTKEY_OBSERVED.append(item)
    return item


def write_observations() -> None:
    target = os.environ.get("PEERS_PORTKEY_OBSERVED_JSON")
    if target and PORTKEY_OBSERVED:
        Path(target).write_text(json.dumps([o.__dict__ for o in PORTKEY_OBSERVED], indent=2) + "\n")


# ---------------------------------------------------------------------------------------------------------
# The gateway


@dataclass
class PortkeyPeer:
    url: str  # http://127.0.0.1:<port>, the gateway's root (GET / answers "AI Gateway says hey!")
    version: str
    sim: Simulator  # the upstream every request is pointed at
    log_path: Path

    @property
    def base_url(self) -> str:
        """What the gate is given as --base-url."""
        return f"{self.url}/v1"

    @property
    def chat_url(self) -> str:
        return f"{self.url}/v1/chat/completions"

    def upstream(self, scenario: str) -> str:
        """The custom host for ``scenario``: the simulator's scenario base URL, with /v1."""
        return f"{self.sim.url_for(scenario)}/v1"

    def headers(self, scenario: str, **extra: str) -> dict[str, str]:
        """Portkey's routing headers to the simulator serving ``scenario``, plus ``extra`` (``_`` → ``-``)."""
        headers = {"x-portkey-provider": "openai", "x-portkey-custom-host": self.upstream(scenario)}
        headers.update({name.replace("_", "-"): value for name, value in extra.items()})
        return headers

    def log_tail(self, lines: int = 40) -> str:
        return process.log_tail(self.log_path, lines)


def _gateway_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED_ENV_PREFIXES)}
    env.update({"NO_PROXY": "*", "no_proxy": "*", "NO_COLOR": "1"})
    return env


@contextlib.contextmanager
def running_portkey(workdir: Path, sim: Simulator) -> Iterator[PortkeyPeer]:
    """``node build/start-server.js --port=N --headless`` on a free loopback port (the gateway reads only
    ``--port=N``, with ``=``), behind the loopback guard; waits until ``GET /`` answers, then yields."""
    node = shutil.which("node")
    assert node is not None
    guard = workdir / "loopback_guard.cjs"
    guard.write_text(LOOPBACK_GUARD)
    port = process.free_port()
    peer = PortkeyPeer(f"http://127.0.0.1:{port}", installed_version() or "?", sim, workdir / "portkey.log")
    argv = [node, "--require", str(guard), str(PORTKEY_SERVER), f"--port={port}", "--headless"]
    proc = process.start(argv, cwd=workdir, env=_gateway_env(), log_path=peer.log_path)

    def is_live(session: requests.Session) -> bool:
        answer = session.get(f"{peer.url}/", timeout=2)
        return answer.status_code == 200 and "AI Gateway" in answer.text

    try:
        process.wait_until_live(
            proc, "Portkey (GET /)", is_live, peer.log_path, timeout_s=STARTUP_TIMEOUT_S, interval_s=0.2
        )
        yield peer
    finally:
        process.stop(proc)


# ---------------------------------------------------------------------------------------------------------
# The gate through Portkey, as CI runs it: a subprocess with a JSON report


@dataclass
class PortkeyGateRun(GateRun):
    report_path: Path | None = None

    @property
    def failure_class(self) -> str | None:
        return self.report.get("failure_class")

    def written(self) -> str:
        """Everything the run wrote: its output and every file in its report directory."""
        texts = [self.stdout, self.stderr]
        if self.report_path is not None:
            for path in sorted(self.report_path.parent.rglob("*")):
                if path.is_file():
                    texts.append(path.read_text(errors="replace"))
        return "\n".join(texts)


def portkey_gate_runner(peer: PortkeyPeer, workdir: Path) -> Any:
    """``python -m gate run --base-url <portkey>/v1`` with the Portkey headers for a scenario.

    ``run(scenario, *args, headers=None, api_key=API_KEY, model=MODEL)``: ``headers`` (default: the routing
    headers to ``scenario``) go out as ``--header 'Name: value'``; ``args`` are passed on as they are. Each
    run gets a directory of its own with the JSON report, the JUnit report and the job summary in it.
    """
    python = str(GATE_PYTHON) if GATE_PYTHON.exists() else sys.executable
    env = {k: v for k, v in os.environ.items() if not k.startswith(_GATE_ENV_PREFIXES)}
    env.update({"NO_COLOR": "1", "NO_PROXY": "*", "no_proxy": "*"})
    runs = iter(range(1_000_000))

    def run(
        scenario: str,
        *args: str,
        headers: dict[str, str] | None = None,
        api_key: str = API_KEY,
        model: str = MODEL,
        extra_env: dict[str, str] | None = None,
    ) -> PortkeyGateRun:
        rundir = workdir / f"run-{next(runs)}"
        rundir.mkdir()
        report_path = rundir / "report.json"
        sent = peer.headers(scenario) if headers is None else headers
        argv = [python, "-m", "gate", "run", "--base-url", peer.base_url, "--api-key", api_key]
        argv += ["--model", model, "--json", str(report_path)]
        argv += ["--junit", str(rundir / "junit.xml"), "--summary", str(rundir / "summary.md")]
        for name, value in sent.items():
            argv += ["--header", f"{name}: {value}"]
        argv += list(args)
        done = subprocess.run(
            argv,
            cwd=rundir,
            env={**env, **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        report = json.loads(report_path.read_text()) if report_path.exists() else {}
        return PortkeyGateRun(done.returncode, done.stdout, done.stderr, report, report_path)

    return run
