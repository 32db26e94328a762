"""Property tests for the input-file readers (gate/config/input_files.py and its four users): whatever a
request, pre-flight, targets or baseline file holds, a reader returns JSON-typed data or raises its own error
type, never anything else, and a value of the wrong type is named, never passed on as its Python text."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from gate.checks.baseline import compare
from gate.checks.results import Latency, ResponseFacts, StreamFacts
from gate.cli import main
from gate.config.baseline_file import BaselineError, load_baseline
from gate.config.input_files import InputFileError, parse_json, parse_toml, parse_yaml
from gate.config.options import PREFLIGHT_ITEMS
from gate.config.preflight import PreflightFileError, load_preflight
from gate.config.resolve import ConfigError, resolve
from gate.simulator import DEFAULT_API_KEY
from tests.support import target_config

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PATH = Path("input.yml")
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
SCALARS = st.one_of(
    TEXT,
    st.integers(),
    st.floats(),
    st.booleans(),
    st.datetimes(timezones=st.sampled_from([None, dt.UTC])),
    st.dates(),
    st.times(),
)
VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3)
)
# Text without line-break characters other than \n: PyYAML's emitter does not round-trip NEL, LS or PS.
PLAIN = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=12)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | PLAIN,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(PLAIN, inner, max_size=4),
    max_leaves=20,
)
# Pieces of YAML syntax, aliases, tags and directives included, put together at random.
YAML_PIECES = [
    "a", "b", ": ", "- ", "\n", "  ", "[", "]", "{", "}", ",", "? ", "'", '"', "#", "&x ", "*x", "!!binary ",
    "!!python/object:os.system ", "!!set ", "!t ", "! ", "---\n", "...\n", "%TAG ! tag:x,2000:\n",
    "%YAML 1.1\n",
    "2001-12-14", ".nan", ".inf", "<<: ", "=", "~", "null", "yes", "0x1F", "1e400", "|\n", ">-\n", "\t", "\\",
]  # fmt: skip


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("inputs")


def _json_typed(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_typed(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_json_typed(v) for v in value)
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or isinstance(value, str | int | bool)


def _finite(value: Any) -> bool:
    if isinstance(value, dict | list):
        return all(map(_finite, value.values() if isinstance(value, dict) else value))
    return not isinstance(value, float) or math.isfinite(value)


def _toml(value: Any) -> str:
    """A value written as TOML (what cannot be written so makes a file that does not parse: also fine)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(map(_toml, value)) + "]"
    return (
        "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)} = {_toml(v)}" for k, v in value.items()) + "}"
    )


@SETTINGS
@given(st.lists(st.sampled_from(YAML_PIECES) | TEXT, max_size=30).map("".join))
@example("a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n")
@example("!!python/object/apply:os.system ['true']")
@example("[" * 70 + "]" * 70)
def test_any_yaml_text_is_json_data_or_an_input_file_error(text):
    try:
        value = parse_yaml(text, PATH)
    except InputFileError as exc:
        assert exc.problem and exc.fix
        return
    assert _json_typed(value)
    json.dumps(value, allow_nan=False)


@SETTINGS
@given(JSON_VALUES)
def test_json_data_written_as_yaml_reads_back_the_same(value):
    assert parse_yaml(yaml.safe_dump(value, allow_unicode=True), PATH) == value


@SETTINGS
@given(
    st.text(max_size=60)
    | st.lists(st.sampled_from(list('{}[]:,"0123456789.eE+-NaInfity ')), max_size=40).map("".join)
)
def test_any_json_text_is_json_data_or_an_input_file_error(text):
    try:
        value = parse_json(text, Path("input.json"))
    except InputFileError:
        return
    assert _json_typed(value)


@SETTINGS
@given(st.text(max_size=80), VALUES)
def test_any_toml_text_or_value_is_data_or_an_input_file_error(text, value):
    for document in (text, f"key = {_toml(value)}\n"):
        try:
            parsed = parse_toml(document, Path("input.toml"))
        except InputFileError as exc:
            assert exc.problem and exc.fix
            continue
        assert isinstance(parsed, dict) and _finite(parsed)


