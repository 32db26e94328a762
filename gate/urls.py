"""Base URLs: normalising one to the API root, and telling loopback hosts apart."""

from __future__ import annotations

import ipaddress
import urllib.parse


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def normalize_base_url(url: str) -> tuple[str, str]:
    """(api root ending in exactly one /v1, host). Raises ValueError with the problem."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        raise ValueError(
            "needs an http:// or https:// scheme"
            if not parts.scheme
            else f"scheme '{parts.scheme}' is not http or https"
        )
    if not parts.hostname:
        raise ValueError("has no host")
    if parts.username or parts.password:
        raise ValueError("must not carry credentials")
    if parts.query or parts.fragment:
        raise ValueError("must not carry a query or fragment")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise ValueError("has an invalid port") from None
    path = parts.path.rstrip("/")
    for suffix in ("/chat/completions", "/v1"):
        if path.endswith(suffix):
            path = path[: -len(suffix)].rstrip("/")
    root = urllib.parse.urlunsplit((parts.scheme, parts.netloc, f"{path}/v1", "", ""))
    return root, parts.hostname
