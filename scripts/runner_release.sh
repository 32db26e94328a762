# shellcheck shell=bash
# The release path, end to end (sourced by scripts/runner_test.sh, which defines the helpers used here; run
# with `ONLY=release scripts/runner_test.sh` alone). docs/runners.md describes it.
#
#   1. A registry on loopback (Debian's docker-registry, the distribution registry) stands in for GHCR.
#   2. The gate's image (built by scripts/container_test.sh) is pushed there, as the release workflow pushes it.
#   3. A git repository holding the source, tagged v1.2.3: scripts/release_commit.py writes the release commit
#      with the PUSHED digest and moves v1 and v1.2 to it, as the release workflow does.
#   4. act runs tests/runners/github/pass.yml (`uses: ./`) in a checkout of v1, on an empty container store:
#      the action's image is pulled by digest from the registry, not built. Then the same workflow at v1.2.3
#      (the source commit, `image: "Dockerfile"`) builds it. The runs are timed: time to verdict, pulled
#      against built, and the floor, v1 again with the image already in the store (docs/performance.md).
#
# The runs use their own podman store (--root, --runroot, --tmpdir under $WORK) served on their own Docker API
# socket, so nothing the other runs pulled or built can be found there: the pull really transfers the gate's
# layers, and the build really runs pip. Both stores hold the runner image (the job container), pushed and
# pulled through the same registry; it shares the Debian base layer with the gate's image, so the pull
# transfers only the gate's own layers, as the build installs only the gate's own packages.

RELEASE_TAG="v1.2.3"
RELEASE_REPO="runner-test/cometapi-smoke-gate" # the image's path in the registry (GHCR: OWNER/REPO)
REGISTRY_PID=""
RELEASE_SERVICE_PID=""
RELEASE_DIR="$WORK/release"
RELEASE_SOCKET="$RELEASE_DIR/podman.sock"
RELEASE_PODMAN=(podman --root "$RELEASE_DIR/store" --runroot "$RELEASE_DIR/run" --tmpdir "$RELEASE_DIR/tmp")

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_registry: the distribution registry on 127.0.0.1:<free port>, storing under $RELEASE_DIR/registry.
start_registry() {
    command -v docker-registry >/dev/null 2>&1 || apt_install docker-registry
    local port config waited=0
    port="$(free_port)"
    REGISTRY="127.0.0.1:$port"
    config="$RELEASE_DIR/registry.yml"
    cat >"$config" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $RELEASE_DIR/registry
http:
  addr: $REGISTRY
EOF
    docker-registry serve "$config" >"$RELEASE_DIR/registry.log" 2>&1 &
    REGISTRY_PID=$!
    until python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
        "http://$REGISTRY/v2/" 2>/dev/null; do
        waited=$((waited + 1))
        if [ "$waited" -gt 50 ] || ! kill -0 "$REGISTRY_PID" 2>/dev/null; then
            cat "$RELEASE_DIR/registry.log"
            say "docker-registry did not start on $REGISTRY"
            exit 2
        fi
        sleep 0.2
    done
    # The registry speaks plain HTTP on loopback: podman is told so for this address only.
    printf '[[registry]]\nlocation = "%s"\ninsecure = true\n' "$REGISTRY" >"$RELEASE_DIR/registries.conf"
    say "$(docker-registry --version 2>/dev/null | head -n 1) on http://$REGISTRY (pid $REGISTRY_PID)"
}

# unmount_under DIR: every mount below DIR, deepest first (podman's overlay driver bind-mounts its own
# directory, store/overlay).
unmount_under() {
    local mount
    while read -r mount; do
        umount "$mount" 2>/dev/null || umount -l "$mount" 2>/dev/null || true
    done < <(findmnt -rn -o TARGET 2>/dev/null | grep -F "$1/" | sort -r)
}

# remove_tree DIR: unmount what is below DIR and remove it, retried for 5 s.
remove_tree() {
    local tries=0
    while [ -e "$1" ] && [ "$tries" -lt 10 ]; do
        unmount_under "$1"
        rm -rf "$1" 2>/dev/null || sleep 0.5
        tries=$((tries + 1))
    done
    [ ! -e "$1" ] || say "warning: could not remove $1 (still mounted: $(findmnt -rn -o TARGET | grep -F "$1/" | head -n 1))"
}

