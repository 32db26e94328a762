"""The `merge` command: its options, and the merged run published like any run.

gate/outcome/merge.py turns the jobs' JSON reports into one `RunReport`; this publishes it through the same
path a run takes (gate/publish/writer.py: every artifact redacted, written safely and scanned for the key;
the step outputs, the annotations, the console footer), so a merged run has the reports, GitHub outputs and
exit codes of one run of several targets. Its options are flags only: the environment gives the CI context
(GITHUB_STEP_SUMMARY, GITHUB_OUTPUT, the run URL) and nothing else, so a job's COMETAPI_* settings left in
the merge job's environment change nothing. Module-level imports stay light: gate/cli.py imports this
module to register the command.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

if TYPE_CHECKING:
    from gate.checks.results import CheckResult
    from gate.config.inputs import ConfigError
    from gate.outcome.report import RunReport
    from gate.publish.terminal import Console

_OPTION_VARIABLES = ("INPUT_", "COMETAPI_", "GATE_")
_RUN_FLAGS = ("json", "junit", "summary", "mode")


@click.command()
@click.argument("reports", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--expect",
    metavar="N",
    default=None,
    help="How many jobs must report (one report each); each one short is a failed target (class evidence).",
)
@click.option(
    "--expect-jobs",
    metavar="NAME,...",
    default=None,
    help="The jobs that must report, by name (comma- or space-separated): each one missing is a failed "
    "target 'job NAME never reported' (class evidence); a report of a job not listed is refused (exit 2).",
)
@click.option(
    "--name-from",
    metavar="[dir|file]",
    default="dir",
    show_default=True,
    help="Name each job after its report's directory (CI artifacts download one directory per job) or "
    "after its file name.",
)
@click.option(
    "--allow-mixed-changes",
    is_flag=True,
    help="Merge reports of different changes (decision record change id or deployment version); refused "
    "by default (exit 2).",
)
@click.option("--json", "json", metavar="PATH", default=None, help="Write the merged JSON report here.")
@click.option("--junit", metavar="PATH", default=None, help="Write the merged JUnit XML report here.")
@click.option(
    "--summary",
    metavar="PATH",
    default=None,
    help="Append the merged Markdown summary to this file [default: $GITHUB_STEP_SUMMARY when set].",
)
@click.option(
    "--mode",
    metavar="[enforce|report]",
    default=None,
    help="enforce [default]: exit non-zero when the merged run failed; report: exit 0 after writing every "
    "report (a refused merge still exits 2).",
)
def merge(reports: tuple[Path, ...], **options: Any) -> None:
    """Merge the JSON reports of several gate runs into ONE run: a CI matrix (one job per region, model or
    self-hosted runner) gets one decision, one summary (failing jobs first), one JUnit report and the step
    outputs of one run of several targets, each job a target named after its report's directory.

    A job that --expect/--expect-jobs names but that did not report fails the merge (class evidence); a
    report that cannot be read or breaks the report schema, the same report twice, and reports of different
    changes are a configuration error (exit 2), every report still written.

    Exit codes as `run`: 0 passed (or --mode report), 1 failed, 2 configuration error (a bad option or
    input), 3 failed on transient classes only: a job may be retried.
    """
    sys.exit(merge_and_publish(reports, options, os.environ, sys.stdout, sys.stderr))


def merge_and_publish(
    paths: Sequence[Path], options: Mapping[str, Any], env: Mapping[str, str], stdout: TextIO, stderr: TextIO
) -> int:
    """Merge and publish; returns the exit code. A bug is a failed run (class internal), never a traceback."""
    from gate.config.options import OPTIONS
    from gate.core.failures import ExitCode
    from gate.core.redact import Redactor
    from gate.core.text import internal_error_line
    from gate.publish.github import GitHubActions
    from gate.publish.terminal import Console
    from gate.publish.writer import default_artifacts, publish

    redactor = Redactor()
    for secret in (env.get(var) for spec in OPTIONS if spec.secret for var in spec.read_vars):
        redactor.register(secret)  # the reports hold no key; a merge job that has one masks it anyway
    console = Console(stdout, redactor, color=Console.wants_color(stdout, env))
    github = GitHubActions(env, stdout, redactor) if GitHubActions.active(env) else None
    try:
        report = _merged(paths, options, env, console, Console(stderr, redactor))
        return int(publish(report, default_artifacts(report.settings), console, github).verdict.exit_code)
    except Exception as exc:  # the last boundary: publish has its own per reporter, this is a bug
        Console(stderr, redactor).emit(internal_error_line(exc))
        return int(ExitCode.FAILED)


def _merged(
    paths: Sequence[Path], options: Mapping[str, Any], env: Mapping[str, str], out: Console, err: Console
) -> RunReport:
    """The merged run; a bad option is a configuration error and a bug a failed check (class internal),
    both published as a run that never read its reports."""
    import traceback

    from gate.checks.results import internal_failure
    from gate.config.inputs import ConfigError
    from gate.config.settings import resolve_settings
    from gate.outcome.merge import merge_reports, unstarted_report
    from gate.outcome.merge_inputs import merge_options
    from gate.publish.reporters import console_lines

    ci_env = {name: value for name, value in env.items() if not name.startswith(_OPTION_VARIABLES)}
    flags = {name: options.get(name) for name in _RUN_FLAGS}
    try:
        settings = resolve_settings(flags, ci_env)
        chosen = merge_options(
            options.get("expect"),
            options.get("expect_jobs"),
            options.get("name_from"),
            bool(options.get("allow_mixed_changes")),
        )
    except ConfigError as exc:
        err.emit(f"cometapi-smoke-gate: configuration error [config]: {exc}")
        return unstarted_report(_config_failure(exc), resolve_settings(flags, ci_env, lenient=True))
    try:
        report = merge_reports(paths, chosen, settings)
    except Exception:
        failure = internal_failure("merge", traceback.format_exc(limit=30))
        out.emit(*console_lines.check_line(out.redactor.redact_deep(failure)))
        return unstarted_report(failure, settings)
    safe = out.redactor.redact_deep(report)
    out.emit(f"cometapi-smoke-gate merge: {len(paths)} report(s), {len(safe.targets)} target(s)")
    out.emit(*(f"  {console_lines.target_status(target)}" for target in safe.targets))
    for result in safe.run_results:
        out.emit(*console_lines.check_line(result))
    return report


def _config_failure(error: ConfigError) -> CheckResult:
    from gate.checks.results import CheckResult, Status
    from gate.core.failures import FailureClass

    return CheckResult(
        id="config",
        status=Status.FAIL,
        message=f"configuration error, no report was merged: {error}",
        failure_class=FailureClass.CONFIG,
        details={"option": error.option, "problem": error.problem},
        hint=f"Fix --{error.option}: {error.fix}.",
    )
