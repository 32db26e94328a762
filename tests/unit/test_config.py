"""Config resolution: precedence, normalisation and every validation error."""

from __future__ import annotations

import pytest

from gate.config.resolve import ConfigError, normalize_base_url
from tests.support import target_config as resolve

KEY = "sk-test-0123456789abcdef"


def _resolve(flags=None, env=None):
    base = {"api_key": KEY, "model": "gpt-4o-mini"}
    return resolve({**base, **(flags or {})}, env or {})


def test_defaults_and_endpoint():
    config = _resolve()
    assert config.api_root == "https://api.cometapi.com/v1"
    assert config.chat_url == "https://api.cometapi.com/v1/chat/completions"
    assert config.endpoint_host == "api.cometapi.com"
    assert (config.samples, config.retries, config.expect) == (3, 2, "pong")
    assert config.expect_mode == "contains"
    # the model-dependent request fields are left to gate.http.model_families unless set
    assert (config.max_tokens, config.token_param, config.temperature) == (None, None, None)


def test_precedence_flag_then_input_then_cometapi_then_gate_then_default():
    env = {"INPUT_MODEL": "from-input", "COMETAPI_MODEL": "from-cometapi", "GATE_MODEL": "from-gate"}
    assert resolve({"api_key": KEY, "model": "from-flag"}, env).model == "from-flag"
    assert resolve({"api_key": KEY}, env).model == "from-input"
    env.pop("INPUT_MODEL")
    assert resolve({"api_key": KEY}, env).model == "from-cometapi"
    env.pop("COMETAPI_MODEL")
    assert resolve({"api_key": KEY}, env).model == "from-gate"
    config = resolve({"api_key": KEY}, env)
    assert config.sources["model"] == "GATE_MODEL"


def test_input_names_keep_hyphens_and_empty_means_unset():
    env = {"INPUT_API-KEY": KEY, "INPUT_MODEL": "m1", "INPUT_MAX-TOKENS": "", "COMETAPI_MAX_TOKENS": "32"}
    config = resolve({}, env)
    assert config.api_key == KEY
    assert config.max_tokens == 32
    assert config.sources["api_key"] == "INPUT_API-KEY"


@pytest.mark.parametrize(
    ("url", "root"),
    [
        ("https://api.cometapi.com", "https://api.cometapi.com/v1"),
        ("https://api.cometapi.com/", "https://api.cometapi.com/v1"),
        ("https://api.cometapi.com/v1", "https://api.cometapi.com/v1"),
        ("https://api.cometapi.com/v1/", "https://api.cometapi.com/v1"),
        ("https://api.cometapi.com/v1/chat/completions", "https://api.cometapi.com/v1"),
        ("https://gw.example.com/cometapi/v1", "https://gw.example.com/cometapi/v1"),
        ("http://127.0.0.1:8080/s/ok", "http://127.0.0.1:8080/s/ok/v1"),
    ],
)
def test_base_url_with_or_without_v1_never_doubles(url, root):
    assert normalize_base_url(url)[0] == root


@pytest.mark.parametrize(
    ("flags", "env", "option", "fragment"),
    [
        ({"api_key": None}, {}, "api-key", "required"),
        ({"model": None}, {}, "model", "required"),
        ({"samples": "0"}, {}, "samples", "out of range"),
        ({"samples": "three"}, {}, "samples", "not a whole number"),
        ({}, {"INPUT_TIMEOUT": "soon"}, "timeout", "not a number"),
        ({"timeout": "nan"}, {}, "timeout", "finite"),
        ({"temperature": "3"}, {}, "temperature", "out of range"),
        ({"max-tokens": "-1"}, {}, "max-tokens", "out of range"),
        ({"base_url": "api.cometapi.com"}, {}, "base-url", "scheme"),
        ({"base_url": "ftp://api.cometapi.com"}, {}, "base-url", "scheme"),
        ({"base_url": "https://"}, {}, "base-url", "no host"),
        ({"base_url": "https://u:p@api.cometapi.com"}, {}, "base-url", "credentials"),
        ({"base_url": "https://api.cometapi.com:99999"}, {}, "base-url", "port"),
        ({"base_url": "http://api.cometapi.com"}, {}, "base-url", "in clear"),
        ({"base_url": "sim://nope"}, {}, "base-url", "not a simulator scenario"),
        ({"api_key": "short"}, {}, "api-key", "shorter than 8"),
        ({"api_key": KEY + "\n"}, {}, "api-key", "whitespace"),
        ({"api_key": "sk-ключ-0123456789"}, {}, "api-key", "header cannot carry"),
        ({"expect_mode": "regex", "expect": "po(ng"}, {}, "expect", "regular expression"),
        ({}, {"COMETAPI_EXPECT_MODE": "fuzzy"}, "expect-mode", "not one of"),
        ({}, {"COMETAPI_ALLOW_INSECURE_HTTP": "maybe"}, "allow-insecure-http", "boolean"),
    ],
)
def test_config_errors_name_the_input_and_the_fix(flags, env, option, fragment):
    flags = {k.replace("-", "_"): v for k, v in flags.items()}
    with pytest.raises(ConfigError) as info:
        _resolve(flags, env)
    assert info.value.option == option
    assert fragment in str(info.value)
    assert "Fix:" in str(info.value)
    assert "\n" not in str(info.value)