# stop_release: the service, the store (reset, unmounted, removed: a second call finds nothing), the registry.
stop_release() {
    if [ -n "$RELEASE_SERVICE_PID" ]; then
        kill "$RELEASE_SERVICE_PID" 2>/dev/null
        wait "$RELEASE_SERVICE_PID" 2>/dev/null
        RELEASE_SERVICE_PID=""
    fi
    if [ -d "$RELEASE_DIR/store" ]; then
        # act's `docker exec`s leave a conmon each that waits 300 s (--exit-delay) before it runs `podman
        # --root <store> container cleanup`: run after the store is removed, that creates it again, and mounts
        # it. Their containers are gone (act --rm), and the store is reset here: they are stopped.
        pkill -KILL -f -- "$RELEASE_DIR/(store|run)" 2>/dev/null || true
        release_podman system reset -f >/dev/null 2>&1 || true
        remove_tree "$RELEASE_DIR/store"
        rm -rf "$RELEASE_DIR/run" "$RELEASE_DIR/tmp"
    fi
    if [ -n "$REGISTRY_PID" ]; then
        kill "$REGISTRY_PID" 2>/dev/null
        wait "$REGISTRY_PID" 2>/dev/null
        REGISTRY_PID=""
    fi
}

release_podman() { CONTAINERS_REGISTRIES_CONF="$RELEASE_DIR/registries.conf" "${RELEASE_PODMAN[@]}" "$@"; }

# push_gate_image: the release workflow's push; sets DIGEST to the digest the registry stored.
push_gate_image() {
    podman push -q --tls-verify=false --digestfile "$RELEASE_DIR/digest" "$GATE_IMAGE" \
        "$REGISTRY/$RELEASE_REPO:$RELEASE_TAG" >"$RELEASE_DIR/push.log" 2>&1 || {
        cat "$RELEASE_DIR/push.log"
        say "podman push to $REGISTRY failed"
        exit 2
    }
    DIGEST="$(cat "$RELEASE_DIR/digest")"
    # What a runner will pull: the manifest under that digest, as the registry serves it.
    if python3 - "http://$REGISTRY/v2/$RELEASE_REPO/manifests/$DIGEST" <<'PY'; then
import sys
import urllib.request

accept = ", ".join(
    [
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.index.v1+json",
    ]
)
request = urllib.request.Request(sys.argv[1], headers={"Accept": accept})
with urllib.request.urlopen(request, timeout=10) as answer:
    sys.exit(0 if answer.status == 200 else 1)
PY
        pass "release: pushed $GATE_IMAGE to $REGISTRY/$RELEASE_REPO:$RELEASE_TAG, the registry serves $DIGEST"
    else
        fail "release: the registry does not serve the manifest $DIGEST it was pushed"
    fi
}

# The store the timed runs use, with the runner image (the job container and the Dockerfile's base) in it.
start_release_store() {
    mkdir -p "$RELEASE_DIR/store" "$RELEASE_DIR/run" "$RELEASE_DIR/tmp"
    local staged="$REGISTRY/runner-test/gate-runner:bookworm"
    { podman push -q --tls-verify=false "$RUNNER_IMAGE" "$staged" &&
        release_podman pull -q --tls-verify=false "$staged" &&
        release_podman tag "$staged" "$RUNNER_IMAGE" "$DOCKERFILE_BASE"; } >"$RELEASE_DIR/store.log" 2>&1 || {
        cat "$RELEASE_DIR/store.log"
        say "could not put $RUNNER_IMAGE into the release store"
        exit 2
    }
    CONTAINERS_REGISTRIES_CONF="$RELEASE_DIR/registries.conf" serve_docker_api "$RELEASE_SOCKET" \
        "$RELEASE_DIR/podman-service.log" "${RELEASE_PODMAN[@]:1}"
    RELEASE_SERVICE_PID=$SERVED_PID
}

# make_release_commit: the source repository tagged $RELEASE_TAG, then the release commit; sets RELEASE_COMMIT
# and SOURCE_COMMIT, and checks out v1 (what `uses: org/cometapi-smoke-gate@v1` runs) into $RELEASE_DIR/v1.
make_release_commit() {
    local repo="$RELEASE_DIR/source" out
    make_github_workspace "$repo"
    {
        git -C "$repo" init -q --initial-branch=main &&
            git -C "$repo" -c user.name="Runner Test" -c user.email=runner-test@example.com add --all &&
            git -C "$repo" -c user.name="Runner Test" -c user.email=runner-test@example.com commit -q \
                -m "Source of $RELEASE_TAG" &&
            git -C "$repo" -c user.name="Runner Test" -c user.email=runner-test@example.com tag -a \
                "$RELEASE_TAG" -m "$RELEASE_TAG"
    } >"$RELEASE_DIR/git.log" 2>&1 || {
        cat "$RELEASE_DIR/git.log"
        say "could not make the source repository"
        exit 2
    }
    SOURCE_COMMIT="$(git -C "$repo" rev-parse HEAD)"
    if ! RELEASE_COMMIT="$(GIT_COMMITTER_NAME="Runner Test" GIT_COMMITTER_EMAIL=runner-test@example.com \
        GIT_AUTHOR_NAME="Runner Test" GIT_AUTHOR_EMAIL=runner-test@example.com \
        "$PY" scripts/release_commit.py --repo "$repo" --image "$REGISTRY/$RELEASE_REPO" --digest "$DIGEST" \
        --tag "$RELEASE_TAG" 2>"$RELEASE_DIR/release_commit.log")"; then
        fail "release: scripts/release_commit.py failed: $(tail -n 1 "$RELEASE_DIR/release_commit.log")"
        return 1
    fi
    git -C "$repo" worktree add -q --detach "$RELEASE_DIR/v1" v1 >>"$RELEASE_DIR/git.log" 2>&1 || {
        fail "release: git worktree add of v1 failed"
        return 1
    }
    out="$(sed -n 's/^  image: //p' "$RELEASE_DIR/v1/action.yml")"
    if [ "$(git -C "$repo" rev-parse 'v1^{commit}')" = "$RELEASE_COMMIT" ] &&
        [ "$(git -C "$repo" rev-parse "$RELEASE_TAG^{commit}")" = "$SOURCE_COMMIT" ] &&
        [ "$out" = "\"docker://$REGISTRY/$RELEASE_REPO@$DIGEST\"" ]; then
        pass "release: release commit ${RELEASE_COMMIT:0:12}: v1 names the pushed digest, $RELEASE_TAG stays on the source"
    else
        fail "release: v1's action.yml has image $out, or the tags are not where release_commit.py puts them"
        return 1
    fi
}

