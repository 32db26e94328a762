"""The Kubernetes manifests in examples/kubernetes/ (docs/kubernetes.md) are valid, keep the house rules and
run the gate as they say, all without a cluster.

Every Kubernetes object is validated against the JSON schemas that kubernetes-validate ships, in strict mode
(an unknown field is an error), for the oldest Kubernetes the examples support and the newest the package
knows. The Argo Rollouts AnalysisTemplate is validated against tests/schemas/, and the Job inside it against
Kubernetes' own schema. Then each gate container's args and environment run the real gate against the
built-in simulator, with /reports in a temporary directory, and the Job's podFailurePolicy is applied to the
exit codes the gate really returns.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
import select
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml
from jsonschema import Draft202012Validator

from gate.config.options import DEPRECATED_ENV_PREFIX, OPTIONS, OPTIONS_BY_NAME
from gate.core.failures import ExitCode
from gate.simulator import DEFAULT_API_KEY

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "kubernetes"
DOCS = ROOT / "docs" / "kubernetes.md"
ARGO_SCHEMA = ROOT / "tests" / "schemas" / "argo-rollouts-analysistemplate.schema.json"
OLDEST = "1.29"  # native sidecar containers on by default; podFailurePolicy rules on exit codes alone
NEWEST = ".".join(kubernetes_validate.latest_version().split(".")[:2])
VERSIONS = [OLDEST, NEWEST] if NEWEST != OLDEST else [OLDEST]

GATE_VARIABLES = {spec.variable for spec in OPTIONS}
KEY_VARIABLE = OPTIONS_BY_NAME["api-key"].variable
PUSHGATEWAY_VARIABLE = OPTIONS_BY_NAME["pushgateway"].variable
REPORT_OPTIONS = ("json", "junit", "summary", "metrics-file")
IMAGE = "ghcr.io/org/cometapi-smoke-gate"
# Values for the AnalysisTemplate's {{args.NAME}}, as a Rollout would pass them (docs/kubernetes.md).
ROLLOUT_ARGS = {
    "base-url": "http://llm-gateway-canary.my-app.svc.cluster.local:4000",
    "deployment-version": "6d4f9c8b7",
}
ARG_REFERENCE = re.compile(r"\{\{\s*args\.([\w.-]+)\s*\}\}")


def _documents(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


OBJECTS: list[tuple[str, dict]] = [
    (f"{path.name}:{doc['kind']}", doc)
    for path in sorted(EXAMPLES.glob("*.yaml"))
    for doc in _documents(path)
]
BY_KIND: dict[str, dict] = {obj["kind"]: obj for _, obj in OBJECTS}


def _job_specs(obj: dict) -> Iterator[dict]:
    """The batch/v1 JobSpecs an object makes: its own, its jobTemplate's, each Job metric's."""
    if obj["kind"] == "Job":
        yield obj["spec"]
    elif obj["kind"] == "CronJob":
        yield obj["spec"]["jobTemplate"]["spec"]
    elif obj["kind"] == "AnalysisTemplate":
        for metric in obj["spec"]["metrics"]:
            if "job" in metric["provider"]:
                yield metric["provider"]["job"]["spec"]


def _pod_specs(obj: dict) -> Iterator[dict]:
    if obj["kind"] == "Pod":
        yield obj["spec"]
    for job in _job_specs(obj):
        yield job["template"]["spec"]


def _containers(pod: dict) -> list[dict]:
    return [*pod.get("initContainers", []), *pod["containers"]]


def _is_gate(container: dict) -> bool:
    """The image's entry point runs the gate for no args or args that start with `run`
    (docker/entrypoint.py); anything else it executes as a command."""
    return not container.get("args") or container["args"][0] == "run"


PODS = [(name, obj, pod) for name, obj in OBJECTS for pod in _pod_specs(obj)]
GATES = [(name, obj, pod, c) for name, obj, pod in PODS for c in _containers(pod) if _is_gate(c)]
POD_IDS = [name for name, *_ in PODS]
GATE_IDS = [name for name, *_ in GATES]


def _gate_of(kind: str) -> tuple[dict, dict]:
    """(pod spec, gate container) of the object of that kind."""
    return next((pod, gate) for _, obj, pod, gate in GATES if obj["kind"] == kind)


def _env(container: dict) -> dict[str, dict]:
    return {entry["name"]: entry for entry in container.get("env", [])}


def _quantity(value: str | int) -> float:
    """A Kubernetes quantity as a number: 50m, 2, 64Mi, 1G."""
    suffixes = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 1e3, "M": 1e6, "G": 1e9}
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([a-zA-Z]*)", str(value))
    assert match and match.group(2) in {"", *suffixes}, f"not a quantity: {value!r}"
    return float(match.group(1)) * suffixes.get(match.group(2), 1)


def _report_paths(gate: dict) -> list[str]:
    """Every file the gate is told to write, by flag or by variable."""
    args, env = gate.get("args", []), _env(gate)
    paths = []
    for name in REPORT_OPTIONS:
        spec = OPTIONS_BY_NAME[name]
        paths += [args[i + 1] for i, arg in enumerate(args[:-1]) if arg == spec.flag]
        paths += [
            args[i][len(spec.flag) + 1 :] for i, arg in enumerate(args) if arg.startswith(f"{spec.flag}=")
        ]
        if spec.variable in env:
            paths.append(env[spec.variable]["value"])
    return paths


def test_the_folder_has_a_manifest_for_each_place():
    assert sorted(BY_KIND) == ["AnalysisTemplate", "CronJob", "Job", "Pod", "Secret"]
    assert len(OBJECTS) == len(BY_KIND)
    assert [name for name, *_ in GATES] == [name for name, *_ in PODS], "one gate container in each pod"


# ---- schemas -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    "obj",
    [obj for _, obj in OBJECTS if obj["kind"] != "AnalysisTemplate"],
    ids=[name for name, obj in OBJECTS if obj["kind"] != "AnalysisTemplate"],
)
def test_objects_validate_against_the_kubernetes_schema(obj, version):
    assert kubernetes_validate.validate(obj, version, strict=True) == version


def test_strict_validation_rejects_a_misspelt_field():
    job = copy.deepcopy(BY_KIND["Job"])
    job["spec"]["template"]["spec"]["securityContext"]["runAsNonRot"] = True
    with pytest.raises(kubernetes_validate.ValidationError, match="runAsNonRot"):
        kubernetes_validate.validate(job, NEWEST, strict=True)


def _argo_problems(template: dict) -> list[str]:
    schema = json.loads(ARGO_SCHEMA.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    errors = Draft202012Validator(schema).iter_errors(template)
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in errors]


def test_the_analysis_template_validates_against_the_argo_rollouts_schema():
    template = BY_KIND["AnalysisTemplate"]
    assert _argo_problems(template) == []
    broken = copy.deepcopy(template)
    broken["spec"]["metrics"][0]["failureLimt"] = 0
    assert any("failureLimt" in problem for problem in _argo_problems(broken))


@pytest.mark.parametrize("version", VERSIONS)
def test_the_analysis_templates_job_validates_against_the_kubernetes_schema(version):
    template = BY_KIND["AnalysisTemplate"]
    specs = list(_job_specs(template))
    assert specs
    for metric, spec in zip(template["spec"]["metrics"], specs, strict=True):
        job = {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": metric["name"], **metric["provider"]["job"].get("metadata", {})},
            "spec": spec,
        }
        assert kubernetes_validate.validate(job, version, strict=True) == version


def test_the_analysis_template_uses_only_the_args_it_declares():
    template = BY_KIND["AnalysisTemplate"]
    declared = {arg["name"] for arg in template["spec"]["args"]}
    used = set(ARG_REFERENCE.findall(json.dumps(template)))
    assert used == declared == set(ROLLOUT_ARGS)


# ---- house rules -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "obj", "pod"), PODS, ids=POD_IDS)
def test_every_pod_keeps_the_security_rules(name, obj, pod):
    assert pod["automountServiceAccountToken"] is False
    assert pod["enableServiceLinks"] is False
    assert pod["restartPolicy"] == "Never"
    assert not any(pod.get(flag) for flag in ("hostNetwork", "hostPID", "hostIPC"))
    pod_context = pod["securityContext"]
    assert pod_context["runAsNonRoot"] is True and pod_context["runAsUser"] > 0
    assert pod_context["seccompProfile"] == {"type": "RuntimeDefault"}
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    assert all(set(volume) == {"name", "emptyDir"} for volume in volumes.values()), "emptyDir volumes only"
    for container in _containers(pod):
        where = f"{name}: container {container['name']}"
        context = container["securityContext"]
        assert context["runAsNonRoot"] is True, where
        assert context.get("runAsUser", pod_context["runAsUser"]) > 0, where
        assert context["readOnlyRootFilesystem"] is True, where
        assert context["allowPrivilegeEscalation"] is False, where
        assert context["capabilities"] == {"drop": ["ALL"]}, where
        assert not context.get("privileged"), where
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}, where
        resources = container["resources"]
        for resource in ("cpu", "memory"):
            assert _quantity(resources["requests"][resource]) <= _quantity(resources["limits"][resource]), (
                where
            )
        assert "command" not in container, f"{where}: the image's entry point decides how args run"
        assert container["image"].startswith(f"{IMAGE}:") or container["image"].startswith(f"{IMAGE}@"), where
        assert {mount["name"] for mount in container.get("volumeMounts", [])} <= set(volumes), where
        if not _is_gate(container):
            assert "env" not in container and "envFrom" not in container, (
                f"{where}: only the gate has the key"
            )


@pytest.mark.parametrize(("name", "obj", "pod", "gate"), GATES, ids=GATE_IDS)
def test_the_gate_writes_its_reports_to_an_emptydir(name, obj, pod, gate):
    paths = _report_paths(gate)
    assert any(path.endswith(".json") for path in paths), "every gate writes its JSON report"
    sized = {v["name"] for v in pod["volumes"] if "emptyDir" in v and v["emptyDir"].get("sizeLimit")}
    writable = {m["mountPath"].rstrip("/"): m["name"] for m in gate["volumeMounts"] if not m.get("readOnly")}
    for path in paths:
        mounts = [mount for mount in writable if path.startswith(f"{mount}/")]
        assert mounts and writable[mounts[0]] in sized, f"{path} is not on a sized emptyDir"


@pytest.mark.parametrize(("name", "obj", "pod", "gate"), GATES, ids=GATE_IDS)
def test_the_key_comes_from_the_secret(name, obj, pod, gate):
    secret = BY_KIND["Secret"]
    env = _env(gate)
    assert set(env[KEY_VARIABLE]) == {"name", "valueFrom"}
    reference = env[KEY_VARIABLE]["valueFrom"]["secretKeyRef"]
    assert (reference["name"], reference["key"]) == (secret["metadata"]["name"], "api-key")
    assert not any(arg.startswith(OPTIONS_BY_NAME["api-key"].flag) for arg in gate.get("args", []))
    for variable, entry in env.items():
        if re.search(r"KEY|TOKEN|SECRET|PASSWORD", variable):
            assert "value" not in entry, f"{variable} holds a literal"


def test_the_example_secret_holds_no_key():
    secret = BY_KIND["Secret"]
    assert secret["stringData"] == {"api-key": ""}
    assert "data" not in secret


@pytest.mark.parametrize(("name", "obj", "pod", "gate"), GATES, ids=GATE_IDS)
def test_every_variable_is_one_the_gate_reads(name, obj, pod, gate):
    names = [entry["name"] for entry in gate["env"]]
    assert len(names) == len(set(names))
    assert not [n for n in names if n.startswith(DEPRECATED_ENV_PREFIX)], "the GATE_* names are deprecated"
    assert set(names) <= GATE_VARIABLES, f"the gate reads no {sorted(set(names) - GATE_VARIABLES)}"
    assert "envFrom" not in gate, "every variable is named, so this test can check it"


# ---- what the Job controller, Argo Rollouts, Helm and the CronJob make of the gate's exit codes ------------


def _on_failure(job: dict, exit_codes: Mapping[str, int], conditions: frozenset[str] = frozenset()) -> str:
    """The action the Job controller takes for a failed pod: the first podFailurePolicy rule that matches its
    containers' exit codes (0 never matches) or its conditions, else Count."""
    for rule in job["podFailurePolicy"]["rules"]:
        if "onExitCodes" in rule:
            requirement = rule["onExitCodes"]
            codes = [
                code
                for container, code in exit_codes.items()
                if code != 0 and requirement.get("containerName") in (None, container)
            ]
            inside = [code in requirement["values"] for code in codes]
            if any(inside) if requirement["operator"] == "In" else not all(inside):
                return rule["action"]
        elif any(
            pattern["type"] in conditions and pattern.get("status", "True") == "True"
            for pattern in rule["onPodConditions"]
        ):
            return rule["action"]
    return "Count"


