"""`run --help` in groups, one configuration error for a bad value wherever it was given, one variable rule
(COMETAPI_<NAME>, the old GATE_<NAME> deprecated), where a targets file's values came from, sim:// targets
without a key, and the latency-drift floor. Every run goes through the CLI against the real simulator."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gate.checks.baseline import compare, is_latency_regression
from gate.checks.results import Latency
from gate.cli import main
from gate.config.inputs import ConfigError
from gate.config.options import GROUPS, OPTIONS, OPTIONS_BY_NAME
from gate.config.resolve import resolve
from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL
from tests.support import target_config

SIM = ("--base-url", "sim://ok", "--samples", "1")


def _help_text() -> str:
    return CliRunner().invoke(main, ["run", "--help"], terminal_width=200).output


def _help_rows(text: str) -> dict[str, str]:
    """Each option's help, its wrapped lines joined, by option name."""
    rows: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        match = re.match(r"^  (--[a-z-]+)", line)
        if match:
            current = match.group(1).removeprefix("--")
            rows[current] = line
        elif current and line.startswith("    "):
            rows[current] += " " + line.strip()
        else:
            current = None
    return rows


# --- 1. run --help in groups, required options marked ---


def test_help_has_every_group_heading_in_the_declared_order_with_its_options_under_it():
    text = _help_text()
    headings = [line.rstrip(":") for line in text.splitlines() if re.match(r"^[A-Z][^:]*:$", line)]
    assert headings[: len(GROUPS)] == list(GROUPS)
    for group in GROUPS:
        section = text.split(f"\n{group}:\n", 1)[1].split("\n\n", 1)[0]
        listed = re.findall(r"^  --([a-z-]+)", section, re.MULTILINE)
        assert listed == [spec.name for spec in OPTIONS if spec.group == group]


def test_help_marks_the_required_options_and_names_the_variables_to_use():
    rows = _help_rows(_help_text())
    marked = {name for name, row in rows.items() if "[required]" in row}
    assert marked == {"model", "api-key"} == {spec.name for spec in OPTIONS if spec.required}
    assert "INPUT_MODEL, COMETAPI_MODEL" in rows["model"]
    assert "[env: INPUT_HEADERS, COMETAPI_HEADERS]" in rows["header"]
    assert not any("GATE_" in row for row in rows.values())
    assert "[contains|equals|regex]" in rows["expect-mode"]


def test_required_is_marked_not_enforced_by_click_the_model_may_come_from_the_environment(sim, gate):
    run = gate(
        "--base-url",
        sim.url_for("ok"),
        "--samples",
        "1",
        env={"COMETAPI_MODEL": DEFAULT_MODEL, "COMETAPI_API_KEY": DEFAULT_API_KEY},
    )
    run.expect_exit(0)
    assert run.report["model"] == DEFAULT_MODEL


def test_a_missing_model_is_the_gates_config_error_not_clicks(gate, sim):
    run = gate("--base-url", sim.url_for("ok"), "--api-key", DEFAULT_API_KEY).expect_exit(2)
    assert run.failure_class == "config" and "Usage:" not in run.stderr
    assert "pass --model or set INPUT_MODEL / COMETAPI_MODEL" in run.stderr
    assert sim.count() == 0


# --- 2. a bad choice: the same config error from the flag, the input and the variable ---

BAD_CHOICES = [
    ("phase", "Canary"),
    ("mode", "Enforce"),
    ("expect-mode", "x"),
    ("negative", "both"),
    ("token-param", "max-tokens"),
    ("log-format", "JSON"),
]


def _config_error_run(tmp_path: Path, args: list[str], env: dict[str, str]) -> tuple[int, str, dict, Path]:
    out = tmp_path / "out"
    out.mkdir(parents=True, exist_ok=True)
    reports = [
        "--json",
        str(out / "report.json"),
        "--junit",
        str(out / "junit.xml"),
        "--summary",
        str(out / "summary.md"),
    ]
    result = CliRunner().invoke(main, ["run", *SIM, *reports, *args], env=env, catch_exceptions=False)
    return result.exit_code, result.stderr, json.loads((out / "report.json").read_text()), out


