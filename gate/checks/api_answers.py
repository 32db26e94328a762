"""The answer of the Embeddings API (--api embeddings), judged: the embedding vectors (one per input, in
index order, one dimension, every value finite, base64 that decodes to 4 bytes a value). The condition
(--expect) does not apply to them."""

from __future__ import annotations

import base64
import binascii
import math
import struct
from collections.abc import Mapping, Sequence
from typing import Any

from gate.checks import RunContext
from gate.checks.exchange import Exchange
from gate.checks.results import CheckResult, Status
from gate.config.resolve import GateConfig
from gate.core.failures import FailureClass
from gate.core.text import one_line

NOT_APPLICABLE = "the condition does not apply to embeddings"
VECTOR_HINT = (
    "The embedding vectors are not usable as they came (count, order, dimension or values): capture the "
    "response and check the model and channel serving --model; a search index fed these would be corrupt."
)


def vectors(payload: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    data = (payload or {}).get("data")
    return [item for item in data if isinstance(item, Mapping)] if isinstance(data, list) else []


def vector_problem(
    payload: Mapping[str, Any] | None,
    inputs: int,
    expect_dimensions: int | None,
    expected_by: str = "--expect-dimensions",
) -> tuple[str | None, str]:
    """(problem, summary) of an embeddings answer to `inputs` inputs: the problem is None when one vector
    per input came in index order, all of one dimension (`expect_dimensions` when given), every value
    finite; a base64 vector must decode to 4 bytes (a little-endian float32) per value."""
    items = vectors(payload)
    if len(items) != inputs:
        return f"{inputs} inputs were answered with {len(items)} vector(s)", ""
    indexes = [item.get("index") for item in items]
    if indexes != list(range(inputs)):
        return f"the vectors' indexes are {indexes[:8]}, not 0..{inputs - 1} in order", ""
    dimensions: list[int] = []
    for number, item in enumerate(items):
        values, problem = _values(item.get("embedding"))
        if problem is not None:
            return f"vector {number}: {problem}", ""
        bad = next((i for i, v in enumerate(values) if not _finite(v)), None)
        if bad is not None:
            return f"vector {number} holds {one_line(str(values[bad]), 20)} at {bad}: not a finite number", ""
        dimensions.append(len(values))
    if len(set(dimensions)) != 1:
        return f"the vectors differ in dimension: {dimensions}", ""
    dimension = dimensions[0]
    if dimension == 0:
        return "the vectors are empty (dimension 0)", ""
    if expect_dimensions is not None and dimension != expect_dimensions:
        return f"the vectors have {dimension} dimensions, not the {expected_by} {expect_dimensions}", ""
    return None, f"{inputs} vector(s) of {dimension} dimensions, every value finite"


def _values(embedding: Any) -> tuple[Sequence[Any], str | None]:
    """The vector's values: a list as it is, a base64 string decoded as little-endian float32."""
    if isinstance(embedding, list):
        return embedding, None
    if not isinstance(embedding, str):
        return [], f"the embedding is {type(embedding).__name__}, not a list of numbers or base64"
    try:
        raw = base64.b64decode(embedding, validate=True)
    except (binascii.Error, ValueError):
        return [], "the embedding is a string but not valid base64"
    if len(raw) % 4:
        return [], f"the base64 embedding decodes to {len(raw)} bytes, not a multiple of 4 (float32)"
    return list(struct.unpack(f"<{len(raw) // 4}f", raw)), None


def _finite(value: Any) -> bool:
    """A JSON number that is finite (a NaN / Infinity literal arrives as a NonFinite string)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def input_count(config: GateConfig) -> int:
    """How many vectors the request asks for: the gate's own sends two inputs; a request file's input is
    one string or token array, or an array of them."""
    if config.request_file is None:
        return 2
    value = config.request_file.body.get("input")
    if isinstance(value, list) and value and all(isinstance(item, str | list) for item in value):
        return len(value)
    return 1


def expected_dimensions(config: GateConfig) -> tuple[int | None, str]:
    """(dimension, who asked for it): --expect-dimensions, else the request file's `dimensions`."""
    if config.expect_dimensions is not None or config.request_file is None:
        return config.expect_dimensions, "--expect-dimensions"
    asked = config.request_file.body.get("dimensions")
    if isinstance(asked, int) and not isinstance(asked, bool):
        return asked, "dimensions the request file asks for:"
    return None, "--expect-dimensions"


def assert_embeddings(config: GateConfig, ex: Exchange) -> tuple[FailureClass | None, str]:
    expected, expected_by = expected_dimensions(config)
    problem, summary = vector_problem(ex.payload, input_count(config), expected, expected_by)
    return (FailureClass.CONTRACT, problem) if problem is not None else (None, summary)


def check_embeddings(ctx: RunContext) -> CheckResult:
    """The embedding vectors of the completion check's answer: count, order, dimension, finite values."""
    ex = ctx.state.first_exchange
    assert ex is not None, "embeddings runs only after completion passed"
    failure, message = assert_embeddings(ctx.config, ex)
    items = vectors(ex.payload)
    first = items[0].get("embedding") if items else None
    return CheckResult(
        id="embeddings",
        status=Status.FAIL if failure is not None else Status.PASS,
        message=message,
        failure_class=failure,
        hint=VECTOR_HINT if failure is not None else None,
        details={
            "vectors": len(items),
            "encoding": "base64" if isinstance(first, str) else "float",
            "expect_dimensions": expected_dimensions(ctx.config)[0],
        },
    )
