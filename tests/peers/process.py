"""A peer server as a child process: started in a session of its own on a free loopback port, waited for
until it answers, stopped with its whole process group. Shared by the LiteLLM and Portkey peers."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pytest
import requests


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def log_tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def start(
    argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], log_path: Path
) -> subprocess.Popen[bytes]:
    """The server, its output in ``log_path``, in a new session (so ``stop`` reaches its workers too)."""
    with log_path.open("wb") as log:
        return subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_until_live(
    proc: subprocess.Popen[bytes],
    name: str,
    is_live: Callable[[requests.Session], bool],
    log_path: Path,
    *,
    timeout_s: float,
    interval_s: float = 0.25,
) -> None:
    """Poll ``is_live`` (a request on a session that ignores proxy variables) until it holds; fail the test
    with the log's tail when the process exits first or ``timeout_s`` passes."""
    deadline = time.monotonic() + timeout_s
    with requests.Session() as session:
        session.trust_env = False
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"{name} exited with {proc.returncode} while starting:\n{log_tail(log_path)}")
            with contextlib.suppress(requests.RequestException):
                if is_live(session):
                    return
            time.sleep(interval_s)
    pytest.fail(f"{name} did not come up in {timeout_s:g} s:\n{log_tail(log_path)}")


def stop(proc: subprocess.Popen[bytes], term_wait_s: float = 10.0) -> None:
    """Terminate the process group, then kill it; anything left in the group (workers) goes too."""
    for sig, wait_s in ((signal.SIGTERM, term_wait_s), (signal.SIGKILL, 5.0)):
        if proc.poll() is not None:
            break
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=wait_s)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
