"""action.yml is generated from gate/config/options.py: its inputs and the CLI's `run` options map one to
one, with the same defaults, and GitHub's INPUT_<NAME> variables reach the gate."""

from __future__ import annotations

import dataclasses
import importlib.util
import re
from pathlib import Path

import click
import pytest

from gate.cli import run as run_command
from gate.config.options import OPTIONS, OPTIONS_BY_NAME
from gate.config.resolve import resolve

yaml = pytest.importorskip("yaml", reason="PyYAML is a test dependency (the test extra)")

ROOT = Path(__file__).resolve().parents[2]
EXPECTED_OUTPUTS = {
    "result",
    "decision",
    "failure-class",
    "latency-ms",
    "request-id",
    "junit-path",
    "report-path",
}


def _generator():
    spec = importlib.util.spec_from_file_location("action_yml", ROOT / "scripts" / "action_yml.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def action() -> dict:
    return yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))


_BY_INPUT = {spec.input: spec for spec in OPTIONS}


def _cli_options() -> dict[str, click.Option]:
    """The `run` command's options by flag name (without the leading --)."""
    options = {}
    for param in run_command.params:
        assert isinstance(param, click.Option), param
        flags = [opt for opt in param.opts if opt.startswith("--")]
        assert len(flags) == 1, param.opts
        options[flags[0].removeprefix("--")] = param
    return options


def test_action_yml_is_the_generated_file():
    text = (ROOT / "action.yml").read_text(encoding="utf-8")
    assert text == _generator().render(), "run: python scripts/action_yml.py --write"


def test_a_container_action_whose_args_only_name_the_subcommand(action):
    assert action["runs"] == {"using": "docker", "image": "Dockerfile", "args": ["run"]}
    assert action["name"] and action["description"]
    assert set(action["branding"]) == {"icon", "color"}


def test_inputs_options_and_cli_flags_map_one_to_one(action):
    inputs = list(action["inputs"])
    cli = _cli_options()
    assert inputs == [spec.input for spec in OPTIONS]  # the option's name, or its input_name (headers)
    assert list(cli) == [spec.name for spec in OPTIONS]
    for name, param in cli.items():
        assert param.name == OPTIONS_BY_NAME[name].dest


def test_each_input_is_read_from_the_variable_github_sets(action):
    for name in action["inputs"]:
        spec = _BY_INPUT[name]
        # GitHub: INPUT_ + the id upper-cased, spaces replaced, hyphens kept.
        assert spec.input_var == "INPUT_" + name.replace(" ", "_").upper()
        assert spec.env_vars[0] == spec.input_var, "INPUT_* must come right after the flag"


def test_descriptions_required_and_quoted_defaults(action):
    cli = _cli_options()
    for spec in OPTIONS:
        entry = action["inputs"][spec.input]
        assert entry["description"] == spec.help
        assert entry["required"] is spec.required
        if spec.required or spec.default is None:
            assert "default" not in entry, spec.name
            continue
        default = entry["default"]
        assert isinstance(default, str), f"{spec.name}: default must be a quoted string"
        if isinstance(spec.default, bool):
            assert default == str(spec.default).lower()
            assert cli[spec.name].is_flag
        else:
            assert default == str(spec.default)
            shown = re.findall(r"\[default: ([^\]]*)\]", cli[spec.name].help or "")
            assert shown in ([], [default]), (
                f"{spec.name}: --help shows default {shown}, action.yml {default}"
            )
        if spec.kind == "choice":
            # click takes any string (a bad choice is the gate's config error); the help lists the choices
            assert cli[spec.name].metavar == f"[{'|'.join(spec.choices)}]"
            assert default in spec.choices
    assert {name for name, entry in action["inputs"].items() if entry["required"]} == {"api-key", "model"}


def test_action_defaults_resolve_exactly_like_the_cli_defaults(action):
    """GitHub sets INPUT_* for every input (its default, or empty): the gate behaves as given no input."""
    flags = {"api_key": "k" * 24, "model": "gpt-4o-mini"}
    env = {f"INPUT_{name.upper()}": entry.get("default", "") for name, entry in action["inputs"].items()}
    from_action = resolve(flags, env)
    from_cli = resolve(flags, {})
    assert from_action.settings == from_cli.settings
    action_target, cli_target = from_action.targets[0].config, from_cli.targets[0].config
    assert dataclasses.replace(action_target, sources=None) == dataclasses.replace(cli_target, sources=None)
    for name, entry in action["inputs"].items():
        spec = _BY_INPUT[name]
        if "default" in entry and spec.scope == "target":
            assert action_target.sources[spec.dest] == spec.input_var