def _without_source(message: str) -> str:
    return re.sub(r" \(from [^)]*\)", "", message)


@pytest.mark.parametrize(("option", "value"), BAD_CHOICES)
def test_a_bad_choice_is_one_config_error_wherever_it_was_given(tmp_path, option, value):
    spec = OPTIONS_BY_NAME[option]
    ways = {
        spec.flag: ([spec.flag, value], {}),
        spec.input_var: ([], {spec.input_var: value}),
        spec.variable: ([], {spec.variable: value}),
        spec.deprecated_variable: ([], {spec.deprecated_variable: value}),
    }
    seen = []
    for source, (args, env) in ways.items():
        code, stderr, report, out = _config_error_run(tmp_path / source.strip("-"), args, env)
        assert code == 2, stderr
        assert "Usage:" not in stderr and "configuration error [config]" in stderr
        assert f"--{option} (from {source}): '{value}' is not one of" in stderr
        assert report["failure_class"] == "config" and report["exit_code"] == 2
        check = report["checks"][0]
        assert check["details"]["option"] == option and check["details"]["source"] == source
        suite = ET.parse(out / "junit.xml").getroot()
        assert suite.find(".//failure").get("type") == "config"
        assert "config" in (out / "summary.md").read_text(encoding="utf-8")
        seen.append(
            (code, report["failure_class"], _without_source(check["message"]), check["details"]["problem"])
        )
    assert len(set(seen)) == 1, seen


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(min_size=1, max_size=30).filter(lambda t: t.strip() and not t.startswith("-")))
def test_any_value_that_is_no_phase_is_a_config_error_with_every_report(tmp_path, value):
    """Whatever the text (control characters, quotes, unicode), it is the gate's error, never click's."""
    spec = OPTIONS_BY_NAME["phase"]
    if value.strip() in spec.choices:
        return
    code, stderr, report, out = _config_error_run(tmp_path, ["--phase", value], {})
    assert code == 2 and report["failure_class"] == "config"
    assert report["checks"][0]["details"]["option"] == "phase"
    assert (out / "junit.xml").is_file() and (out / "summary.md").is_file()
    assert "Traceback" not in stderr and "Usage:" not in stderr


# --- 3. one variable rule: COMETAPI_<NAME>; GATE_<NAME> deprecated ---


def test_every_option_reads_cometapi_name_and_the_old_gate_name_last():
    for spec in OPTIONS:
        stem = spec.input.upper().replace("-", "_")
        assert spec.env_vars == (spec.input_var, f"COMETAPI_{stem}")
        assert spec.read_vars == (spec.input_var, f"COMETAPI_{stem}", f"GATE_{stem}")
    assert OPTIONS_BY_NAME["header"].variable == "COMETAPI_HEADERS"
    assert OPTIONS_BY_NAME["timeout"].variable == "COMETAPI_TIMEOUT"


def test_new_variables_reach_the_request(sim, gate):
    env = {
        "COMETAPI_HEADERS": "x-probe-one: 1\nx-probe-two: 2",
        "COMETAPI_TIMEOUT": "17",
        "COMETAPI_SAMPLES": "1",
    }
    run = gate(
        "--base-url", sim.url_for("ok"), "--api-key", DEFAULT_API_KEY, "--model", DEFAULT_MODEL, env=env
    ).expect_exit(0)
    sent = [r for r in sim.log if r.path.endswith("/chat/completions")]
    assert sent and all(
        r.headers.get("x-probe-one") == "1" and r.headers.get("x-probe-two") == "2" for r in sent
    )
    assert run.report["config"]["timeout_s"] == 17.0
    assert "timeout (COMETAPI_TIMEOUT)" in run.stdout
    assert run.report["notices"] == []


