#!/usr/bin/env bash
# Install the peer gateways the opt-in suite in tests/peers/ runs the gate against, apart from the project's
# .venv so their dependencies never mix with the gate's:
#   - the LiteLLM proxy, into its own venv (.venv-peers, or $PEERS_VENV);
#   - the Portkey AI gateway (npm @portkey-ai/gateway, pinned), into a project-local node prefix
#     (.peers-node, or $PEERS_NODE), run with the machine's node (20 or later).
#
#   scripts/peers_setup.sh              # both
#   PEERS_VENV=/tmp/peers scripts/peers_setup.sh
#   LITELLM_SPEC='litellm[proxy]==1.x.y' scripts/peers_setup.sh   # pin a version
#   PORTKEY_VERSION=1.15.2 PEERS_NODE=/tmp/peers-node scripts/peers_setup.sh
#
# Idempotent: when litellm already imports in that venv, and when the pinned Portkey version is already in
# the node prefix, nothing is installed.
set -euo pipefail

cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV="${PEERS_VENV:-.venv-peers}"
SPEC="${LITELLM_SPEC:-litellm[proxy]}"
# The version tests/peers/portkey_peer.py expects (PORTKEY_VERSION there); 1.15.2 runs on node 20.
PORTKEY_VERSION="${PORTKEY_VERSION:-1.15.2}"
NODE_PREFIX="${PEERS_NODE:-.peers-node}"

setup_litellm() {
    if [ ! -x "$VENV/bin/python" ]; then
        echo "peers_setup: creating $VENV"
        "$PYTHON" -m venv "$VENV"
    fi

    if "$VENV/bin/python" -c 'import litellm' >/dev/null 2>&1 && [ -x "$VENV/bin/litellm" ]; then
        version="$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("litellm"))')"
        echo "peers_setup: litellm $version already installed in $VENV, nothing to do"
        return 0
    fi

    echo "peers_setup: installing '$SPEC' into $VENV (this takes a while the first time)"
    start=$(date +%s)
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet "$SPEC"
    end=$(date +%s)
    version="$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("litellm"))')"
    echo "peers_setup: installed litellm $version in $((end - start)) s"
}

portkey_installed_version() {
    local manifest="$NODE_PREFIX/node_modules/@portkey-ai/gateway/package.json"
    [ -f "$manifest" ] && [ -f "$NODE_PREFIX/node_modules/@portkey-ai/gateway/build/start-server.js" ] \
        && node -p 'require(require("path").resolve(process.argv[1])).version' "$manifest" 2>/dev/null
}

setup_portkey() {
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        echo "peers_setup: node and npm are needed for the Portkey gateway" >&2
        return 1
    fi
    local node_major
    node_major="$(node -p 'process.versions.node.split(".")[0]')"
    if [ "$node_major" -lt 20 ]; then
        echo "peers_setup: the Portkey gateway needs node 20 or later, found $(node --version)" >&2
        return 1
    fi

    if [ "$(portkey_installed_version || true)" = "$PORTKEY_VERSION" ]; then
        echo "peers_setup: @portkey-ai/gateway $PORTKEY_VERSION already installed in $NODE_PREFIX, nothing to do"
        return 0
    fi

    echo "peers_setup: installing @portkey-ai/gateway@$PORTKEY_VERSION into $NODE_PREFIX"
    start=$(date +%s)
    mkdir -p "$NODE_PREFIX"
    # Install scripts are not run (the package's postinstall only applies its developers' patch-package
    # patches, not needed by build/start-server.js); --save-exact keeps the prefix's package.json pinned.
    npm install --prefix "$NODE_PREFIX" --no-audit --no-fund --no-update-notifier --ignore-scripts \
        --save-exact --loglevel=error "@portkey-ai/gateway@$PORTKEY_VERSION"
    end=$(date +%s)
    version="$(portkey_installed_version)"
    if [ "$version" != "$PORTKEY_VERSION" ]; then
        echo "peers_setup: expected @portkey-ai/gateway $PORTKEY_VERSION in $NODE_PREFIX, found '$version'" >&2
        return 1
    fi
    echo "peers_setup: installed @portkey-ai/gateway $version in $((end - start)) s"
}

setup_litellm
setup_portkey
