"""Which variables a request file may read (--request-vars), and the one rule for credential names."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gate.config.inputs import ConfigError
from gate.config.request_vars import credential_values, looks_like_credential, parse_request_vars, unfilled

CREDENTIALS = [
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "ACTIONS_RUNTIME_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_CACHE_URL",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "CI_JOB_TOKEN",
    "CI_JOB_JWT_V2",
    "CI_REGISTRY_PASSWORD",
    "COMETAPI_API_KEY",
    "INPUT_API-KEY",
    "OPENAI_API_KEY",
    "NPM_TOKEN",
    "DB_PASS",
    "SMTP_PW",
    "MYSQL_PWD",
    "PGPASSWORD",
    "LDAP_PASSWD",
    "GPG_PASSPHRASE",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "DOCKER_CREDS",
    "SSH_PRIVATE_KEY",
    "OAUTH_CLIENT_ID",
    "HTTP_AUTHORIZATION",
    "SSH_AUTH_SOCK",
    "SESSION_COOKIE",
    "SLACK_WEBHOOK_URL",
    "SENTRY_DSN",
    "api_secret",
    "client_secret",
]
HARMLESS = [
    "APP_NAME",
    "GIT_AUTHOR_NAME",
    "GIT_AUTHOR_EMAIL",
    "AUTHORS",
    "PWD",
    "OLDPWD",
    "PASSENGER_COUNT",
    "COMPASS_HOME",
    "CI_COMMIT_SHA",
    "CI_ENVIRONMENT_NAME",
    "GITHUB_SHA",
    "GITHUB_REPOSITORY",
    "TICKET_PREFIX",
    "HOME",
    "LANG",
    "MODEL_FAMILY",
]


@pytest.mark.parametrize("name", CREDENTIALS)
def test_credential_names_are_recognised(name: str) -> None:
    assert looks_like_credential(name)
    assert looks_like_credential(name.lower())


@pytest.mark.parametrize("name", HARMLESS)
def test_harmless_names_are_not(name: str) -> None:
    assert not looks_like_credential(name)


def test_a_list_parses_by_commas_and_whitespace_keeping_the_order_once() -> None:
    assert parse_request_vars(" APP_NAME, TENANT\n REGION_CODE ,APP_NAME,", "--request-vars") == (
        "APP_NAME",
        "TENANT",
        "REGION_CODE",
    )
    assert parse_request_vars("", "default") == ()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("APP-NAME", "'APP-NAME' is not an environment variable name"),
        ("${APP_NAME}", "'${APP_NAME}' is not an environment variable name"),
        ("1ST", "'1ST' is not an environment variable name"),
        ("APP_NAME,sk-proj-abcdefghijklmnopqrstuvwxyz", "'sk-p…' is not an environment variable name"),
        ("APP_NAME,GITHUB_TOKEN", "GITHUB_TOKEN looks like a credential (its name contains TOKEN)"),
        (
            "ACTIONS_RUNTIME_URL",
            "ACTIONS_RUNTIME_URL looks like a credential (its name starts with ACTIONS_)",
        ),
        ("db_pass", "db_pass looks like a credential (its name contains PASS)"),
    ],
)
def test_a_malformed_or_credential_name_is_a_config_error(text: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_request_vars(text, "COMETAPI_REQUEST_VARS")
    error = caught.value
    assert error.option == "request-vars" and error.source == "COMETAPI_REQUEST_VARS"
    assert fragment in str(error)
    assert "abcdefghijklmnop" not in str(error)  # a pasted secret is never echoed


def test_credential_values_are_the_trimmed_values_of_8_characters_or_more() -> None:
    env = {
        "DB_PASSWORD": " hunter2hunter2\n",
        "X_TOKEN": "true",
        "APP_NAME": "Acme Shop Online",
        "PWD": "/work",
    }
    assert credential_values(env) == {"DB_PASSWORD": "hunter2hunter2"}


def test_prefixes_alone_and_the_gates_own_settings_are_not_searched_for_but_the_key_is() -> None:
    env = {
        "AWS_REGION": "eu-central-1",
        "CI_JOB_NAME": "smoke-gate",
        "ACTIONS_CACHE_URL": "https://artifactcache.example/abc/",
        "COMETAPI_TOKEN_PARAM": "max_completion_tokens",
        "INPUT_TOKEN-PARAM": "max_completion_tokens",
        "INPUT_SECRET-VERSION": "rotation-2024-05",
        "CI_JOB_TOKEN": "glcbt-opaque-value",
        "AWS_SECRET_ACCESS_KEY": "opaque-secret-value",
        "ACTIONS_RUNTIME_TOKEN": "opaque-runtime-value",
        "INPUT_API-KEY": "cmt-Zx9QwErTyUiOp",
        "PRIMARY_KEY": "cmt-another-targets-key",
    }
    assert set(credential_values(env)) == {
        "CI_JOB_TOKEN",
        "AWS_SECRET_ACCESS_KEY",
        "ACTIONS_RUNTIME_TOKEN",
        "INPUT_API-KEY",
        "PRIMARY_KEY",
    }
    assert all(looks_like_credential(name) for name in ("AWS_REGION", "CI_JOB_NAME", "ACTIONS_CACHE_URL"))


def test_unfilled_names_the_credential_first_then_the_unlisted_then_the_unset() -> None:
    path = Path("request.json")
    credential = unfilled(path, ["APP_NAME", "CI_JOB_TOKEN"], ["APP_NAME"], "--request-file")
    assert "${CI_JOB_TOKEN}, whose name looks like a credential" in str(credential)
    unlisted = unfilled(path, ["APP_NAME", "TENANT"], ["APP_NAME"], "--request-file")
    assert "${TENANT}, which --request-vars" in str(unlisted)
    assert "--request-vars TENANT" in unlisted.fix and "APP_NAME" not in unlisted.problem
    unset = unfilled(path, ["APP_NAME"], ["APP_NAME"], "--request-file")
    assert "uses ${APP_NAME}, which the environment does not set" in str(unset)
    assert {credential.option, unlisted.option, unset.option} == {"request-file"}


@given(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,30}", fullmatch=True))
def test_any_well_formed_name_is_either_listed_or_refused_as_a_credential(name: str) -> None:
    if looks_like_credential(name):
        with pytest.raises(ConfigError, match="looks like a credential"):
            parse_request_vars(name, "--request-vars")
    else:
        assert parse_request_vars(name, "--request-vars") == (name,)