def test_config_error_names_the_source_variable():
    with pytest.raises(ConfigError) as info:
        _resolve({}, {"INPUT_SAMPLES": "0"})
    assert "(from INPUT_SAMPLES)" in str(info.value)


def test_insecure_http_allowed_for_loopback_or_on_request():
    assert _resolve({"base_url": "http://localhost:8080"}).endpoint_host == "localhost"
    assert _resolve({"base_url": "http://[::1]:8080"}).endpoint_host == "::1"
    config = _resolve({"base_url": "http://gw.internal", "allow_insecure_http": True})
    assert config.chat_url == "http://gw.internal/v1/chat/completions"
    assert (
        _resolve({"base_url": "http://gw.internal"}, {"INPUT_ALLOW-INSECURE-HTTP": "true"}).scheme == "http"
    )


def test_sim_scheme_supplies_key_and_model():
    config = resolve({"base_url": "sim://auth"}, {})
    assert config.sim_scenario == "auth"
    assert config.api_key and config.model


def test_blank_environment_falls_back():
    assert _resolve({}, {"COMETAPI_ENVIRONMENT": "  "}).environment == "unspecified"


def test_each_option_has_a_group_and_a_scope_and_each_group_is_one_block_of_the_table():
    """The groups are the headings of `run --help`, the README's options tables and action.yml's comments:
    each must be one run of the table, so that all three list the options in table order."""
    from gate.config.options import GROUPS, OPTIONS

    assert all(spec.group in GROUPS and spec.scope in ("run", "target") for spec in OPTIONS)
    runs = [spec.group for i, spec in enumerate(OPTIONS) if i == 0 or OPTIONS[i - 1].group != spec.group]
    assert runs == list(GROUPS)


def test_a_targets_file_cannot_set_a_run_scoped_option(tmp_path):
    from gate.config.options import OPTIONS
    from gate.config.targets_file import TargetsFileError, read_targets

    for spec in (s for s in OPTIONS if s.scope == "run"):
        path = tmp_path / "targets.toml"
        path.write_text(f'[[target]]\nname = "a"\napi-key-env = "KEY"\n{spec.name} = "x"\n', encoding="utf-8")
        with pytest.raises(TargetsFileError, match="per-run option"):
            read_targets(path, {"KEY": KEY})


def test_lenient_resolve_never_raises_and_says_where_a_bad_value_fell_back():
    """The config a failed run still reports with: a bad value is replaced by its default, and its source
    says so; no key, the base URL as it may be printed, nothing read or checked."""
    from gate.config.resolve import resolve

    flags = {"base_url": "https://user:secret@gw.example.com/v1?token=abc", "samples": "many", "model": None}
    run = resolve(
        flags, {"COMETAPI_MODE": "strict", "COMETAPI_REQUEST_FILE": "/nonexistent.json"}, lenient=True
    )
    config = run.targets[0].config
    assert config.samples == 3 and config.sources["samples"] == "default (--samples was invalid)"
    assert run.settings.mode == "enforce"
    assert config.api_key == "" and config.model == "(not set)"
    assert "secret" not in config.base_url and "abc" not in config.base_url
    assert config.endpoint_host == "gw.example.com" and config.request_file is None
    with pytest.raises(ConfigError):
        resolve(flags, {})


def test_the_ca_bundle_falls_back_to_the_variables_requests_reads(tmp_path):
    from gate.config.validators import resolve_ca_bundle

    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    env = {"CURL_CA_BUNDLE": str(bundle)}
    assert resolve_ca_bundle(None, "default", env) == (bundle, "CURL_CA_BUNDLE")
    assert resolve_ca_bundle(bundle, "--ca-bundle", {}) == (bundle, "--ca-bundle")
    with pytest.raises(ConfigError, match="not a readable file"):
        resolve_ca_bundle(tmp_path / "missing.pem", "--ca-bundle", {})


def test_run_help_lists_the_options_under_their_groups_in_table_order():
    from click.testing import CliRunner

    from gate.cli import main
    from gate.config.options import GROUPS

    text = CliRunner().invoke(main, ["run", "--help"], terminal_width=200).output
    headings = [
        line.rstrip(":") for line in text.splitlines() if line.endswith(":") and not line[0].isspace()
    ]
    assert headings[: len(GROUPS)] == list(GROUPS)
    model = next(line for line in text.splitlines() if line.lstrip().startswith("--model"))
    assert "[required]" in model and "COMETAPI_MODEL" in model
