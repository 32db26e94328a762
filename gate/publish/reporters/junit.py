"""JUnit XML (`--junit`): one testsuite per run, one testcase per check, readable by Jenkins and GitLab.

junit-xml builds the elements; this module feeds it only cleaned strings and serialises the tree itself,
because `to_xml_report_string` adds attributes the Jenkins schema rejects (`disabled`), drops `time="0.0"`
and strips illegal characters after serialising (ANSI codes leave debris). Details are written as text
(`family standard, reasoning_effort none`), never as a Python repr; the decision record's properties are the
rows the summary shows (`shown_record`): the set ones, or all when the run asked for the full record.
"""

from __future__ import annotations

import math
import socket
import xml.etree.ElementTree as ET
from collections.abc import Mapping

from junit_xml import TestCase, TestSuite

from gate.checks.results import CheckResult, Status
from gate.config.resolve import RunSettings
from gate.core.text import clean, one_line
from gate.outcome.decision_record import Record, shown_record
from gate.outcome.report import RunReport, TargetReport
from gate.publish.reporters import checks_of

KIND = "junit"

SUITE_NAME = "cometapi-smoke-gate"
BODY_LIMIT = 8000
MIN_TIME_S = 0.001  # junit-xml drops a zero time; every case gets one


def _seconds(ms: float) -> float:
    return max(round(ms / 1000, 3), MIN_TIME_S)


# Shown from the typed fields (the attempts, the excerpt), in their own form, not as `key: value` lines.
_SHOWN_APART = frozenset({"attempt_log", "response_excerpt"})


def as_text(value: object, nested: bool = False) -> str:
    """A detail's value as a reader writes it: `family standard, reasoning_effort none` for a mapping,
    `a, b` for a list (in parentheses when nested), none / yes / no, never a Python repr."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}" if math.isfinite(value) else "none"
    if isinstance(value, Mapping):
        text = ", ".join(f"{key} {as_text(item, True)}" for key, item in value.items())
    elif isinstance(value, list | tuple | set | frozenset):
        text = ", ".join(as_text(item, True) for item in value)
    else:
        return str(value)
    return f"({text})" if nested and text else text or "none"


def _details_text(result: CheckResult) -> str:
    """The check's display details as `key: value` lines, then one line per attempt."""
    lines = [
        f"{key}: {as_text(value)}"
        for key, value in result.details.items()
        if key not in _SHOWN_APART and value not in (None, "", [], {})
    ]
    for attempt in result.attempts:
        status = attempt.status if attempt.status is not None else "none (no answer)"
        outcome = f"class {attempt.failure_class}" if attempt.failure_class else "succeeded"
        request_id = f", request id {attempt.request_id}" if attempt.request_id else ""
        lines.append(
            f"attempt {attempt.number}: status {status}, {outcome}{request_id}, "
            f"{round(attempt.elapsed_ms, 1)} ms, waited {round(attempt.waited_s, 3)} s before it"
        )
    return "\n".join(lines)


def _case(result: CheckResult, classname: str) -> TestCase:
    case = TestCase(result.id, classname=classname, elapsed_sec=_seconds(result.duration_ms))
    details = _details_text(result)
    if result.status is Status.FAIL and result.failure_class is not None:
        body = [
            f"{result.failure_class}: {one_line(result.message, 1000, words=True)}",
            f"what broke: {result.failure_class.info.title}",
            f"next step: {result.next_step}",
        ]
        if result.request_ids:
            body.append(f"request id: {result.request_ids[-1]} (quote it to support)")
        if details:
            body += ["", details]
        if result.excerpt:
            body += ["", "response body (excerpt):", result.excerpt]
        case.add_failure_info(
            message=one_line(result.message, 500, words=True),
            output=clean("\n".join(body), BODY_LIMIT, words=True),
            failure_type=result.failure_class.value,
        )
    elif result.status is Status.SKIP:
        case.add_skipped_info(message=one_line(result.message, 500, words=True))
    out = [f"{result.status.value}: {one_line(result.message, 1000, words=True)}"]
    out += [f"warning: {w}" for w in result.warnings]
    if details and result.status is not Status.FAIL:
        out += ["", details]
    case.stdout = clean("\n".join(out), BODY_LIMIT, words=True)
    return case


def _properties(target: TargetReport, settings: RunSettings) -> dict[str, str]:
    """The decision record, then the verdict. An empty <property value=""/> confuses some readers: unknown
    values are left out."""
    values: dict[str, object] = {
        field.key: value for field, value in shown_record(Record(settings, target, target.verdict))
    }
    values.update(result=target.verdict.result, failure_class=target.verdict.failure_class)
    if target.config.api != "chat":  # the default API is not named (a chat run's properties are as before)
        values["api"] = target.config.api
    return {k: one_line(str(v), 500, words=True) for k, v in values.items() if v not in (None, "")}


def _suite(name: str, cases: list[TestCase], properties: dict[str, str], timestamp: str) -> ET.Element:
    suite = TestSuite(
        name,
        cases,
        hostname=one_line(socket.gethostname(), 200),
        timestamp=timestamp,
        properties=properties,
    )
    element = suite.build_xml_doc()
    element.attrib.pop("disabled", None)
    element.set("time", f"{sum(float(c.elapsed_sec or 0) for c in cases):.3f}")
    return element


def suite_element(target: TargetReport, settings: RunSettings, name: str = SUITE_NAME) -> ET.Element:
    classname = f"{SUITE_NAME}.{one_line(target.config.environment, 80)}"
    return _suite(
        name,
        [_case(r, classname) for r in target.results],
        _properties(target, settings),
        target.started_at.replace(microsecond=0).isoformat(),
    )


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


def render(run: RunReport) -> str:
    """One suite for one target; one suite per target (and one for run-level checks) for several."""
    if not run.several:
        return render_suites([suite_element(run.single(), run.settings)])
    suites = [suite_element(t, run.settings, f"{SUITE_NAME}/{t.name}") for t in run.targets]
    if run.run_results:
        started = run.started_at.replace(microsecond=0).isoformat()
        cases = [_case(r, SUITE_NAME) for r in run.run_results]
        suites.append(_suite(SUITE_NAME, cases, {"result": run.verdict.result}, started))
    return render_suites(suites)


def minimal(run: RunReport) -> str:
    """One testsuite: a testcase per check, a failure element (type = class) for each failed one."""
    checks = [result for _, result in checks_of(run)]
    suite = ET.Element("testsuite", name="cometapi-smoke-gate", tests=str(len(checks)), errors="0")
    suite.set("failures", str(sum(1 for r in checks if r.failed)))
    for result in checks:
        case = ET.SubElement(suite, "testcase", name=result.id)
        if result.failed:
            failure = ET.SubElement(case, "failure", type=str(result.failure_class))
            failure.set("message", one_line(result.message, 200))
    return render_suites([suite])
