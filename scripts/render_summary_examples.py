"""Render the job summary of a passing and a failing run, as GitHub would show them, into docs/examples/.

Runs the gate against the built-in simulator (sim://ok, sim://auth) and writes each Markdown summary; with
cmark-gfm (GitHub's Markdown engine) and Chromium installed it also renders a PNG screenshot of each.
Nothing is deleted or replaced until the new file is complete.

Usage: python scripts/render_summary_examples.py [--check]
  --check   compare the committed Markdown with a fresh run (timings, times and request ids aside)
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "examples"
CSS = """
body { font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", "DejaVu Sans", sans-serif;
       font-size: 14px; line-height: 1.5; color: #1f2328; background: #fff;
       max-width: 980px; margin: 24px; }
h2 { font-size: 1.5em; border-bottom: 1px solid #d1d9e0; padding-bottom: .3em; }
h3 { font-size: 1.25em; }
table { border-collapse: collapse; margin: 0 0 16px; display: block; overflow: auto; }
th, td { border: 1px solid #d1d9e0; padding: 6px 13px; }
td:nth-child(-n+3) { white-space: nowrap; }
tr:nth-child(2n) { background: #f6f8fa; }
code { background: #eff1f3; border-radius: 6px; padding: .2em .4em; font-size: 85%; }
"""
RUNS = {"summary-pass": ("sim://ok", "CHG-2041"), "summary-fail": ("sim://auth", "CHG-2042")}
# What differs between two runs of the same scenario: durations, times and request ids.
_VARYING = [
    (re.compile(r"\d+ ms"), "N ms"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00"), "TIME"),
    (re.compile(r"req\\?_[0-9a-f]{24}"), "REQ"),
    (re.compile(r"\b20\d{12}[0-9a-f]{20}\b"), "GATEWAY-ID"),
]


def normalized(markdown: str) -> str:
    for pattern, stand_in in _VARYING:
        markdown = pattern.sub(stand_in, markdown)
    return markdown


def render_markdown(name: str) -> str:
    """One example's summary from a real run against the in-process simulator."""
    try:
        from gate.cli import run_gate
    except ImportError as exc:
        raise SystemExit(
            f"the gate is not installed ({exc}): run `pip install -e .` or `make demo` first"
        ) from None
    base_url, change_id = RUNS[name]
    with tempfile.TemporaryDirectory() as tmp:
        summary = Path(tmp) / "summary.md"
        flags = {
            "base_url": base_url,
            "environment": "staging",
            "phase": "canary",
            "change_id": change_id,
            "deployment_version": "v2.14.0-rc.1",
            "config_version": "gateway-config@41",
            "summary": str(summary),
        }
        with open(Path(tmp) / "log", "w", encoding="utf-8") as log:
            run_gate(flags, {"NO_COLOR": "1"}, stdout=log, stderr=log)
        return summary.read_text(encoding="utf-8")


def main(argv: list[str]) -> int:
    if "--check" in argv:
        stale = [n for n in RUNS if normalized(render_markdown(n)) != normalized(_committed(n))]
        for name in stale:
            print(f"docs/examples/{name}.md is stale: run python scripts/render_summary_examples.py")
        return 1 if stale else 0
    cmark = shutil.which("cmark-gfm")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    OUT.mkdir(parents=True, exist_ok=True)
    for name in RUNS:
        markdown = render_markdown(name)
        _replace(OUT / f"{name}.md", markdown.encode("utf-8"))
        note = ""
        if cmark is None or chromium is None:
            note = " (no PNG: install cmark-gfm and chromium to render one)"
        else:
            _screenshot(cmark, chromium, name, markdown)
        print(f"wrote docs/examples/{name}.md{note}")
    return 0


def _committed(name: str) -> str:
    path = OUT / f"{name}.md"
    return path.read_text(encoding="utf-8") if path.exists() else ""


def _replace(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _screenshot(cmark: str, chromium: str, name: str, markdown: str) -> None:
    body = subprocess.run(
        [cmark, "--extension", "table", "--extension", "autolink"],
        input=markdown,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(name)}</title>"
        f"<style>{CSS}</style></head><body>{body}</body></html>"
    )
    with tempfile.TemporaryDirectory() as tmp:
        html_path = Path(tmp) / f"{name}.html"
        html_path.write_text(page, encoding="utf-8")
        png = Path(tmp) / f"{name}.png"
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={tmp}/profile",
                "--hide-scrollbars",
                "--window-size=1020,1180",
                f"--screenshot={png}",
                html_path.as_uri(),
            ],
            capture_output=True,
            check=True,
            timeout=120,
        )
        _replace(OUT / f"{name}.png", png.read_bytes())


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
