"""One retry is one retry in every output: the metrics file, the JSON log lines and the JSON report.

The simulator's `rate_limit_once` answers the first request 429 (retry-after-ms: 50) and every later one
200: the completion check retries once, the two other samples need none. The retry counts used to be read
back from each check's free-form details under two keys (`retried` on completion, `retries` on samples,
which counted the completion's exchange again), so the metric said 2.
"""

from __future__ import annotations

import json
import re

from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL

AUTH = ["--api-key", DEFAULT_API_KEY, "--model", DEFAULT_MODEL]


def _gauge(text: str, name: str) -> float:
    match = re.search(rf"^cometapi_smoke_gate_{name}\{{[^}}]*\}} (\S+)$", text, re.MULTILINE)
    assert match is not None, text
    return float(match.group(1))


def test_one_retry_is_counted_once(sim, gate, tmp_path):
    metrics = tmp_path / "gate.prom"
    run = gate(
        "--base-url",
        sim.url_for("rate_limit_once"),
        *AUTH,
        "--samples",
        "3",
        "--metrics-file",
        str(metrics),
        "--log-format",
        "json",
    ).expect_exit(0)
    assert sim.count("rate_limit_once") == 4  # 429, then the completion's retry and two samples
    text = metrics.read_text(encoding="utf-8")
    assert _gauge(text, "retries") == 1
    assert _gauge(text, "attempts") == 4
    events = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    retries = {e["check"]: e["retries"] for e in events if e["event"] == "check"}
    assert retries["completion"] == 1 and retries["samples"] == 0
    attempts = [(e["check"], e["attempt"], e["http_status"]) for e in events if e["event"] == "attempt"]
    assert attempts[:2] == [("completion", 1, 429), ("completion", 2, 200)]
    # the JSON report keeps its keys for its consumers
    assert run.check("completion")["details"]["retried"] == 1
    assert run.check("completion")["details"]["attempts"] == 2
