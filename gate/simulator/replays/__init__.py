"""Other servers' answers, replayed byte for byte: OpenAI-compatible providers, self-hosted servers and
relays behind a base URL. Each replay is one scenario (``<family>_<answer>``) whose every request gets the
same status, headers and body, taken from the server's source or documentation (``source``).
docs/dialects.md lists them with the gate's verdict; tests/integration/test_dialects.py holds the gate to it.
"""

from __future__ import annotations

from collections.abc import Callable

from gate.simulator.exchange import Exchange
from gate.simulator.replays.replay import Replay

__all__ = ["Replay", "behaviour", "every"]


def behaviour(replay: Replay) -> Callable[[Exchange], None]:
    """Every request, whatever its key or path, gets the replay's answer byte for byte."""
    body = replay.body.encode("utf-8")

    def answer(ex: Exchange) -> None:
        ex.send(replay.status, body, replay.content_type, replay.headers)

    return answer


def every() -> tuple[Replay, ...]:
    """Every replay, by family group (hosted providers, self-hosted servers, clouds and relays)."""
    from gate.simulator.replays import clouds, hosted, relays, self_hosted

    return (*hosted.REPLAYS, *self_hosted.REPLAYS, *clouds.REPLAYS, *relays.REPLAYS)
