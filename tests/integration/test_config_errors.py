"""Every configuration error exits 2 with one clear line, and nothing is sent."""

from __future__ import annotations

import pytest

from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL


@pytest.mark.parametrize(
    ("args", "env", "fragment"),
    [
        (["--api-key", None], {}, "--api-key: is required"),
        (["--model", None], {}, "--model: is required"),
        (["--samples", "0"], {}, "--samples (from --samples): 0 is out of range"),
        ([], {"INPUT_SAMPLES": "many"}, "--samples (from INPUT_SAMPLES): 'many' is not a whole number"),
        (["--timeout", "-1"], {}, "--timeout"),
        (["--connect-timeout", "x"], {}, "--connect-timeout"),
        (["--api-key", "sk-1234"], {}, "shorter than 8"),
        (["--expect-mode", "regex", "--expect", "(("], {}, "regular expression"),
        ([], {"COMETAPI_MAX_LATENCY_MS": "fast"}, "--max-latency-ms"),
        ([], {"COMETAPI_MODE": "strict"}, "--mode"),
    ],
)
def test_config_error_exits_2_and_sends_nothing(sim, gate, args, env, fragment):
    flags = {"--base-url": sim.url_for("ok"), "--api-key": DEFAULT_API_KEY, "--model": DEFAULT_MODEL}
    pairs = list(zip(args[::2], args[1::2], strict=True))
    flags.update(pairs)
    argv = [part for name, value in flags.items() if value is not None for part in (name, value)]
    run = gate(*argv, env=env, report=False).expect_exit(2)
    assert fragment in run.stderr
    assert "Fix:" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert "Traceback" not in run.stdout + run.stderr
    assert sim.count() == 0


@pytest.mark.parametrize("url", ["api.cometapi.com", "http://api.cometapi.com", "https://", "sim://nope"])
def test_bad_base_url_exits_2(gate, url):
    run = gate("--base-url", url, "--api-key", DEFAULT_API_KEY, "--model", DEFAULT_MODEL, report=False)
    run.expect_exit(2)
    assert "--base-url" in run.stderr and "Fix:" in run.stderr


def test_unknown_choice_is_a_usage_error(gate):
    run = gate("--expect-mode", "fuzzy", report=False).expect_exit(2)
    assert "fuzzy" in run.stderr
