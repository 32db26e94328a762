"""The `run` options: one table that the CLI, the config resolver and the docs read.

Each option resolves from its flag, then `INPUT_<NAME>` (GitHub's form: upper-cased, hyphens kept), then its
`COMETAPI_<NAME>` variable (upper-cased, hyphens to underscores; the same rule for every option), then the
default. An empty string counts as unset. The old `GATE_<NAME>` variable still works after `COMETAPI_<NAME>`,
with a deprecation notice (gate.config.settings).

The table is in groups, in the order `run --help`, the README's options reference and action.yml show them.
Each group has one scope: "target" options may differ per target of a targets file; "run" options hold one
value for the whole run (reports, mode, decision record, pre-flight, monitoring), and a targets file cannot
set them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

Kind = Literal["str", "int", "float", "bool", "choice", "path", "lines"]  # lines: repeatable, one a line
Scope = Literal["run", "target"]


@dataclass(frozen=True, eq=False)
class OptionSpec:
    name: str  # hyphenated, as the flag and the action input
    kind: Kind
    default: object
    help: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    secret: bool = False
    required: bool = False  # required for a real endpoint (sim:// supplies its own)
    group: str = ""  # set by _group: the heading it is listed under
    scope: Scope = "target"  # set by _group
    input_name: str = ""  # the action input, when it is not the option's name

    @property
    def flag(self) -> str:
        return f"--{self.name}"

    @property
    def dest(self) -> str:
        return self.name.replace("-", "_")

    @property
    def input_var(self) -> str:
        return f"INPUT_{self.input.upper()}"

    @property
    def input(self) -> str:
        """The action input's id."""
        return self.input_name or self.name

    @property
    def variable(self) -> str:
        """The option's environment variable: COMETAPI_<NAME>, NAME the input's id upper-cased with hyphens
        turned to underscores (COMETAPI_TIMEOUT, COMETAPI_HEADERS)."""
        return f"{ENV_PREFIX}{self.input.upper().replace('-', '_')}"

    @property
    def deprecated_variable(self) -> str:
        """The option's old GATE_<NAME> variable: still read after `variable`, with a deprecation notice."""
        return f"{DEPRECATED_ENV_PREFIX}{self.input.upper().replace('-', '_')}"

    @property
    def env(self) -> tuple[str, ...]:
        """The documented variables after the input: the one `variable`."""
        return (self.variable,)

    @property
    def env_vars(self) -> tuple[str, ...]:
        """The documented variables this option reads, in precedence order (input, then variable)."""
        return (self.input_var, self.variable)

    @property
    def read_vars(self) -> tuple[str, ...]:
        """Every variable this option reads, in precedence order, the deprecated one last."""
        return (self.input_var, self.variable, self.deprecated_variable)


ENV_PREFIX = "COMETAPI_"
DEPRECATED_ENV_PREFIX = "GATE_"


def _group(title: str, scope: Scope, *specs: OptionSpec) -> tuple[OptionSpec, ...]:
    return tuple(replace(spec, group=title, scope=scope) for spec in specs)


@dataclass(frozen=True)
class PreflightItem:
    key: str  # the option name and the file key
    label: str


PREFLIGHT_ITEMS: tuple[PreflightItem, ...] = (
    PreflightItem("change-owner", "change owner"),
    PreflightItem("rollback-owner", "rollback owner"),
    PreflightItem("previous-version", "previous known-good deployment version"),
    PreflightItem("previous-config-version", "previous known-good configuration version"),
    PreflightItem("previous-model", "previous known-good model"),
    PreflightItem("previous-request-template", "previous known-good request template"),
    PreflightItem("feature-flag", "feature flag"),
    PreflightItem("feature-flag-rollback-value", "feature flag rollback value"),
    PreflightItem("traffic-router", "traffic router control"),
    PreflightItem("dashboard-url", "dashboard"),
    PreflightItem("comms-channel", "communication channel"),
    PreflightItem("escalation-path", "escalation path"),
)
PREFLIGHT_KEYS = frozenset(item.key for item in PREFLIGHT_ITEMS)
DEFAULT_BASE_URL = "https://api.cometapi.com"
DEFAULT_SYSTEM_PROMPT = "Reply with exactly the word: pong"