@SETTINGS
@given(
    st.sampled_from(["model", "samples", "timeout", "expect", "environment", "max-tokens", "stream"]), VALUES
)
@example("model", dt.datetime(1979, 5, 27, 7, 32, tzinfo=dt.UTC))
@example("model", ["gpt-4o", "gpt-4o-mini"])
@example("model", {"id": "gpt-4o"})
def test_a_targets_value_is_used_as_written_or_named_as_a_config_error(folder, key, value):
    path = folder / "targets.toml"
    path.write_text(
        f'[[target]]\nname = "a"\nbase-url = "sim://ok"\napi-key-env = "SIM_KEY"\n{key} = {_toml(value)}\n',
        encoding="utf-8",
    )
    try:
        run = resolve({"targets": str(path)}, {"SIM_KEY": DEFAULT_API_KEY})
    except ConfigError as exc:
        if isinstance(value, list | dict | dt.date | dt.time):  # named, unless the file does not parse
            assert exc.option == "targets" and (key in exc.problem or "does not parse" in exc.problem)
        return
    assert not isinstance(value, list | dict | dt.date | dt.time), "a list, table or date was accepted"
    if key == "model" and str(value).strip():
        assert run.targets[0].config.model == str(value).strip()


@SETTINGS
@given(st.sampled_from([item.key for item in PREFLIGHT_ITEMS]), VALUES, st.booleans())
def test_a_preflight_value_is_one_string_or_a_preflight_file_error(folder, key, value, as_yaml):
    path = folder / ("preflight.yml" if as_yaml else "preflight.toml")
    try:
        text = yaml.safe_dump({key: value}, allow_unicode=True) if as_yaml else f"{key} = {_toml(value)}\n"
    except yaml.representer.RepresenterError:  # a time of day has no YAML form
        assume(False)
    path.write_text(text, encoding="utf-8")
    try:
        items = load_preflight(path)
    except PreflightFileError as exc:
        assert exc.problem and exc.fix
        return
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in items.items())
    assert not isinstance(value, list | dict), "a list or table was accepted"


@pytest.fixture(scope="module")
def known_good(folder: Path) -> dict[str, Any]:
    path = folder / "known-good.json"
    result = CliRunner().invoke(main, ["run", "--base-url", "sim://ok", "--stream", "--json", str(path)])
    assert result.exit_code == 0, result.output
    return json.loads(path.read_text(encoding="utf-8"))


def _places(report: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Where a value can be replaced: each top-level member, each check's members and details' members."""
    places: list[tuple[Any, ...]] = [(key,) for key in report]
    for index, check in enumerate(report["checks"]):
        places += [("checks", index, key) for key in check]
        places += [("checks", index, "details", key) for key in check["details"]]
    return places


@SETTINGS
@given(st.data(), JSON_VALUES)
def test_any_value_anywhere_in_a_baseline_is_read_and_compared_or_a_baseline_error(
    folder, known_good, data, value
):
    report = json.loads(json.dumps(known_good))
    *parents, last = data.draw(st.sampled_from(_places(report)))
    node = report
    for part in parents:
        node = node[part]
    node[last] = value
    path = folder / "baseline.json"
    path.write_text(json.dumps(report), encoding="utf-8")
    try:
        baseline = load_baseline(path)
    except BaselineError as exc:
        assert str(exc)
        return
    current = {c["id"]: c["details"] for c in known_good["checks"]}
    response = ResponseFacts(
        shape=tuple(current["completion"]["response_shape"]), model=current["completion"]["response_model"]
    )
    stream = StreamFacts(shape=tuple(current["stream"]["chunk_shape"]))
    latency = Latency(p50=1.0, p95=2.0, max=3.0)
    findings = compare(target_config({"base_url": "sim://ok"}), baseline, response, stream, latency)
    assert all(isinstance(text, str) for _, text in findings)
