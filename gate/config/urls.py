"""Base URLs: normalising one to the API root, telling loopback hosts apart, and never printing the
credentials a URL may carry (userinfo, query values)."""

from __future__ import annotations

import ipaddress
import unicodedata
import urllib.parse
from collections.abc import Iterator, Mapping

from gate.core.redact import MASK

PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


def shown_url(url: str, limit: int = 200) -> str:
    """The URL as it may be printed: userinfo and every query value replaced by ***, cut to `limit`."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
    except ValueError:
        return MASK
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rpartition('@')[2]}"
    query = "&".join(
        f"{name}={MASK}" if sep else name
        for name, sep, _ in (item.partition("=") for item in parts.query.split("&") if item)
    )
    shown = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, ""))
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


MIN_SECRET = 8  # shorter values are not registered: masking "pass" would also mask every "PASS" label


def url_secrets(url: str | None) -> Iterator[str]:
    """What a URL carries that must never be printed (8 characters or more): its userinfo (whole,
    user:password and the password) and its query values. `shown_url` masks them whatever their length."""
    for value in _url_secrets(url):
        if len(value) >= MIN_SECRET:
            yield value


def _url_secrets(url: str | None) -> Iterator[str]:
    if not url:
        return
    try:
        parts = urllib.parse.urlsplit(url.strip())
    except ValueError:
        return
    userinfo = parts.netloc.rpartition("@")[0] if "@" in parts.netloc else ""
    if userinfo:
        yield userinfo
        yield urllib.parse.unquote(userinfo)
        password = userinfo.partition(":")[2]
        if password:
            yield password
            yield urllib.parse.unquote(password)
    for _, _, value in (item.partition("=") for item in parts.query.split("&") if item):
        yield value
        yield urllib.parse.unquote_plus(value)


def proxy_secrets(env: Mapping[str, str]) -> Iterator[str]:
    """The credentials in the proxy variables requests reads (HTTPS_PROXY=http://user:pass@proxy)."""
    for name in PROXY_VARIABLES:
        yield from url_secrets(env.get(name))


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def normalize_base_url(url: str) -> tuple[str, str]:
    """(api root ending in exactly one /v1, host). Raises ValueError with the problem. White space or a
    control character anywhere (urllib would drop a newline silently, and send a space), port 0 and an
    empty host are refused: nothing is sent to a URL that is not the one written."""
    bad = next((ch for ch in url.strip() if ch.isspace() or unicodedata.category(ch)[0] == "C"), None)
    if bad is not None:
        raise ValueError(f"contains {'white space' if bad.isspace() else 'a control character'} ({bad!r})")
    parts = urllib.parse.urlsplit(url.strip())
    problem = _problem(parts)
    if problem is not None:
        raise ValueError(problem)
    path = parts.path.rstrip("/")
    for suffix in ("/chat/completions", "/v1"):
        if path.endswith(suffix):
            path = path[: -len(suffix)].rstrip("/")
    root = urllib.parse.urlunsplit((parts.scheme, parts.netloc, f"{path}/v1", "", ""))
    return root, str(parts.hostname)


def _problem(parts: urllib.parse.SplitResult) -> str | None:
    """Why a split base URL cannot be the API's, or None."""
    if parts.scheme not in ("http", "https"):
        return (
            f"scheme '{parts.scheme}' is not http or https"
            if parts.scheme
            else "needs an http:// or https:// scheme"
        )
    if not parts.hostname:
        return "has no host"
    if parts.username or parts.password:
        return "must not carry credentials"
    if parts.query or parts.fragment:
        return "must not carry a query or fragment"
    try:
        port = parts.port
    except ValueError:
        return "has an invalid port"
    return "has port 0, which no server listens on" if port == 0 else None
