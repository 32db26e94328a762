"""Evidence where operators look: JSON log lines, a metrics file promtool accepts, and metrics pushed to a
REAL Prometheus Pushgateway (Debian's prometheus-pushgateway, started on a free loopback port)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL

AUTH = ["--api-key", DEFAULT_API_KEY, "--model", DEFAULT_MODEL, "--samples", "2"]
PUSHGATEWAY = shutil.which("prometheus-pushgateway")
PROMTOOL = shutil.which("promtool")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def pushgateway(tmp_path_factory) -> Iterator[str]:
    if PUSHGATEWAY is None:
        pytest.skip("prometheus-pushgateway is not installed (apt-get install prometheus-pushgateway)")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [PUSHGATEWAY, f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path_factory.mktemp("pushgateway"),
    )
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        else:
            pytest.fail("the pushgateway did not start")
        yield url
    finally:
        process.terminate()
        process.wait(10)


def _series(url: str) -> list[dict]:
    return requests.get(f"{url}/api/v1/metrics", timeout=5).json()["data"]


def test_metrics_are_pushed_to_a_real_pushgateway_and_read_back(sim, gate, pushgateway):
    args = ["--base-url", sim.url_for("ok"), *AUTH, "--environment", "staging", "--pushgateway", pushgateway]
    run = gate(*args).expect_exit(0)
    assert "pushed     : metrics of default in" in run.stdout
    groups = [g for g in _series(pushgateway) if g["labels"].get("environment") == "staging"]
    assert len(groups) == 1 and groups[0]["labels"]["job"] == "cometapi_smoke_gate"
    group = groups[0]
    assert group["labels"]["target"] == "default"
    result = group["cometapi_smoke_gate_result"]["metrics"][0]
    assert result["value"] == "1" and result["labels"]["model"] == DEFAULT_MODEL
    latency = {
        m["labels"]["stat"]: float(m["value"])
        for m in group["cometapi_smoke_gate_latency_seconds"]["metrics"]
    }
    assert set(latency) == {"p50", "p95", "max"} and 0 < latency["p50"] <= latency["max"]
    # a failing run replaces the group: result 0, the class set
    gate("--base-url", sim.url_for("auth"), *AUTH, "--environment", "staging", "--pushgateway", pushgateway)
    group = next(g for g in _series(pushgateway) if g["labels"].get("environment") == "staging")
    assert group["cometapi_smoke_gate_result"]["metrics"][0]["value"] == "0"
    failures = {m["labels"]["class"]: m["value"] for m in group["cometapi_smoke_gate_failure"]["metrics"]}
    assert failures["auth"] == "1" and failures["timeout"] == "0"


def test_each_target_is_its_own_group(sim, gate, pushgateway, tmp_path):
    targets = tmp_path / "targets.toml"
    targets.write_text(
        f'[defaults]\nmodel = "{DEFAULT_MODEL}"\nsamples = 1\nenvironment = "fleet"\n'
        f'[[target]]\nname = "eu"\nbase-url = "{sim.url_for("ok")}"\napi-key-env = "K"\n'
        f'[[target]]\nname = "us"\nbase-url = "{sim.url_for("auth")}"\napi-key-env = "K"\n'
    )
    gate("--targets", str(targets), "--pushgateway", pushgateway, env={"K": DEFAULT_API_KEY}).expect_exit(1)
    groups = {
        g["labels"]["target"]: g for g in _series(pushgateway) if g["labels"].get("environment") == "fleet"
    }
    assert set(groups) == {"eu", "us"}
    assert groups["eu"]["cometapi_smoke_gate_result"]["metrics"][0]["value"] == "1"
    assert groups["us"]["cometapi_smoke_gate_result"]["metrics"][0]["value"] == "0"


def test_a_pushgateway_that_is_down_is_a_warning_not_a_failure(sim, gate):
    dead = f"http://127.0.0.1:{_free_port()}"
    run = gate("--base-url", sim.url_for("ok"), *AUTH, "--pushgateway", dead).expect_exit(0)
    assert f"warning: metrics not pushed to {dead}" in run.stdout


def test_a_silent_pushgateway_costs_at_most_the_push_deadline(sim, gate):
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"  # accepts, never answers
        run = gate("--base-url", sim.url_for("ok"), *AUTH, "--pushgateway", url).expect_exit(0)
        assert "warning: metrics not pushed" in run.stdout and "deadline" in run.stdout
    finally:
        for sock in accepted:
            sock.close()
        listener.close()


@pytest.mark.skipif(PROMTOOL is None, reason="promtool is not installed (apt-get install prometheus)")
@pytest.mark.parametrize("scenario", ["ok", "auth", "upstream"])
def test_the_metrics_file_passes_promtool(sim, gate, tmp_path, scenario):
    metrics = tmp_path / "gate.prom"
    gate("--base-url", sim.url_for(scenario), *AUTH, "--retries", "0", "--metrics-file", str(metrics))
    check = subprocess.run([PROMTOOL, "check", "metrics"], input=metrics.read_bytes(), capture_output=True)
    assert check.returncode == 0, check.stdout + check.stderr
    text = metrics.read_text()
    assert 'cometapi_smoke_gate_result{environment="unspecified",target="default"' in text


def test_json_log_lines_carry_the_observability_fields(sim, gate, tmp_path):
    run = gate(
        "--base-url", sim.url_for("upstream"), *AUTH, "--retries", "1", "--max-retry-after", "0.01",
        "--log-format", "json", "--deployment-version", "v9",
    ).expect_exit(3)  # fmt: skip
    events = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    assert events[0]["event"] == "run_start" and events[-1]["event"] == "verdict"
    assert not [line for line in run.stdout.splitlines() if line and not line.startswith("{")]
    attempts = [e for e in events if e["event"] == "attempt"]
    assert [a["attempt"] for a in attempts] == [1, 2]
    assert {a["status_category"] for a in attempts} == {"5xx"} and all(a["request_id"] for a in attempts)
    completion = next(e for e in events if e["event"] == "check" and e["check"] == "completion")
    assert (completion["status"], completion["failure_class"], completion["retries"]) == (
        "fail",
        "upstream",
        1,
    )
    verdict = events[-1]
    assert (verdict["result"], verdict["decision"], verdict["exit_code"]) == ("fail", "hold", 3)
    assert verdict["deployment_version"] == "v9" and verdict["environment"] == "unspecified"
    for event in events:
        assert {"ts", "event"} <= set(event)
        if event["event"] != "notice":
            assert {"environment", "target", "model", "deployment_version"} <= set(event)
