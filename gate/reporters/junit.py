"""JUnit XML (`--junit`): one testsuite per run, one testcase per check, readable by Jenkins and GitLab.

junit-xml builds the elements; this module feeds it only cleaned strings and serialises the tree itself,
because `to_xml_report_string` adds attributes the Jenkins schema rejects (`disabled`), drops `time="0.0"`
and strips illegal characters after serialising (ANSI codes leave debris).
"""

from __future__ import annotations

import socket
import xml.etree.ElementTree as ET
from typing import Any

from junit_xml import TestCase, TestSuite

from gate.report import RunReport
from gate.reporters.text import clean, one_line
from gate.results import CheckResult, Status

SUITE_NAME = "cometapi-smoke-gate"
BODY_LIMIT = 8000
MIN_TIME_S = 0.001  # junit-xml drops a zero time; every case gets one


def _seconds(ms: float) -> float:
    return max(round(ms / 1000, 3), MIN_TIME_S)


def _details_text(result: CheckResult) -> str:
    lines = []
    for key, value in result.details.items():
        if key in ("response_excerpt", "attempt_log") or value in (None, "", [], {}):
            continue
        lines.append(f"{key}: {value}")
    for attempt in result.details.get("attempt_log", []) or []:
        lines.append(
            f"attempt {attempt['attempt']}: status {attempt['status']}, class {attempt['failure_class']}, "
            f"{attempt['elapsed_ms']} ms, waited {attempt['waited_s']} s before it"
        )
    return "\n".join(lines)


def _case(result: CheckResult, classname: str) -> TestCase:
    case = TestCase(result.id, classname=classname, elapsed_sec=_seconds(result.duration_ms))
    details = _details_text(result)
    if result.status is Status.FAIL and result.failure_class is not None:
        body = [
            f"{result.failure_class}: {result.message}",
            f"what broke: {result.failure_class.info.title}",
            f"next step: {result.failure_class.next_step}",
        ]
        if details:
            body += ["", details]
        excerpt = result.details.get("response_excerpt")
        if excerpt:
            body += ["", "response body (excerpt):", str(excerpt)]
        case.add_failure_info(
            message=one_line(result.message, 500),
            output=clean("\n".join(body), BODY_LIMIT),
            failure_type=result.failure_class.value,
        )
    elif result.status is Status.SKIP:
        case.add_skipped_info(message=one_line(result.message, 500))
    out = [f"{result.status.value}: {result.message}"]
    out += [f"warning: {w}" for w in result.warnings]
    if details and result.status is not Status.FAIL:
        out += ["", details]
    case.stdout = clean("\n".join(out), BODY_LIMIT)
    return case


def _properties(report: RunReport) -> dict[str, str]:
    config = report.config
    values: dict[str, Any] = {
        "environment": config.environment,
        "endpoint_host": config.endpoint_host,
        "model": config.model,
        "deployment_version": config.deployment_version,
        "change_id": config.change_id,
        "phase": config.phase,
        "config_version": config.config_version,
        "request_ids": ", ".join(report.request_ids),
        "result": report.verdict.result,
        "decision": report.verdict.decision,
        "failure_class": report.verdict.failure_class,
    }
    # An empty <property value=""/> confuses some readers: leave unknown values out.
    return {k: one_line(str(v), 500) for k, v in values.items() if v not in (None, "")}


def suite_element(report: RunReport, name: str = SUITE_NAME) -> ET.Element:
    classname = f"{SUITE_NAME}.{one_line(report.config.environment, 80)}"
    suite = TestSuite(
        name,
        [_case(r, classname) for r in report.results],
        hostname=one_line(socket.gethostname(), 200),
        timestamp=report.started_at.replace(microsecond=0).isoformat(),
        properties=_properties(report),
    )
    element = suite.build_xml_doc()
    element.attrib.pop("disabled", None)
    element.set("time", f"{sum(_seconds(r.duration_ms) for r in report.results):.3f}")
    return element


def render_suites(elements: list[ET.Element]) -> str:
    root = ET.Element("testsuites")
    total = {"tests": 0, "failures": 0, "errors": 0}
    seconds = 0.0
    for element in elements:
        for key in total:
            total[key] += int(element.get(key, "0"))
        seconds += float(element.get("time", "0"))
        root.append(element)
    root.attrib.update(
        {"name": SUITE_NAME, **{k: str(v) for k, v in total.items()}, "time": f"{seconds:.3f}"}
    )
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def render(report: RunReport) -> str:
    return render_suites([suite_element(report)])