def test_outputs_are_declared_for_github_output(action):
    assert set(action["outputs"]) == EXPECTED_OUTPUTS
    for entry in action["outputs"].values():
        assert entry["description"]
        assert "value" not in entry, "container actions set outputs through $GITHUB_OUTPUT"


def test_outputs_are_the_ones_the_gate_writes(action):
    github = pytest.importorskip("gate.publish.github", reason="the gate does not write GitHub outputs yet")
    assert list(action["outputs"]) == list(github.OUTPUT_NAMES)


def test_input_env_lists_every_input_as_the_runner_sets_it(action):
    lines = _generator().input_env(["base-url=sim://ok", "json=/github/workspace/report.json"]).splitlines()
    values = dict(line.split("=", 1) for line in lines)
    assert list(values) == [f"INPUT_{name.upper()}" for name in action["inputs"]]
    assert values["INPUT_BASE-URL"] == "sim://ok"
    assert values["INPUT_JSON"] == "/github/workspace/report.json"
    assert values["INPUT_API-KEY"] == ""
    assert values["INPUT_SYSTEM-PROMPT"] == action["inputs"]["system-prompt"]["default"]
    with pytest.raises(SystemExit):
        _generator().input_env(["no-such-input=1"])


def test_check_mode_fails_on_drift_and_write_fixes_it(tmp_path, monkeypatch, capsys):
    generator = _generator()
    target = tmp_path / "action.yml"
    monkeypatch.setattr(generator, "ACTION_PATH", target)
    monkeypatch.setattr(generator, "ROOT", tmp_path)
    target.write_text(generator.render().replace("Model id to request.", "stale"), encoding="utf-8")
    assert generator.main([]) == 1
    assert '+    description: "Model id to request."' in capsys.readouterr().out
    assert generator.main(["--write"]) == 0
    assert generator.main([]) == 0
    assert generator.main(["--bogus"]) == 2


def test_image_switch_to_a_published_image_is_kept_by_the_check(tmp_path, monkeypatch):
    generator = _generator()
    target = tmp_path / "action.yml"
    monkeypatch.setattr(generator, "ACTION_PATH", target)
    monkeypatch.setattr(generator, "ROOT", tmp_path)
    image = "docker://ghcr.io/org/cometapi-smoke-gate@sha256:" + "0" * 64
    assert generator.main(["--write", "--image", image]) == 0
    assert yaml.safe_load(target.read_text(encoding="utf-8"))["runs"]["image"] == image
    assert generator.main([]) == 0
    assert generator.main(["--write"]) == 0
    assert generator.current_image(target.read_text(encoding="utf-8")) == image
    assert generator.main(["--write", "--image", "ghcr.io/no-scheme"]) == 2


# --- the composite variant: the same inputs and outputs, run with pip on any runner OS ---


@pytest.fixture(scope="module")
def composite() -> dict:
    return yaml.safe_load((ROOT / "composite" / "action.yml").read_text(encoding="utf-8"))


def test_composite_yml_is_the_generated_file():
    text = (ROOT / "composite" / "action.yml").read_text(encoding="utf-8")
    assert text == _generator().render_composite(), "run: python scripts/action_yml.py --write"


def test_composite_has_the_container_actions_inputs_and_outputs(action, composite):
    assert composite["inputs"] == action["inputs"]
    assert set(composite["outputs"]) == set(action["outputs"]) == EXPECTED_OUTPUTS
    for name, output in composite["outputs"].items():
        assert output["value"] == f"${{{{ steps.gate.outputs.{name} }}}}"
        assert output["description"] == action["outputs"][name]["description"]


def _steps(composite: dict) -> dict[str, dict]:
    return {step.get("name", step.get("uses")): step for step in composite["runs"]["steps"]}


