"""Extra request headers for a gateway in the middle (`--header 'Name: value'`, `--header-env 'Name=VAR'`).

Portkey, Helicone, Cloudflare AI Gateway and Azure read their own headers. Each one is checked before
anything is sent: the name an RFC 9110 token, the value free of control characters (no header injection),
no name twice, and none that would replace what the gate itself sends (its Bearer key, Host, the body's
framing). A value from `--header-env`, or from `--header` under a name that says it carries a credential, is
a secret: masked everywhere and covered by the leak scan. No message ever quotes a header's value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from gate.config.inputs import ConfigError, lines_of
from gate.config.options import OPTIONS_BY_NAME

_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # RFC 9110, 5.6.2
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_WORD = re.compile(r"[-_.]")
MIN_SECRET_LENGTH = 8  # as the key's: a shorter secret cannot be masked without masking ordinary text
RESERVED = {
    "authorization": "the gate sends its own 'Authorization: Bearer <key>': pass the key with --api-key",
    "host": "the gate sets Host from --base-url",
    "content-length": "the gate sets Content-Length from the body it sends",
    "content-type": "the gate sends its JSON body as application/json",
    "transfer-encoding": "the gate frames the body it sends itself",
}
_CREDENTIAL_PARTS = (
    "authorization",
    "api-key",
    "apikey",
    "token",
    "secret",
    "password",
    "credential",
    "cookie",
)
_CREDENTIAL_WORDS = {"auth", "key"}


@dataclass(frozen=True)
class ExtraHeader:
    """One extra header sent on every request to the endpoint; `secret` values print as ***."""

    name: str
    value: str
    secret: bool

    @property
    def shown(self) -> str:
        return f"{self.name}: {'***' if self.secret else self.value}"


def is_credential_name(name: str) -> bool:
    """A header name that says it carries a credential: Authorization, *-Auth, *api-key*, *apikey*, *token*,
    *secret*, or `key` as a word (x-api-key, Subscription-Key; not Portkey's x-portkey-provider)."""
    lowered = name.lower()
    words = set(_WORD.split(lowered))
    return any(part in lowered for part in _CREDENTIAL_PARTS) or bool(words & _CREDENTIAL_WORDS)


def extra_headers(
    header: object, header_env: object, sources: Mapping[str, str], env: Mapping[str, str]
) -> tuple[ExtraHeader, ...]:
    """Every --header and --header-env entry, checked; raise ConfigError on the first problem."""
    found: list[ExtraHeader] = []
    for line in filter(None, lines_of(header)):
        name, sep, value = line.partition(":")
        _check_name(name.strip(), bool(sep), "header", sources.get("header", ""))
        name = name.strip()
        found.append(
            ExtraHeader(
                name, _checked_value(name, value.strip(), "header", sources), is_credential_name(name)
            )
        )
    for line in filter(None, lines_of(header_env)):
        name, sep, variable = (part.strip() for part in line.partition("="))
        _check_name(name, bool(sep), "header-env", sources.get("header_env", ""))
        value = _from_env(name, variable, env, sources.get("header_env", ""))
        found.append(ExtraHeader(name, _checked_value(name, value.strip(), "header-env", sources), True))
    _no_duplicates(found, sources)
    return tuple(found)


def _check_name(name: str, separated: bool, option: str, source: str) -> None:
    form = "'Name: value'" if option == "header" else "'Name=ENV_VAR'"
    if not separated or not name:
        raise ConfigError(
            option, f"an entry is not of the form {form}", f"write each entry as {form}", source
        )
    if not _TOKEN.fullmatch(name):
        raise ConfigError(
            option,
            f"'{name[:60]}' is not a valid header name (an RFC 9110 token)",
            "use letters, digits and - only, e.g. x-portkey-provider",
            source,
        )
    reason = RESERVED.get(name.lower())
    if reason is not None:
        raise ConfigError(option, f"the {name} header cannot be set", reason, source)


def _from_env(name: str, variable: str, env: Mapping[str, str], source: str) -> str:
    if not _ENV_NAME.fullmatch(variable):
        raise ConfigError(
            "header-env",
            f"{name}: '{variable[:60]}' is not an environment variable name",
            "write 'Name=ENV_VAR', e.g. 'Helicone-Auth=HELICONE_AUTH'",
            source,
        )
    value = env.get(variable, "")
    if not value.strip():
        raise ConfigError(
            "header-env",
            f"{name}: the environment variable {variable} is not set or empty",
            f"set {variable} (e.g. from a CI secret) or drop the entry",
            source,
        )
    return value


def _checked_value(name: str, value: str, option: str, sources: Mapping[str, str]) -> str:
    """The value, free of control characters (CR or LF would inject a header) and ASCII."""
    source = sources.get(option.replace("-", "_"), "")
    if not value:
        raise ConfigError(
            option, f"the {name} header has an empty value", "give it a value or drop it", source
        )
    if any((ord(ch) < 32 and ch != "\t") or ord(ch) == 127 for ch in value):
        raise ConfigError(
            option,
            f"the value of the {name} header contains a control character (CR, LF or another): header "
            "injection",
            "give the value on one line, without control characters",
            source,
        )
    if is_credential_name(name) or option == "header-env":
        _long_enough(name, value, option, source)
    if not value.isascii():
        raise ConfigError(
            option,
            f"the value of the {name} header contains non-ASCII characters",
            "check the value (a pasted value can pick up typographic quotes or dashes)",
            source,
        )
    return value


def _long_enough(name: str, value: str, option: str, source: str) -> None:
    if len(value) < MIN_SECRET_LENGTH:
        raise ConfigError(
            option,
            f"the value of the {name} header is a secret shorter than {MIN_SECRET_LENGTH} characters",
            "pass the full credential; a value that short cannot be masked safely in logs",
            source,
        )


def _no_duplicates(headers: Iterable[ExtraHeader], sources: Mapping[str, str]) -> None:
    seen: set[str] = set()
    for header in headers:
        if header.name.lower() in seen:
            raise ConfigError(
                "header",
                f"the {header.name} header is given more than once (names are case-insensitive; --header "
                "and --header-env count together)",
                "give each header once",
                sources.get("header", ""),
            )
        seen.add(header.name.lower())


def candidate_secrets(flags: Mapping[str, object], env: Mapping[str, str]) -> list[str]:
    """Every value a header could carry as a secret, from the flag and every variable, read before the
    configuration is checked (so even a configuration error never prints one): credential-named --header
    values, and the variables --header-env names. A value like 'Bearer <key>' also gives its last word."""
    found: list[str] = []
    for line in _every_entry("header", flags, env):
        name, sep, value = line.partition(":")
        if sep and is_credential_name(name.strip()):
            found.append(value.strip())
    for line in _every_entry("header-env", flags, env):
        found.append(env.get(line.partition("=")[2].strip(), "").strip())
    words = [value.split()[-1] for value in found if len(value.split()) > 1]
    return [value for value in found + words if len(value) >= MIN_SECRET_LENGTH]


def _every_entry(option: str, flags: Mapping[str, object], env: Mapping[str, str]) -> list[str]:
    spec = OPTIONS_BY_NAME[option]
    return lines_of(flags.get(spec.dest)) + [
        line for var in spec.read_vars for line in lines_of(env.get(var))
    ]
