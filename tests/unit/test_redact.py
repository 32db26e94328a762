"""The Redactor masks the key in every form a server or a log can give it."""

from __future__ import annotations

import base64
import json
import urllib.parse

import pytest

from gate.core.redact import MASK, Redactor

KEYS = ["sk-abc123def456", "k3y+with/slash=and&amp", "a.b*c?d(e)[f]{g}|h^$", "ключ-секрет-12345", "x" * 512]


@pytest.mark.parametrize("key", KEYS)
def test_every_form_is_masked(key):
    redactor = Redactor()
    redactor.register(key)
    forms = [
        key,
        f"Bearer {key}",
        urllib.parse.quote(key, safe=""),
        urllib.parse.quote_plus(key),
        json.dumps({"k": key}),
        base64.b64encode(key.encode()).decode(),
    ]
    for form in forms:
        out = redactor.redact(f"before {form} after")
        assert key not in out
        assert not redactor.contains_secret(out), out
        assert out.startswith("before ") and out.endswith(" after")


def test_a_key_containing_the_mask_cannot_re_form_around_it():
    redactor = Redactor()
    redactor.register("ab***cd-123")
    # one pass would turn "ab" + key + "cd-123" into the key again
    assert redactor.redact("abab***cd-123cd-123") == "***"


def test_unregistered_text_is_untouched_and_empty_key_ignored():
    redactor = Redactor()
    redactor.register("")
    redactor.register(None)
    assert redactor.redact("nothing secret here") == "nothing secret here"


def test_redact_obj_masks_keys_and_values():
    redactor = Redactor()
    redactor.register("sk-secret-value")
    out = redactor.redact_obj({"sk-secret-value": ["x sk-secret-value", 3, None]})
    assert out == {MASK: [f"x {MASK}", 3, None]}


def test_scan_and_scrub(tmp_path):
    redactor = Redactor()
    redactor.register("sk-secret-value")
    clean = tmp_path / "clean.txt"
    clean.write_text("nothing")
    dirty = tmp_path / "dirty.txt"
    dirty.write_text("token=sk-secret-value")
    assert redactor.scan_and_scrub(clean) is False
    assert redactor.scan_and_scrub(dirty) is True
    assert dirty.read_text() == f"token={MASK}"
    assert redactor.scan_and_scrub(tmp_path / "missing.txt") is False


def test_a_key_split_by_invisible_characters_is_masked_as_one():
    """A server that echoes the key with zero-width characters inside shows a person the whole key."""
    from gate.core.redact import MASK, Redactor

    key = "sk-live-0123456789abcdefXYZ"
    redactor = Redactor()
    redactor.register(key)
    split = "echo: " + "\u200b".join(key[i : i + 3] for i in range(0, len(key), 3)) + " ⚠\ufe0f"
    assert redactor.redact(split) == f"echo: {MASK} ⚠"
    assert redactor.redact("⚠\ufe0f fine") == "⚠\ufe0f fine"  # no secret: the text is left as it is
    assert redactor.contains_secret(split)
