"""The copies of the action and the recipes that scripts/runner_test.sh runs under act and gitlab-ci-local.

Offline, a runner cannot fetch JavaScript actions from github.com (actions/setup-python, upload-artifact,
download-artifact, checkout) nor reach the recipes' example endpoints. Each copy changes exactly those
lines, and nothing else; when a line it replaces is not found exactly where it is expected, it exits 1 naming
it, so a change to a recipe cannot silently leave the copy testing something else.

    python tests/runners/offline_copies.py composite     SOURCE TARGET
    python tests/runners/offline_copies.py github-matrix SOURCE TARGET ON_PREM_SCENARIO
    python tests/runners/offline_copies.py gitlab-matrix SOURCE TARGET ON_PREM_SCENARIO

The matrix copies point the eu-west and us-east legs at sim://ok and the on-prem leg at sim://<scenario>; the
GitHub one runs its legs one at a time (max-parallel: 1), as under act they share one workspace.
The GitHub copy's stand-ins are the composite actions under tests/runners/github/stand-ins/ (see their
action.yml files). Standard library only: it runs before any virtual environment exists.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

SETUP_PYTHON = re.compile(r'( *)- uses: actions/setup-python@v5\n\1  with:\n\1    python-version: "3\.1\d"\n')
LEG_URL = {
    "github-matrix": re.compile(r"(- leg: (\S+)\n(?:\s+[\w-]+: .*\n)*?\s+base-url: )(\S+)"),
    "gitlab-matrix": re.compile(r"(- LEG: (\S+)\n(?:\s+\w+: .*\n)*?\s+COMETAPI_BASE_URL: )(\S+)"),
}
LEGS = ("eu-west", "us-east", "on-prem")
STAND_INS = "./tests/runners/github/stand-ins"


class Mismatch(Exception):
    """The source no longer has a line the copy replaces."""


def replace(text: str, pattern: re.Pattern[str], new, count: int, what: str) -> str:
    result, found = pattern.subn(new, text)
    if found != count:
        raise Mismatch(f"{what}: found {found} times, expected {count}")
    return result


def composite(text: str) -> str:
    """actions/setup-python replaced by a run step that puts a python3 venv first on PATH, as it does."""

    def offline(match: re.Match[str]) -> str:
        pad = match[1]
        return (
            f'{pad}- name: "Set up Python (offline stand-in for actions/setup-python)"\n'
            f"{pad}  shell: bash\n"
            f'{pad}  run: python3 -m venv "$RUNNER_TEMP/python"'
            ' && echo "$RUNNER_TEMP/python/bin" >>"$GITHUB_PATH"\n'
        )

    return replace(text, SETUP_PYTHON, offline, 1, "the actions/setup-python step")


def legs(text: str, kind: str, on_prem: str) -> str:
    urls = {"eu-west": "sim://ok", "us-east": "sim://ok", "on-prem": f"sim://{on_prem}"}
    named = sorted(match[2] for match in LEG_URL[kind].finditer(text))
    if named != sorted(LEGS):
        raise Mismatch(f"the matrix legs are {named}, expected {sorted(LEGS)}")
    return LEG_URL[kind].sub(lambda match: match[1] + urls[match[2]], text)


def github_matrix(text: str, on_prem: str) -> str:
    """The legs at the simulator, the action at ./, GitHub's JavaScript actions and the pip install from
    GitHub replaced by the stand-ins, the deploy at the workspace's stand-in deploy.sh."""
    text = legs(text, "github-matrix", on_prem)
    # One leg at a time: under act --bind the legs share one workspace (and its gate-reports/).
    fail_fast = re.compile(r"( *)fail-fast: false(.*)\n")
    text = replace(text, fail_fast, lambda m: f"{m[0]}{m[1]}max-parallel: 1\n", 1, "fail-fast: false")
    text = replace(text, re.compile(r"uses: org/cometapi-smoke-gate@v1\n"), "uses: ./\n", 1, "the action")
    for action in ("upload-artifact", "download-artifact", "setup-python", "checkout"):
        pattern = re.compile(rf"uses: actions/{action}@v\d+\n")
        count = len(pattern.findall(text)) or 1
        text = replace(text, pattern, f"uses: {STAND_INS}/{action}\n", count, f"actions/{action}")
    install = re.compile(r'run: pip install "cometapi-smoke-gate @ git\+https://github\.com/\S+"\n')
    return replace(text, install, 'run: pip install --quiet "$GITHUB_WORKSPACE"\n', 1, "the pip install")


def main(argv: list[str]) -> int:
    kind, source, target, *rest = argv
    text = Path(source).read_text(encoding="utf-8")
    try:
        if kind == "composite":
            copy = composite(text)
        elif kind == "github-matrix":
            copy = github_matrix(text, *rest)
        elif kind == "gitlab-matrix":
            copy = legs(text, kind, *rest)
        else:
            raise Mismatch(f"unknown copy {kind!r}")
    except Mismatch as mismatch:
        print(f"offline_copies.py: {source}: {mismatch}", file=sys.stderr)
        return 1
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    Path(target).write_text(copy, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
