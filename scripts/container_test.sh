#!/usr/bin/env bash
# Build the image and run it the three ways CI systems run a container, each time against the gate's built-in
# simulator inside the same container, with no network at all (`--network none`):
#   (a) GitHub container action: INPUT_* variables (hyphens kept), /github/workspace and /github/file_commands
#       mounts, GITHUB_OUTPUT / GITHUB_STEP_SUMMARY, args `run`
#   (b) GitLab job image: the entry point kept, the job's script as `sh -c "..."`
#   (c) Jenkins docker.inside: `-u 1234:1234`, no HOME, a detached `cat` kept alive with -t -i, then `exec`
# sim://ok must exit 0 and sim://auth exit 1; the JSON report, GitHub outputs, step summary and JUnit report
# are checked, and no file or log may contain the API key. Exits non-zero on any failed assertion.
#
#   scripts/container_test.sh             (make container-test)
#
# Environment:
#   ENGINE          podman (default) or docker
#   IMAGE           tag to build and test                 [localhost/cometapi-smoke-gate]
#   BASE_IMAGE      base image                            [localhost/gate-base:bookworm]
#                   The default is made here with debootstrap (Debian bookworm, python3) and cached; where a
#                   registry is reachable use BASE_IMAGE=python:3.12-slim-bookworm, the Dockerfile's default.
#   DEBIAN_MIRROR   mirror for debootstrap                [http://deb.debian.org/debian]
#   SKIP_BUILD=1    test an already built IMAGE
#   STRICT_REPORTS=1  a missing GitHub output file, step summary or JUnit report fails the test
#                   (by default each is reported as not written yet and its assertions skipped)
#   KEEP_WORK=1     keep the temporary directory with every run's files and logs
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ENGINE="${ENGINE:-podman}"
IMAGE="${IMAGE:-localhost/cometapi-smoke-gate}"
LOCAL_BASE="localhost/gate-base:bookworm"
BASE_IMAGE="${BASE_IMAGE:-$LOCAL_BASE}"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
STRICT_REPORTS="${STRICT_REPORTS:-0}"
MODEL="gpt-4o-mini"
# A made-up key: the simulator accepts whatever key it is given. Every artifact and log is scanned for it.
API_KEY="ct-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
SHA="0123456789abcdef0123456789abcdef01234567"

if [ "$ENGINE" = podman ] && [ -z "${CONTAINERS_CONF:-}" ]; then
    export CONTAINERS_CONF="$ROOT/docker/containers.conf"
fi

FAILURES=()
SKIPPED=()
JENKINS_CID=""
WORK="$(mktemp -d "${TMPDIR:-/tmp}/gate-container-test.XXXXXX")"
chmod 0755 "$WORK"

say() { printf '%s\n' "$*"; }
pass() { say "  ok    $*"; }
fail() {
    say "  FAIL  $*"
    FAILURES+=("$*")
}
skip() {
    if [ "$STRICT_REPORTS" = 1 ]; then
        fail "$* (STRICT_REPORTS=1)"
    else
        say "  skip  $*"
        SKIPPED+=("$*")
    fi
}

cleanup() {
    if [ -n "$JENKINS_CID" ]; then
        "$ENGINE" rm --force "$JENKINS_CID" >/dev/null 2>&1 || true
    fi
    if [ "${KEEP_WORK:-0}" = 1 ]; then
        say "work directory kept: $WORK"
    else
        rm -rf "$WORK" 2>/dev/null || { [ "$ENGINE" = podman ] && podman unshare rm -rf "$WORK"; } || true
    fi
}
trap cleanup EXIT

image_exists() { "$ENGINE" image inspect "$1" >/dev/null 2>&1; }

