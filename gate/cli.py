"""The command line: parses options and delegates; heavy modules load only in the commands that use them."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import click

from gate import __version__
from gate.config.options import GROUPS, OPTIONS, OPTIONS_BY_NAME, OptionSpec
from gate.core.failures import ExitCode
from gate.publish.merge_cli import merge


def _help(spec: OptionSpec) -> str:
    """The option's help: what it does, its default, [required] (marked, never enforced by click: the value
    may come from the input or the variable, and sim:// supplies its own), and the variables it reads."""
    default = "" if spec.default is None or spec.default is False else f" [default: {spec.default}]"
    required = " [required] (unless sim://, which supplies its own)" if spec.required else ""
    return f"{spec.help}{default}{required} [env: {', '.join(spec.env_vars)}]"


def _run_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Attach one click option per OptionSpec; values stay raw so config.resolve applies the precedence. A
    choice is any string to click: a bad one is the gate's configuration error (exit 2, class config, every
    report written), as the same mistake through INPUT_<NAME> or COMETAPI_<NAME> is; never a usage error."""
    for spec in reversed(OPTIONS):
        if spec.kind == "bool":
            option = click.option(spec.flag, spec.dest, is_flag=True, default=None, help=_help(spec))
        elif spec.kind == "lines":  # repeatable: a tuple of entries
            option = click.option(
                spec.flag, spec.dest, type=str, multiple=True, help=_help(spec), metavar="TEXT"
            )
        else:  # a choice lists its choices: "[enforce|report]"
            metavar = f"[{'|'.join(spec.choices)}]" if spec.kind == "choice" else spec.kind.upper()
            option = click.option(
                spec.flag, spec.dest, type=str, default=None, help=_help(spec), metavar=metavar
            )
        func = option(func)
    return func


class GroupedOptions(click.Command):
    """`run --help` with one section per option group (gate.config.options), in table order; the options
    that belong to no group (--help) last."""

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        sections: dict[str, list[tuple[str, str]]] = {group: [] for group in GROUPS}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is not None:
                spec = OPTIONS_BY_NAME.get(_name(param.name or ""))
                sections.setdefault(spec.group if spec else "Other options", []).append(record)
        for title, rows in sections.items():
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


def _name(dest: str) -> str:
    return dest.replace("_", "-")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(__version__, "--version", prog_name="cometapi-smoke-gate")
def main() -> None:
    """Release gate for a CometAPI (OpenAI-compatible) Chat Completions integration.

    Exit codes: 0 passed, 1 failed, 2 usage or configuration error (nothing sent),
    3 failed on a transient class (connect, timeout, rate_limit, upstream) after every retry.
    """
    _exit_on_sigterm()


def _exit_on_sigterm() -> None:
    """`docker stop` sends SIGTERM, which PID 1 in a container ignores unless it handles it: exit 143 (with
    the session and the in-process simulator closed on the way out) instead of waiting to be killed. SIGINT
    exits 130, never click's "Aborted!" and exit 1. A run replaces both with gate.core.interrupt.Signals."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(ExitCode.TERMINATED))
        signal.signal(signal.SIGINT, lambda *_: sys.exit(ExitCode.INTERRUPTED))


def _wants_json_lines(flags: Mapping[str, object], env: Mapping[str, str]) -> bool:
    """--log-format, read before resolution so a configuration error is logged the same way."""
    from gate.config.inputs import raw_value

    value, _ = raw_value(OPTIONS_BY_NAME["log-format"], flags, env)
    return str(value).strip().lower() == "json"


def run_gate(
    flags: Mapping[str, object], env: Mapping[str, str], *, stdout: Any = None, stderr: Any = None
) -> int:
    """Resolve the config once and run the gate; returns the exit code. Shared by `run` and `demo`."""
    from gate.core.interrupt import Interrupted, Signals, exit_code

    signals = Signals().install()
    try:
        code = _run_gate(flags, env, signals, stdout or sys.stdout, stderr or sys.stderr)
    except Interrupted as stop:  # before any report could be written (the imports): nothing was sent
        return int(stop.exit_code)
    finally:
        signals.restore()
    return int(exit_code(signals.received)) if signals.received else code


def _run_gate(
    flags: Mapping[str, object], env: Mapping[str, str], signals: Any, stdout: Any, stderr: Any
) -> int:
    from gate.app import execute, execute_config_error
    from gate.config.early_secrets import candidate_secrets, keys
    from gate.config.resolve import ConfigError, resolve
    from gate.core.interrupt import Interrupted
    from gate.core.redact import Redactor
    from gate.core.text import internal_error_line
    from gate.publish.github import mask_on_github
    from gate.publish.terminal import Console

    redactor = Redactor()
    for secret in candidate_secrets(flags, env):
        redactor.register(secret)
    mask_on_github(keys(flags, env), env, stdout, redactor)  # before any output, whatever the run ends in
    json_lines = _wants_json_lines(flags, env)
    console = Console(
        stdout, redactor, color=Console.wants_color(stdout, env) and not json_lines, json_lines=json_lines
    )
    try:
        try:
            run = resolve(flags, env, redactor.register)
        except ConfigError as exc:
            with signals.hold():
                Console(stderr, redactor).emit(f"cometapi-smoke-gate: configuration error [config]: {exc}")
                execute_config_error(exc, resolve(flags, env, lenient=True), console, env)
            return int(ExitCode.USAGE)
        return int(execute(run, console, env, signals=signals).verdict.exit_code)
    except Interrupted as stop:  # while resolving, or between the checks and the reports: every report
        return _interrupted_early(stop, flags, env, console, signals)
    except Exception as exc:  # the last boundary: checks and reporters have their own, this is a bug
        Console(stderr, redactor).emit(internal_error_line(exc))
        return int(ExitCode.FAILED)


