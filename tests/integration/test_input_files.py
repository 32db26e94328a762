"""Input files with limits (gate/config/input_files.py): the request file, the pre-flight checklist, the
targets file and the baseline are at most 1 MiB of UTF-8 from a regular file, YAML without anchors, aliases or
tags, and values of the right type. Each problem is a configuration error: exit 2, nothing sent, every report
written."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from gate.config.input_files import MAX_BYTES
from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL
from tests.support import run_cli

AUTH = ["--api-key", DEFAULT_API_KEY, "--model", DEFAULT_MODEL, "--samples", "1", "--retries", "0"]
KEY_ENV = {"SIM_KEY": DEFAULT_API_KEY}
REQUEST = '{"messages": [{"role": "user", "content": "{{prompt}}"}]}'
TARGETS = '[[target]]\nname = "a"\nbase-url = "sim://ok"\napi-key-env = "SIM_KEY"\n'
PREFLIGHT = 'rollback-owner = "bob"\n'
# The "billion laughs": nine levels of nine aliases each, 9**9 strings once expanded.
LAUGHS = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' + "".join(
    f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n"
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True)
)


def _padded(text: str, size: int, comment: str) -> str:
    """`text`, then a comment (or, for JSON, whitespace) that brings the file to exactly `size` bytes."""
    padding = size - len(text.encode()) - len(comment) - 1
    return text + comment + (" " if not comment.strip() else "x") * padding + "\n"


def _config_error(run, fragment: str, option: str, sim) -> None:
    run.expect_exit(2)
    assert fragment in run.stderr and f"--{option}" in run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert run.report["failure_class"] == "config" and run.report["checks"][0]["details"]["option"] == option
    assert sim.count() == 0


# --- size: 1 MiB at most, never loaded whole ---


@pytest.mark.parametrize(
    ("option", "name", "content", "comment"),
    [
        ("request-file", "request.yml", REQUEST, "# "),
        ("preflight", "preflight.toml", PREFLIGHT, "# "),
        ("targets", "targets.toml", TARGETS, "# "),
        ("baseline", "baseline.json", '{"schema_version": "1"}', " "),
    ],
)
def test_a_file_over_1_mib_is_refused_and_every_report_is_written(
    sim, gate, tmp_path, tmp_path_factory, option, name, content, comment
):
    path = tmp_path_factory.mktemp("inputs") / name  # not under tmp_path: not a report the gate wrote
    path.write_text(_padded(content, MAX_BYTES + 1, comment))
    junit, summary = tmp_path / "junit.xml", tmp_path / "summary.md"
    run = gate(
        "--base-url", sim.url_for("ok"), *AUTH, f"--{option}", str(path), "--junit", str(junit),
        "--summary", str(summary), env=KEY_ENV,
    )  # fmt: skip
    _config_error(
        run, f"{path} is 1,048,577 bytes: an input file may be at most 1,048,576 bytes", option, sim
    )
    assert 'type="config"' in junit.read_text() and "`config`" in summary.read_text()


def test_a_request_file_of_exactly_1_mib_is_read(sim, gate, tmp_path):
    path = tmp_path / "request.json"
    path.write_text(REQUEST + " " * (MAX_BYTES - len(REQUEST)))
    assert path.stat().st_size == MAX_BYTES
    gate("--base-url", sim.url_for("tmpl_ok"), *AUTH, "--request-file", str(path)).expect_exit(0)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("option", ["request-file", "preflight", "targets", "baseline"])
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path, option):
    fifo = tmp_path / "input.json"
    os.mkfifo(fifo)
    run = run_cli(
        "--base-url", "sim://ok", f"--{option}", str(fifo), "--json", str(tmp_path / "r.json"), timeout=30
    )
    assert run.exit_code == 2, run.stdout + run.stderr
    assert f"{fifo} is a named pipe (FIFO), not a file" in run.stderr
    assert json.loads((tmp_path / "r.json").read_text())["failure_class"] == "config"


@pytest.mark.parametrize(("path", "kind"), [(".", "a directory"), ("/dev/zero", "a device")])
def test_a_directory_or_a_device_is_refused(sim, gate, tmp_path, path, kind):
    if not Path(path).exists():
        pytest.skip(f"{path} does not exist here")
    target = tmp_path if path == "." else Path(path)
    run = gate("--base-url", sim.url_for("ok"), *AUTH, "--request-file", str(target))
    _config_error(run, f"is {kind}, not a file", "request-file", sim)


def test_a_file_that_is_not_utf8_is_refused(sim, gate, tmp_path):
    path = tmp_path / "preflight.toml"
    path.write_bytes(b'rollback-owner = "b\xf6b"\n')
    run = gate("--base-url", sim.url_for("ok"), *AUTH, "--preflight", str(path))
    _config_error(run, "is not UTF-8 text (invalid byte at offset 19)", "preflight", sim)


# --- YAML: no anchors, aliases or tags; dates stay strings ---


@pytest.mark.parametrize(
    ("option", "name"), [("request-file", "request.yml"), ("preflight", "preflight.yaml")]
)
def test_a_billion_laughs_ends_quickly_as_a_config_error(tmp_path, option, name):
    path = tmp_path / name
    path.write_text(LAUGHS)
    report = tmp_path / "report.json"
    run = run_cli("--base-url", "sim://ok", f"--{option}", str(path), "--json", str(report), timeout=60)
    assert run.exit_code == 2, run.stdout + run.stderr
    assert "uses a YAML anchor or alias (line 1)" in run.stderr
    assert "MemoryError" not in run.stdout + run.stderr and "Traceback" not in run.stdout + run.stderr
    assert run.peak_mib < 200, run.peak_mib  # ending at all is the timeout's; how fast is bench/'s
    assert json.loads(report.read_text())["failure_class"] == "config"


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("messages: !!python/object:os.system [echo]\n", "uses the YAML tag !!python/object:os.system"),
        ("messages: !!python/object/apply:os.system [echo]\n", "uses the YAML tag !!python/object/apply"),
        ("messages:\n  - role: user\n    content: !!binary aGk=\n", "uses the YAML tag !!binary (line 3)"),
        ("messages: !!set {a, b}\n", "uses the YAML tag !!set"),
        ("messages: !custom []\n", "uses the YAML tag !custom"),
        ("messages: []\nmessages: []\n", "uses the key 'messages' twice (line 2)"),
        (
            "model: [a, b]\nmessages: [{role: user, content: hi}]\n",
            'model: ["a", "b"] is not of type \'string\'',  # the value as JSON, never a Python repr
        ),
        ("messages: [{role: user, content: .nan}]\n", "holds nan, which is not a finite number"),
    ],
)
def test_yaml_tags_and_wrong_types_in_a_request_file_are_refused(sim, gate, tmp_path, content, fragment):
    path = tmp_path / "request.yml"
    path.write_text(content)
    run = gate("--base-url", sim.url_for("tmpl_ok"), *AUTH, "--request-file", str(path))
    _config_error(run, fragment, "request-file", sim)


def test_yaml_dates_stay_strings(sim, gate, tmp_path):
    path = tmp_path / "preflight.yml"
    path.write_text("previous-version: 2024-05-01\nchange-owner: 2001-12-14t21:59:43.10-05:00\n")
    run = gate("--base-url", sim.url_for("ok"), *AUTH, "--preflight", str(path)).expect_exit(0)
    given = run.check("preflight")["details"]["given"]
    assert "2024-05-01" in given.values() and "2001-12-14t21:59:43.10-05:00" in given.values()


# --- types: one value per key ---


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("preflight.toml", "rollback-owner = ['alice', 'bob']\n", "item 'rollback-owner' is a list (array)"),
        ("preflight.toml", "dashboard-url = { url = 'x' }\n", "item 'dashboard-url' is a table (map)"),
        (
            "preflight.toml",
            "previous-version = 2024-05-01\n",
            "item 'previous-version' is a date (2024-05-01)",
        ),
        ("preflight.yml", "rollback-owner:\n  - alice\n  - bob\n", "item 'rollback-owner' is a list (array)"),
        ("preflight.yml", "rollback-owner: {name: alice}\n", "item 'rollback-owner' is a table (map)"),
    ],
)
def test_a_preflight_item_that_is_not_one_value_is_refused(sim, gate, tmp_path, name, content, fragment):
    path = tmp_path / name
    path.write_text(content)
    run = gate("--base-url", sim.url_for("ok"), *AUTH, "--preflight", str(path))
    _config_error(run, fragment, "preflight", sim)


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("model = 1979-05-27T07:32:00Z", "target 'a': 'model' is a date-time (1979-05-27 07:32:00+00:00)"),
        ("model = 1979-05-27", "target 'a': 'model' is a date (1979-05-27)"),
        ("timeout = 07:32:00", "target 'a': 'timeout' is a time (07:32:00)"),
        ('model = ["gpt-4o", "gpt-4o-mini"]', "target 'a': 'model' is a list (array)"),
        ('model = { id = "gpt-4o" }', "target 'a': 'model' is a table (map)"),
        ("samples = inf", "samples is inf, which is not a finite number"),
    ],
)
def test_a_targets_value_of_the_wrong_type_names_target_and_key(sim, gate, tmp_path, line, fragment):
    path = tmp_path / "targets.toml"
    path.write_text(TARGETS + line + "\n")
    run = gate("--targets", str(path), env=KEY_ENV)
    _config_error(run, fragment, "targets", sim)


def test_a_defaults_value_of_the_wrong_type_is_named(sim, gate, tmp_path):
    path = tmp_path / "targets.toml"
    path.write_text("[defaults]\nsamples = [1, 2]\n" + TARGETS)
    run = gate("--targets", str(path), env=KEY_ENV)
    _config_error(run, "[defaults]: 'samples' is a list (array)", "targets", sim)


def test_a_targets_file_that_does_not_parse_says_so(sim, gate, tmp_path):
    path = tmp_path / "targets.toml"
    path.write_text("[[target]\n")
    run = gate("--targets", str(path), env=KEY_ENV)
    _config_error(run, "does not parse as TOML", "targets", sim)
    assert "fix the file's syntax" in run.stderr


# --- the baseline: validated against the report's schema before use ---


@pytest.fixture
def known_good(sim, gate, tmp_path) -> dict:
    path = tmp_path / "known-good.json"
    gate("--base-url", sim.url_for("ok"), *AUTH, "--stream", "--json", str(path)).expect_exit(0)
    sim.clear_log()
    return json.loads(path.read_text())


def _baseline(tmp_path_factory, report: dict) -> Path:
    """A hand-edited baseline, outside tmp_path: it is not a report the gate wrote."""
    path = tmp_path_factory.mktemp("inputs") / "baseline.json"
    path.write_text(json.dumps(report))
    return path


def _completion(report: dict) -> dict:
    return next(c for c in report["checks"] if c["id"] == "completion")


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("response_shape", [{"a": 1}, ["b"]], "response_shape/0: {\"a\": 1} is not of type 'string'"),
        ("response_shape", "choices", "response_shape: 'choices' is not of type 'array'"),
    ],
)
def test_a_baseline_with_objects_in_a_shape_is_a_schema_error_not_a_crash(
    sim, gate, tmp_path_factory, known_good, field, value, fragment
):
    _completion(known_good)["details"][field] = value
    path = _baseline(tmp_path_factory, known_good)
    run = gate("--base-url", sim.url_for("ok"), *AUTH, "--baseline", str(path))
    _config_error(
        run,
        "does not match the JSON report's schema (gate/core/contract/report.schema.json)",
        "baseline",
        sim,
    )
    assert fragment in run.stderr


def test_a_stream_chunk_shape_of_objects_is_refused_too(sim, gate, tmp_path_factory, known_good):
    stream = next(c for c in known_good["checks"] if c["id"] == "stream")
    stream["details"]["chunk_shape"] = [{"id": 1}]
    run = gate(
        "--base-url",
        sim.url_for("ok"),
        *AUTH,
        "--stream",
        "--baseline",
        str(_baseline(tmp_path_factory, known_good)),
    )
    _config_error(run, "chunk_shape/0: {\"id\": 1} is not of type 'string'", "baseline", sim)


def test_a_valid_baseline_still_compares(sim, gate, tmp_path_factory, known_good):
    path = _baseline(tmp_path_factory, known_good)
    run = gate(
        "--base-url", sim.url_for("no_usage"), *AUTH, "--stream", "--baseline", str(path),
        "--max-latency-regression", "1000",
    ).expect_exit(0)  # fmt: skip
    assert any("lost field(s): usage" in w for w in run.check("baseline")["warnings"])


def test_a_baseline_with_nan_is_refused(sim, gate, tmp_path_factory, known_good):
    path = _baseline(tmp_path_factory, known_good)
    path.write_text(path.read_text().replace('"duration_ms": ', '"duration_ms": NaN, "x": ', 1))
    run = gate("--base-url", sim.url_for("ok"), *AUTH, "--baseline", str(path))
    _config_error(run, "holds NaN, which is not a finite number", "baseline", sim)


# --- links out of the checkout ---


@pytest.mark.parametrize(
    ("option", "name", "content"),
    [
        ("request-file", "request.json", REQUEST),
        ("preflight", "preflight.toml", PREFLIGHT),
        ("targets", "targets.toml", TARGETS),
    ],
)
def test_an_input_file_linked_out_of_the_checkout_is_never_read(
    sim, gate, tmp_path, monkeypatch, option, name, content
):
    """A pull request commits `request.json -> ~/.docker/config.json`: the file outside is not read, let
    alone sent. The same file named by its real path (the workflow's choice) is read."""
    checkout, outside = tmp_path / "checkout", tmp_path / "runner-home"
    checkout.mkdir()
    outside.mkdir()
    (outside / name).write_text(content)
    (checkout / name).symlink_to(outside / name)
    monkeypatch.chdir(checkout)
    run = gate("--base-url", sim.url_for("tmpl_ok"), *AUTH, f"--{option}", name, env=KEY_ENV)
    _config_error(run, "is a symbolic link out of the working directory", option, sim)
    direct = gate(
        "--base-url", sim.url_for("tmpl_ok"), *AUTH, f"--{option}", str(outside / name), env=KEY_ENV
    )
    assert "symbolic link" not in direct.stderr


def test_a_link_inside_the_checkout_is_read(sim, gate, tmp_path, monkeypatch):
    (tmp_path / "real.json").write_text(REQUEST)
    (tmp_path / "request.json").symlink_to(tmp_path / "real.json")
    monkeypatch.chdir(tmp_path)
    gate("--base-url", sim.url_for("tmpl_ok"), *AUTH, "--request-file", "request.json").expect_exit(0)