def _sidecars_done(pod: dict) -> dict[str, int]:
    """The sidecars' exit codes once stopped: 0 (the report sidecar's trap exits 0)."""
    return {container["name"]: 0 for container in _containers(pod) if not _is_gate(container)}


@pytest.mark.parametrize("kind", ["Job", "AnalysisTemplate"])
def test_the_failure_policy_maps_the_exit_codes(kind):
    (job,) = _job_specs(BY_KIND[kind])
    pod = job["template"]["spec"]
    gate = next(c for c in _containers(pod) if _is_gate(c))["name"]
    assert job["backoffLimit"] >= 1, "a transient failure gets another pod"
    assert job["activeDeadlineSeconds"] > 0
    expected = {
        ExitCode.FAILED: "FailJob",
        ExitCode.USAGE: "FailJob",
        ExitCode.TRANSIENT: "Count",
        ExitCode.TERMINATED: "Count",
        ExitCode.INTERRUPTED: "Count",
    }
    for code, action in expected.items():
        assert _on_failure(job, {gate: int(code), **_sidecars_done(pod)}) == action, code
    evicted = _on_failure(job, {gate: int(ExitCode.TERMINATED)}, frozenset({"DisruptionTarget"}))
    assert evicted == "Ignore"
    if kind == "AnalysisTemplate":
        assert job["podFailurePolicy"] == BY_KIND["Job"]["spec"]["podFailurePolicy"]
        assert job["backoffLimit"] == BY_KIND["Job"]["spec"]["backoffLimit"]


