"""Which environment variables a request file may read (`--request-vars`), and which names are credentials.

A request file's `${VAR}` is filled only for a name listed in --request-vars, and never for a name that looks
like a credential, listed or not: a pull request that edits the request file must not be able to send the CI
job's tokens to the endpoint inside the prompt.

A name looks like a credential (`CREDENTIAL_NAME`, the one place this rule lives) when, ignoring case, it
- contains TOKEN, SECRET, PASSWORD, PASSWD, PASSPHRASE, CREDENTIAL, CREDS, PRIVATE, KEY, COOKIE, SESSION,
  JWT, WEBHOOK or DSN (GITHUB_TOKEN, GH_TOKEN, NPM_TOKEN, AWS_SECRET_ACCESS_KEY, SENTRY_DSN, …);
- contains AUTH, except as AUTHOR/AUTHORS (OAUTH_*, AUTHORIZATION, SSH_AUTH_SOCK are; GIT_AUTHOR_NAME is not);
- has PASS or PW as a whole `_`-separated part (DB_PASS, SMTP_PW), or PWD after the first part (MYSQL_PWD;
  PWD alone is the working directory);
- starts with ACTIONS_ (GitHub's runtime and OIDC tokens and their URLs), AWS_ or CI_JOB_ (GitLab's job token
  and JWTs).

The values of the variables named by the first three parts (`SECRET_VALUE_NAME`: the words, not the prefixes)
are also searched for in the filled body (`gate/config/payload_scan.py`), so one pasted in literally is
caught as well. The prefixes add no secret there that a word does not already name (ACTIONS_RUNTIME_TOKEN,
AWS_SECRET_ACCESS_KEY, CI_JOB_JWT), only public values a prompt may well hold (AWS_REGION=eu-central-1,
CI_JOB_NAME=smoke-gate). Nor are the values of the gate's own settings searched for (COMETAPI_TOKEN_PARAM,
INPUT_SECRET-VERSION), the key aside: the configured key is searched for anyway.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from gate.config.inputs import ConfigError
from gate.config.options import OPTIONS

_WORDS = (
    r"TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|CREDS|PRIVATE|KEY|COOKIE|SESSION|JWT|WEBHOOK|DSN"
    r"|AUTH(?!ORS?(?:_|$))"
    r"|(?:^|_)(?:PASS|PW)(?:_|$)|_PWD(?:_|$)"
)
_PREFIXES = r"^(?:ACTIONS_|AWS_|CI_JOB_)"
CREDENTIAL_NAME = re.compile(f"{_WORDS}|{_PREFIXES}", re.IGNORECASE | re.ASCII)
SECRET_VALUE_NAME = re.compile(_WORDS, re.IGNORECASE | re.ASCII)
_OWN_SETTINGS = frozenset(var.upper() for spec in OPTIONS if not spec.secret for var in spec.read_vars)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)
MIN_VALUE = 8  # a credential-named variable's value shorter than this is not searched for: it is a word
_HOW = "--request-vars (action input request-vars, COMETAPI_REQUEST_VARS)"


def looks_like_credential(name: str) -> bool:
    """Whether `name` is the name of a credential by the rule above."""
    return CREDENTIAL_NAME.search(name) is not None


def parse_request_vars(text: str, source: str) -> tuple[str, ...]:
    """The names listed (commas or whitespace between); ConfigError for a malformed or credential name."""
    names = tuple(dict.fromkeys(part for part in re.split(r"[\s,]+", text) if part))
    for name in names:
        if not _NAME.fullmatch(name):
            shown = name if len(name) <= 24 else f"{name[:4]}…"  # never echo what may be a pasted secret
            raise ConfigError(
                "request-vars",
                f"'{shown}' is not an environment variable name",
                "list names of letters, digits and _ that do not start with a digit (APP_NAME, not "
                "${APP_NAME}), separated by commas",
                source,
            )
        if looks_like_credential(name):
            raise ConfigError(
                "request-vars",
                f"{name} looks like a credential (its name {_why(name)}), and a request file may never send "
                "one to the endpoint",
                f"remove {name}; a smoke test's prompt needs no secret (the key travels in the Authorization "
                "header). The rule: README, Request file",
                source,
            )
    return names


def credential_values(env: Mapping[str, str]) -> dict[str, str]:
    """Name -> value of every variable `SECRET_VALUE_NAME` names (the gate's own settings aside) whose value,
    trimmed, has 8 characters or more."""
    out = {}
    for name, value in env.items():
        value = value.strip()
        if len(value) >= MIN_VALUE and SECRET_VALUE_NAME.search(name) and name.upper() not in _OWN_SETTINGS:
            out[name] = value
    return out


def unfilled(path: Path, names: Sequence[str], listed: Sequence[str], source: str) -> ConfigError:
    """The error for `${VAR}` placeholders that were not filled: a credential name, a name not listed in
    --request-vars, or a listed name the environment does not set, in that order."""
    credentials = [n for n in names if looks_like_credential(n)]
    unlisted = [n for n in names if n not in listed]
    if credentials:
        shown = ", ".join(f"${{{n}}}" for n in credentials)
        return ConfigError(
            "request-file",
            f"{path} uses {shown}, whose name looks like a credential: a request file may never send one",
            "remove the placeholder; a smoke test's prompt needs no secret (the key travels in the "
            "Authorization header)",
            source,
        )
    if unlisted:
        shown, listing = ", ".join(f"${{{n}}}" for n in unlisted), ",".join(unlisted)
        return ConfigError(
            "request-file",
            f"{path} uses {shown}, which {_HOW} does not list: a request file reads only the variables "
            "listed there",
            f"if the value may be sent to the endpoint, allow it with --request-vars {listing}; otherwise "
            "remove the placeholder",
            source,
        )
    listing = ", ".join(names)
    return ConfigError(
        "request-file",
        f"{path} uses ${{{listing}}}, which the environment does not set",
        f"set {listing}",
        source,
    )


def _why(name: str) -> str:
    """Which part of the rule `name` matches, in words."""
    match = CREDENTIAL_NAME.search(name)
    if match is None:
        return "matches nothing"
    part = match.group().upper()
    if match.start() == 0 and part.endswith("_"):
        return f"starts with {part}"
    return f"contains {part.strip('_')}"
