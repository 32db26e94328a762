"""One row of a rule table (`Rule`, made with `rule`) and the answer it is matched against (`Answer`)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from gate.core.failures import FailureClass
from gate.core.text import one_line
from gate.diagnosis.envelope import ErrorRecord


@dataclass(frozen=True, eq=False)
class Answer:
    """What the rules look at: the status, the error (an empty record when the body carried none), the
    one-line detail a failure message quotes, and the headers."""

    status: int
    error: ErrorRecord
    detail: str  # the error's message, else the start of the body (or "HTML page")
    headers: Mapping[str, str]
    api: str = "chat"  # the API the request went to (--api): a missing route means more off chat

    @property
    def code(self) -> str:
        return self.error.primary_code

    @property
    def keys(self) -> frozenset[str]:
        return self.error.keys

    @property
    def suffix(self) -> str:
        return f": {self.detail}" if self.detail else ""

    @property
    def said(self) -> str:
        """The suffix, or that the body was empty (a bare 429 is worth saying so)."""
        return self.suffix or " (empty body)"

    @property
    def client_error(self) -> bool:
        return 400 <= self.status < 500

    @property
    def redirect_target(self) -> str:
        """Where a redirect points: its host (case kept), else the Location as given."""
        location = self.headers.get("location", "")
        return _host_of(location) or one_line(location, 120) or "no Location header"


@dataclass(frozen=True, eq=False)
class Rule:
    """One kind of answer: when it applies, what it means and what to do about it.

    A row applies when the status is one of `statuses` (any when empty) and, if it names codes or a pattern,
    one of `codes` is the error's code, type or reason, or `pattern` is found in its message; `when` (a
    predicate over the whole answer) must hold as well. `what` follows "HTTP <status> " in the failure
    message and is a `str.format` template over `a`, the Answer; the error's message is appended unless the
    template quotes it itself."""

    name: str
    failure_class: FailureClass
    what: str
    source: str
    hint: str | None = None  # the specific next step; None: the class's general one
    statuses: frozenset[int] = frozenset()
    codes: frozenset[str] = frozenset()  # lower case
    pattern: str | None = None  # compiled on first use: a passing run never needs it
    when: Callable[[Answer], bool] | None = None

    def applies(self, a: Answer) -> bool:
        if self.statuses and a.status not in self.statuses:
            return False
        if (self.codes or self.pattern) and not (self.codes & a.keys or self._says(a.error.words)):
            return False
        return self.when is None or self.when(a)

    def _says(self, text: str) -> bool:
        return self.pattern is not None and bool(text) and _compiled(self.pattern).search(text) is not None

    def message(self, a: Answer) -> str:
        what = self.what.format(a=a)
        return f"HTTP {a.status} {what}" + ("" if "{a." in self.what else a.suffix)


def rule(
    name: str,
    failure_class: FailureClass,
    what: str,
    source: str,
    hint: str | None = None,
    *,
    statuses: tuple[int, ...] = (),
    codes: tuple[str, ...] = (),
    pattern: str | None = None,
    when: Callable[[Answer], bool] | None = None,
) -> Rule:
    return Rule(
        name,
        failure_class,
        what,
        source,
        hint,
        frozenset(statuses),
        frozenset(c.lower() for c in codes),
        pattern,
        when,
    )


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def _host_of(url: str) -> str:
    """The host of a URL as sent, case kept (urlsplit().hostname lower-cases it, which would hide a key
    from a case-sensitive match), without userinfo or port."""
    netloc = urlsplit(url).netloc.rpartition("@")[2]
    if netloc.startswith("["):
        return netloc.partition("]")[0] + "]"
    return netloc.partition(":")[0]


API_NAMES = {
    "responses": ("Responses API", "/v1/responses"),
    "embeddings": ("Embeddings API", "/v1/embeddings"),
}
_WHO = {
    "responses": "one-api has no /v1/responses; new-api only for channel types that implement it",
    "embeddings": "one-api and new-api relay /v1/embeddings only to channels that serve an embedding model",
}


def not_relayed_hint(api: str) -> str:
    """The next step when the gateway has no route for `api` (a 404/405/501 on its path)."""
    title, _ = API_NAMES[api]
    return (
        f"The gateway does not relay the {title} for this model or channel ({_WHO[api]}): use --api chat, "
        "or a channel that supports it. (If --api chat fails the same way, the base URL's path is wrong "
        "instead.)"
    )
