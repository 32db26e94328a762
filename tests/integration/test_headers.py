"""Extra headers for a gateway in the middle (--header, --header-env): sent on every request the gate makes,
secret ones masked everywhere, every bad one a configuration error before anything is sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.config.headers import is_credential_name
from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL

AUTH = ["--api-key", DEFAULT_API_KEY, "--model", DEFAULT_MODEL]
ALL_CHECKS = [
    "--stream",
    "--check-models",
    "--negative",
    "all",
    "--check-structured-output",
    "--check-tools",
    "--sdk-parity",
]
HELICONE = "Bearer sk-helicone-Secret0123456789"
PORTKEY_KEY = "pk-CredentialNamed-987654321abc"


def _reports(tmp_path: Path) -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(tmp_path.rglob("*")) if p.is_file()]


def _report_args(tmp_path: Path) -> list[str]:
    return ["--junit", str(tmp_path / "junit.xml"), "--summary", str(tmp_path / "summary.md")]


def test_headers_reach_every_request_and_the_invalid_key_replaces_only_the_bearer_key(sim, gate, tmp_path):
    run = gate(
        "--base-url",
        sim.url_for("tmpl_ok"),
        *AUTH,
        *ALL_CHECKS,
        "--header",
        "x-portkey-provider: openai",
        "--header",
        "x-portkey-config: pc-gate-123",
        "--header-env",
        "Helicone-Auth=HELICONE_AUTH",
        *_report_args(tmp_path),
        env={"HELICONE_AUTH": HELICONE},
    ).expect_exit(0)
    log = sim.log
    paths = {r.path.rsplit("/v1", 1)[-1] for r in log}
    assert {"/chat/completions", "/models"} <= paths
    assert len(log) >= 3 + 1 + 1 + 2 + 2 + 1  # samples, stream, models, negatives, probes, sdk
    for request in log:
        assert request.headers.get("x-portkey-provider") == "openai", request.path
        assert request.headers.get("x-portkey-config") == "pc-gate-123", request.path
        assert request.headers.get("helicone-auth") == HELICONE, request.path
        assert request.headers["authorization"].startswith("Bearer ")
    assert any('"stream": true' in r.body.decode() or '"stream":true' in r.body.decode() for r in log)
    invalid = [r for r in log if r.headers["authorization"] != f"Bearer {DEFAULT_API_KEY}"]
    assert len(invalid) == 1 and invalid[0].headers["authorization"].startswith("Bearer sk-invalid-")
    assert "headers     : x-portkey-provider: openai, x-portkey-config: pc-gate-123, Helicone-Auth: ***" in (
        run.stdout
    )
    for text in (run.stdout, run.stderr, *_reports(tmp_path)):
        assert HELICONE not in text and "sk-helicone-Secret0123456789" not in text
    assert run.report["failure_class"] is None


def test_a_credential_named_header_is_never_printed(sim, gate, tmp_path):
    run = gate(
        "--base-url",
        sim.url_for("ok"),
        *AUTH,
        "--header",
        f"x-portkey-api-key: {PORTKEY_KEY}",
        "--header",
        "x-portkey-provider: openai",
        *_report_args(tmp_path),
    ).expect_exit(0)
    assert all(r.headers.get("x-portkey-api-key") == PORTKEY_KEY for r in sim.log) and sim.log
    assert "x-portkey-api-key: ***" in run.stdout
    # the report says which route was tested: every header by name, a credential's value masked
    assert run.report["config"]["headers"] == ["x-portkey-api-key: ***", "x-portkey-provider: openai"]
    texts = (run.stdout, run.stderr, *_reports(tmp_path))
    assert len(texts) == 5  # stdout, stderr, report.json, junit.xml, summary.md
    for text in texts:
        assert PORTKEY_KEY not in text


def test_a_secret_header_is_masked_even_on_a_config_error(sim, gate, tmp_path):
    run = gate(
        "--base-url",
        sim.url_for("ok"),
        *AUTH,
        "--samples",
        "0",
        "--header",
        f"x-api-key: {PORTKEY_KEY}",
        "--header-env",
        "Helicone-Auth=HELICONE_AUTH",
        *_report_args(tmp_path),
        env={"HELICONE_AUTH": HELICONE},
    ).expect_exit(2)
    assert sim.count() == 0
    for text in (run.stdout, run.stderr, *_reports(tmp_path)):
        assert PORTKEY_KEY not in text and HELICONE not in text


def test_multi_line_input_headers_are_parsed(sim, gate):
    env = {
        "INPUT_HEADERS": "x-portkey-provider: openai\r\n\n  x-portkey-config: pc-1  \n",
        "INPUT_HEADER-ENV": "cf-aig-authorization=CF_AIG_TOKEN\n",
        "CF_AIG_TOKEN": "cf-token-0123456789abcdef",
    }
    run = gate("--base-url", sim.url_for("ok"), *AUTH, "--samples", "1", env=env).expect_exit(0)
    assert sim.log
    for request in sim.log:
        assert request.headers["x-portkey-provider"] == "openai"
        assert request.headers["x-portkey-config"] == "pc-1"
        assert request.headers["cf-aig-authorization"] == "cf-token-0123456789abcdef"
    assert "cf-token-0123456789abcdef" not in run.stdout + run.stderr


def test_gate_headers_variable_is_read_one_a_line(sim, gate):
    gate(
        "--base-url",
        sim.url_for("ok"),
        *AUTH,
        "--samples",
        "1",
        env={"COMETAPI_HEADERS": "x-one: 1\nx-two: 2"},
    ).expect_exit(0)
    assert all(r.headers["x-one"] == "1" and r.headers["x-two"] == "2" for r in sim.log) and sim.log


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        (["--header", "x-a: b\r\nEvil: 1"], {}, "control character"),
        (["--header", "x-a: b\nEvil: 1"], {}, "control character"),
        (["--header", "x-a: b\x00"], {}, "control character"),
        (["--header-env", "x-k=HV"], {"HV": "v\r\nEvil: 1"}, "control character"),
        (["--header", "bad name: v"], {}, "not a valid header name"),
        (["--header", "x-a(b): v"], {}, "not a valid header name"),
        (["--header", "no-colon-here"], {}, "'Name: value'"),
        (["--header", "x-empty:"], {}, "empty value"),
        (["--header", "Authorization: Bearer sk-other-0123456789"], {}, "--api-key"),
        (["--header-env", "authorization=HV"], {"HV": "Bearer sk-other-0123456789"}, "--api-key"),
        (["--header", "Host: evil.example"], {}, "Host header cannot be set"),
        (["--header", "Content-Length: 1"], {}, "Content-Length header cannot be set"),
        (["--header", "content-type: text/plain"], {}, "content-type header cannot be set"),
        (["--header", "Transfer-Encoding: chunked"], {}, "Transfer-Encoding header cannot be set"),
        (["--header", "x-a: 1", "--header", "X-A: 2"], {}, "more than once"),
        (["--header", "x-a: 1", "--header-env", "x-a=HV"], {"HV": "2" * 8}, "more than once"),
        (["--header", "x-api-key: short"], {}, "shorter than 8"),
        (["--header-env", "x-k=HV"], {"HV": "short"}, "shorter than 8"),
        (["--header-env", "x-k=MISSING_HEADER_VAR"], {}, "MISSING_HEADER_VAR is not set or empty"),
        (["--header-env", "x-k=EMPTY_VAR"], {"EMPTY_VAR": " "}, "EMPTY_VAR is not set or empty"),
        (["--header-env", "x-k=not a var"], {}, "not an environment variable name"),
        (["--header-env", "x-k"], {}, "'Name=ENV_VAR'"),
    ],
)
def test_a_bad_header_is_a_config_error_with_nothing_sent(sim, gate, args, env, named):
    run = gate("--base-url", sim.url_for("ok"), *AUTH, *args, env=env).expect_exit(2)
    assert sim.count() == 0
    assert named in run.stderr, run.stderr
    assert "configuration error" in run.stderr
    assert run.report["failure_class"] == "config"


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("Helicone-Auth", True),
        ("cf-aig-authorization", True),
        ("api-key", True),
        ("x-portkey-api-key", True),
        ("X-ApiKey", True),
        ("x-access-token", True),
        ("x-client-secret", True),
        ("Ocp-Apim-Subscription-Key", True),
        ("x-portkey-provider", False),
        ("x-portkey-config", False),
        ("OpenAI-Organization", False),
    ],
)
def test_credential_names(name, secret):
    assert is_credential_name(name) is secret


def test_a_header_secret_the_server_echoes_back_is_never_printed(tmp_path):
    """A gateway that quotes the request's headers in its error (as some relays do): the credential header's
    value and the --header-env value are masked in every output, like the key."""
    from tests.hostile.server import HostileServer, error_bytes, fragments_found, response, run_gate

    def echo(request: bytes) -> bytes:
        head = request.split(b"\r\n\r\n", 1)[0].decode("latin-1")
        return response(400, error_bytes(f"bad request, headers were: {head}"))

    server = HostileServer(echo)
    try:
        run = run_gate(
            tmp_path,
            server.base_url,
            "--header",
            f"x-portkey-api-key: {PORTKEY_KEY}",
            "--header-env",
            "Helicone-Auth=HELICONE_AUTH",
            env={"HELICONE_AUTH": HELICONE},
        )
    finally:
        server.close()
    assert run.exit_code == 1, run.describe()
    assert PORTKEY_KEY.encode() in server.completion_requests[0]
    message = run.check("completion")["message"]
    assert "x-portkey-api-key: ***" in message, message  # the echo reached the report, masked
    for secret in (PORTKEY_KEY, HELICONE.split()[-1]):
        leaks = {
            name: found for name, text in run.outputs().items() if (found := fragments_found(secret, text))
        }
        assert leaks == {}, leaks
