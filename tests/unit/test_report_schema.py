"""gate/core/contract/report.schema.json stays in step with the code it describes: the failure classes, the
exit codes, the decision record's fields and the public config; and the baseline check never crashes on a
shape that is not a list of strings."""

from __future__ import annotations

from jsonschema import Draft202012Validator

from gate.checks.baseline import compare
from gate.checks.results import Latency, ResponseFacts
from gate.config.resolve import resolve
from gate.core import contract
from gate.core.failures import ExitCode, FailureClass
from gate.outcome.decision_record import FIELDS
from gate.outcome.report import public_config
from tests.support import target_config

SCHEMA = contract.schema("report")
DEFS = SCHEMA["$defs"]


def test_the_report_schema_is_a_valid_draft_2020_12_schema():
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_the_schema_lists_exactly_the_failure_classes():
    in_schema, in_code = DEFS["failureClass"]["enum"], [c.value for c in FailureClass]
    assert sorted(in_schema) == sorted(in_code), (
        f"only in the schema: {sorted(set(in_schema) - set(in_code))}; "
        f"only in gate/core/failures.py: {sorted(set(in_code) - set(in_schema))}"
    )
    assert len(in_schema) == len(set(in_schema))


def test_the_schema_lists_exactly_the_exit_codes():
    assert sorted(DEFS["exitCode"]["enum"]) == sorted(int(code) for code in ExitCode)


def test_the_decision_record_is_the_record_fields():
    record = DEFS["decisionRecord"]
    assert list(record["properties"]) == [field.key for field in FIELDS]
    assert record["required"] == [field.key for field in FIELDS]


def test_the_config_is_the_public_config():
    run = resolve({"base_url": "sim://ok"}, {})
    config = public_config(run.targets[0].config, run.settings)
    assert list(DEFS["config"]["properties"]) == list(config)
    validator = Draft202012Validator({**DEFS["config"], "$defs": DEFS})
    assert list(validator.iter_errors(config)) == []


def test_every_definition_has_a_description_or_is_a_building_block():
    described = {name for name, definition in DEFS.items() if definition.get("description")}
    assert {
        "oneTarget",
        "severalTargets",
        "minimal",
        "check",
        "details",
        "failureClass",
        "exitCode",
    } <= described
    assert SCHEMA["description"] and SCHEMA["title"]


def _baseline(details: dict[str, object]) -> dict[str, object]:
    return {"checks": [{"id": "completion", "details": details}], "latency_ms": {"p50": 10**400}}


def test_a_baseline_shape_that_is_not_a_list_of_strings_never_crashes_the_comparison():
    config = target_config({"base_url": "sim://ok"})
    current = ResponseFacts(shape=("id", "model", "usage"), model="m")
    odd = [
        {"response_shape": [{"a": 1}, ["b"], 3, None, "id"], "response_model": {"x": 1}},
        {"response_shape": {"id": 1}},
        {"response_shape": "id"},
        {"response_shape": None},
    ]
    for details in odd:
        findings = compare(config, _baseline(details), current, None, Latency.of_one(5.0))
        assert all(isinstance(text, str) for _, text in findings)
    findings = compare(config, _baseline(odd[0]), current, None, None)
    assert [text for _, text in findings] == ["the completion response gained field(s): model, usage"]
    assert compare(config, {"checks": "x", "latency_ms": [1]}, current, None, None) == []
    assert compare(config, {"checks": [{"id": "completion", "details": [1]}]}, current, None, None) == []
