"""The console log an on-call engineer reads at 3 a.m.: a line per check, the verdict, the next step."""

from __future__ import annotations

from gate import __version__
from gate.checks.results import CheckResult, Status, Tokens
from gate.config.resolve import GateConfig
from gate.core.failures import Mode
from gate.core.text import one_line
from gate.outcome.report import RunReport, TargetReport
from gate.outcome.verdict import Decision

_COLORS = {
    "PASS": "32",
    "WARN": "33",
    "FAIL": "31",
    "SKIP": "90",
    "RESULT: PASS": "1;32",
    "RESULT: FAIL": "1;31",
}


def colorize(line: str) -> str:
    """ANSI colour for a status label at the start of a line (only ever used on a terminal)."""
    for label, color in sorted(_COLORS.items(), key=lambda item: -len(item[0])):
        if line.startswith(label):
            return f"\x1b[{color}m{label}\x1b[0m{line[len(label) :]}"
    return line


_LABEL = {Status.PASS: "PASS", Status.WARN: "WARN", Status.FAIL: "FAIL", Status.SKIP: "SKIP"}


def header(config: GateConfig) -> list[str]:
    source = (config.sources or {}).get("api_key", "")
    key_note = "*** (simulator key)" if config.sim_scenario else f"*** (set, from {source})"
    target = f"sim://{config.sim_scenario} (built-in simulator)" if config.sim_scenario else config.chat_url
    return [
        f"cometapi-smoke-gate {__version__}: release gate for {one_line(config.environment, 80)}",
        f"  environment : {one_line(config.environment, 80)}",
        f"  endpoint    : {config.endpoint_host} ({target})",
        f"  model       : {one_line(config.model, 120)}",
        f"  api key     : {key_note}",
        f"  timeouts    : connect {config.connect_timeout:g} s, deadline {config.timeout:g} s per request",
        f"  retries     : {config.retries} (transient classes only, budget {config.retry_budget:g} s)",
        f"  samples     : {config.samples}"
        + (f", p95 budget {config.max_latency_ms:g} ms" if config.max_latency_ms else ""),
        f"  condition   : assistant text {config.expect_mode} '{one_line(config.expect, 60)}'",
        *(
            [f"  headers     : {one_line(', '.join(h.shown for h in config.headers), 300)}"]
            if config.headers
            else []
        ),
        f"  set by      : {_sources(config)}",
    ]


def _sources(config: GateConfig) -> str:
    """Where every value came from: the options not at their default, each with its source."""
    given = [
        f"{name.replace('_', '-')} ({source})"
        for name, source in (config.sources or {}).items()
        if not source.startswith("default")
    ]
    return ", ".join(given) + "; the rest are defaults" if given else "defaults only"


def check_line(result: CheckResult) -> list[str]:
    label = _LABEL[result.status]
    cls = f"[{result.failure_class}] " if result.failure_class else ""
    timing = f" ({result.duration_ms:.0f} ms)" if result.status is not Status.SKIP else ""
    lines = [f"{label}  {result.id:<11} {cls}{one_line(result.message, 300)}{timing}"]
    lines += [f"      warning: {one_line(w, 300)}" for w in result.warnings]
    return lines


def _latency(target: TargetReport) -> str | None:
    lat = target.latency
    return lat.text() if lat else None


def target_status(target: TargetReport) -> str:
    """The last line of one target's block in a run of several (the run's RESULT comes once, at the end)."""
    verdict = target.verdict
    latency = _latency(target)
    timing = f"; {latency}" if latency else ""
    if verdict.passed:
        return f"target {target.name}: PASS{timing}"
    return f"target {target.name}: FAIL [{verdict.failure_class}] in check '{verdict.failed_check}'{timing}"


def _result_line(run: RunReport) -> str:
    verdict = run.verdict
    count = len(run.targets)
    failing = [t for t in run.targets if not t.verdict.passed]
    if verdict.passed:
        extra = f" with {verdict.warnings} warning(s)" if verdict.warnings else ""
        return (
            f"RESULT: PASS: proceed. All {count} targets passed{extra}"
            if run.several
            else (f"RESULT: PASS: proceed{extra}")
        )
    if run.several and failing:
        names = ", ".join(f"{t.name} ({t.verdict.failure_class})" for t in failing)
        return f"RESULT: FAIL: {verdict.decision}. {len(failing)} of {count} targets failed: {names}"
    return (
        f"RESULT: FAIL: {verdict.decision}. Failure class: {verdict.failure_class} "
        f"(check '{verdict.failed_check}')"
    )


def tokens_line(tokens: Tokens) -> str:
    parts = f"prompt {tokens.prompt}, completion {tokens.completion}, reasoning {tokens.reasoning}"
    return f"{tokens.total} ({parts})"


def footer(run: RunReport) -> list[str]:
    verdict = run.verdict
    lines = ["", _result_line(run)]
    if run.settings.phase == "rollback":
        lines.append(
            "  ROLLBACK   : the rolled-back path serves again (rollback test passed)"
            if verdict.passed
            else "  ROLLBACK   : THE ROLLBACK DID NOT RESTORE SERVICE: the rolled-back path fails too"
        )
    elif verdict.decision is Decision.ROLLBACK:
        lines.append(
            f"  decision   : roll back: {verdict.failure_class} is a rollback trigger in the "
            f"{run.settings.phase} phase (--rollback-on)"
        )
    failure = verdict.failure_class
    if failure is not None:
        lines.append(f"  what broke : {failure.info.title}")
        lines.append(f"  next step  : {run.next_step}")
    if not run.several:
        latency = _latency(run.targets[0])
        if latency:
            lines.append(f"  latency    : {latency}")
    focus = run.focus
    if focus.quoted_request_id:
        lines.append(f"  request id : {one_line(focus.quoted_request_id, 80)} (quote it to support)")
    if len(focus.request_ids) > 1:
        lines.append(f"  request ids: {', '.join(one_line(r, 80) for r in focus.request_ids[:5])}")
    tokens = run.tokens
    if tokens.total:
        lines.append(f"  tokens     : {tokens_line(tokens)} spent by the gate")
    if run.settings.mode == Mode.REPORT and not verdict.passed:
        lines.append("  mode report: exiting 0 although the gate failed")
    return lines
