"""A CometAPI-compatible (OpenAI Chat Completions) HTTP server that injects faults on demand.

``Simulator(scenario=...)`` serves one scenario by default; ``sim.url_for(name)`` gives a base URL under
``/s/<name>`` whose requests are served as scenario ``name``. ``SCENARIOS`` lists them all.
"""

from gate.simulator.handler import LoggedRequest
from gate.simulator.scenarios import (
    SCENARIOS,
    WAITING_SCENARIOS,
    Scenario,
    closest_scenarios,
    unknown_scenario_hint,
)
from gate.simulator.server import DEFAULT_API_KEY, DEFAULT_MODEL, Simulator

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_MODEL",
    "SCENARIOS",
    "WAITING_SCENARIOS",
    "LoggedRequest",
    "Scenario",
    "Simulator",
    "closest_scenarios",
    "unknown_scenario_hint",
]
