"""Rule 2 (credentials in URLs): a password in the base URL or in the proxy URL, and a secret query value in
the base URL, never reach stdout, stderr or any report, whatever the run ends in."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile.server import (
    HostileServer,
    Run,
    closed_port,
    completion_bytes,
    response,
    run_gate,
)


def _places_holding(secret: str, run: Run) -> list[str]:
    """The outputs (stdout with its ::add-mask:: lines too, stderr, every artifact) that hold `secret`."""
    texts = run.outputs() | {"stdout (whole)": run.stdout}
    return [name for name, text in texts.items() if secret.lower() in text.lower()]


@pytest.mark.parametrize("github", [True, False], ids=["github-actions", "plain"])
def test_password_in_the_base_url_is_refused_and_never_printed(tmp_path: Path, github: bool):
    """Rule 2: --base-url https://user:s3cretPassw0rd@example.com exits 2 (config error) and the password
    appears nowhere: not in stdout, stderr or any report."""
    run = run_gate(tmp_path, "https://user:s3cretPassw0rd@example.com", github=github)
    assert run.exit_code == 2, run.describe()
    assert _places_holding("s3cretPassw0rd", run) == [], run.describe()


@pytest.mark.parametrize("variable", ["HTTPS_PROXY", "https_proxy"])
def test_password_in_the_proxy_url_is_never_printed(tmp_path: Path, variable: str):
    """Rule 2: HTTPS_PROXY=http://puser:pr0xyPassw0rd@127.0.0.1:<closed port> with an https base URL: the
    run fails (exit 1 or 3) and pr0xyPassw0rd is never printed or written."""
    proxy = f"http://puser:pr0xyPassw0rd@127.0.0.1:{closed_port()}"
    env = {variable: proxy, "NO_PROXY": None, "no_proxy": None}
    run = run_gate(tmp_path, f"https://127.0.0.1:{closed_port()}", env=env)  # type: ignore[arg-type]
    assert run.exit_code in (1, 3), run.describe()
    assert _places_holding("pr0xyPassw0rd", run) == [], run.describe()


def test_query_value_in_the_base_url_is_never_printed_in_full(tmp_path: Path):
    """Rule 2: a base URL query value (?token=abc123secretvalue) is never printed in full: the gate either
    refuses it without echoing the value, or shows it as ***."""
    server = HostileServer(lambda _request: response(200, completion_bytes("pong")))
    try:
        run = run_gate(tmp_path, f"{server.base_url}/v1?token=abc123secretvalue")
    finally:
        server.close()
    assert run.exit_code in (0, 1, 2, 3), run.describe()
    assert _places_holding("abc123secretvalue", run) == [], run.describe()


def test_password_echoed_by_a_live_proxy_is_never_printed(tmp_path: Path):
    """Rule 2: a live proxy that answers the CONNECT with 407 and echoes the credentials it received (decoded
    from Proxy-Authorization) in its reason, headers and body: pr0xyPassw0rd is still never printed."""
    import base64

    def answer(request: bytes) -> bytes:
        credentials = "none"
        for line in request.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"proxy-authorization":
                credentials = base64.b64decode(value.strip().split()[-1]).decode("latin-1")
        return response(
            407,
            f"proxy says: credentials {credentials} are not allowed".encode(),
            [("Proxy-Authenticate", f'Basic realm="{credentials}"'), ("X-Proxy-Echo", credentials)],
            reason=f"Proxy Authentication Required for {credentials}".encode(),
            content_type=b"text/plain",
        )

    proxy = HostileServer(answer)
    try:
        proxy_url = f"http://puser:pr0xyPassw0rd@127.0.0.1:{proxy.port}"
        env = {"HTTPS_PROXY": proxy_url, "NO_PROXY": None, "no_proxy": None}
        run = run_gate(tmp_path, f"https://127.0.0.1:{closed_port()}", env=env)  # type: ignore[arg-type]
        seen = list(proxy.requests)
    finally:
        proxy.close()
    assert seen and b"pr0xyPassw0rd" not in seen[0]  # sent as Basic credentials, echoed decoded
    assert b"proxy-authorization" in seen[0].lower(), "the proxy must have received the credentials"
    assert run.exit_code in (1, 3), run.describe()
    assert _places_holding("pr0xyPassw0rd", run) == [], run.describe()


@pytest.mark.parametrize(
    ("suffix", "problem"),
    [
        ("/v 1", "contains white space"),
        ("/v1\r\nHost: evil", "contains white space"),
        ("/v\n1", "contains white space"),
        ("/v1\t/x", "contains white space"),
        ("/v\x001", "contains a control character"),
        ("/v\u200b1", "contains a control character"),
        (":0/v1", "has port 0"),
    ],
)
def test_an_odd_base_url_is_a_config_error_and_nothing_is_sent(tmp_path: Path, suffix: str, problem: str):
    """A space would be sent, a newline silently dropped by urllib, port 0 read as 'connect, retry later':
    each is refused before anything is sent."""
    server = HostileServer(lambda _req: response(200, completion_bytes()))
    try:
        base = server.base_url + suffix if not suffix.startswith(":") else "http://127.0.0.1" + suffix
        run = run_gate(tmp_path, base, github=False)
    finally:
        server.close()
    assert run.exit_code == 2, run.describe()
    assert problem in run.stderr
    assert server.requests == []
    assert run.report["failure_class"] == "config"


@pytest.mark.parametrize("url", ["https://:443/v1", "https:///v1", "http://[]:80/"])
def test_a_base_url_without_a_host_is_a_config_error(tmp_path: Path, url: str):
    run = run_gate(tmp_path, url, github=False)
    assert run.exit_code == 2, run.describe()
    assert run.report["failure_class"] == "config"
