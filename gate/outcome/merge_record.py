"""The run-wide settings of a merged run, from its jobs' reports: what the jobs recorded, stated once.

The decision record, the summary's rollback plan and the JUnit properties read run-wide settings
(`RunSettings`: phase, change id, versions, reviewer, the pre-flight checklist). A merged run takes them from
its jobs' `decision_record`s: the value they agree on, or each distinct value once (`a, b`) when they differ
(a change id only with --allow-mixed-changes: gate/outcome/merge.py refuses it otherwise). A checklist item
is on record only when every job that checked the list had it. The CI run's own context (run URL, actor,
ref) is the merge job's when it has one. The decision to roll back stays each job's own (it knew its
--rollback-on): the merged run's rollback triggers are empty, so it rolls back only when a job decided to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from gate.config.options import PREFLIGHT_ITEMS
from gate.config.preflight import Preflight, RecordInputs
from gate.config.settings import RunSettings


def _values(records: Sequence[Mapping[str, Any]], key: str) -> list[str]:
    """The distinct values the jobs recorded for `key`, in job order."""
    return list(dict.fromkeys(str(r[key]) for r in records if r.get(key)))


def _joined(records: Sequence[Mapping[str, Any]], key: str) -> str | None:
    return ", ".join(_values(records, key)) or None


def _every_job_says_yes(records: Sequence[Mapping[str, Any]], key: str) -> bool | None:
    """yes when every job recorded yes, no when one recorded no, else unknown."""
    values = [r.get(key) for r in records]
    if "no" in values:
        return False
    return True if values and all(v == "yes" for v in values) else None


def _preflight(bodies: Sequence[Mapping[str, Any]]) -> Preflight:
    """The items every job that checked the pre-flight list had on record (its `preflight` check)."""
    given = [
        _given(check.get("details") or {})
        for body in bodies
        for check in body.get("checks") or []
        if check.get("id") == "preflight"
    ]
    if not given:
        return Preflight()
    items = {}
    for item in PREFLIGHT_ITEMS:
        values = [str(g.get(item.label) or "") for g in given]
        if all(values):
            items[item.key] = ", ".join(dict.fromkeys(values))
    return Preflight(items, None, False, True)


def _given(details: Mapping[str, Any]) -> Mapping[str, Any]:
    given = details.get("given")  # display data the schema leaves open
    return given if isinstance(given, Mapping) else {}


def merged_settings(
    base: RunSettings, bodies: Sequence[Mapping[str, Any]], notices: Sequence[str], first_report: Path
) -> RunSettings:
    """`base` (the merge's own report paths and mode) with the jobs' record. `targets` is set (to the first
    report) so that even a merge of one job has the several-targets shape: one target per job, by name."""
    records = [body.get("decision_record") or {} for body in bodies]
    phases = _values(records, "phase")
    said = list(notices)
    if len(phases) > 1:
        said.append(f"the jobs ran in different phases ({', '.join(phases)}): each job's decision stands")
    own = base.record
    record = RecordInputs(
        reviewer=_joined(records, "reviewer"),
        docs_checked=_every_job_says_yes(records, "docs_checked"),
        endpoint_reference_checked=_every_job_says_yes(records, "endpoint_reference_checked"),
        secret_version=_joined(records, "secret_version"),
        notes=_joined(records, "notes"),
        run_url=own.run_url or _joined(records, "run_url"),
        actor=own.actor or _joined(records, "actor"),
        ref=own.ref or _joined(records, "ref"),
    )
    return replace(
        base,
        targets=first_report,
        phase=phases[0] if len(phases) == 1 else None,
        change_id=_joined(records, "change_id"),
        deployment_version=_joined(records, "deployment_version"),
        config_version=_joined(records, "config_version"),
        rollback_on=frozenset(),
        record=record,
        preflight=_preflight(bodies),
        notices=tuple(dict.fromkeys((*base.notices, *said))),
    )
