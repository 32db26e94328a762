"""The console log an on-call engineer reads at 3 a.m.: a line per check, the verdict, the next step."""

from __future__ import annotations

from gate import __version__
from gate.checks.results import CheckResult, Status, Tokens
from gate.config.resolve import GateConfig
from gate.config.settings import RunSettings
from gate.core.failures import ExitCode, Mode
from gate.core.text import one_line
from gate.outcome.report import RunReport, TargetReport, condition_text
from gate.outcome.verdict import Decision, Verdict

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
    target = (
        f"sim://{config.sim_scenario} (built-in simulator)"
        if config.sim_scenario
        else f"{config.api_root}{config.api_path}"
    )
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
        f"  condition   : {condition_text(config)}",
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
    lines = [f"{label}  {result.id:<11} {cls}{one_line(result.message, 300, words=True)}{timing}"]
    lines += [f"      warning: {one_line(w, 300, words=True)}" for w in result.warnings]
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


#: What each exit code tells the pipeline (and the person reading the RESULT line) to do.
EXIT_MEANINGS: dict[ExitCode, str] = {
    ExitCode.FAILED: "fix before release",
    ExitCode.USAGE: "configuration error, nothing was sent",
    ExitCode.TRANSIENT: "transient, re-run later",
    ExitCode.INTERRUPTED: "interrupted (SIGINT)",
    ExitCode.TERMINATED: "interrupted (SIGTERM)",
}


def exit_note(verdict: Verdict, phase: str | None) -> str:
    """``(exit N: what to do)``, as the RESULT line says it: the code the process exits with and why."""
    code = verdict.exit_code
    if code is ExitCode.PASSED:
        return "(exit 0)" if verdict.passed else "(exit 0: --mode report, although the gate failed)"
    meaning = EXIT_MEANINGS.get(code, "failed")
    if code is ExitCode.FAILED and phase == "rollback":
        meaning = "escalate, the rollback did not restore service"
    elif code is ExitCode.FAILED and verdict.decision is Decision.ROLLBACK:
        meaning = "roll back now, the plan is below"
    return f"(exit {int(code)}: {meaning})"


def _result_line(run: RunReport) -> str:
    """``RESULT: PASS|FAIL: <decision> (exit N: meaning)`` and then what passed or failed."""
    verdict = run.verdict
    outcome = "PASS" if verdict.passed else "FAIL"
    head = f"RESULT: {outcome}: {verdict.decision} {exit_note(verdict, run.settings.phase)}"
    count = len(run.targets)
    failing = [t for t in run.targets if not t.verdict.passed]
    if verdict.passed:
        extra = f" with {verdict.warnings} warning(s)" if verdict.warnings else ""
        return f"{head}. All {count} targets passed{extra}" if run.several else f"{head}{extra}"
    if run.several and failing:
        names = ", ".join(f"{t.name} ({t.verdict.failure_class})" for t in failing)
        return f"{head}. {len(failing)} of {count} targets failed: {names}"
    return f"{head}. Failure class: {verdict.failure_class} (check '{verdict.failed_check}')"


def rollback_plan(settings: RunSettings) -> list[str]:
    """The pre-flight items the summary's "Rollback plan" shows, for the console of a rollback decision."""
    preflight = settings.preflight
    if not preflight.given:
        return [
            "  rollback plan: none recorded (pass --preflight FILE, or --rollback-owner, --previous-version, "
            "--traffic-router ...)"
        ]
    width = max(len(label) for label, _ in preflight.given)
    lines = ["  rollback plan:"]
    lines += [
        f"    {label:<{width}} : {one_line(value, 200, words=True)}" for label, value in preflight.given
    ]
    if preflight.missing:
        lines.append(
            f"    {'not recorded':<{width}} : {one_line(', '.join(preflight.missing), 300, words=True)}"
        )
    return lines


_CONTACTS = ("rollback-owner", "change-owner", "comms-channel", "dashboard-url")


def escalation(settings: RunSettings) -> list[str]:
    """Who to call when the rollback did not restore service: the escalation path recorded before the
    change, with the owners, channel and dashboard; or a plain instruction to page the owner."""
    preflight = settings.preflight
    path = preflight.value("escalation-path")
    contacts = [
        f"{key.replace('-url', '').replace('-', ' ')} {one_line(preflight.value(key), 120)}"
        for key in _CONTACTS
        if preflight.value(key)
    ]
    if path:
        lines = [f"  escalate   : {one_line(path, 200, words=True)}"]
    else:
        lines = [
            "  escalate   : the rollback did not restore service; page the owner of the service now "
            "(no escalation path recorded: --escalation-path)"
        ]
    if contacts:
        lines.append(f"  contacts   : {'; '.join(contacts)}")
    return lines


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
        if not verdict.passed:
            lines += escalation(run.settings)
    elif verdict.decision is Decision.ROLLBACK:
        lines.append(
            f"  decision   : roll back: {verdict.failure_class} is a rollback trigger in the "
            f"{run.settings.phase} phase (--rollback-on)"
        )
        lines += rollback_plan(run.settings)
    failure = verdict.failure_class
    if failure is not None:
        lines.append(f"  what broke : {failure.info.title}")
        lines.append(f"  next step  : {run.next_step}")
    if not run.several:
        latency = _latency(run.targets[0])
        if latency:
            lines.append(f"  latency    : {latency}")
    focus = run.focus
    if focus.quoted_request_id:  # support is asked about failures; a pass names the id that decided it
        quote = "" if verdict.passed else " (quote it to support)"
        lines.append(f"  request id : {one_line(focus.quoted_request_id, 80)}{quote}")
    if len(focus.request_ids) > 1:
        lines.append(f"  request ids: {', '.join(one_line(r, 80) for r in focus.request_ids[:5])}")
    tokens = run.tokens
    if tokens.total:
        lines.append(f"  tokens     : {tokens_line(tokens)} spent by the gate")
    if run.settings.mode == Mode.REPORT and not verdict.passed:
        lines.append("  mode report: exiting 0 although the gate failed")
    return lines
