"""One recorded answer of one server (`Replay`): what gate.simulator.replays plays back."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Replay:
    """One recorded answer of one server."""

    name: str  # the scenario name: <family>_<answer>, lower snake case
    family: str  # as docs/dialects.md names it: "Azure OpenAI", "vLLM", ...
    status: int
    body: str  # exactly as the server sends it
    source: str  # "owner/repo path/to/file.py Symbol" or the provider's documentation page
    headers: tuple[tuple[str, str], ...] = ()  # besides Content-Type and Content-Length
    content_type: str = "application/json"
    description: str = ""  # one line: what the answer means
