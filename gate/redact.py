"""The Redactor: every byte the gate prints or writes passes through it.

It learns secrets before anything is printed and replaces each one, and the forms a server or a log
could turn it into (URL-encoded, base64, JSON-escaped), with a fixed mask.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import urllib.parse
from pathlib import Path

MASK = "***"


def _variants(secret: str) -> set[str]:
    """The forms a secret can take on its way through HTTP, JSON and logs."""
    forms = {
        secret,
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret, safe=""),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
    }
    raw = secret.encode("utf-8")
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        encoded = encode(raw).decode("ascii")
        forms.add(encoded)
        forms.add(encoded.rstrip("="))
    return {form for form in forms if form}


class Redactor:
    """Masks registered secrets in text. Thread-safe; registration is idempotent."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def register(self, secret: str | None) -> None:
        if not secret:
            return
        with self._lock:
            self._secrets.update(_variants(secret))
            # Longest first, so a longer form is never half-masked by a shorter one.
            ordered = sorted(self._secrets, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(s) for s in ordered))

    @property
    def secrets(self) -> frozenset[str]:
        return frozenset(self._secrets)

    def __call__(self, text: str) -> str:
        return self.redact(text)

    def redact(self, text: str) -> str:
        pattern = self._pattern
        if pattern is None or not text:
            return text
        # Again until nothing matches: a key that contains the mask ("a***b" in "aa***bb") can re-form around
        # it. Every pass shortens the text (each form is longer than the mask), so this ends.
        while pattern.search(text):
            text = pattern.sub(MASK, text)
        return text

    def redact_obj(self, value: object) -> object:
        """Redact every string inside a JSON-like structure (keys included)."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return {self.redact(str(k)): self.redact_obj(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.redact_obj(v) for v in value]
        return value

    def contains_secret(self, text: str) -> bool:
        pattern = self._pattern
        return bool(pattern and pattern.search(text))

    def scan_and_scrub(self, path: Path) -> bool:
        """Scan a file the gate wrote; if a secret is found, scrub it in place and return True."""
        try:
            text = path.read_text(encoding="utf-8", errors="surrogateescape")
        except OSError:
            return False
        if not self.contains_secret(text):
            return False
        path.write_text(self.redact(text), encoding="utf-8", errors="surrogateescape")
        return True
