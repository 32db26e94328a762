"""Pushing the run's metrics to a Prometheus Pushgateway (`--pushgateway URL`).

One PUT per target to `/metrics/job/cometapi_smoke_gate/environment@base64/<e>/target@base64/<t>` (the
grouping key; base64 so any value is safe in a path), replacing that group's previous run. A pushgateway
that is down, slow or refusing is a warning, never a failure, and costs at most PUSH_TIMEOUT_S per target.
"""

from __future__ import annotations

import base64
import time

from gate.config.urls import shown_url
from gate.core.text import decode, one_line
from gate.http.client import new_session, send
from gate.http.transport_errors import TransportError

JOB = "cometapi_smoke_gate"
PUSH_TIMEOUT_S = 3.0
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _b64(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode("utf-8")).decode("ascii").rstrip("=") or "="


def group_url(base: str, environment: str, target: str) -> str:
    grouping = f"environment@base64/{_b64(environment)}/target@base64/{_b64(target)}"
    return f"{base.rstrip('/')}/metrics/job/{JOB}/{grouping}"


def push(base: str, environment: str, target: str, text: str) -> tuple[str | None, float]:
    """(a warning, or None when pushed; the seconds it took)."""
    started = time.monotonic()
    session = new_session(pool_size=1)
    try:
        response = send(
            session,
            "PUT",
            group_url(base, environment, target),
            headers={"Content-Type": CONTENT_TYPE},
            body=text.encode("utf-8"),
            connect_timeout=min(PUSH_TIMEOUT_S, 2.0),
            timeout=PUSH_TIMEOUT_S,  # a hard deadline: a pushgateway that drips cannot hold the gate
            max_bytes=64 * 1024,
        )
    except TransportError as error:
        return f"metrics not pushed to {shown_url(base)}: {error.message}", time.monotonic() - started
    finally:
        session.close()
    if not 200 <= response.status < 300:
        reason = one_line(decode(response.body, 200), 200)
        return (
            f"metrics not pushed to {shown_url(base)}: HTTP {response.status} {reason}",
            time.monotonic() - started,
        )
    return None, time.monotonic() - started