def test_every_input_reaches_the_gate_as_the_variable_it_reads(composite):
    env = _steps(composite)["Install the gate"]["env"] | _steps(composite)["Run the gate"]["env"]
    run_env = _steps(composite)["Run the gate"]["env"]
    assert run_env.pop("PYTHONUTF8") == "1"  # Windows: UTF-8 output, not the ANSI code page
    assert {f"${{{{ inputs.{spec.input} }}}}" for spec in OPTIONS} == set(run_env.values())
    for spec in OPTIONS:
        assert run_env[spec.variable] == f"${{{{ inputs.{spec.input} }}}}"
    assert env["PIP_CERT"] == "${{ inputs.ca-bundle }}"  # the proxy's CA for pip as for the gate


def _run_step(composite: dict, inputs: dict[str, str], tmp_path: Path) -> tuple[int, dict[str, str], str]:
    """The Run step as the runner executes it: each `${{ inputs.x }}` replaced by the input's value (its
    default when not given), the script run by bash with GITHUB_OUTPUT and GITHUB_STEP_SUMMARY set."""
    import os
    import subprocess
    import sys

    step = _steps(composite)["Run the gate"]
    values = {spec.input: inputs.get(spec.input, _generator().input_default(spec) or "") for spec in OPTIONS}
    env = {
        name: re.sub(r"\$\{\{ inputs\.([a-z-]+) \}\}", lambda m: values[m.group(1)], template)
        for name, template in step["env"].items()
    }
    output, summary = tmp_path / "output", tmp_path / "summary.md"
    bin_dir = str(Path(sys.executable).parent)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("COMETAPI_", "GATE_", "INPUT_"))}
    base |= {"PATH": bin_dir + os.pathsep + base["PATH"], "GITHUB_ACTIONS": "true"}
    base |= {"GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary), **env}
    done = subprocess.run(
        ["bash", "-c", step["run"]], env=base, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    outputs = dict(
        line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines() if "=" in line
    )
    return done.returncode, outputs, done.stdout + done.stderr


def test_the_composite_run_step_passes_and_fails_as_the_container_action_does(composite, tmp_path):
    from gate.simulator import DEFAULT_API_KEY

    given = {"api-key": DEFAULT_API_KEY, "model": "gpt-4o-mini", "json": "report.json"}
    code, outputs, log = _run_step(composite, {**given, "base-url": "sim://ok"}, tmp_path)
    assert code == 0, log
    assert outputs["result"] == "pass" and outputs["report-path"] == "report.json"
    assert (tmp_path / "report.json").exists()
    assert DEFAULT_API_KEY not in log.replace(f"::add-mask::{DEFAULT_API_KEY}", "")  # handed to GitHub only
    code, outputs, log = _run_step(composite, {**given, "base-url": "sim://auth"}, tmp_path)
    assert (code, outputs["result"], outputs["failure-class"]) == (1, "fail", "auth"), log


def test_the_install_step_hands_pip_the_ca_bundle_only_when_given(composite, tmp_path):
    """pip behind a TLS-inspecting proxy: PIP_CERT (and REQUESTS_CA_BUNDLE) from the ca-bundle input;
    unset, pip keeps its own store. `python` is a stand-in that records what it was asked."""
    import os
    import subprocess

    script = _steps(composite)["Install the gate"]["run"]
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "python").write_text(
        '#!/bin/sh\necho "args=$*" >"$RECORD"\n'
        'echo "cert=${PIP_CERT-unset} bundle=${REQUESTS_CA_BUNDLE-unset}" >>"$RECORD"\n',
        encoding="utf-8",
    )
    (fake / "python").chmod(0o755)
    record = tmp_path / "record"
    for cert, expected in (
        ("/etc/proxy-ca.pem", "cert=/etc/proxy-ca.pem bundle=/etc/proxy-ca.pem"),
        ("", "cert=unset bundle=unset"),
    ):
        env = {"PATH": f"{fake}{os.pathsep}{os.environ['PATH']}", "PIP_CERT": cert, "RECORD": str(record)}
        env["GITHUB_ACTION_PATH"] = "/actions/org/cometapi-smoke-gate/v1/composite"
        subprocess.run(["bash", "-c", script], env=env, check=True, timeout=30)
        lines = record.read_text(encoding="utf-8").splitlines()
        assert lines[0].endswith(
            "install --disable-pip-version-check --quiet /actions/org/cometapi-smoke-gate/v1/composite/.."
        )
        assert lines[1] == expected