def test_one_failed_measurement_aborts_the_rollout():
    (metric,) = BY_KIND["AnalysisTemplate"]["spec"]["metrics"]
    assert metric["failureLimit"] == 0
    assert "interval" not in metric and metric.get("count", 1) == 1, "one measurement: the gate runs once"


def test_the_monitor_runs_alone_in_report_mode_and_pushes_its_metrics():
    cronjob = BY_KIND["CronJob"]["spec"]
    assert cronjob["concurrencyPolicy"] == "Forbid"
    assert cronjob["successfulJobsHistoryLimit"] > 0 and cronjob["failedJobsHistoryLimit"] > 0
    assert cronjob["jobTemplate"]["spec"]["backoffLimit"] == 0
    _, gate = _gate_of("CronJob")
    assert gate["args"][gate["args"].index("--mode") + 1] == "report"
    assert _env(gate)[PUSHGATEWAY_VARIABLE]["value"].startswith(("http://", "https://"))


def test_the_helm_test_pod_is_a_test_hook():
    annotations = BY_KIND["Pod"]["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "test"
    assert annotations["helm.sh/hook-delete-policy"] == "before-hook-creation"


# ---- the gate, run with each container's args and environment ----------------------------------------------


class _PushgatewayHandler(BaseHTTPRequestHandler):
    def do_PUT(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8")
        self.server.pushes.append((self.path, body))  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def pushgateway() -> Iterator[ThreadingHTTPServer]:
    """A stand-in Pushgateway on loopback that records each push."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _PushgatewayHandler)
    server.pushes = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def _volumes(container: dict, root: Path) -> dict[str, Path]:
    """Each mount path of the container, as a directory under `root`."""
    mounts = {}
    for mount in container.get("volumeMounts", []):
        directory = root / "volumes" / mount["name"]
        directory.mkdir(parents=True, exist_ok=True)
        mounts[mount["mountPath"].rstrip("/")] = directory
    return mounts


def _local(value: str, mounts: Mapping[str, Path]) -> str:
    """A manifest value as it is on this machine: {{args.NAME}} filled in, mount paths moved under tmp."""
    value = ARG_REFERENCE.sub(lambda match: ROLLOUT_ARGS[match.group(1)], value)
    for mount, directory in mounts.items():
        if value == mount or value.startswith(f"{mount}/"):
            return f"{directory}{value[len(mount) :]}"
    return value


def _run_gate(
    gate: dict, tmp_path: Path, base_url: str, replace: Mapping[str, str] | None = None
) -> tuple[subprocess.CompletedProcess, dict[str, Path]]:
    """`python -m gate ARGS --base-url BASE_URL` with the container's environment, the simulator's key for
    the secretKeyRef, HOME and TMPDIR pointing nowhere (the gate needs neither) and an empty working
    directory, which must stay empty: the gate writes nothing but its reports."""
    mounts = _volumes(gate, tmp_path)
    env = {name: value for name, value in os.environ.items() if name not in ("HOME", "TMPDIR")}
    env |= {"HOME": str(tmp_path / "no-home"), "TMPDIR": str(tmp_path / "no-tmp")}
    for name, entry in _env(gate).items():
        if "valueFrom" in entry:
            assert name == KEY_VARIABLE and "secretKeyRef" in entry["valueFrom"]
            env[name] = DEFAULT_API_KEY
        else:
            env[name] = _local(entry["value"], mounts)
    env |= replace or {}
    args = [_local(arg, mounts) for arg in gate["args"]]
    assert args[0] == "run"
    workdir = tmp_path / "workdir"
    workdir.mkdir()
    command = [sys.executable, "-m", "gate", *args, "--base-url", base_url]
    result = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=120)
    assert list(workdir.iterdir()) == [], "the gate wrote outside its report volume"
    return result, mounts


def _check_reports(gate: dict, mounts: Mapping[str, Path], run: subprocess.CompletedProcess) -> dict:
    """The reports the container names, and nothing else, were written; none holds the key. The JSON one."""
    named = {Path(_local(path, mounts)) for path in _report_paths(gate)}
    written = {path for directory in mounts.values() for path in directory.rglob("*") if path.is_file()}
    assert written == named, "a temp file left behind, or a report missing"
    for text in [run.stdout, run.stderr, *(path.read_text(encoding="utf-8") for path in written)]:
        assert DEFAULT_API_KEY not in text
    (json_report,) = [path for path in named if path.suffix == ".json"]
    return json.loads(json_report.read_text(encoding="utf-8"))


@pytest.mark.parametrize(("name", "obj", "pod", "gate"), GATES, ids=GATE_IDS)
def test_each_gate_container_passes_on_the_simulator(name, obj, pod, gate, tmp_path, pushgateway):
    env = _env(gate)
    replace = {}
    if PUSHGATEWAY_VARIABLE in env:
        replace[PUSHGATEWAY_VARIABLE] = f"http://127.0.0.1:{pushgateway.server_address[1]}"
    run, mounts = _run_gate(gate, tmp_path, "sim://ok", replace)
    assert run.returncode == ExitCode.PASSED, run.stdout[-3000:] + run.stderr[-3000:]
    report = _check_reports(gate, mounts, run)
    assert report["result"] == "pass" and report["exit_code"] == 0
    record = report["decision_record"]
    assert record["environment"] == env["COMETAPI_ENVIRONMENT"]["value"]
    assert record["phase"] == env.get("COMETAPI_PHASE", {}).get("value")
    if "COMETAPI_DEPLOYMENT_VERSION" in env:
        assert record["deployment_version"] == _local(env["COMETAPI_DEPLOYMENT_VERSION"]["value"], mounts)
    if PUSHGATEWAY_VARIABLE in env:
        (path, body), *_ = pushgateway.pushes
        assert path.startswith("/metrics/job/cometapi_smoke_gate/")
        assert re.search(r"^cometapi_smoke_gate_result\{.*\} 1$", body, re.M)


def test_the_monitor_stays_green_on_a_failing_endpoint_and_its_metrics_say_so(tmp_path, pushgateway):
    _, gate = _gate_of("CronJob")
    replace = {PUSHGATEWAY_VARIABLE: f"http://127.0.0.1:{pushgateway.server_address[1]}"}
    run, mounts = _run_gate(gate, tmp_path, "sim://auth", replace)
    assert run.returncode == ExitCode.PASSED, "report mode exits 0 whatever the gate finds"
    assert _check_reports(gate, mounts, run)["failure_class"] == "auth"
    (_, body), *_ = pushgateway.pushes
    assert re.search(r"^cometapi_smoke_gate_result\{.*\} 0$", body, re.M)
    assert all(json.loads(line)["event"] for line in run.stdout.splitlines() if line.startswith("{"))


@pytest.mark.parametrize(
    ("base_url", "exit_code", "action"),
    [
        ("sim://auth", ExitCode.FAILED, "FailJob"),
        ("sim://no-such-scenario", ExitCode.USAGE, "FailJob"),
        ("sim://server_error", ExitCode.TRANSIENT, "Count"),
    ],
)
def test_the_job_fails_at_once_or_retries_as_the_gates_exit_code_says(tmp_path, base_url, exit_code, action):
    pod, gate = _gate_of("Job")
    run, _ = _run_gate(gate, tmp_path, base_url)
    assert run.returncode == exit_code, run.stdout[-3000:] + run.stderr[-3000:]
    assert (
        _on_failure(BY_KIND["Job"]["spec"], {gate["name"]: run.returncode, **_sidecars_done(pod)}) == action
    )


# ---- the report sidecar ------------------------------------------------------------------------------------


def _run_sidecar(tmp_path: Path) -> subprocess.CompletedProcess:
    """The report sidecar's script as written, stopped with SIGTERM as the kubelet stops it once the gate has
    exited."""
    pod = BY_KIND["Job"]["spec"]["template"]["spec"]
    (sidecar,) = [container for container in pod.get("initContainers", []) if not _is_gate(container)]
    assert sidecar["restartPolicy"] == "Always", "a native sidecar: stopped once the gate has exited"
    mounts = _volumes(sidecar, tmp_path)
    args = [_local(arg, mounts) for arg in sidecar["args"]]
    script = args[-1]
    for mount, directory in mounts.items():
        script = script.replace(f"{mount}/", f"{directory}/")
    assert args[:2] == ["sh", "-c"]
    with subprocess.Popen(
        ["sh", "-c", script], stdout=subprocess.PIPE, text=True, start_new_session=True
    ) as proc:
        try:
            ready, _, _ = select.select([proc.stdout], [], [], 60)
            assert ready, "the sidecar printed nothing"
            first = proc.stdout.readline()
            proc.send_signal(signal.SIGTERM)
            rest, _ = proc.communicate(timeout=60)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of it on a failed assertion
    return subprocess.CompletedProcess(args, proc.returncode, first + rest, "")


def test_the_report_sidecar_prints_the_report_once_stopped(tmp_path):
    report = {"result": "fail", "decision": "rollback", "request_ids": ["req_1"]}
    reports = tmp_path / "volumes" / "reports"
    reports.mkdir(parents=True)
    (reports / "report.json").write_text(json.dumps(report), encoding="utf-8")
    run = _run_sidecar(tmp_path)
    assert run.returncode == 0
    first, rest = run.stdout.split("\n", 1)
    assert "report sidecar" in first
    assert json.loads(rest) == report


def test_the_report_sidecar_says_so_when_there_is_no_report(tmp_path):
    run = _run_sidecar(tmp_path)
    assert run.returncode == 0
    assert "the gate wrote no report" in run.stdout


# ---- docs/kubernetes.md ------------------------------------------------------------------------------------


def _doc_blocks() -> list[Any]:
    blocks = re.findall(r"^```yaml\n(.*?)^```$", DOCS.read_text(encoding="utf-8"), re.M | re.S)
    return [yaml.safe_load(block) for block in blocks]


def test_the_docs_policy_is_the_jobs():
    job = BY_KIND["Job"]["spec"]
    policies = [block for block in _doc_blocks() if "podFailurePolicy" in block]
    assert policies == [{"backoffLimit": job["backoffLimit"], "podFailurePolicy": job["podFailurePolicy"]}]


def test_the_docs_rollout_passes_the_templates_args():
    template = BY_KIND["AnalysisTemplate"]
    (rollout,) = [block for block in _doc_blocks() if block.get("kind") == "Rollout"]
    steps = [
        step["analysis"] for step in rollout["spec"]["strategy"]["canary"]["steps"] if "analysis" in step
    ]
    assert steps
    for analysis in steps:
        assert [t["templateName"] for t in analysis["templates"]] == [template["metadata"]["name"]]
        passed = {arg["name"]: arg for arg in analysis["args"]}
        assert set(passed) == {arg["name"] for arg in template["spec"]["args"]}
        assert passed["base-url"]["value"] == ROLLOUT_ARGS["base-url"]
        assert passed["deployment-version"]["valueFrom"] == {"podTemplateHashValue": "Latest"}
    service = (urlsplit(ROLLOUT_ARGS["base-url"]).hostname or "").split(".")[0]
    assert service == rollout["spec"]["strategy"]["canary"]["canaryService"], "the gate tests the canary"


def test_the_docs_name_every_manifest():
    text = DOCS.read_text(encoding="utf-8")
    for path in sorted(EXAMPLES.glob("*.yaml")):
        assert f"(../examples/kubernetes/{path.name})" in text, path.name
