"""monitoring/alerts.yml, its promtool unit tests and docs/monitoring.md agree with what the gate writes.

promtool checks and unit-tests the rules (skipped when promtool is not installed: `apt-get install
prometheus`). The rest needs no Prometheus: every metric, label and label value the rules use is one the
gate writes (and, when the gate can write a metrics file, one it does write); each of the runbook's alert
dimensions has its alert and every failure class exactly one; the workflows and CI jobs in the docs parse,
use inputs and flags the gate has, and validate against check-jsonschema's schemas when it is installed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from gate.config.options import OPTIONS, OPTIONS_BY_NAME
from gate.core.failures import FailureClass

yaml = pytest.importorskip("yaml", reason="PyYAML is a test dependency (the test extra)")

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "monitoring" / "alerts.yml"
RULE_TESTS = ROOT / "monitoring" / "alerts_test.yml"
DOCS = ROOT / "docs" / "monitoring.md"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool is not installed (apt-get install prometheus)"
)

# The metrics the gate writes, and the labels each has besides environment, target and model, with their
# values (None: any value, e.g. a check id). The latency figures are labelled `stat`, not `quantile` (a
# label Prometheus reserves for summaries): test_the_gate_writes_what_the_rules_read holds the gate to it.
COMMON = frozenset({"environment", "target", "model"})
API = "api"  # --api (chat, responses, embeddings): on every series the gate writes; no rule groups by it
CLASSES = frozenset(c.value for c in FailureClass)
METRICS: dict[str, dict[str, frozenset[str] | None]] = {
    "cometapi_smoke_gate_result": {},
    "cometapi_smoke_gate_decision": {"decision": frozenset({"proceed", "hold", "rollback"})},
    "cometapi_smoke_gate_check_status": {
        "check": None,
        "status": frozenset({"pass", "warn", "fail", "skip"}),
    },
    "cometapi_smoke_gate_failure": {"class": CLASSES},
    "cometapi_smoke_gate_latency_seconds": {"stat": frozenset({"p50", "p95", "max"})},
    "cometapi_smoke_gate_attempts": {},
    "cometapi_smoke_gate_retries": {},
    "cometapi_smoke_gate_tokens": {"kind": frozenset({"prompt", "completion", "reasoning"})},
    "cometapi_smoke_gate_cert_days_left": {},
    "cometapi_smoke_gate_duration_seconds": {},
    "cometapi_smoke_gate_last_run_timestamp_seconds": {},
}
# The runbook's alerting item: alerts fire on authentication failures, timeouts, non-success statuses,
# parser failures and latency. Each dimension: the failure classes an alert must select (all of them).
DIMENSIONS = {
    "authentication": {"auth"},
    "timeout": {"timeout"},
    "non-success status (upstream)": {"upstream"},
    "parser": {"protocol", "contract", "empty"},
}

SELECTOR = re.compile(r"\b(cometapi_smoke_gate_\w+)\b(?:\s*\{([^}]*)\})?")
MATCHER = re.compile(r'(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"')
BY = re.compile(r"\bby\s*\(([^)]*)\)")
PAIR = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
P95_THRESHOLD = re.compile(r'cometapi_smoke_gate_latency_seconds\{stat="p95"\}\)\s*>\s*(\d+(?:\.\d+)?)\s*$')
GATE_USES = re.compile(r"[\w.-]+/cometapi-smoke-gate@v\d+")


def _load(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _alerts() -> list[dict]:
    return [rule for group in _load(RULES)["groups"] for rule in group["rules"] if "alert" in rule]


def _by_name() -> dict[str, dict]:
    return {rule["alert"]: rule for rule in _alerts()}


def _selectors(expr: str) -> list[tuple[str, list[tuple[str, str, str]]]]:
    return [(name, MATCHER.findall(body or "")) for name, body in SELECTOR.findall(expr)]


def _values(op: str, value: str) -> set[str]:
    return set(value.split("|")) if op in ("=~", "!~") else {value}


def _failure_classes(expr: str) -> set[str]:
    """The classes an expression selects from cometapi_smoke_gate_failure (=, or =~ with alternatives)."""
    found: set[str] = set()
    for name, matchers in _selectors(expr):
        if name == "cometapi_smoke_gate_failure":
            for label, op, value in matchers:
                if label == "class" and op in ("=", "=~"):
                    found |= _values(op, value)
    return found


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)


# --- promtool ---


@needs_promtool
def test_promtool_checks_the_rules():
    result = _run(PROMTOOL, "check", "rules", "monitoring/alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(_alerts())} rules found" in result.stdout


@needs_promtool
def test_promtool_unit_tests_pass():
    result = _run(PROMTOOL, "test", "rules", "monitoring/alerts_test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_unit_tests_show_every_alert_firing_and_quiet():
    tests = _load(RULE_TESTS)
    assert tests["rule_files"] == ["alerts.yml"]
    firing, quiet = set(), set()
    for group in tests["tests"]:
        for case in group.get("alert_rule_test", []):
            (firing if case["exp_alerts"] else quiet).add(case["alertname"])
            for alert in case["exp_alerts"]:
                assert alert.get("exp_annotations"), f"{case['alertname']}: annotations not checked"
    names = set(_by_name())
    assert names - firing == set(), "alerts never shown firing"
    assert names - quiet == set(), "alerts never shown quiet"
    assert (firing | quiet) - names == set(), "tests of alerts that do not exist"


def test_unit_test_series_are_shaped_like_the_gates():
    for group in _load(RULE_TESTS)["tests"]:
        for item in group["input_series"]:
            match = re.fullmatch(r"(\w+)\{(.*)\}", item["series"])
            assert match, item["series"]
            name, labels = match.group(1), dict(PAIR.findall(match.group(2)))
            if name == "up":
                continue
            assert name in METRICS, name
            extra = set(labels) - COMMON - {"job", "instance", API}
            assert extra == set(METRICS[name]), f"{item['series']}: labels {sorted(extra)}"
            assert set(labels) >= COMMON, item["series"]
            for label, value in labels.items():
                allowed = METRICS[name].get(label)
                assert allowed is None or value in allowed, f"{item['series']}: {label}={value}"


# --- the rules ---


def test_rules_use_only_metrics_the_gate_writes():
    for rule in _alerts():
        used = set(re.findall(r"\bcometapi_smoke_gate_\w+", rule["expr"]))
        assert used, f"{rule['alert']} reads no metric of the gate"
        assert used <= set(METRICS), f"{rule['alert']}: unknown metrics {used - set(METRICS)}"


def test_rules_use_only_labels_and_values_the_gate_writes():
    for rule in _alerts():
        expr = rule["expr"]
        names = {name for name, _ in _selectors(expr)}
        known = COMMON.union(*(METRICS[name] for name in names))
        for grouping in BY.findall(expr):
            labels = {label.strip() for label in grouping.split(",")}
            assert labels <= known, f"{rule['alert']}: by ({grouping})"
        for name, matchers in _selectors(expr):
            for label, op, value in matchers:
                assert label in METRICS[name], f"{rule['alert']}: {name} has no label {label}"
                allowed = METRICS[name][label]
                if allowed is not None:
                    assert _values(op, value) <= allowed, f"{rule['alert']}: {label}{op}{value!r}"


def test_every_alert_has_for_a_severity_and_says_what_to_check_next():
    for rule in _alerts():
        name = rule["alert"]
        assert "for" in rule, f"{name} has no for:"
        assert rule["labels"]["severity"] in {"critical", "warning"}, name
        annotations = rule["annotations"]
        assert set(annotations) >= {"summary", "description"}, name
        assert "Check next" in annotations["description"], name
        if rule["expr"].startswith("absent("):
            continue  # absent() has no labels to carry
        assert any(
            {"environment", "target", "model"} <= {x.strip() for x in grouping.split(",")}
            for grouping in BY.findall(rule["expr"])
        ), f"{name} does not aggregate by environment, target, model"
        for label in ("environment", "target", "model"):
            assert f"$labels.{label}" in annotations["description"], f"{name}: description lacks {label}"
            assert f"$labels.{label}" in annotations["summary"] or label == "model", f"{name}: summary"


@pytest.mark.parametrize("dimension", sorted(DIMENSIONS))
def test_each_runbook_alert_dimension_has_an_alert(dimension):
    wanted = DIMENSIONS[dimension]
    assert any(wanted <= _failure_classes(rule["expr"]) for rule in _alerts()), dimension


def test_latency_dimension_alerts_on_p95_with_one_commented_threshold():
    rules = [
        rule
        for rule in _alerts()
        if ("stat", "=", "p95") in (m for _, ms in _selectors(rule["expr"]) for m in ms)
    ]
    assert len(rules) == 1, "one alert on the p95 latency"
    rule = rules[0]
    match = P95_THRESHOLD.search(rule["expr"])
    assert match, rule["expr"]
    threshold = match.group(1)
    assert f"over the {threshold} s budget" in rule["annotations"]["description"]
    assert f"THE THRESHOLD IS THE `> {threshold}` BELOW" in RULES.read_text(encoding="utf-8")


def test_every_failure_class_is_covered_by_exactly_one_alert():
    owners: dict[str, list[str]] = {cls: [] for cls in CLASSES}
    for rule in _alerts():
        for cls in _failure_classes(rule["expr"]):
            owners[cls].append(rule["alert"])
    assert {cls: alerts for cls, alerts in owners.items() if len(alerts) != 1} == {}


def test_the_monitor_and_decision_alerts():
    rules = _by_name()
    exprs = {name: " ".join(rule["expr"].split()) for name, rule in rules.items()}
    stale = [n for n, e in exprs.items() if "time() - " in e and "last_run_timestamp_seconds" in e]
    assert stale and exprs[stale[0]].endswith("> 2 * 3600")
    assert "absent(cometapi_smoke_gate_last_run_timestamp_seconds)" in exprs.values()
    rollback = [n for n, e in exprs.items() if 'decision="rollback"' in e]
    assert rollback and rules[rollback[0]]["labels"]["severity"] == "critical"
    leak = [n for n in rules if {"leak", "internal"} <= _failure_classes(rules[n]["expr"])]
    assert leak and rules[leak[0]]["labels"]["severity"] == "critical"
    assert any(re.search(r"cometapi_smoke_gate_cert_days_left\)\s*<\s*14$", e) for e in exprs.values())


def _exposition(text: str) -> dict[str, list[dict[str, str]]]:
    series: dict[str, list[dict[str, str]]] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            match = re.fullmatch(r"(\w+)\{(.*)\} \S+", line)
            assert match, line
            series.setdefault(match.group(1), []).append(dict(PAIR.findall(match.group(2))))
    return series


def test_the_gate_writes_what_the_rules_read(gate, tmp_path):
    if "metrics-file" not in OPTIONS_BY_NAME:
        pytest.skip("this gate has no --metrics-file yet")
    written: dict[str, list[dict[str, str]]] = {}
    for scenario in ("ok", "auth"):
        path = tmp_path / f"{scenario}.prom"
        args = ["--base-url", f"sim://{scenario}", "--samples", "1", "--retries", "0"]
        gate(*args, "--metrics-file", str(path))
        for name, samples in _exposition(path.read_text(encoding="utf-8")).items():
            written.setdefault(name, []).extend(samples)
    assert set(written) <= set(METRICS), f"metrics the docs do not list: {set(written) - set(METRICS)}"
    for name, samples in written.items():
        for labels in samples:
            assert set(labels) == COMMON | {API} | set(METRICS[name]), f"{name}: {sorted(labels)}"
            assert labels[API] == "chat", labels
    for rule in _alerts():
        for name, matchers in _selectors(rule["expr"]):
            if name not in written:  # cert_days_left: the simulator is plain http
                continue
            for label, op, value in matchers:
                seen = {labels[label] for labels in written[name]}
                assert _values(op, value) <= seen, f"{rule['alert']}: the gate never writes {label}={value}"


# --- docs/monitoring.md ---


def _blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", DOCS.read_text(encoding="utf-8"), re.M | re.S)


def _documents() -> list:
    return [yaml.safe_load(block) for block in _blocks("yaml")]


def _on(workflow: dict) -> dict:
    return workflow.get("on", workflow.get(True))  # PyYAML reads the key `on` as the boolean true


def _workflows() -> list[dict]:
    return [d for d in _documents() if isinstance(d, dict) and "jobs" in d and _on(d) is not None]


def _gitlab_jobs() -> list[dict]:
    return [
        job
        for d in _documents()
        if isinstance(d, dict) and "jobs" not in d
        for job in d.values()
        if isinstance(job, dict) and "script" in job
    ]


def _steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def _gate_steps(workflow: dict) -> list[dict]:
    return [step for step in _steps(workflow) if GATE_USES.fullmatch(step.get("uses", ""))]


def test_every_yaml_block_in_the_docs_parses():
    documents = _documents()
    assert len(documents) >= 6
    assert all(d is not None for d in documents)


def test_the_scheduled_github_workflow():
    monitors = [w for w in _workflows() if "schedule" in _on(w)]
    assert len(monitors) == 1
    workflow = monitors[0]
    minutes = _on(workflow)["schedule"][0]["cron"].split()[0]
    assert len(minutes.split(",")) == 4 or minutes.endswith("/15"), "every 15 minutes"
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["concurrency"]["group"]
    job = next(iter(workflow["jobs"].values()))
    assert job["timeout-minutes"] <= 15
    (step,) = _gate_steps(workflow)
    given = step["with"]
    assert given["mode"] == "report" and given["log-format"] == "json" and given["metrics-file"]
    assert given["pushgateway"] == "${{ vars.PUSHGATEWAY_URL }}"
    assert given["json"].startswith("gate-reports/")
    upload = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["if"] == "always()" and upload["with"]["path"] == "gate-reports/"


def test_the_scheduled_gitlab_job():
    (job,) = _gitlab_jobs()
    assert job["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "schedule"'}]
    assert job["image"]["name"] == "ghcr.io/<owner>/cometapi-smoke-gate:v1"
    script = " ".join(job["script"])
    for flag in ("--mode report", "--log-format json", "--metrics-file", "--pushgateway", "--json"):
        assert flag in script, flag
    junit = job["artifacts"]["reports"]["junit"]
    assert f"--junit {junit}" in script and job["artifacts"]["when"] == "always"


def test_gate_flags_and_inputs_in_the_docs_exist():
    flags = {spec.flag for spec in OPTIONS}
    text = DOCS.read_text(encoding="utf-8")
    commands = re.findall(r"cometapi-smoke-gate run (.*?)(?:\n\n|\n```|\n  [a-z])", text, re.S)
    used = {flag for command in commands for flag in re.findall(r"(?<![\w-])--[a-z][\w-]*", command)}
    assert {"--mode", "--metrics-file", "--pushgateway", "--log-format"} <= used
    assert used <= flags, f"flags the gate does not have: {used - flags}"
    action = _load(ROOT / "action.yml")
    required = {name for name, entry in action["inputs"].items() if entry["required"]}
    steps = [step for workflow in _workflows() for step in _gate_steps(workflow)]
    assert len(steps) >= 2
    for step in steps:
        given = set(step["with"])
        assert given <= set(action["inputs"]), f"unknown inputs {given - set(action['inputs'])}"
        assert required <= given, f"missing required inputs {required - given}"


def test_the_pull_request_recipe():
    workflows = {w["name"]: w for w in _workflows()}
    sticky = [
        (w, s) for w in workflows.values() for s in _steps(w) if s.get("uses", "").startswith("marocchino/")
    ]
    assert len(sticky) == 2
    for workflow, step in sticky:
        assert step["uses"] == "marocchino/sticky-pull-request-comment@v2"
        assert workflow["permissions"]["pull-requests"] == "write"
        assert step["with"]["header"] == "cometapi-smoke-gate" and step["with"]["path"] == "gate-summary.md"
    pr = workflows["smoke-gate-pr"]
    assert list(_on(pr)) == ["pull_request"], "never pull_request_target in the recipe"
    follow_up = next(w for w in workflows.values() if "workflow_run" in _on(w))
    assert _on(follow_up)["workflow_run"]["workflows"] == ["smoke-gate-pr"]
    assert not any(s.get("uses", "").startswith("actions/checkout") for s in _steps(follow_up))
    text = DOCS.read_text(encoding="utf-8")
    assert "65,536 characters" in text and "65,536 bytes" in text


def _check_jsonschema() -> str | None:
    candidates = [
        ROOT / ".venv" / "bin" / "check-jsonschema",
        # where scripts/lint_packaging.sh installs it
        Path(os.environ.get("LINT_VENV", "/tmp/lintvenv")) / "bin" / "check-jsonschema",
    ]
    return next((str(path) for path in candidates if path.is_file() and os.access(path, os.X_OK)), None)


def test_docs_workflows_validate_against_the_schemas(tmp_path):
    tool = _check_jsonschema()
    if tool is None:
        pytest.skip("check-jsonschema is not installed (.venv/bin, or $LINT_VENV/bin: make lint-packaging)")
    github = []
    for index, block in enumerate(_blocks("yaml")):
        document = yaml.safe_load(block)
        if document in _workflows():
            path = tmp_path / f"workflow-{index}.yml"
            path.write_text(block, encoding="utf-8")
            github.append(str(path))
    assert len(github) == 3
    checks = [
        ["--builtin-schema", "vendor.github-workflows", *github],
        ["--builtin-schema", "vendor.gitlab-ci", "--data-transform", "gitlab-ci"],
    ]
    gitlab = tmp_path / "gitlab-ci.yml"
    gitlab.write_text(next(b for b in _blocks("yaml") if "CI_PIPELINE_SOURCE" in b), encoding="utf-8")
    checks[1].append(str(gitlab))
    for args in checks:
        result = subprocess.run([tool, *args], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr


def test_docs_list_every_metric_alert_and_log_field():
    text = DOCS.read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `(cometapi_smoke_gate_\w+)` \|", text, re.M))
    assert rows == set(METRICS)
    alert_rows = set(re.findall(r"^\| `(CometAPISmokeGate\w+)` \|", text, re.M))
    assert alert_rows == set(_by_name())
    fields = (
        *("ts", "event", "environment", "target", "model", "deployment_version", "request_id"),
        *("status_category", "latency_bucket", "attempt", "retries", "fallback_used", "failure_class"),
        *("check", "status", "result", "decision"),
    )
    for field in fields:
        assert f"`{field}`" in text, field


def test_docs_json_log_examples_parse():
    (block,) = _blocks("json")
    events = [json.loads(line) for line in block.splitlines()]
    assert [e["event"] for e in events] == ["attempt", "check", "verdict"]
    for event in events:
        assert {"ts", "environment", "target", "model", "deployment_version"} <= set(event)