def _interrupted_early(
    stop: Any, flags: Mapping[str, object], env: Mapping[str, str], console: Any, signals: Any
) -> int:
    """Every report of a run interrupted before its checks began, or before its reports were written."""
    from gate.app import execute_interrupted_early
    from gate.config.resolve import resolve

    with signals.hold():
        run = resolve(flags, env, lenient=True)
        return int(execute_interrupted_early(stop, run, console, env).verdict.exit_code)


@main.command(cls=GroupedOptions)
@_run_options
def run(**flags: Any) -> None:
    """Run the release gate against the configured endpoint.

    Every option also reads INPUT_<NAME> (GitHub Actions; upper-cased, hyphens kept), then
    COMETAPI_<NAME> (upper-cased, hyphens to underscores); the old GATE_<NAME> still works, with a
    deprecation notice. Precedence: flag > INPUT_<NAME> > COMETAPI_<NAME> > GATE_<NAME> > default.
    """
    _exit(run_gate(flags, os.environ))


def _exit(code: int) -> None:
    """Exit with `code`. After SIGINT/SIGTERM, without waiting for worker threads still in a request (the
    reports are written): a cancelled job must end within seconds."""
    if code in (ExitCode.INTERRUPTED, ExitCode.TERMINATED):
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)
    sys.exit(code)


@main.command()
@click.option("--scenario", default="ok", show_default=True, help="Fault scenario served by default.")
@click.option(
    "--port", default=8787, show_default=True, type=click.IntRange(0, 65535), help="0 picks a free port."
)
@click.option("--api-key", default=None, help="Key the simulator accepts [default: the simulator's key].")
@click.option("--model", default=None, help="Model the simulator serves [default: gpt-4o-mini].")
@click.option("--list", "list_scenarios", is_flag=True, help="List the scenarios and exit.")
def simulate(scenario: str, port: int, api_key: str | None, model: str | None, list_scenarios: bool) -> None:
    """Serve the CometAPI-compatible simulator on 127.0.0.1 until interrupted.

    It prints the lines to paste (base URL, key, model), then one line per request it serves: time,
    method, path, scenario, status, duration. Any scenario can also be chosen per request with the path
    prefix /s/<scenario>.
    """
    from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL, SCENARIOS, Simulator, unknown_scenario_hint

    if list_scenarios:
        for name, entry in sorted(SCENARIOS.items()):
            click.echo(f"{name:<22} {entry.description}")
        return
    if scenario not in SCENARIOS:
        raise click.BadParameter(
            f"'{scenario}' is not a scenario; {unknown_scenario_hint(scenario)}", param_hint="--scenario"
        )
    model = model or DEFAULT_MODEL
    key = api_key or DEFAULT_API_KEY
    sim = Simulator(scenario=scenario, api_key=key, model=model, port=port, access_log=click.echo)
    try:
        sim.start()
    except OSError as exc:
        raise click.ClickException(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from None
    for line in _simulate_banner(sim.base_url, scenario, key, model):
        click.echo(line)  # click.echo flushes: the lines show in a CI log at once
    sim.serve_forever()


def _simulate_banner(base_url: str, scenario: str, key: str, model: str) -> list[str]:
    """What `simulate` prints on start: where it listens and the lines to paste (the simulator's own key,
    never a real one: it only accepts what it was given)."""
    return [
        f"simulator serving scenario '{scenario}' at {base_url}/v1 (model {model}); Ctrl-C stops it.",
        "Point the gate (or your application) at it:",
        f"  export COMETAPI_BASE_URL={base_url}",
        f"  export COMETAPI_API_KEY={key}",
        f"  cometapi-smoke-gate run --model {model}",
        f"Another scenario per request: COMETAPI_BASE_URL={base_url}/s/<scenario> (e.g. {base_url}/s/auth);"
        " `cometapi-smoke-gate simulate --list` names them.",
        "Requests served (time, method, path, scenario, status, duration):",
    ]


@main.command()
@click.option(
    "--scenario", default="ok", show_default=True, help="Simulator scenario to run the gate against."
)
@click.option(
    "--out",
    "out_dir",
    default="gate-reports",
    show_default=True,
    type=click.Path(path_type=Path),
    help="Directory for the reports.",
)
def demo(scenario: str, out_dir: Path) -> None:
    """Start the simulator in-process and run the gate against it: a zero-setup first run.

    Every check runs (streaming, model listing and both negative tests included) and the reports land in
    --out: report.json, junit.xml and summary.md.
    """
    summary = out_dir / "summary.md"
    summary.unlink(missing_ok=True)
    flags = {
        "base_url": f"sim://{scenario}",
        "environment": "demo",
        "phase": "pre-deploy",
        "stream": True,
        "check_models": True,
        "negative": "all",
        "json": str(out_dir / "report.json"),
        "junit": str(out_dir / "junit.xml"),
        "summary": str(summary),
    }
    _exit(run_gate(flags, {}))


main.add_command(merge)  # `merge`: its options and flow live in gate/publish/merge_cli.py
if __name__ == "__main__":
    main()