@pytest.mark.parametrize(
    ("args", "env", "samples", "notice"),
    [
        ([], {"GATE_SAMPLES": "2"}, 2, "GATE_SAMPLES is deprecated: rename it to COMETAPI_SAMPLES"),
        (
            [],
            {"GATE_SAMPLES": "2", "COMETAPI_SAMPLES": "1"},
            1,
            "GATE_SAMPLES is deprecated and was ignored: COMETAPI_SAMPLES is also set and wins",
        ),
        (
            ["--samples", "1"],
            {"GATE_SAMPLES": "2"},
            1,
            "GATE_SAMPLES is deprecated and was not used (--samples wins over it): rename it to "
            "COMETAPI_SAMPLES",
        ),
    ],
)
def test_an_old_gate_variable_still_works_with_a_notice(sim, gate, tmp_path, args, env, samples, notice):
    summary = tmp_path / "summary.md"
    run = gate(
        "--base-url",
        sim.url_for("ok"),
        "--api-key",
        DEFAULT_API_KEY,
        "--model",
        DEFAULT_MODEL,
        "--summary",
        str(summary),
        *args,
        env=env,
    ).expect_exit(0)
    assert run.report["config"]["samples"] == samples
    assert sim.count(path_suffix="/chat/completions") == samples
    assert f"warning: {notice}" in run.stdout
    assert [n for n in run.report["notices"] if n.startswith(notice)]
    assert notice.replace("_", "\\_") in summary.read_text(encoding="utf-8")  # Markdown-escaped


