"""Render the job summary of a passing and a failing run, as GitHub would show them, into docs/examples/.

Runs the gate against the built-in simulator (sim://ok, sim://auth), renders each Markdown summary to HTML
with cmark-gfm (GitHub's Markdown engine) and, when Chromium is installed, takes a PNG screenshot of it.
Usage: python scripts/render_summary_examples.py
"""

from __future__ import annotations

import html
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


def main() -> int:
    cmark = shutil.which("cmark-gfm")
    if cmark is None:
        print("cmark-gfm is required (apt-get install cmark-gfm)", file=sys.stderr)
        return 2
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    OUT.mkdir(parents=True, exist_ok=True)
    for name, (base_url, change_id) in RUNS.items():
        markdown = OUT / f"{name}.md"
        markdown.unlink(missing_ok=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "gate",
                "run",
                "--base-url",
                base_url,
                "--environment",
                "staging",
                "--change-id",
                change_id,
                "--deployment-version",
                "v2.14.0-rc.1",
                "--summary",
                str(markdown),
            ],
            cwd=ROOT,
            capture_output=True,
            check=False,
            env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
        )
        body = subprocess.run(
            [cmark, "--extension", "table", "--extension", "autolink"],
            input=markdown.read_text(encoding="utf-8"),
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
            if chromium:
                _screenshot(chromium, html_path, OUT / f"{name}.png")
        print(
            f"wrote {markdown.relative_to(ROOT)}" + (" and .png" if chromium else " (no Chromium: no .png)")
        )
    return 0


def _screenshot(chromium: str, page: Path, png: Path) -> None:
    with tempfile.TemporaryDirectory() as profile:
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
                f"--user-data-dir={profile}",
                "--hide-scrollbars",
                "--window-size=1020,1180",
                f"--screenshot={png}",
                page.as_uri(),
            ],
            capture_output=True,
            check=True,
            timeout=120,
        )


if __name__ == "__main__":
    raise SystemExit(main())
