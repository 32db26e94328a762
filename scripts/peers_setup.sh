#!/usr/bin/env bash
# Install the peer gateways the opt-in suite in tests/peers/ runs the gate against (today: the LiteLLM
# proxy) into their own venv, apart from the project's .venv so their dependencies never mix with the gate's.
#
#   scripts/peers_setup.sh              # creates .venv-peers (or $PEERS_VENV) and installs 'litellm[proxy]'
#   PEERS_VENV=/tmp/peers scripts/peers_setup.sh
#   LITELLM_SPEC='litellm[proxy]==1.x.y' scripts/peers_setup.sh   # pin a version
#
# Idempotent: when litellm already imports in that venv, nothing is installed.
set -euo pipefail

cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV="${PEERS_VENV:-.venv-peers}"
SPEC="${LITELLM_SPEC:-litellm[proxy]}"

if [ ! -x "$VENV/bin/python" ]; then
    echo "peers_setup: creating $VENV"
    "$PYTHON" -m venv "$VENV"
fi

if "$VENV/bin/python" -c 'import litellm' >/dev/null 2>&1 && [ -x "$VENV/bin/litellm" ]; then
    version="$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("litellm"))')"
    echo "peers_setup: litellm $version already installed in $VENV, nothing to do"
    exit 0
fi

echo "peers_setup: installing '$SPEC' into $VENV (this takes a while the first time)"
start=$(date +%s)
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet "$SPEC"
end=$(date +%s)
version="$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("litellm"))')"
echo "peers_setup: installed litellm $version in $((end - start)) s"
