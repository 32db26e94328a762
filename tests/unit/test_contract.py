"""The contract's JSON Schemas are valid Draft 2020-12 schemas (checked here, not on every run)."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from gate.core import contract


@pytest.mark.parametrize(
    "name",
    [
        "chat_completion",
        "chat_completion_chunk",
        "response_object",
        "response_stream_event",
        "embeddings",
        "chat_completion_request",
        "responses_request",
        "embeddings_request",
    ],
)
def test_contract_schema_is_valid(name: str) -> None:
    Draft202012Validator.check_schema(contract.schema(name))
