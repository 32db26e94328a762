"""Helpers for tests that drive the gate below the CLI."""

from __future__ import annotations

from collections.abc import Mapping

from gate.config import GateConfig, resolve


def target_config(flags: Mapping[str, object], env: Mapping[str, str] | None = None) -> GateConfig:
    """The config of the single target that `flags` and `env` resolve to."""
    run = resolve(flags, env or {})
    assert len(run.targets) == 1
    return run.targets[0].config
