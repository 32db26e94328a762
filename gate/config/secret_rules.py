"""The pattern rules of the request-body scan (gate/config/payload_scan.py): secrets, then personal data.

Hand-written, not Yelp's detect-secrets: its regex plugins (1.5.0) find 25 of the 34 samples of
bench/secret_rules.py. They miss Google API keys, fine-grained GitHub tokens, every sk- key but OpenAI's
`T3BlbkFJ` form (Anthropic's `sk-ant-` among them), AWS secret keys outside quotes, encrypted PKCS#8 keys,
`glffct-` and `xapp-`. Loading them adds 20-64 ms and 1.5 MB to a request-file run (docs/performance.md,
"Secret rules").

Rules, strongest first (where two matches overlap, the earlier rule wins):
- private key: a PEM `-----BEGIN ... PRIVATE KEY-----` block (RSA, EC, DSA, OPENSSH, ENCRYPTED, SSH2, PGP's
  `PRIVATE KEY BLOCK`), or a PuTTY key file (`PuTTY-User-Key-File-3:`);
- keys and tokens by their documented prefix, each its own kind: `sk-` + 16 or more of [A-Za-z0-9_-]
  (OpenAI `sk-proj-`, Anthropic `sk-ant-`, DeepSeek, CometAPI, …); AWS access key ids `AKIA`/`ASIA`/`ABIA`/
  `ACCA`/`A3T?` + 16; GitHub `gh[pousr]_` + 36 and `github_pat_` + 22; GitLab `glpat-`, `gloas-`, `gldt-`,
  `glrt-`, `glrtr-`, `glcbt-`, `glptt-`, `glft-`, `glimt-`, `glagent-`, `glsoat-`, `glffct-`, `glwt-` + 20
  (dotted routable tokens too) and the legacy runner registration `GR1348941` + 20; Slack `xox[abeoprs]-`,
  `xoxe.xox?-`, `xapp-` and `hooks.slack.com` webhook URLs; Google `AIza` + 35; JSON Web Tokens (`eyJ…`
  header and payload, then the signature);
- AWS secret access key: exactly 40 of [A-Za-z0-9/+] with both cases and a digit, `/` or `+`, within 40
  characters after `aws` or `secret` (any case) on the same line;
- bearer token: `Bearer` + a token of 16 or more characters, one a digit at least (prose never is);
- password in a URL: `scheme://user:password@` (the password is the finding);
- card number: 13-19 digits (one run, or groups 4-4-4-x / 4-6-5 with one separator), first digit 2-6
  (the major networks), passing the Luhn check, not inside a word (hex digests, UUIDs);
- email address: dot-atom local part, `@`, a dotted domain with an alphabetic TLD of 2+ letters; hosts
  without a dot (`user@localhost`) and the reserved example domains (RFC 2606/6761: example.com/.net/.org,
  .example, .test, .invalid, .localhost) are not flagged;
- phone number: `+` and 8-15 digits (E.164), `+` country code and digit groups with separators
  (`+44 20 7946 0958`, `+1 (555) 123-4567`), or North American `(555) 123-4567` / `555-123-4567`; bare digit
  runs, dates, times and versions never match.
Tokens must stand alone: a prefix inside a longer word (`task-force-…`, `glossary-…`) is not a key.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

_A = re.ASCII
_PRIVATE_KEY = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
    r"(?:[\s\S]{0,8192}?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----)?"
    r"|PuTTY-User-Key-File-[0-9]+: *[A-Za-z0-9@.-]*",
    _A,
)
_GITLAB = r"gl(?:pat|oas|dt|rtr|rt|cbt|ptt|ft|imt|agent|soat|ffct|wt)-|GR1348941"
_KEYS = re.compile(
    r"(?<![A-Za-z0-9_])(?:"
    r"(?P<sk>sk-[A-Za-z0-9_-]{16,})"
    r"|(?P<aws>(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16})"
    r"|(?P<github>gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})"
    rf"|(?P<gitlab>(?:{_GITLAB})[A-Za-z0-9_-]{{20,}}(?:\.[A-Za-z0-9_-]+)*)"
    r"|(?P<slack>(?:xox[abeoprs]|xoxe\.xox[a-z]|xapp)-[A-Za-z0-9-]{10,}"
    r"|https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/]{20,})"
    r"|(?P<google>AIza[0-9A-Za-z_-]{35})"
    r"|(?P<jwt>eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*)"
    r")(?![A-Za-z0-9_-])",
    _A,
)
KEY_KINDS: Mapping[str, str] = {
    "sk": "API key (sk-)",
    "aws": "AWS access key id",
    "github": "GitHub token",
    "gitlab": "GitLab token",
    "slack": "Slack token",
    "google": "Google API key",
    "jwt": "JSON Web Token",
}
_AWS_SECRET = re.compile(
    r"(?i:aws|secret)[^\n]{0,40}?(?<![A-Za-z0-9/+])(?P<s>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])", _A
)
_BEARER = re.compile(r"\b(?i:bearer)\s+(?P<s>[A-Za-z0-9._~+/=-]{16,})", _A)
_URL_PASSWORD = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]{1,19}://[^\s/?#@:]{1,256}:(?P<s>[^\s/?#@]{1,256})@", _A)
_CARD = re.compile(  # never inside a word: hex digests and UUIDs hold digit runs
    r"(?<![0-9A-Za-z])(?<![0-9A-Za-z]-)(?:[0-9]{13,19}|[0-9]{4}([ -])[0-9]{4}\1[0-9]{4}\1[0-9]{1,7}"
    r"|[0-9]{4}([ -])[0-9]{6}\2[0-9]{5})(?![0-9A-Za-z])(?!-[0-9A-Za-z])",
    _A,
)
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`~-]+"
_EMAIL = re.compile(
    rf"(?<![A-Za-z0-9.!#$%&'*+/=?^_`~-]){_ATOM}(?:\.{_ATOM})*"
    r"@(?P<d>(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})(?![A-Za-z0-9_-]|\.[A-Za-z0-9])",
    _A,
)
_PHONE = re.compile(
    r"(?<![\w+.-])(?:\+[1-9][0-9]{7,14}"  # E.164
    r"|\+[1-9][0-9]{0,5}(?:[ .-]?\([0-9]{1,4}\))?(?:[ .-][0-9]{1,6}){1,6}"  # +44 20 7946 0958
    r"|\([0-9]{3}\) ?[0-9]{3}[ .-][0-9]{4}"  # (555) 123-4567
    r"|[0-9]{3}([.-])[0-9]{3}\1[0-9]{4}"  # 555-123-4567
    r")(?![\w+]|[.-][0-9])",
    _A,
)
_RESERVED_DOMAINS = ("example.com", "example.net", "example.org", "example", "test", "invalid", "localhost")
_SIGNED_DATE = re.compile(r"\+[0-9]{4,6}-[0-9]{2}-[0-9]{2}", _A)  # ISO 8601 expanded year: +2024-01-15


def _luhn(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _is_card(match: re.Match[str]) -> bool:
    digits = re.sub(r"[^0-9]", "", match.group())
    return 13 <= len(digits) <= 19 and digits[0] in "23456" and _luhn(digits)


def _is_email(match: re.Match[str]) -> bool:
    domain = match.group("d").lower()
    return not any(domain == d or domain.endswith("." + d) for d in _RESERVED_DOMAINS)


def _is_phone(match: re.Match[str]) -> bool:
    text = match.group()
    return 8 <= sum(c.isdigit() for c in text) <= 15 and not _SIGNED_DATE.fullmatch(text)


def _is_token(match: re.Match[str]) -> bool:
    return any(c.isdigit() for c in match.group("s"))


def _is_aws_secret(match: re.Match[str]) -> bool:
    """Both cases and a digit or symbol: hex digests (one case) and words never are."""
    key = match.group("s")
    return (
        any(c.isupper() for c in key)
        and any(c.islower() for c in key)
        and any(c.isdigit() or c in "/+" for c in key)
    )


def _always(match: re.Match[str]) -> bool:
    return True


@dataclass(frozen=True, eq=False)
class Rule:
    """One pattern: the kind it finds (or, for an alternation of named groups, the kind of each group), the
    group holding the value, and a check of each match."""

    kind: str
    pattern: re.Pattern[str]
    group: int | str = 0
    valid: Callable[[re.Match[str]], bool] = _always
    kinds: Mapping[str, str] = field(default_factory=dict)

    def kind_of(self, match: re.Match[str]) -> str:
        return self.kinds.get(match.lastgroup or "", self.kind)


RULES: tuple[Rule, ...] = (
    Rule("private key", _PRIVATE_KEY),
    Rule("API key", _KEYS, kinds=KEY_KINDS),
    Rule("AWS secret access key", _AWS_SECRET, "s", _is_aws_secret),
    Rule("bearer token", _BEARER, "s", _is_token),
    Rule("password in a URL", _URL_PASSWORD, "s"),
    Rule("card number", _CARD, 0, _is_card),
    Rule("email address", _EMAIL, 0, _is_email),
    Rule("phone number", _PHONE, 0, _is_phone),
)
SECRET_KINDS: frozenset[str] = frozenset(
    {"private key", "AWS secret access key", "bearer token", "password in a URL", *KEY_KINDS.values()}
)