OPTIONS: tuple[OptionSpec, ...] = (
    *_group(
        "Endpoint and key",
        "target",
        OptionSpec(
            "base-url",
            "str",
            DEFAULT_BASE_URL,
            "API base URL, with or without a trailing /v1; sim://<scenario> runs the built-in simulator.",
        ),
        OptionSpec(
            "api-key",
            "str",
            None,
            "API key, sent as 'Authorization: Bearer <key>'. Never printed.",
            secret=True,
            required=True,
        ),
        OptionSpec("model", "str", None, "Model id to request.", required=True),
        OptionSpec(
            "environment",
            "str",
            None,
            "Environment name for the reports (e.g. staging) [default: GitLab's $CI_ENVIRONMENT_NAME, else "
            "'unspecified': a run is never labelled production unless someone says so].",
        ),
        OptionSpec(
            "ca-bundle",
            "path",
            None,
            "CA bundle to verify TLS with (TLS-inspecting proxies) [default: $REQUESTS_CA_BUNDLE, "
            "$CURL_CA_BUNDLE or $SSL_CERT_FILE, else the certifi bundle].",
        ),
        OptionSpec(
            "header",
            "lines",
            None,
            "Extra header 'Name: value' sent on every request, for a gateway in the middle (Portkey, "
            "Helicone, Cloudflare AI Gateway); repeatable, one a line in the input and the variable. A value "
            "under a credential name (Authorization-like, *-Auth, *api-key*, *token*, *secret*, key) is "
            "masked.",
            input_name="headers",
        ),
        OptionSpec(
            "header-env",
            "lines",
            None,
            "Extra header 'Name=ENV_VAR' whose value is read from that environment variable and masked "
            "everywhere (a gateway's own key); repeatable, one a line in the input and the variable.",
        ),
        OptionSpec(
            "allow-insecure-http",
            "bool",
            False,
            "Allow http:// to a host that is not loopback.",
        ),
    ),
    *_group(
        "Several targets",
        "run",
        OptionSpec(
            "targets",
            "path",
            None,
            "TOML file listing several targets to gate concurrently (see README, Several targets).",
        ),
    ),
    *_group(
        "Request",
        "target",
        OptionSpec(
            "api",
            "choice",
            "chat",
            "The API the smoke request uses: chat (POST /v1/chat/completions), responses (POST "
            "/v1/responses, OpenAI's Responses API) or embeddings (POST /v1/embeddings; the test condition "
            "does not apply).",
            choices=("chat", "responses", "embeddings"),
        ),
        OptionSpec(
            "system-prompt",
            "str",
            DEFAULT_SYSTEM_PROMPT,
            "System message of the smoke request.",
        ),
        OptionSpec("prompt", "str", "ping", "User message of the smoke request."),
        OptionSpec("expect", "str", "pong", "Test condition the assistant text must meet."),
        OptionSpec(
            "expect-mode",
            "choice",
            "contains",
            "How --expect is matched (case-insensitive, trimmed; regex is searched).",
            choices=("contains", "equals", "regex"),
        ),
        OptionSpec(
            "expect-dimensions",
            "int",
            None,
            "With --api embeddings: the dimension every vector must have (any one dimension otherwise).",
            minimum=1,
            maximum=100_000,
        ),
        OptionSpec(
            "max-tokens",
            "int",
            None,
            "Token limit of the smoke request [default: by model family: 16, or 256-1024 for reasoning "
            "models, "
            "whose reasoning shares the limit].",
            minimum=1,
            maximum=100_000,
        ),
        OptionSpec(
            "token-param",
            "choice",
            None,
            "Name of the token-limit field [default: by model family: max_completion_tokens for GPT-5 and "
            "o-series models, which reject max_tokens; max_tokens otherwise].",
            choices=("max_tokens", "max_completion_tokens"),
        ),
        OptionSpec(
            "temperature",
            "float",
            None,
            "Sampling temperature [default: 0 for a deterministic answer; not sent to reasoning models, "
            "which "
            "accept only their default].",
            minimum=0.0,
            maximum=2.0,
        ),
        OptionSpec(
            "request-file",
            "path",
            None,
            "The application's own request body (JSON or YAML) to send instead of the gate's ping, "
            "checked against the request schema of --api: {{prompt}}, {{model}} and ${VAR} (for the names "
            "--request-vars lists) are filled in, nothing else is changed (README, Request file).",
        ),
        OptionSpec(
            "request-vars",
            "str",
            None,
            "Environment variables the request file's ${VAR} may read, comma-separated (NAME[,NAME...]); any "
            "other ${VAR} is a configuration error, and a name that looks like a credential is refused even "
            "when listed (README, Request file).",
        ),
    ),
    *_group(
        "Timeouts and retries",
        "target",
        OptionSpec(
            "connect-timeout",
            "float",
            5.0,
            "Seconds to open the TCP/TLS connection.",
            minimum=0.1,
            maximum=120.0,
        ),
        OptionSpec(
            "timeout",
            "float",
            30.0,
            "Hard deadline in seconds per request (headers and body together).",
            minimum=0.1,
            maximum=600.0,
        ),
        OptionSpec(
            "retries",
            "int",
            2,
            "Retries after the first attempt, for transient failures only.",
            minimum=0,
            maximum=10,
        ),
        OptionSpec(
            "retry-budget",
            "float",
            90.0,
            "Total seconds one request may take across all its attempts and backoff waits.",
            minimum=0.1,
            maximum=3600.0,
        ),
        OptionSpec(
            "max-retry-after",
            "float",
            20.0,
            "Cap in seconds on a server's Retry-After.",
            minimum=0.0,
            maximum=600.0,
        ),
    ),
    *_group(
        "Checks",
        "target",
        OptionSpec(
            "samples",
            "int",
            3,
            "Total positive requests: the first runs alone, the rest concurrently.",
            minimum=1,
            maximum=100,
        ),
        OptionSpec(
            "min-success-rate",
            "float",
            1.0,
            "Share of --samples that must succeed (e.g. 0.9 accepts 9 of 10; failed samples then warn).",
            minimum=0.0,
            maximum=1.0,
        ),
        OptionSpec(
            "max-latency-ms",
            "float",
            None,
            "Fail when p95 latency of the samples exceeds this.",
            minimum=1.0,
            maximum=3_600_000.0,
        ),
        OptionSpec(
            "warn-latency-ms",
            "float",
            None,
            "Warn when p95 latency of the samples exceeds this.",
            minimum=1.0,
            maximum=3_600_000.0,
        ),
        OptionSpec(
            "max-response-bytes",
            "int",
            1_048_576,
            "Largest response body accepted (bytes).",
            minimum=1024,
            maximum=256 * 1_048_576,
        ),
        OptionSpec(
            "cert-warn-days",
            "int",
            14,
            "Warn when the TLS certificate expires within this many days.",
            minimum=0,
            maximum=3650,
        ),
        OptionSpec(
            "stream",
            "bool",
            False,
            "Also run the request with stream: true and check the SSE stream, its chunks and [DONE].",
        ),
        OptionSpec(
            "check-models",
            "bool",
            False,
            "Check that GET /v1/models lists the model.",
        ),
        OptionSpec(
            "negative",
            "choice",
            "none",
            "Negative tests: an invalid key must be rejected as auth, an invalid model as request; never "
            "retried.",
            choices=("none", "invalid-key", "invalid-model", "all"),
        ),
        OptionSpec(
            "check-structured-output",
            "bool",
            False,
            "Also check that a tiny strict json_schema response_format is honoured.",
        ),
        OptionSpec(
            "check-tools",
            "bool",
            False,
            "Also check that a forced call of one tiny function comes back well formed.",
        ),
        OptionSpec(
            "sdk-parity",
            "bool",
            False,
            "Also send the body through the official openai SDK and compare the two answers' parse (needs "
            "the "
            "openai package: pip install 'cometapi-smoke-gate[sdk]').",
        ),
        OptionSpec(
            "baseline",
            "path",
            None,
            "JSON report of the last known-good run: report response-shape drift, latency regression and a "
            "model change.",
        ),
        OptionSpec(
            "max-latency-regression",
            "float",
            2.0,
            "Warn (or fail with --fail-on-drift) when p50 latency exceeds this multiple of the baseline's "
            "and rose by at least --drift-floor-ms.",
            minimum=1.0,
            maximum=1000.0,
        ),
        OptionSpec(
            "drift-floor-ms",
            "float",
            50.0,
            "A p50 latency rise smaller than this many milliseconds is never a latency regression, whatever "
            "its multiple of the baseline's (a 13 ms p50 against a 1 ms baseline is no drift).",
            minimum=0.0,
            maximum=3_600_000.0,
        ),
        OptionSpec("fail-on-drift", "bool", False, "Turn baseline drift into failures."),
        OptionSpec(
            "fail-on-warn",
            "bool",
            False,
            "Turn warnings into failures (strict pipelines).",
        ),
    ),
    *_group(
        "Reports and outputs",
        "run",
        OptionSpec("json", "path", None, "Write the JSON report to this path."),
        OptionSpec("junit", "path", None, "Write a JUnit XML report to this path."),
        OptionSpec(
            "summary",
            "path",
            None,
            "Append the Markdown summary to this file [default: $GITHUB_STEP_SUMMARY when set].",
        ),
        OptionSpec(
            "mode",
            "choice",
            "enforce",
            "enforce: exit non-zero on failure; report: exit 0 after writing every report (a configuration "
            "error still exits 2: nothing was sent, there is nothing to monitor).",
            choices=("enforce", "report"),
        ),
    ),
    *_group(
        "Runbook and decision record",
        "run",
        OptionSpec(
            "phase",
            "choice",
            None,
            "Release phase for the decision record.",
            choices=("pre-deploy", "canary", "post-deploy", "rollback"),
        ),
        OptionSpec(
            "rollback-on",
            "str",
            "auth,request,endpoint,contract,leak",
            "Failure classes that decide 'rollback' (not 'hold') in the canary and post-deploy phases: the "
            "runbook's rollback triggers, comma-separated.",
        ),
        OptionSpec("change-id", "str", None, "Change or ticket id for the decision record."),
        OptionSpec(
            "deployment-version",
            "str",
            None,
            "Deployment version for the decision record [default: $GITHUB_SHA, $CI_COMMIT_SHA or "
            "$GIT_COMMIT].",
        ),
        OptionSpec(
            "config-version",
            "str",
            None,
            "Configuration version for the decision record.",
        ),
        OptionSpec("reviewer", "str", None, "Reviewer, for the decision record."),
        OptionSpec(
            "docs-checked",
            "bool",
            None,
            "The integration docs were checked for this change (decision record).",
        ),
        OptionSpec(
            "endpoint-reference-checked",
            "bool",
            None,
            "The API endpoint reference was checked for this change (decision record).",
        ),
        OptionSpec(
            "secret-version",
            "str",
            None,
            "Version or rotation id of the API key secret (never the key), for the decision record.",
        ),
        OptionSpec("notes", "str", None, "Free-text notes for the decision record."),
    ),
    *_group(
        "Pre-flight checklist",
        "run",
        OptionSpec(
            "preflight",
            "path",
            None,
            "Pre-flight checklist file (TOML or YAML) with the items below; an item's option wins over the "
            "file.",
        ),
        OptionSpec(
            "require-preflight",
            "bool",
            False,
            "A missing pre-flight item is a configuration error, before anything is sent (recommended for "
            "production canary and post-deploy runs).",
        ),
        *(OptionSpec(item.key, "str", None, f"Pre-flight: {item.label}.") for item in PREFLIGHT_ITEMS),
    ),
    *_group(
        "Monitoring",
        "run",
        OptionSpec(
            "log-format",
            "choice",
            "human",
            "Console output: human lines, or json (one JSON object per event: run start, each attempt, each "
            "check, the verdict; docs/monitoring.md).",
            choices=("human", "json"),
        ),
        OptionSpec(
            "metrics-file",
            "path",
            None,
            "Write the run's metrics in the Prometheus text format to this file (node_exporter textfile "
            "collector).",
        ),
        OptionSpec(
            "pushgateway",
            "str",
            None,
            "Push the run's metrics to this Prometheus Pushgateway URL; a pushgateway that is down or slow "
            "is a "
            "warning, never a failure, and costs at most a few seconds.",
        ),
    ),
)
GROUPS: tuple[str, ...] = tuple(dict.fromkeys(spec.group for spec in OPTIONS))  # in table order
OPTIONS_BY_NAME: dict[str, OptionSpec] = {spec.name: spec for spec in OPTIONS}
