"""preflight: the runbook's pre-flight checklist is on record (owners, previous known-good versions, the
feature flag and its rollback value, traffic router control, dashboard, channel, escalation path).

Missing items are a warning (class config under --fail-on-warn); with --require-preflight they are a
configuration error before anything is sent, so this check then never sees them.
"""

from __future__ import annotations

from gate.checks import RunContext
from gate.checks.results import CheckResult, Status
from gate.config.preflight import PREFLIGHT_ITEMS
from gate.core.failures import FailureClass


def check_preflight(ctx: RunContext) -> CheckResult:
    preflight = ctx.preflight
    assert preflight is not None, "planned only when a pre-flight checklist is in use"
    source = f" (from {preflight.file})" if preflight.file else ""
    given, missing = preflight.given, preflight.missing
    details = {
        "given": dict(given),
        "missing": missing,
        "file": str(preflight.file) if preflight.file else None,
    }
    if not missing:
        message = f"all {len(PREFLIGHT_ITEMS)} pre-flight items on record{source}"
        return CheckResult(id="preflight", status=Status.PASS, message=message, details=details)
    warning = (
        f"pre-flight items missing: {', '.join(missing)}; the rollback plan is incomplete "
        "(--require-preflight makes this a configuration error)"
    )
    return CheckResult(
        id="preflight",
        status=Status.WARN,
        message=f"{len(given)} of {len(PREFLIGHT_ITEMS)} pre-flight items on record{source}",
        details=details,
        warnings=(warning,),
        warning_class=FailureClass.CONFIG,
    )
