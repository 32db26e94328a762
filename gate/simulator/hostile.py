"""Hostile answers: the key echoed back, redirects away, text that attacks terminals and report formats."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import quote

from gate.simulator.behaviours import comet_error, complete
from gate.simulator.exchange import Exchange
from gate.simulator.responses import EVIL_REDIRECT, comet_request_id, error_body


def echo_key(ex: Exchange) -> None:
    """Ok (any key accepted), echoing the presented key in a header and in the body."""
    key = ex.presented_key
    extra = {"debug": {"auth": f"Bearer {key}", "auth_urlencoded": quote(key, safe="")}}
    complete(
        ex,
        check_auth=False,
        tweak=lambda c: replace(c, system_fingerprint=key, extra=extra),
        headers=[("x-echo-authorization", f"Bearer {key}")],
    )


def echo_key_error(ex: Exchange) -> None:
    """401 whose message and ``x-echo-authorization`` header contain the presented key."""
    key = ex.presented_key
    headers = [("x-echo-authorization", f"Bearer {key}")]
    comet_error(ex, 401, f"Invalid token {key}", "invalid_api_key", headers=headers)


def redirect(ex: Exchange) -> None:
    """301 to a foreign host."""
    body = b"<html><body>Moved Permanently. Redirecting to <a href='%s'>here</a>.</body></html>"
    ex.send(301, body % EVIL_REDIRECT.encode(), "text/html", [("Location", EVIL_REDIRECT)])


def redirect_same_host(ex: Exchange) -> None:
    """308 to ``/v2/chat/completions`` on this server."""
    target = f"{ex.base_url}/v2/chat/completions"
    ex.send(308, b"<html><body>Permanent Redirect</body></html>", "text/html", [("Location", target)])


def control_chars(ex: Exchange) -> None:
    """500 whose message is hostile to terminals, HTML, Markdown tables and log size limits."""
    message = (
        "\x1b[31mupstream exploded\x1b[0m \x07\x08\x0b 🔥💥 | col | <script>alert('x')</script> "
        "`rm -rf /` ```code``` " + "A" * 10_240 + f" (request id: {comet_request_id()})"
    )
    body = error_body(message, "comet_api_error", "internal_error")
    ex.send_json(500, body, ascii_only=False)
