"""The gate against other servers' real answers, replayed by the simulator: every row of docs/dialects.md
holds (class, the rule that decided, retried or not, exit code, the id quoted, the next step), and every
replay has its row. Plus the envelopes and the Azure stream those answers come in."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL, SCENARIOS
from gate.simulator.replays import every

ROOT = Path(__file__).resolve().parents[2]
AUTH = ["--api-key", DEFAULT_API_KEY, "--model", DEFAULT_MODEL]
FAST = ["--retries", "2", "--max-retry-after", "0.05", "--retry-budget", "30"]
ROW = re.compile(
    r"^\| `(?P<scenario>[a-z0-9_]+)` \| (?P<status>\d{3}) \| .+ \| (?P<cls>[a-z_]+) \(`(?P<rule>[a-z_.]+)`\) "
    r"\| (?P<retried>yes|no) \| (?P<exit>\d) \| (?:`(?P<id>[^`]+)`|—) \| (?P<step>[^|]+?) \|$"
)


def _rows() -> dict[str, dict[str, str]]:
    text = (ROOT / "docs" / "dialects.md").read_text(encoding="utf-8")
    rows = [m.groupdict() for line in text.splitlines() if (m := ROW.match(line))]
    return {row["scenario"]: row for row in rows}


ROWS = _rows()


def test_every_replay_has_a_row_and_every_row_a_replay():
    replays = {r.name for r in every()}
    assert set(ROWS) == replays
    assert all(name in SCENARIOS for name in replays)
    assert all(str(r.status) == ROWS[r.name]["status"] for r in every())


def test_replay_names_carry_their_family_and_a_source():
    for replay in every():
        assert re.fullmatch(r"[a-z]+(_[a-z0-9]+)+", replay.name), replay.name
        assert len(replay.source) > 10 and replay.description, replay.name


@pytest.mark.parametrize("scenario", sorted(ROWS))
def test_the_gate_says_what_docs_dialects_says(sim, gate, scenario):
    row = ROWS[scenario]
    run = gate("--base-url", sim.url_for(scenario), *AUTH, *FAST).expect_exit(int(row["exit"]))
    report = run.report
    assert report["failure_class"] == row["cls"]
    completion = run.check("completion")
    assert completion["details"].get("diagnosis_rule") == row["rule"]
    assert sim.count(scenario) == (3 if row["retried"] == "yes" else 1)
    assert report["quoted_request_id"] == row["id"]
    assert row["step"] in report["next_step"], report["next_step"]
    if row["id"]:
        assert f"{row['id']} (quote it to support)" in run.stdout


def test_an_azure_stream_starting_with_its_prompt_filter_event_passes(sim, gate):
    """Azure's first event has `choices: []` and an empty id and model: documented, not a broken chunk."""
    from tests.integration.test_beyond import _stream

    result = _stream(sim, "azure_stream")
    assert (result.status.value, result.failure_class) == ("pass", None), result.message


def test_every_json_replay_is_json():
    """A replay whose body did not parse would test the not-JSON path instead of its rule."""
    for replay in every():
        if "json" in replay.content_type:
            json.loads(replay.body)


def test_a_request_with_no_answer_names_its_transport_rule(gate):
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = gate("--base-url", f"http://127.0.0.1:{port}", *AUTH, "--retries", "0").expect_exit(3)
    assert run.check("completion")["details"]["diagnosis_rule"] == "transport.connect"
