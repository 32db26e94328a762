"""cometapi-smoke-gate: a release gate for CometAPI (OpenAI-compatible) Chat Completions integrations."""

__version__ = "0.1.0"
