"""What a run whose configuration failed can still report: the settings and target fields that did resolve.

A configuration error sends nothing, but it still leaves evidence: the JSON report, JUnit, the summary, the
GitHub outputs and an annotation, all saying class `config` (exit 2). They are written where the settings
say, for whatever resolved; a bad value falls back to its default, and a report path that cannot be written
is reported, not written.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping

from gate.config.inputs import option_values
from gate.config.options import OPTIONS
from gate.config.resolve import GateConfig, RunConfig, Target, default_environment, resolve_settings
from gate.config.urls import shown_url


def fallback_run(flags: Mapping[str, object], env: Mapping[str, str]) -> RunConfig:
    """A RunConfig of one placeholder target, from lenient resolution: only for reporting a config error."""
    settings = resolve_settings(flags, env, lenient=True)
    values, sources = option_values([s for s in OPTIONS if not s.run_wide], flags, env, lenient=True)
    base_url = shown_url(str(values.pop("base_url") or ""))
    try:
        host = urllib.parse.urlsplit(base_url).hostname or "unknown"
    except ValueError:
        host = "unknown"
    values.update(api_key="", model=str(values.get("model") or "(not set)"))
    if not str(values.get("environment") or "").strip():
        values["environment"], sources["environment"] = default_environment(env)
    config = GateConfig(
        base_url=base_url,
        api_root=base_url,
        endpoint_host=host,
        sources=sources,
        **values,
    )
    return RunConfig(settings, (Target(None, config),))
