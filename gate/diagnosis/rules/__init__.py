"""What an error answer means, as data: rows that match on status, code, type and message and give the
class (and with it whether to retry: transient classes are) and the next step.

The tables are searched in this order and the first row that fits decides:
1. ``newapi``: the one-api / new-api gateway family CometAPI runs (docs/gateway.md);
2. ``relays``: gateways that relay other providers' errors (LiteLLM, Portkey, Cloudflare AI Gateway);
3. ``hosted``: hosted providers and their clouds (OpenAI, Azure, Anthropic, Gemini, OpenRouter, Cloudflare
   Workers AI, Groq, DeepSeek, Mistral, Together, Fireworks);
4. ``self_hosted``: servers a team runs itself (vLLM, text-generation-inference, llama.cpp, Ollama,
   LM Studio);
5. ``status``: what the HTTP status means on any server (RFC 9110) with OpenAI's codes.
Every row cites its source; docs/dialects.md lists the answers each row was written for.
"""

from __future__ import annotations

from gate.diagnosis.rules.row import Answer, Rule

__all__ = ["Answer", "Rule", "match", "tables"]


def tables() -> tuple[tuple[str, tuple[Rule, ...]], ...]:
    """The tables in the order they are searched (imported when something failed: a pass needs none)."""
    from gate.diagnosis.rules import hosted, newapi, relays, self_hosted, status

    return (
        ("newapi", newapi.RULES),
        ("relays", relays.RULES),
        ("hosted", hosted.RULES),
        ("self_hosted", self_hosted.RULES),
        ("status", status.RULES),
    )


def match(answer: Answer) -> tuple[str, Rule]:
    """(table name, the first row that applies); the status table's last row always does."""
    for table, rows in tables():
        for row in rows:
            if row.applies(answer):
                return table, row
    raise AssertionError("the status table ends with a row that always applies")
