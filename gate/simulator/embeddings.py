"""OpenAI's Embeddings API (``POST /v1/embeddings``): request validation and the list of vectors, healthy
or with one of the ``embeddings_*`` faults.

Sources: openai/openai-python ``src/openai/types/create_embedding_response.py``, ``embedding.py`` and
``embedding_create_params.py``; its ``resources/embeddings.py`` asks for ``encoding_format: "base64"`` when
the caller names none and decodes each embedding as little-endian float32.
"""

from __future__ import annotations

import base64
import hashlib
import math
import random
import struct
from typing import Any

from gate.simulator.exchange import Exchange
from gate.simulator.responses import count_tokens

DEFAULT_DIMENSIONS = 256
MAX_DIMENSIONS = 4096
MAX_INPUTS = 2048
#: The Embeddings faults (scenario ``embeddings_<fault>``); ``ok`` is the healthy answer.
FAULTS = ("ok", "ragged", "nan", "empty", "count")


def validate(payload: Any) -> tuple[str, str] | None:
    """Check an Embeddings request body; returns ``(param, message)`` describing the problem or None."""
    if not isinstance(payload, dict):
        return "input", "Request body must be a JSON object"
    if not isinstance(payload.get("model"), str) or not payload["model"]:
        return "model", "you must provide a model parameter"
    if not inputs(payload):
        return "input", f"'input' must be a non-empty string or an array of 1-{MAX_INPUTS} non-empty strings"
    if payload.get("encoding_format") not in (None, "float", "base64"):
        return "encoding_format", "'encoding_format' must be 'float' or 'base64'"
    dimensions = payload.get("dimensions")
    valid = isinstance(dimensions, int) and not isinstance(dimensions, bool) and dimensions >= 1
    if dimensions is not None and not (valid and dimensions <= MAX_DIMENSIONS):
        return "dimensions", f"'dimensions' must be an integer between 1 and {MAX_DIMENSIONS}"
    return None


def inputs(payload: dict[str, Any]) -> list[str]:
    """The texts to embed ([] when ``input`` is not a non-empty string or a list of them)."""
    given = payload.get("input")
    if isinstance(given, str):
        return [given] if given else []
    valid = isinstance(given, list) and 0 < len(given) <= MAX_INPUTS
    return list(given) if valid and all(isinstance(text, str) and text for text in given) else []


def vector(text: str, dimensions: int) -> list[float]:
    """A deterministic unit vector for ``text`` (the same text always gives the same vector)."""
    rng = random.Random(hashlib.sha256(text.encode("utf-8")).digest())
    raw = [rng.gauss(0.0, 1.0) for _ in range(dimensions)]
    norm = math.sqrt(sum(x * x for x in raw)) or 1.0
    return [round(x / norm, 8) for x in raw]


def as_base64(values: list[float]) -> str:
    """The vector as base64 of little-endian float32, as the API sends it for ``encoding_format: base64``."""
    return base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode("ascii")


def vectors(texts: list[str], dimensions: int, fault: str = "ok") -> list[list[float]]:
    """One vector per text, as ``fault`` shapes them: ``ragged`` halves every second one, ``nan`` puts a NaN
    in the first, ``empty`` gives none, ``count`` drops the last."""
    out = [vector(text, dimensions) for text in texts]
    if fault == "ragged":
        out = [v[: max(1, dimensions // 2)] if i % 2 else v for i, v in enumerate(out)]
    elif fault == "nan":
        out[0][min(1, dimensions - 1)] = math.nan
    elif fault == "empty":
        out = []
    elif fault == "count":
        out = out[:-1]
    return out


def embeddings_body(payload: dict[str, Any], fault: str = "ok", model: str | None = None) -> dict[str, Any]:
    """The ``list`` of embeddings for a valid request (a NaN is written as the bare JSON token ``NaN``)."""
    texts = inputs(payload)
    dimensions = payload.get("dimensions") or DEFAULT_DIMENSIONS
    encode = as_base64 if payload.get("encoding_format") == "base64" else (lambda values: values)
    data = [
        {"object": "embedding", "index": index, "embedding": encode(values)}
        for index, values in enumerate(vectors(texts, dimensions, fault))
    ]
    tokens = sum(count_tokens(text) for text in texts)
    return {
        "object": "list",
        "data": data,
        "model": model or payload["model"],
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


def answer(
    ex: Exchange, fault: str = "ok", headers: list[tuple[str, str]] | None = None, *, model: str | None = None
) -> None:
    """Answer a valid, authorised Embeddings request."""
    ex.send_json(200, embeddings_body(ex.payload, fault, model), headers=headers or (), request_id=True)
