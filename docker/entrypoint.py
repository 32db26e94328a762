#!/usr/bin/env python3
"""Entry point of the cometapi-smoke-gate image (installed as /opt/venv/bin/gate-entrypoint).

    (no arguments)                      -> cometapi-smoke-gate run   (settings from INPUT_* / COMETAPI_*)
    run | demo | simulate | merge | -*  -> cometapi-smoke-gate ARGS  (GitHub's `args: [run]`, `IMAGE --help`)
    anything else                       -> exec ARGS                 (GitLab's `sh -c ...`, Jenkins' `cat`)

So the image works as a GitHub container action, a GitLab job image and a Jenkins docker.inside image without
overriding the entry point, as any uid, with no HOME. It is Python, not /bin/sh, on purpose: GitHub passes
inputs as INPUT_<NAME> with hyphens kept (INPUT_BASE-URL), and dash, Debian's /bin/sh, drops such variables
from the environment of whatever it executes. Only the standard library is used; the process is replaced by
the command (exec), so signals and the exit code are the command's own.
"""

from __future__ import annotations

import os
import shutil
import sys

GATE = "cometapi-smoke-gate"
GATE_COMMANDS = {"run", "demo", "simulate", "merge"}


def gate_path() -> str:
    """The gate beside this script (/opt/venv/bin), else the one on PATH."""
    beside = os.path.join(os.path.dirname(os.path.abspath(__file__)), GATE)
    if os.access(beside, os.X_OK):
        return beside
    return shutil.which(GATE) or GATE


def command(args: list[str]) -> list[str]:
    if not args:
        return [gate_path(), "run"]
    if args[0] in GATE_COMMANDS or args[0].startswith("-"):
        return [gate_path(), *args]
    return args


def main() -> None:
    argv = command(sys.argv[1:])
    try:
        os.execvp(argv[0], argv)
    except OSError as exc:
        print(f"gate-entrypoint: cannot run {argv[0]}: {exc.strerror or exc}", file=sys.stderr)
        sys.exit(127 if isinstance(exc, FileNotFoundError) else 126)


if __name__ == "__main__":
    main()
