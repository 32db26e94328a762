"""Failure classes, what to check next for each, and the exit codes.

Every failed check ends in exactly one class. The tree, by where in a request it breaks::

    config ............ the gate's own inputs are missing or malformed (nothing was sent)
    network
      dns ............. the API host does not resolve from this runner
      connect ......... TCP connection refused / reset / unreachable          (transient)
      proxy ........... the HTTP(S) proxy refused the connection or wants auth
      tls ............. handshake or certificate verification failed
      timeout ......... connect timeout or the per-request deadline ran out     (transient)
    http status (rule tables, gate/diagnosis/rules/: the gateway's own answers first, docs/gateway.md; then
    relays', providers' and self-hosted servers', docs/dialects.md; then the status's meaning anywhere)
      auth ............ 401 / 403: the key, or (403) its model, group or IP allow-list; a 400 that says
                        the key is invalid (Gemini's API_KEY_INVALID)
      endpoint ........ 404 / 405 / any 3xx / the gateway's web UI page: wrong base URL or path; a server
                        that does not chat (501, an embedding model, LM Studio's "Unexpected endpoint")
      request ......... 400 / 413 / 422, a model or deployment that does not exist (a 404 that names it), a
                        model the key's group has no channel for (503), the gateway's 500 invalid_request
                        / sensitive_words_detected / model_price_error, a content filter or moderation flag,
                        a provider that does not serve the runner's country
      rate_limit ...... 429, also a saturated upstream relayed with insufficient_quota   (transient)
      quota ........... 402, the user's insufficient_quota, the gateway's token/user quota answers, credit
                        or spend limits whatever the status (Anthropic's 400 and 429, Cloudflare's 4006)
                        (never retried)
      upstream ........ 5xx, 408, 409, 424, 498, 524, or an {"error": ...} body with status 200 (transient)
    body
      protocol ........ not JSON, HTML from a proxy, too large, broken stream
      contract ........ JSON that breaks the Chat Completions response contract
      empty ........... no assistant text
      assertion ....... the text does not meet the test condition
    gate policy
      latency ......... latency over the budget
      negative ........ a negative test was not rejected as expected
      leak ............ the gate found its own secret in an artifact it wrote
      evidence ........ a report, the step summary or the step outputs could not be written: a release
                        cannot proceed without its record
      interrupted ..... the run was cancelled (SIGINT, SIGTERM) before it finished: no verdict on the
                        integration
      internal ........ the gate itself failed (a bug): every report is still written
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Mode(enum.StrEnum):
    """--mode: `enforce` exits with the verdict's code; `report` exits 0 although the gate failed (a
    configuration error and an interruption still exit 2, 130 or 143). Parsed by gate.config, read by the
    verdict."""

    ENFORCE = "enforce"
    REPORT = "report"


class ExitCode(enum.IntEnum):
    """Process exit codes: pipelines branch on these (README, "Exit codes")."""

    PASSED = 0  # every check passed (warnings allowed), or --mode report
    FAILED = 1  # the integration is broken: a permanent class (auth, endpoint, request, contract, ...)
    USAGE = 2  # usage or configuration error: nothing was sent
    TRANSIENT = 3  # only transient classes (connect, timeout, rate_limit, upstream) after every retry
    INTERRUPTED = 130  # stopped by SIGINT (128 + 2): Ctrl-C, the first signal a cancelled CI job gets
    TERMINATED = 143  # stopped by SIGTERM (128 + 15, as shells report it), e.g. `docker stop`


@dataclass(frozen=True)
class FailureInfo:
    title: str
    next_step: str
    transient: bool = False


class FailureClass(enum.StrEnum):
    CONFIG = "config"
    DNS = "dns"
    CONNECT = "connect"
    TLS = "tls"
    PROXY = "proxy"
    TIMEOUT = "timeout"
    AUTH = "auth"
    ENDPOINT = "endpoint"
    REQUEST = "request"
    RATE_LIMIT = "rate_limit"
    QUOTA = "quota"
    UPSTREAM = "upstream"
    PROTOCOL = "protocol"
    CONTRACT = "contract"
    EMPTY = "empty"
    ASSERTION = "assertion"
    LATENCY = "latency"
    NEGATIVE = "negative"
    LEAK = "leak"
    EVIDENCE = "evidence"
    INTERRUPTED = "interrupted"
    INTERNAL = "internal"

    @property
    def info(self) -> FailureInfo:
        return FAILURE_INFO[self]

    @property
    def next_step(self) -> str:
        return FAILURE_INFO[self].next_step

    @property
    def transient(self) -> bool:
        return FAILURE_INFO[self].transient


FAILURE_INFO: dict[FailureClass, FailureInfo] = {
    FailureClass.CONFIG: FailureInfo(
        "configuration error",
        "Fix the named input (flag, INPUT_* or COMETAPI_* variable); nothing was sent.",
    ),
    FailureClass.DNS: FailureInfo(
        "DNS resolution failed",
        "Check the base URL's host name for typos and the runner's DNS / egress rules.",
    ),
    FailureClass.CONNECT: FailureInfo(
        "connection failed",
        "Check egress firewall rules, the proxy settings (HTTPS_PROXY/NO_PROXY) and the service status page.",
        transient=True,
    ),
    FailureClass.TLS: FailureInfo(
        "TLS handshake or certificate failed",
        "Check the certificate chain and host name; behind a TLS-inspecting proxy set REQUESTS_CA_BUNDLE.",
    ),
    FailureClass.PROXY: FailureInfo(
        "proxy refused the connection",
        "Check HTTPS_PROXY / NO_PROXY and the proxy's credentials and allow-list.",
    ),
    FailureClass.TIMEOUT: FailureInfo(
        "request timed out",
        "Check DNS, proxy and egress; compare --timeout with the service's normal latency; retry later.",
        transient=True,
    ),
    FailureClass.AUTH: FailureInfo(
        "authentication rejected",
        "Check the secret's path (CI variable / secret name), that it is not expired or revoked, and that "
        "it is sent as 'Authorization: Bearer <key>'.",
    ),
    FailureClass.ENDPOINT: FailureInfo(
        "wrong endpoint",
        "Check --base-url against the API reference (https://api.cometapi.com, with or without /v1) and the "
        "path /v1/chat/completions; a redirect or HTML page usually means a wrong host or path.",
    ),
    FailureClass.REQUEST: FailureInfo(
        "request rejected",
        "Check the request body against the API reference: the model id, --max-tokens / --token-param and "
        "the message format.",
    ),
    FailureClass.RATE_LIMIT: FailureInfo(
        "rate limited",
        "The key is being throttled: check concurrent jobs sharing the key, lower --samples, retry later.",
        transient=True,
    ),
    FailureClass.QUOTA: FailureInfo(
        "quota or credit exhausted",
        "Top up the account or raise the key's quota; retrying will not help.",
    ),
    FailureClass.UPSTREAM: FailureInfo(
        "upstream error",
        "The service or its upstream provider failed: check the status page, keep the request id, retry "
        "later.",
        transient=True,
    ),
    FailureClass.PROTOCOL: FailureInfo(
        "response is not the API's JSON",
        "Capture the response shape: an HTML page or non-JSON body usually comes from a proxy, captive "
        "portal or wrong host in front of the API.",
    ),
    FailureClass.CONTRACT: FailureInfo(
        "response breaks the contract",
        "Capture the response shape and compare it with the Chat Completions reference; the client parser "
        "would break on it too.",
    ),
    FailureClass.EMPTY: FailureInfo(
        "no assistant text",
        "Check finish_reason: 'length' means raise --max-tokens; 'content_filter' means change the prompt.",
    ),
    FailureClass.ASSERTION: FailureInfo(
        "assistant text does not meet the condition",
        "Check --expect / --expect-mode against what the model answered; a model change can alter wording.",
    ),
    FailureClass.LATENCY: FailureInfo(
        "latency over budget",
        "Compare p50/p95 with the service's normal latency and --max-latency-ms; check region and load.",
    ),
    FailureClass.NEGATIVE: FailureInfo(
        "negative test not rejected",
        "The service accepted a request it must refuse: check the gateway's key validation and model "
        "allow-list.",
    ),
    FailureClass.LEAK: FailureInfo(
        "secret found in an artifact",
        "The artifact was scrubbed; report this as a bug in the gate with the scenario that produced it.",
    ),
    FailureClass.EVIDENCE: FailureInfo(
        "evidence not written",
        "Free disk space or fix the named path's permissions (a directory, a link or a read-only mount is "
        "refused) and run the gate again: the run's record is missing, so the release cannot proceed on it.",
    ),
    FailureClass.INTERRUPTED: FailureInfo(
        "run interrupted",
        "The job was cancelled or timed out before the gate finished: no verdict on the integration. Run "
        "the gate again; if it keeps being cancelled, check the job's timeout against --timeout and "
        "--retry-budget.",
    ),
    FailureClass.INTERNAL: FailureInfo(
        "the gate itself failed",
        "This is a bug in the gate, not a finding about the service: report it with the JSON report's "
        "diagnostics (the traceback there is redacted); rerunning may pass.",
    ),
}

TRANSIENT_CLASSES = frozenset(c for c in FailureClass if c.transient)