# ---- tools ---------------------------------------------------------------------------------------------------
ensure_tools() {
    local missing=()
    command -v "$ENGINE" >/dev/null 2>&1 || missing+=("$ENGINE")
    if [ "$ENGINE" = podman ]; then
        command -v runc >/dev/null 2>&1 || missing+=(runc)
    fi
    if [ "$BASE_IMAGE" = "$LOCAL_BASE" ] && ! image_exists "$LOCAL_BASE" 2>/dev/null; then
        command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
    fi
    command -v python3 >/dev/null 2>&1 || missing+=(python3)
    [ "${#missing[@]}" -eq 0 ] && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && [ "$ENGINE" = podman ]; then
        say "installing ${missing[*]} with apt-get"
        if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc \
            debootstrap python3 >/dev/null; }; then
            say "apt-get install failed"
            exit 2
        fi
    else
        say "missing: ${missing[*]} (Debian: apt-get install -y podman runc debootstrap)"
        exit 2
    fi
}

# ---- the local base image: Debian bookworm minbase with python3, imported once and cached ----------------------
ensure_base() {
    [ "$BASE_IMAGE" = "$LOCAL_BASE" ] || return 0
    if image_exists "$LOCAL_BASE"; then
        say "base image $LOCAL_BASE exists (cached)"
        return 0
    fi
    [ "$(id -u)" = 0 ] || { say "debootstrap needs root to make $LOCAL_BASE"; exit 2; }
    local rootfs="$WORK/rootfs"
    say "making $LOCAL_BASE with debootstrap from $DEBIAN_MIRROR (about a minute)"
    if ! debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates bookworm "$rootfs" \
        "$DEBIAN_MIRROR" >"$WORK/debootstrap.log" 2>&1; then
        tail -n 20 "$WORK/debootstrap.log"
        say "debootstrap failed"
        exit 2
    fi
    # What slim images leave out: downloaded packages, package lists, documentation and translations.
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/lib/apt/lists/* \
        "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
        "$rootfs"/usr/share/locale/* "$rootfs"/var/log/*.log
    # An imported image has no config: give it the PATH and locale a Debian image has.
    tar -C "$rootfs" -c . | "$ENGINE" import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change 'CMD ["/bin/sh"]' \
        - "$LOCAL_BASE" >"$WORK/import.log" 2>&1 || {
        cat "$WORK/import.log"
        say "import of $LOCAL_BASE failed"
        exit 2
    }
    rm -rf "$rootfs"
    say "made $LOCAL_BASE"
}

# ---- build -----------------------------------------------------------------------------------------------------
build() {
    if [ "${SKIP_BUILD:-0}" = 1 ]; then
        image_exists "$IMAGE" || { say "SKIP_BUILD=1 but $IMAGE does not exist"; exit 2; }
        say "using the existing $IMAGE (SKIP_BUILD=1)"
        return 0
    fi
    local args=(build --network host --build-arg "BASE_IMAGE=$BASE_IMAGE" -t "$IMAGE" -f "$ROOT/Dockerfile")
    local bundle=/etc/ssl/certs/ca-certificates.crt
    if [ "$ENGINE" = podman ]; then
        # Keep no intermediate images (the builder stage), so repeated runs leave nothing behind.
        args+=(--layers=false)
        if [ -f "$bundle" ]; then
            # The host's CA bundle for pip, in case the way to the package index inspects TLS.
            args+=(-v "$bundle:$bundle:ro" --build-arg "PIP_CERT=$bundle")
        fi
    fi
    local old_id new_id
    old_id="$("$ENGINE" image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)"
    say "building $IMAGE from $BASE_IMAGE: $ENGINE ${args[*]} $ROOT"
    local started=$SECONDS
    if ! "$ENGINE" "${args[@]}" "$ROOT" >"$WORK/build.log" 2>&1; then
        tail -n 40 "$WORK/build.log"
        say "build failed"
        exit 1
    fi
    say "built $IMAGE in $((SECONDS - started)) s"
    # The image this tag named before is now untagged: remove it (ignored when a container still uses it).
    new_id="$("$ENGINE" image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)"
    if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ]; then
        "$ENGINE" rmi "$old_id" >/dev/null 2>&1 || true
    fi
}

report_size() {
    local size base_size
    size="$("$ENGINE" image inspect --format '{{.Size}}' "$IMAGE")"
    base_size="$("$ENGINE" image inspect --format '{{.Size}}' "$BASE_IMAGE" 2>/dev/null || echo 0)"
    say "image size: $size bytes ($((size / 1000000)) MB; base $BASE_IMAGE $((base_size / 1000000)) MB," \
        "added by the gate $(((size - base_size) / 1000000)) MB)"
}

# ---- assertions ------------------------------------------------------------------------------------------------
# check.py ARGS...: prints one line per problem and exits 1 when there is any.
CHECK="$WORK/check.py"
cat >"$CHECK" <<'PY'
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def outputs(text):
    """$GITHUB_OUTPUT: name=value lines and name<<DELIMITER ... DELIMITER blocks."""
    values, lines = {}, iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body = []
            for item in lines:
                if item == delimiter:
                    break
                body.append(item)
            values[name] = "\n".join(body)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
    return values


def main(kind, path, *expected):
    path = Path(path)
    problems = []
    if kind == "report":
        result, failure_class = expected
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            print(f"JSON report {path.name} unreadable: {exc}")
            return 1
        if data.get("result") != result:
            problems.append(f"report result is {data.get('result')!r}, expected {result!r}")
        want_class = None if failure_class == "-" else failure_class
        if data.get("failure_class") != want_class:
            problems.append(f"report failure_class is {data.get('failure_class')!r}, expected {want_class!r}")
    elif kind == "outputs":
        result, decision, failure_class = expected
        values = outputs(path.read_text(encoding="utf-8"))
        want = {"result": result, "decision": decision, "failure-class": "" if failure_class == "-" else failure_class}
        for name, value in want.items():
            if values.get(name) != value:
                problems.append(f"GITHUB_OUTPUT {name}={values.get(name)!r}, expected {value!r}")
        for name in ("report-path", "junit-path"):
            if not values.get(name):
                problems.append(f"GITHUB_OUTPUT has no {name} (json and junit inputs were set)")
        if result == "pass" and not values.get("latency-ms"):
            problems.append("GITHUB_OUTPUT has no latency-ms for a passing run")
    elif kind == "junit":
        (result,) = expected
        try:
            root = ET.parse(path).getroot()
        except (OSError, ET.ParseError) as exc:
            print(f"JUnit report {path.name} is not XML: {exc}")
            return 1
        cases = root.findall(".//testcase")
        failed = root.findall(".//testcase/failure") + root.findall(".//testcase/error")
        if not cases:
            problems.append("JUnit report has no testcase")
        if result == "pass" and failed:
            problems.append(f"JUnit report has {len(failed)} failure(s) for a passing run")
        if result == "fail" and not failed:
            problems.append("JUnit report has no failure for a failing run")
    elif kind == "summary":
        (result,) = expected
        text = path.read_text(encoding="utf-8")
        if result.lower() not in text.lower():
            problems.append(f"step summary does not mention {result!r}")
    for problem in problems:
        print(problem)
    return 1 if problems else 0


sys.exit(main(*sys.argv[1:]))
PY

# expect_exit LABEL EXPECTED ACTUAL LOG
expect_exit() {
    if [ "$3" = "$2" ]; then
        pass "$1: exit $3"
    else
        fail "$1: exit $3, expected $2 (log: last lines below)"
        tail -n 25 "$4" | sed 's/^/        | /'
    fi
}

# run_check LABEL KIND FILE EXPECTED... (the file must exist)
run_check() {
    local label="$1" kind="$2" file="$3" out
    shift 3
    if [ ! -s "$file" ]; then
        fail "$label: $kind file $(basename "$file") was not written"
        return
    fi
    if out="$(python3 "$CHECK" "$kind" "$file" "$@" 2>&1)"; then
        pass "$label: $kind $(basename "$file") as expected"
    else
        fail "$label: $kind: ${out//$'\n'/; }"
    fi
}

# guarded_check LABEL KIND FILE WHAT EXPECTED...: like run_check, but a file not written yet is a skip
guarded_check() {
    local label="$1" kind="$2" file="$3" what="$4"
    shift 4
    if [ ! -s "$file" ]; then
        skip "$label: $what not written ($(basename "$file") missing or empty): the gate does not produce it yet"
        return
    fi
    run_check "$label" "$kind" "$file" "$@"
}

# no_key LABEL PATH...: the API key appears in none of the files. A console line `::add-mask::<key>` is the
# one exception: it is how a step registers a secret with GitHub's runner, which hides that line and masks the
# value everywhere after it.
no_key() {
    local label="$1" hits
    shift
    if hits="$(grep -rF -- "$API_KEY" "$@" 2>/dev/null | grep -v -- ":::add-mask::$API_KEY\$")"; then
        fail "$label: the API key appears in: $(printf '%s\n' "$hits" | cut -d: -f1 | sort -u | tr '\n' ' ')"
    else
        pass "$label: the API key appears in no log or file"
    fi
}

# expected values per scenario: exit result decision failure_class
expected_for() {
    case "$1" in
        ok) echo "0 pass proceed -" ;;
        auth) echo "1 fail hold auth" ;;
    esac
}

# ---- (a) GitHub container action -------------------------------------------------------------------------------
github_run() {
    local scenario="$1" code result decision klass
    read -r code result decision klass <<<"$(expected_for "$scenario")"
    local dir="$WORK/github-$scenario" label="github sim://$scenario"
    mkdir -p "$dir/workspace" "$dir/file_commands" "$dir/home"
    # The runner creates the file-command files before the step runs.
    : >"$dir/file_commands/output"
    : >"$dir/file_commands/summary"
    # Every input as the runner sets it: its default or empty, then the workflow's `with:` values.
    python3 "$ROOT/scripts/action_yml.py" --input-env \
        "base-url=sim://$scenario" "api-key=$API_KEY" "model=$MODEL" "environment=container-test" \
        "json=/github/workspace/report.json" "junit=/github/workspace/junit.xml" >"$dir/input.env" || {
        fail "$label: scripts/action_yml.py --input-env failed"
        return
    }
    "$ENGINE" run --rm --network none \
        --env-file "$dir/input.env" \
        -e GITHUB_ACTIONS=true -e CI=true -e HOME=/github/home \
        -e GITHUB_WORKSPACE=/github/workspace \
        -e GITHUB_OUTPUT=/github/file_commands/output \
        -e GITHUB_STEP_SUMMARY=/github/file_commands/summary \
        -e GITHUB_SHA="$SHA" -e GITHUB_REPOSITORY=org/service -e GITHUB_RUN_ID=1 \
        -v "$dir/workspace:/github/workspace" \
        -v "$dir/file_commands:/github/file_commands" \
        -v "$dir/home:/github/home" \
        -w /github/workspace \
        "$IMAGE" run >"$dir/console.log" 2>&1
    expect_exit "$label" "$code" "$?" "$dir/console.log"
    run_check "$label" report "$dir/workspace/report.json" "$result" "$klass"
    guarded_check "$label" outputs "$dir/file_commands/output" "GitHub outputs (\$GITHUB_OUTPUT)" \
        "$result" "$decision" "$klass"
    guarded_check "$label" summary "$dir/file_commands/summary" "step summary (\$GITHUB_STEP_SUMMARY)" "$result"
    guarded_check "$label" junit "$dir/workspace/junit.xml" "JUnit report (INPUT_JUNIT)" "$result"
    no_key "$label" "$dir/console.log" "$dir/workspace" "$dir/file_commands" "$dir/home"
}

# ---- (b) GitLab job image -------------------------------------------------------------------------------------
gitlab_run() {
    local scenario="$1" code result decision klass
    read -r code result decision klass <<<"$(expected_for "$scenario")"
    local dir="$WORK/gitlab-$scenario" label="gitlab sim://$scenario"
    local project=/builds/org/service
    mkdir -p "$dir/project"
    "$ENGINE" run --rm --network none \
        -e CI=true -e GITLAB_CI=true -e CI_COMMIT_SHA="$SHA" -e CI_JOB_ID=1 \
        -e COMETAPI_API_KEY="$API_KEY" -e COMETAPI_MODEL="$MODEL" \
        -v "$dir/project:$project" -w "$project" \
        "$IMAGE" sh -c "cometapi-smoke-gate run --base-url sim://$scenario --json report.json --junit gate-junit.xml" \
        >"$dir/console.log" 2>&1
    expect_exit "$label" "$code" "$?" "$dir/console.log"
    run_check "$label" report "$dir/project/report.json" "$result" "$klass"
    guarded_check "$label" junit "$dir/project/gate-junit.xml" "JUnit report (--junit)" "$result"
    no_key "$label" "$dir/console.log" "$dir/project"
}

# ---- (c) Jenkins docker.inside --------------------------------------------------------------------------------
jenkins_start() {
    local dir="$WORK/jenkins" ws=/var/jenkins/workspace/service
    mkdir -p "$dir/workspace"
    if [ "$(id -u)" = 0 ]; then chown 1234:1234 "$dir/workspace"; else chmod 0777 "$dir/workspace"; fi
    # As `docker.inside` starts it: the agent's uid:gid, the workspace mounted and the working directory,
    # `cat` as the command with a terminal so it waits forever; steps then run with `exec`.
    JENKINS_CID="$("$ENGINE" run -t -d -i -u 1234:1234 --network none \
        -v "$dir/workspace:$ws" -w "$ws" -e JENKINS_URL=http://127.0.0.1:8080/ \
        --name "gate-container-test-$$" "$IMAGE" cat 2>"$dir/start.log")"
    if [ -z "$JENKINS_CID" ]; then
        fail "jenkins: the detached container did not start: $(tr '\n' ' ' <"$dir/start.log")"
        return 1
    fi
    local running cmdline
    running="$("$ENGINE" inspect --format '{{.State.Running}}' "$JENKINS_CID" 2>/dev/null)"
    cmdline="$("$ENGINE" exec "$JENKINS_CID" cat /proc/1/cmdline 2>/dev/null | tr '\0' ' ')"
    if [ "$running" = true ] && [ "${cmdline% }" = cat ]; then
        pass "jenkins: detached container runs 'cat' as PID 1 (the entry point exec'd it)"
    else
        fail "jenkins: detached container running=$running, PID 1 is '${cmdline% }', expected 'cat'"
        return 1
    fi
}

jenkins_run() {
    local scenario="$1" code result decision klass
    read -r code result decision klass <<<"$(expected_for "$scenario")"
    local dir="$WORK/jenkins" ws=/var/jenkins/workspace/service label="jenkins sim://$scenario"
    local out="$scenario"
    # `env -u HOME`: an arbitrary uid with no HOME at all, as an agent user unknown to the image has.
    "$ENGINE" exec -w "$ws" -e COMETAPI_API_KEY="$API_KEY" -e COMETAPI_MODEL="$MODEL" -e GIT_COMMIT="$SHA" \
        "$JENKINS_CID" env -u HOME sh -c "id -u; cometapi-smoke-gate run --base-url sim://$scenario \
        --environment container-test --json $out-report.json --junit $out-junit.xml" >"$dir/$out.log" 2>&1
    expect_exit "$label (uid 1234, no HOME)" "$code" "$?" "$dir/$out.log"
    if [ "$(head -n 1 "$dir/$out.log")" != 1234 ]; then
        fail "$label: ran as uid '$(head -n 1 "$dir/$out.log")', expected 1234"
    fi
    run_check "$label" report "$dir/workspace/$out-report.json" "$result" "$klass"
    if [ -e "$dir/workspace/$out-report.json" ]; then
        local owner
        owner="$(stat -c %u "$dir/workspace/$out-report.json")"
        if [ "$owner" = 1234 ]; then
            pass "$label: report owned by uid 1234"
        else
            fail "$label: report owned by uid $owner, expected 1234"
        fi
    fi
    guarded_check "$label" junit "$dir/workspace/$out-junit.xml" "JUnit report (--junit)" "$result"
    no_key "$label" "$dir/$out.log" "$dir/workspace"
}

# ---- entry point routing ---------------------------------------------------------------------------------------
entrypoint_checks() {
    local dir="$WORK/entrypoint" rc
    mkdir -p "$dir"
    "$ENGINE" run --rm --network none "$IMAGE" --version >"$dir/version.log" 2>&1
    rc=$?
    if [ "$rc" = 0 ] && grep -q "cometapi-smoke-gate" "$dir/version.log"; then
        pass "entry point: '--version' reaches the gate ($(head -n 1 "$dir/version.log"))"
    else
        fail "entry point: '--version' exit $rc: $(head -n 3 "$dir/version.log" | tr '\n' ' ')"
    fi
    # No arguments: `run`, configured by variables only.
    "$ENGINE" run --rm --network none -e COMETAPI_BASE_URL=sim://ok -e COMETAPI_SAMPLES=1 "$IMAGE" \
        >"$dir/noargs.log" 2>&1
    expect_exit "entry point: no arguments runs the gate (COMETAPI_BASE_URL=sim://ok)" 0 "$?" "$dir/noargs.log"
    # A configuration error sends nothing and exits 2 (the default base URL, no key).
    "$ENGINE" run --rm --network none "$IMAGE" run >"$dir/config.log" 2>&1
    expect_exit "entry point: 'run' without a key is a configuration error" 2 "$?" "$dir/config.log"
    "$ENGINE" run --rm --network none "$IMAGE" simulate --list >"$dir/simulate.log" 2>&1
    expect_exit "entry point: 'simulate --list' reaches the gate" 0 "$?" "$dir/simulate.log"
    "$ENGINE" run --rm --network none -u 4321:4321 "$IMAGE" sh -c 'id -u && python3 -c "import gate"' \
        >"$dir/uid.log" 2>&1
    rc=$?
    if [ "$rc" = 0 ] && grep -qx 4321 "$dir/uid.log"; then
        pass "entry point: other commands run as given (sh -c, uid 4321)"
    else
        fail "entry point: 'sh -c ...' as uid 4321 exit $rc: $(tr '\n' ' ' <"$dir/uid.log")"
    fi
}

# ---- main ------------------------------------------------------------------------------------------------------
ensure_tools
say "engine: $ENGINE $("$ENGINE" --version 2>/dev/null | head -n 1)${CONTAINERS_CONF:+, CONTAINERS_CONF=$CONTAINERS_CONF}"
ensure_base
build
report_size

say "entry point"
entrypoint_checks
say "(a) GitHub container action"
github_run ok
github_run auth
say "(b) GitLab job image"
gitlab_run ok
gitlab_run auth
say "(c) Jenkins docker.inside"
if jenkins_start; then
    jenkins_run ok
    jenkins_run auth
fi

echo
if [ "${#SKIPPED[@]}" -gt 0 ]; then
    say "${#SKIPPED[@]} check(s) skipped because the gate does not write that file yet (STRICT_REPORTS=1 fails them):"
    printf '  - %s\n' "${SKIPPED[@]}"
fi
if [ "${#FAILURES[@]}" -gt 0 ]; then
    say "container test FAILED: ${#FAILURES[@]} assertion(s):"
    printf '  - %s\n' "${FAILURES[@]}"
    exit 1
fi
say "container test passed ($IMAGE)"
