"""Which secrets the request-body scan finds, beside Yelp's detect-secrets' regex plugins on the same text.

    .venv/bin/python bench/secret_rules.py          # a Markdown table (docs/performance.md, "Secret rules")

Each sample is one secret in the shape its issuer documents, embedded in a sentence, and each harmless text is
something a request file holds (prose, UUIDs, digests, model names). The gate's column is `scan` on
`{"content": text}`; detect-secrets' column is every regex plugin's `analyze_string` (not the entropy and
keyword plugins, which flag any random-looking string). Needs detect-secrets installed (the test extra).
Samples are assembled at run time so that no secret scanner flags this file.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from pathlib import Path

from bench import NOISY_PLUGINS  # bench/bench.py, beside this script
from gate.config.payload_scan import scan

_B = "a1B2c3D4e5F6g7H8i9J0"
SAMPLES: list[tuple[str, str, str]] = [  # (the brief's kind, variant, text)
    (
        "JWT",
        "HS256, in a header",
        "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0" + ".c2lnbmF0dXJl",
    ),
    (
        "JWT",
        "bare, in prose",
        "the session is eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJhIn0" + ".QUJD ok",
    ),
    ("AWS access key id", "AKIA", "key id AKIA" + "Q3EXAMPLE7WZ4K2M here"),
    ("AWS access key id", "ASIA (temporary)", "key id ASIA" + "Z7Q2EXAMPLE4M9KD here"),
    (
        "AWS secret access key",
        "quoted assignment",
        'aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/' + 'bPxRfiCYEXAMPLEKEY"',
    ),
    (
        "AWS secret access key",
        "in prose",
        "my AWS secret is wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY, ok",
    ),
    ("GitHub", "ghp_", "token gh" + "p_" + _B + "k1L2m3N4o5P6q7R8 ok"),
    ("GitHub", "gho_", "token gh" + "o_" + _B + "k1L2m3N4o5P6q7R8 ok"),
    ("GitHub", "ghs_", "token gh" + "s_" + _B + "k1L2m3N4o5P6q7R8 ok"),
    ("GitHub", "ghu_", "token gh" + "u_" + _B + "k1L2m3N4o5P6q7R8 ok"),
    ("GitHub", "ghr_", "token gh" + "r_" + _B + "k1L2m3N4o5P6q7R8 ok"),
    ("GitHub", "github_pat_", "pat github" + "_pat_11ABCDEFG0" + _B[:12] + "_" + _B * 3 + " ok"),
    ("GitLab", "glpat-", "token gl" + "pat-" + _B + " ok"),
    ("GitLab", "glpat- routable (dotted)", "token gl" + "pat-" + _B + "xY.01.0r1nq5k8a ok"),
    ("GitLab", "glcbt- (CI/CD job)", "token gl" + "cbt-64_" + _B + " ok"),
    ("GitLab", "gldt- (deploy)", "token gl" + "dt-" + _B + " ok"),
    ("GitLab", "glrt- (runner)", "token gl" + "rt-" + _B + " ok"),
    ("GitLab", "gloas- (OAuth secret)", "token gl" + "oas-" + _B * 3 + "abcd ok"),
    ("GitLab", "glffct- (feature flags)", "token gl" + "ffct-" + _B + " ok"),
    ("Slack", "xoxb-", "bot xo" + "xb-1234567890-1234567890123-" + _B + "abcd ok"),
    ("Slack", "xoxp-", "user xo" + "xp-1234567890-1234567890-1234567890-" + _B * 2 + " ok"),
    ("Slack", "xoxe.xoxp- (rotating)", "refresh xo" + "xe.xoxp-1-Mi0yLTEyMzQ1Njc4OTAtMTIzNDU2Nzg5MA ok"),
    ("Slack", "xapp- (app-level)", "app xa" + "pp-1-A0123456789-1234567890123-" + _B + " ok"),
    ("Slack", "webhook URL", "post to https://hooks.slack.com/" + "services/T0000/B0000/" + _B + "abcd ok"),
    ("Google", "AIza", "maps key AI" + "zaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6q ok"),
    ("sk-", "OpenAI sk-proj- (T3BlbkFJ form)", "key sk-" + "proj-" + _B + "T3Blbk" + "FJ" + _B + " ok"),
    ("sk-", "OpenAI sk-proj- (other)", "key sk-" + "proj-" + _B * 2 + " ok"),
    ("sk-", "Anthropic sk-ant-", "key sk-" + "ant-api03-" + _B * 4 + "-AbCdEf ok"),
    ("sk-", "other gateways (sk- + 48)", "key sk-" + _B * 2 + "abcdefgh ok"),
    (
        "PEM private key",
        "RSA",
        "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfV\n-----END RSA P",
    ),
    ("PEM private key", "PKCS#8", "-----BEGIN " + "PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0B\n-----END P"),
    ("PEM private key", "PKCS#8 encrypted", "-----BEGIN " + "ENCRYPTED PRIVATE KEY-----\nMIIFHzBJBgkqhkiG"),
    ("PEM private key", "OpenSSH", "-----BEGIN " + "OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA"),
    ("PEM private key", "PGP", "-----BEGIN PGP " + "PRIVATE KEY BLOCK-----\n\nlQOYBF0AAAAB"),
]
HARMLESS = [
    "Reply with exactly one word: pong. Classify the ticket by category and priority.",
    "request 123e4567-e89b-12d3-a456-426614174000 and trace 9F2B6C1A-0D3E-4F5A-8B7C-6D5E4F3A2B1C",
    "sha1 3f786850e387550fdab836ed7e6dc881de23001b, the AWS secret rotation commit",
    "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "gpt-4o-mini-2024-07-18, claude-3-5-sonnet-20241022, gemini-1.5-pro-002, deepseek-chat",
    "the token budget is 256 and the key point is the secret sauce",
]


def detect_secrets_plugins() -> list[type]:
    """Every regex plugin class of detect-secrets (none of NOISY_PLUGINS)."""
    from detect_secrets.plugins.base import RegexBasedDetector

    folder = Path(importlib.import_module("detect_secrets.plugins").__path__[0])
    classes = []
    for path in sorted(folder.glob("*.py")):
        if path.stem in NOISY_PLUGINS:
            continue
        module = importlib.import_module(f"detect_secrets.plugins.{path.stem}")
        classes += [
            c
            for _, c in inspect.getmembers(module, inspect.isclass)
            if issubclass(c, RegexBasedDetector) and c.__module__ == module.__name__
        ]
    return classes


def ds_finds(plugins: list[type], text: str) -> list[str]:
    return sorted(
        {p.__name__.removesuffix("Detector") for p in plugins if any(True for _ in p().analyze_string(text))}
    )


def main() -> int:
    try:
        plugins = detect_secrets_plugins()
    except ImportError:
        print("detect-secrets is not installed: pip install -e '.[test]'", file=sys.stderr)
        return 2
    from importlib.metadata import version

    print(f"detect-secrets {version('detect-secrets')}, {len(plugins)} regex plugins\n")
    print("| kind | sample | gate (`gate/config/secret_rules.py`) | detect-secrets regex plugins |")
    print("|---|---|---|---|")
    gate_hits = ds_hits = 0
    for kind, variant, text in SAMPLES:
        found = sorted({f.kind for f in scan({"content": text})})
        ds = ds_finds(plugins, text)
        gate_hits += bool(found)
        ds_hits += bool(ds)
        print(
            f"| {kind} | {variant} | {', '.join(found) or '**missed**'} | {', '.join(ds) or '**missed**'} |"
        )
    print(f"| **found** | {len(SAMPLES)} samples | **{gate_hits}** | **{ds_hits}** |")
    gate_false = sum(bool(scan({"content": t})) for t in HARMLESS)
    ds_false = sum(bool(ds_finds(plugins, t)) for t in HARMLESS)
    print(f"| **flagged harmless** | {len(HARMLESS)} texts | {gate_false} | {ds_false} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