# release_run LABEL WORKSPACE REBUILD: act runs pass.yml in WORKSPACE against the release store; sets SECONDS_TAKEN.
release_run() {
    local label="$1" ws="$2" rebuild="$3" log="$RELEASE_DIR/act-$1.log" rc start end
    rm -rf "$ws/gate-reports"
    start="$(date +%s.%N)"
    (cd "$ws" && COMETAPI_API_KEY="$API_KEY" DOCKER_HOST="unix://$RELEASE_SOCKET" timeout 900 "$ACT" push \
        -W tests/runners/github/pass.yml -P "ubuntu-latest=$RUNNER_IMAGE" \
        --pull=false --action-offline-mode --rebuild="$rebuild" --bind --container-daemon-socket - \
        --no-cache-server --rm -s COMETAPI_API_KEY </dev/null >"$log" 2>&1)
    rc=$?
    end="$(date +%s.%N)"
    SECONDS_TAKEN="$(python3 -c 'import sys; print(f"{float(sys.argv[2]) - float(sys.argv[1]):.1f}")' "$start" "$end")"
    if [ "$rc" = 0 ] && grep -q 'RUNNER-TEST CHECKS PASSED' "$log" && grep -q 'Job succeeded' "$log"; then
        pass "release $label: act ran the action, the job's output checks passed (${SECONDS_TAKEN} s to verdict)"
    else
        fail "release $label: act exit $rc, the workflow's checks did not pass (log: last lines below)"
        show_log "$log"
    fi
    check_report "release $label" "$ws/gate-reports/report.json" pass proceed -
    no_key "release $label" "$log" "$ws/gate-reports"
}

run_release() {
    say "release path: registry on loopback, release commit, act pulls the image by digest"
    mkdir -p "$RELEASE_DIR"
    start_registry
    push_gate_image
    start_release_store
    make_release_commit || return

    local reference="$REGISTRY/$RELEASE_REPO@$DIGEST" pulled present built
    if release_podman image inspect "$reference" >/dev/null 2>&1; then
        fail "release: the release store already holds $reference before the run"
    fi
    release_run pulled "$RELEASE_DIR/v1" false
    pulled="$SECONDS_TAKEN"
    if release_podman image inspect "$reference" >/dev/null 2>&1 &&
        ! release_podman image inspect act-dockeraction:latest >/dev/null 2>&1; then
        pass "release pulled: the store now holds $reference, and act built nothing"
    else
        fail "release pulled: act did not pull $reference, or it built the Dockerfile"
    fi
    if grep -q "docker pull image=$REGISTRY/$RELEASE_REPO@$DIGEST" "$RELEASE_DIR/act-pulled.log"; then
        pass "release pulled: act's log shows the pull by digest"
    else
        fail "release pulled: no 'docker pull image=$reference' in act's log"
    fi

    # The floor: the same run again, the image now in the store (what a runner that pulled it once pays).
    release_run present "$RELEASE_DIR/v1" false
    present="$SECONDS_TAKEN"

    git -C "$RELEASE_DIR/source" checkout -q "$RELEASE_TAG" 2>/dev/null
    release_run built "$RELEASE_DIR/source" true
    built="$SECONDS_TAKEN"
    if release_podman image inspect act-dockeraction:latest >/dev/null 2>&1; then
        pass "release built: at $RELEASE_TAG (image: Dockerfile) act built the action's image"
    else
        fail "release built: no act-dockeraction image: act did not build the Dockerfile at $RELEASE_TAG"
    fi
    RELEASE_TIMES="time to verdict: pulled by digest ${pulled} s, built from the Dockerfile ${built} s"
    RELEASE_TIMES+=" (the image already in the store: ${present} s)"
    say "  time  release: $RELEASE_TIMES"
    stop_release
}