def test_a_deprecated_key_variable_is_named_never_shown(sim, tmp_path):
    key = "sk-deprecated-variable-0123456789"
    out = tmp_path / "report.json"
    result = CliRunner().invoke(
        main, ["run", *SIM, "--json", str(out)], env={"GATE_API_KEY": key}, catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    report = out.read_text(encoding="utf-8")
    assert "GATE_API_KEY is deprecated: rename it to COMETAPI_API_KEY" in result.stdout
    assert "GATE_API_KEY is deprecated" in report
    for text in (result.stdout, result.stderr, report):
        assert key not in text and key[-12:] not in text


def test_a_bad_value_in_a_deprecated_variable_is_the_same_config_error_and_still_noticed(tmp_path):
    code, stderr, report, _ = _config_error_run(tmp_path, [], {"GATE_TIMEOUT": "soon"})
    assert code == 2 and "--timeout (from GATE_TIMEOUT): 'soon' is not a number" in stderr
    assert any(n.startswith("GATE_TIMEOUT is deprecated") for n in report["notices"])


@settings(max_examples=60, deadline=None)
@given(given_at=st.sets(st.sampled_from(["flag", "input", "cometapi", "gate"])))
def test_precedence_flag_input_cometapi_gate_default(given_at):
    """Whatever subset is set, the first in precedence order wins, its source says which, and a notice
    appears exactly when the old variable is set."""
    spec = OPTIONS_BY_NAME["retries"]
    values = {"flag": "1", "input": "2", "cometapi": "3", "gate": "4"}
    names = {
        "flag": spec.flag,
        "input": spec.input_var,
        "cometapi": spec.variable,
        "gate": spec.deprecated_variable,
    }
    flags = {"base_url": "sim://ok", **({"retries": values["flag"]} if "flag" in given_at else {})}
    env = {names[way]: values[way] for way in given_at if way != "flag"}
    run = resolve(flags, env)
    config = run.targets[0].config
    winner = next((way for way in ("flag", "input", "cometapi", "gate") if way in given_at), None)
    assert config.retries == (int(values[winner]) if winner else spec.default)
    assert config.sources["retries"] == (names[winner] if winner else "default")
    notices = [n for n in run.settings.notices if n.startswith("GATE_RETRIES is deprecated")]
    assert len(notices) == (1 if "gate" in given_at else 0)


# --- 4. and 5. a targets file: where each value came from; sim:// targets need no key ---


def _targets(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "targets.toml"
    path.write_text(body, encoding="utf-8")
    return path


def _blocks(stdout: str) -> dict[str, str]:
    parts = re.split(r"^=== target (\S+) ===$", stdout, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_each_targets_header_says_where_its_values_came_from(sim, gate, tmp_path):
    path = _targets(
        tmp_path,
        f'''
[defaults]
samples = 1
model = "{DEFAULT_MODEL}"
api-key-env = "SHARED_KEY"

[[target]]
name = "openai"
base-url = "{sim.url_for("ok")}"
api-key-env = "OPENAI_KEY"
retries = 1

[[target]]
name = "shared"
base-url = "{sim.url_for("ok")}"
''',
    )
    env = {"OPENAI_KEY": DEFAULT_API_KEY, "SHARED_KEY": DEFAULT_API_KEY}
    run = gate("--targets", str(path), "--timeout", "12", env=env).expect_exit(0)
    blocks = _blocks(run.stdout)
    assert "api key     : *** (set, from the targets file (api-key-env OPENAI_KEY))" in blocks["openai"]
    assert "api key     : *** (set, from the targets file (api-key-env SHARED_KEY))" in blocks["shared"]
    assert "from --api-key" not in run.stdout
    assert "retries (the targets file (target 'openai'))" in blocks["openai"]
    assert "samples (the targets file ([defaults]))" in blocks["shared"]
    assert "timeout (--timeout)" in blocks["shared"]  # the command line's value, shared by every target
    assert "base-url (the targets file (target 'shared'))" in blocks["shared"]


def test_a_bad_value_in_a_targets_file_names_the_file_as_its_source(sim, gate, tmp_path):
    path = _targets(
        tmp_path,
        f'''
[[target]]
name = "a"
base-url = "{sim.url_for("ok")}"
model = "{DEFAULT_MODEL}"
api-key-env = "KEY_A"
samples = "many"
''',
    )
    run = gate("--targets", str(path), env={"KEY_A": DEFAULT_API_KEY}).expect_exit(2)
    assert (
        "--samples (from the targets file (target 'a')): target 'a': 'many' is not a whole number"
        in run.stderr
    )
    assert run.failure_class == "config" and sim.count() == 0


def test_a_sim_target_needs_no_api_key_env(gate, tmp_path):
    path = _targets(
        tmp_path,
        """
[defaults]
samples = 1

[[target]]
name = "local"
base-url = "sim://ok"

[[target]]
name = "stream"
base-url = "sim://ok"
stream = true
""",
    )
    run = gate("--targets", str(path)).expect_exit(0)
    assert [t["result"] for t in run.report["targets"]] == ["pass", "pass"]
    assert "api key     : *** (simulator key)" in _blocks(run.stdout)["local"]


def test_a_sim_base_url_from_the_environment_needs_no_api_key_env_either(gate, tmp_path):
    path = _targets(tmp_path, '[[target]]\nname = "only"\nsamples = 1\n')
    run = gate("--targets", str(path), env={"COMETAPI_BASE_URL": "sim://ok"}).expect_exit(0)
    assert run.report["targets"][0]["result"] == "pass"


def test_a_real_target_without_api_key_env_is_still_a_config_error(sim, gate, tmp_path):
    path = _targets(
        tmp_path,
        f'''
[[target]]
name = "local"
base-url = "sim://ok"

[[target]]
name = "remote"
base-url = "{sim.url_for("ok")}"
model = "{DEFAULT_MODEL}"
''',
    )
    run = gate("--targets", str(path)).expect_exit(2)
    assert "target 'remote': api-key-env (not set) is empty" in run.stderr
    assert run.failure_class == "config" and sim.count() == 0


# --- 6. latency drift with an absolute floor ---


@pytest.fixture
def baseline(sim, tmp_path) -> Path:
    """A real baseline: the JSON report of a passing run against the simulator, its p50 set to 1 ms."""
    path = tmp_path / "baseline.json"
    result = CliRunner().invoke(
        main,
        [
            "run",
            "--base-url",
            sim.url_for("ok"),
            "--api-key",
            DEFAULT_API_KEY,
            "--model",
            DEFAULT_MODEL,
            "--samples",
            "1",
            "--json",
            str(path),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    report = json.loads(path.read_text(encoding="utf-8"))
    report["latency_ms"].update(p50=1.0, p95=1.0, max=1.0)
    path.write_text(json.dumps(report), encoding="utf-8")
    sim.clear_log()
    return path


def _drift_run(gate, sim, baseline: Path, scenario: str, *args: str, env: dict[str, str] | None = None):
    return gate(
        "--base-url",
        sim.url_for(scenario),
        "--api-key",
        DEFAULT_API_KEY,
        "--model",
        DEFAULT_MODEL,
        "--samples",
        "1",
        "--baseline",
        str(baseline),
        "--fail-on-drift",
        *args,
        env=env,
    )


def test_a_rise_over_the_floor_is_drift(gate, sim, baseline):
    run = _drift_run(gate, sim, baseline, "latency_100ms").expect_exit(1)
    assert run.failure_class == "latency"
    check = run.check("baseline")
    assert check["status"] == "fail"
    assert len(check["details"]["findings"]) == 1
    assert re.search(r"over 2x the baseline's 1 ms, \d+ ms higher \(floor 50 ms\)", check["message"])


def test_a_rise_under_the_floor_is_no_drift_whatever_the_ratio(gate, sim, baseline):
    run = _drift_run(gate, sim, baseline, "latency_100ms", "--drift-floor-ms", "3600000").expect_exit(0)
    check = run.check("baseline")
    assert check["status"] == "pass" and check["details"]["findings"] == []


def test_a_zero_floor_keeps_the_ratio_alone(gate, sim, baseline):
    run = _drift_run(gate, sim, baseline, "latency_100ms", "--drift-floor-ms", "0").expect_exit(1)
    assert run.failure_class == "latency" and "(floor 0 ms)" in run.check("baseline")["message"]


def test_the_floor_from_its_input_and_variable(gate, sim, baseline):
    for env in ({"INPUT_DRIFT-FLOOR-MS": "3600000"}, {"COMETAPI_DRIFT_FLOOR_MS": "3600000"}):
        run = _drift_run(gate, sim, baseline, "latency_100ms", env=env).expect_exit(0)
        assert run.check("baseline")["status"] == "pass"


def test_a_13_ms_p50_against_a_1_ms_baseline_is_no_drift(baseline):
    config = target_config({"base_url": "sim://ok", "baseline": str(baseline)})
    report = json.loads(baseline.read_text(encoding="utf-8"))
    assert config.drift_floor_ms == 50.0
    assert compare(config, report, None, None, Latency.of_one(13.0)) == []
    assert [cls for cls, _ in compare(config, report, None, None, Latency.of_one(51.0))] == ["latency"]


@given(
    old=st.floats(min_value=0.001, max_value=1e5),
    new=st.floats(min_value=0.0, max_value=1e6),
    ratio=st.floats(min_value=1.0, max_value=1000.0),
    floor=st.floats(min_value=0.0, max_value=1e5),
)
def test_drift_needs_both_the_ratio_and_the_floor(old, new, ratio, floor):
    drift = is_latency_regression(old, new, ratio, floor)
    assert drift == (new > old * ratio and new - old >= floor)
    if new - old < floor:
        assert not drift
    if drift:
        assert new > old and new - old >= floor


@pytest.mark.parametrize(
    ("args", "env", "source"),
    [
        (["--drift-floor-ms", "-1"], {}, "--drift-floor-ms"),
        (["--drift-floor-ms", "fast"], {}, "--drift-floor-ms"),
        ([], {"INPUT_DRIFT-FLOOR-MS": "-5"}, "INPUT_DRIFT-FLOOR-MS"),
        ([], {"COMETAPI_DRIFT_FLOOR_MS": "nan"}, "COMETAPI_DRIFT_FLOOR_MS"),
    ],
)
def test_a_bad_floor_is_a_config_error_with_every_report(tmp_path, args, env, source):
    code, stderr, report, out = _config_error_run(tmp_path, args, env)
    assert code == 2 and report["failure_class"] == "config"
    assert f"--drift-floor-ms (from {source})" in stderr
    assert report["checks"][0]["details"]["option"] == "drift-floor-ms"
    assert (out / "junit.xml").is_file() and (out / "summary.md").is_file()


def test_the_floor_is_validated_when_resolving():
    with pytest.raises(ConfigError) as info:
        resolve({"base_url": "sim://ok", "drift_floor_ms": "-0.5"}, {})
    assert info.value.option == "drift-floor-ms" and "out of range" in info.value.problem
