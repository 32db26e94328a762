"""Publishing a multi-target run: the fleet's reports, leak scan, GitHub outputs and exit code."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from gate.app import Artifact, Console
from gate.config import resolve
from gate.failures import ExitCode
from gate.github import GitHubActions
from gate.redact import Redactor
from gate.targets import fleet_exit_code, load_targets, render_json, render_junit, render_summary, run_targets


def run_fleet(
    path: Path, flags: Mapping[str, object], env: Mapping[str, str], redactor: Redactor, stdout: TextIO
) -> ExitCode:
    """Gate every target of `path`; raises ConfigError (exit 2) before anything is sent."""
    targets = load_targets(path, flags, env, redactor)
    # The per-run options (reports, mode) come from the command line / environment, as for one target.
    run_options = resolve(
        {
            **flags,
            "api_key": targets[0].config.api_key,
            "model": targets[0].config.model,
            "base_url": targets[0].config.base_url,
        },
        env,
    )
    github = GitHubActions(env, stdout, redactor) if GitHubActions.active(env) else None
    if github is not None:
        for target in targets:
            github.add_mask(target.config.api_key)
    out = Console(stdout, redactor, color=Console.wants_color(stdout, env))
    out.emit(f"cometapi-smoke-gate: {len(targets)} targets: {', '.join(t.name for t in targets)}")
    if github is not None:
        github.group("cometapi-smoke-gate: targets")
    finished = run_targets(targets, env, redactor, stdout)
    if github is not None:
        github.end_group()
    named = [(target.name, report) for target, report in finished]
    reports = [report for _, report in named]
    artifacts = []
    if run_options.json is not None:
        artifacts.append(Artifact(run_options.json, lambda _: render_json(named, run_options.mode)))
    if run_options.junit is not None:
        artifacts.append(Artifact(run_options.junit, lambda _: render_junit(named)))
    if run_options.summary is not None:
        artifacts.append(Artifact(run_options.summary, lambda _: render_summary(named), append=True))
    for artifact in artifacts:
        artifact.save(redactor.redact(artifact.render(reports[0])))
    leaked = [a.path for a in artifacts if redactor.scan_and_scrub(a.path)]
    code = fleet_exit_code(reports, run_options.mode)
    failing = [(name, r) for name, r in named if not r.verdict.passed]
    if leaked:
        out.emit(f"FAIL  leak-scan   [leak] a key was found in {', '.join(map(str, leaked))} and scrubbed")
        code = ExitCode.FAILED if run_options.mode == "enforce" else ExitCode.PASSED
    if failing:
        out.emit(
            f"RESULT: FAIL: hold. {len(failing)} of {len(named)} targets failed: "
            + ", ".join(f"{name} ({r.verdict.failure_class})" for name, r in failing)
        )
    elif not leaked:
        out.emit(f"RESULT: PASS: proceed. All {len(named)} targets passed")
    if github is not None:
        for _, report in failing:
            github.annotate(report)
        first = failing[0][1] if failing else reports[0]
        github.write_values(
            {
                "result": "fail" if failing or leaked else "pass",
                "decision": "hold" if failing or leaked else "proceed",
                "failure-class": str(first.verdict.failure_class or ("leak" if leaked else "")),
                "latency-ms": "",
                "request-id": next((rid for r in reports for rid in r.request_ids), ""),
                "junit-path": str(run_options.junit or ""),
                "report-path": str(run_options.json or ""),
            }
        )
        github.give_to_workspace_owner([a.path for a in artifacts])
    return code
