"""Writing Server-Sent Event streams: whole, without `[DONE]`, or split into awkward pieces."""

from __future__ import annotations

from typing import Any

from gate.simulator.exchange import Exchange
from gate.simulator.responses import SPLIT_PAUSES, new_request_id, split_stream, sse_event

SSE_HEADERS = [("Content-Type", "text/event-stream; charset=utf-8"), ("Cache-Control", "no-cache")]


def send_stream(
    ex: Exchange, events: list[Any], headers: list[tuple[str, str]] | None = None, *, chunked: bool = True
) -> None:
    """Send SSE events (dicts are JSON-encoded; strings verbatim, e.g. ``[DONE]``)."""
    all_headers = [*SSE_HEADERS, ("x-request-id", new_request_id()), *(headers or [])]
    if not ex.start(200, all_headers, framing="chunked" if chunked else "close"):
        return
    for event in events:
        if not ex.write(event if isinstance(event, bytes) else sse_event(event)):
            return
    ex.finish()


def stream_with_done(
    ex: Exchange, chunks: list[dict[str, Any]], headers: list[tuple[str, str]] | None
) -> None:
    send_stream(ex, [*chunks, "[DONE]"], headers)


def stream_without_done(
    ex: Exchange, chunks: list[dict[str, Any]], headers: list[tuple[str, str]] | None
) -> None:
    send_stream(ex, chunks, headers)


def stream_split_pieces(
    ex: Exchange, chunks: list[dict[str, Any]], headers: list[tuple[str, str]] | None
) -> None:
    """Chunks + ``[DONE]`` as :func:`split_stream` pieces: one flushed write (HTTP chunk) each, with
    1-5 ms pauses."""
    pieces = split_stream(chunks)
    ex.no_delay()
    all_headers = [*SSE_HEADERS, ("x-request-id", new_request_id()), *(headers or [])]
    if not ex.start(200, all_headers, framing="chunked"):
        return
    for i, piece in enumerate(pieces):
        if not ex.write(piece):
            return
        if i + 1 < len(pieces) and ex.wait(SPLIT_PAUSES[i % len(SPLIT_PAUSES)]):
            return
    ex.finish()


#: Azure OpenAI's first stream event: the prompt's content-filter verdict, with no choices and empty id,
#: model and object (microsoft/autogen#6465, recorded with curl; docs/dialects.md).
AZURE_PROMPT_FILTER_CHUNK = (
    '{"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[{"prompt_index":0,'
    '"content_filter_results":{"hate":{"filtered":false,"severity":"safe"},"jailbreak":{"filtered":false,'
    '"detected":false},"self_harm":{"filtered":false,"severity":"safe"},"sexual":{"filtered":false,'
    '"severity":"safe"},"violence":{"filtered":false,"severity":"safe"}}}]}'
)


def stream_azure(ex: Exchange, chunks: list[dict[str, Any]], headers: list[tuple[str, str]] | None) -> None:
    """Azure's stream: the prompt-filter event first, then the chunks and ``[DONE]``."""
    send_stream(ex, [AZURE_PROMPT_FILTER_CHUNK, *chunks, "[DONE]"], headers)
