"""Body builders for the simulator: CometAPI/OpenAI-shaped completions, SSE chunks, errors and ids."""

from __future__ import annotations

import json
import re
import secrets
import string
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

EMBEDDING_MODEL = "text-embedding-3-small"
CHUNK_SIZE = 64 * 1024
REROUTED_MODEL = "gpt-4o-mini-2024-07-18-rerouted"
EVIL_REDIRECT = "https://evil.example.net/v1/chat/completions"
QUOTA_MESSAGE = "You exceeded your current quota, please check your plan and billing details"
WRONG_ANSWER = "I am unable to comply with that request."
HTML_PORTAL = (
    b"<!DOCTYPE html><html><head><title>Network Login</title></head><body>"
    b"<h1>Welcome to CorpNet Guest Wi-Fi</h1><form method='post' action='/login'>"
    b"<input name='user'><input name='password' type='password'><button>Sign in</button></form>"
    b"</body></html>"
)
HTML_404 = b"<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>"
HTML_524 = (
    b"<!DOCTYPE html><html><head><title>api.cometapi.com | 524: A timeout occurred</title></head>"
    b"<body><h1>A timeout occurred</h1><p>Error code 524</p><p>The origin web server timed out "
    b"responding to this request.</p><p>Cloudflare Ray ID: 8f1e2d3c4b5a6978</p></body></html>"
)
NOT_JSON = b"upstream said: <b>oops</b> {not json"
#: ``system_fingerprint`` of ``stream_split`` chunks: its emoji is 4 bytes of UTF-8, cut across writes.
SPLIT_FINGERPRINT = "fp_sim_\U0001f9e9"
SPLIT_SIZES = (3, 5, 7, 4, 6)
SPLIT_PAUSES = (0.001, 0.002, 0.003, 0.001, 0.005)
KEEP_ALIVE = b": keep-alive\r\n\r\n"

_WORD_RE = re.compile(r"exactly the word:\s*(\S+)", re.IGNORECASE)
_QUOTES = "\"'`“”‘’«»*_"


def comet_request_id() -> str:
    """A CometAPI-style request id (UTC timestamp + random hex), as embedded in error messages."""
    return time.strftime("%Y%m%d%H%M%S", time.gmtime()) + secrets.token_hex(10)


def new_request_id() -> str:
    """A value for the ``x-request-id`` header of successful responses."""
    return "req_" + secrets.token_hex(12)


def new_completion_id() -> str:
    """A ``chatcmpl-...`` completion id."""
    return "chatcmpl-sim" + secrets.token_hex(12)


def json_bytes(obj: Any, *, ascii_only: bool = True) -> bytes:
    """Compact JSON encoding as UTF-8 bytes."""
    return json.dumps(obj, ensure_ascii=ascii_only, separators=(",", ":")).encode("utf-8")


def sse_event(obj: Any) -> bytes:
    """One ``data:`` server-sent event (a dict is JSON-encoded, a str is sent verbatim)."""
    data = obj if isinstance(obj, str) else json.dumps(obj, separators=(",", ":"))
    return f"data: {data}\n\n".encode()


def message_text(content: Any) -> str:
    """Text of a message ``content`` (a string or a list of ``{"type": "text", "text": ...}`` parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict)]
        return " ".join(p for p in parts if isinstance(p, str))
    return ""


def reply_text(messages: list[Any]) -> str:
    """The assistant reply: the last ``exactly the word: X`` instruction's X, otherwise ``pong``."""
    word: str | None = None
    for msg in messages:
        if isinstance(msg, dict):
            for match in _WORD_RE.finditer(message_text(msg.get("content"))):
                word = match.group(1)
    if word is None:
        return "pong"
    cleaned = word.strip(_QUOTES).rstrip(string.punctuation + _QUOTES).lstrip(_QUOTES)
    return cleaned or "pong"


def count_tokens(text: str | None) -> int:
    """A rough token estimate (4 characters per token, at least 1)."""
    return max(1, (len(text or "") + 3) // 4)


def prompt_tokens(messages: list[Any]) -> int:
    """A rough prompt token estimate: message text plus a per-message overhead."""
    total = 0
    for msg in messages:
        content = msg.get("content") if isinstance(msg, dict) else None
        total += 4 + (len(message_text(content)) + 3) // 4
    return max(1, total)


def validate_chat(payload: Any) -> tuple[str, str] | None:
    """Check a chat completion request body; returns ``(param, message)`` describing the problem or None."""
    if not isinstance(payload, dict):
        return "messages", "Request body must be a JSON object"
    if not isinstance(payload.get("model"), str) or not payload["model"]:
        return "model", "you must provide a model parameter"
    messages = payload.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages", "'messages' must be a non-empty array"
    for i, msg in enumerate(messages):
        if not isinstance(msg, dict) or not isinstance(msg.get("role"), str) or "content" not in msg:
            return "messages", f"messages[{i}] must be an object with 'role' and 'content'"
        if msg["content"] is not None and not isinstance(msg["content"], str | list):
            return "messages", f"messages[{i}].content must be a string or an array of content parts"
    if "stream" in payload and not isinstance(payload["stream"], bool):
        return "stream", "'stream' must be a boolean"
    return None


def error_body(
    message: str, type_: str, code: str | None, *, param: str | None = "", with_param: bool = True
) -> dict[str, Any]:
    """An OpenAI-style ``{"error": {...}}`` body (``with_param=False`` omits the ``param`` key)."""
    err: dict[str, Any] = {"message": message, "type": type_}
    if with_param:
        err["param"] = param
    err["code"] = code
    return {"error": err}


def models_body(models: list[str]) -> dict[str, Any]:
    """The ``GET /v1/models`` list body."""
    data = [{"id": m, "object": "model", "created": 0, "owned_by": "sim"} for m in models]
    return {"object": "list", "data": data}


@dataclass(frozen=True)
class Completion:
    """Everything needed to render one chat completion as JSON or as an SSE chunk sequence."""

    model: str
    content: str | None
    finish_reason: str = "stop"
    prompt_tokens: int = 1
    completion_tokens: int = 1
    usage: bool = True
    system_fingerprint: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=new_completion_id)
    created: int = field(default_factory=lambda: int(time.time()))

    def usage_dict(self) -> dict[str, int]:
        """The ``usage`` object."""
        total = self.prompt_tokens + self.completion_tokens
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": total,
        }


def completion_body(c: Completion) -> dict[str, Any]:
    """A non-streaming ``chat.completion`` body (no logprobs/refusal, like CometAPI)."""
    body: dict[str, Any] = {
        "id": c.id,
        "object": "chat.completion",
        "created": c.created,
        "model": c.model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": c.content},
                "finish_reason": c.finish_reason,
            }
        ],
    }
    if c.usage:
        body["usage"] = c.usage_dict()
    body["system_fingerprint"] = c.system_fingerprint
    body.update(c.extra)
    return body


def stream_chunks(c: Completion, include_usage: bool) -> list[dict[str, Any]]:
    """``chat.completion.chunk`` objects: role, the reply in two pieces, finish, optional usage chunk."""
    with_usage = include_usage and c.usage
    base: dict[str, Any] = {
        "id": c.id,
        "object": "chat.completion.chunk",
        "created": c.created,
        "model": c.model,
        "system_fingerprint": c.system_fingerprint,
        **c.extra,
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        out = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        if with_usage:
            out["usage"] = None
        return out

    first: dict[str, Any] = {"role": "assistant"}
    if c.content is not None:
        first["content"] = ""
    chunks = [chunk(first)]
    text = c.content or ""
    mid = (len(text) + 1) // 2
    chunks.extend(chunk({"content": piece}) for piece in (text[:mid], text[mid:]) if piece)
    chunks.append(chunk({}, c.finish_reason))
    if with_usage:
        chunks.append({**base, "choices": [], "usage": c.usage_dict()})
    return chunks


def padded_json(size: int) -> Iterator[bytes]:
    """Exactly ``size`` bytes of ``{"pad":"xxx..."}`` (valid JSON when size >= 10) in 64 KiB pieces."""
    head, tail = b'{"pad":"', b'"}'
    if size < len(head) + len(tail):
        yield head[:size]
        return
    yield head
    remaining = size - len(head) - len(tail)
    block = b"x" * CHUNK_SIZE
    while remaining > 0:
        n = min(remaining, CHUNK_SIZE)
        yield block[:n]
        remaining -= n
    yield tail


def split_stream(chunks: list[dict[str, Any]]) -> list[bytes]:
    """A valid but awkward SSE body for ``chunks`` + ``[DONE]``, cut into 3-7 byte pieces.

    CRLF line endings; ``: keep-alive`` comments; the JSON of the first content chunk spread over two
    ``data:`` lines (joined with a newline, which JSON allows between tokens); raw UTF-8 (not ``\\u``
    escapes) with the ``system_fingerprint`` emoji cut mid-character and one CRLF cut between CR and LF.
    """
    split_at = min(1, len(chunks) - 1)
    parts = [KEEP_ALIVE]
    for i, chunk in enumerate(chunks):
        text = json.dumps(
            {**chunk, "system_fingerprint": SPLIT_FINGERPRINT}, ensure_ascii=False, separators=(",", ":")
        )
        if i == split_at:
            cut = text.find(',"choices"') + 1 or text.find(",") + 1
            parts.append(f"data: {text[:cut]}\r\ndata: {text[cut:]}\r\n\r\n".encode())
            parts.append(KEEP_ALIVE)
        else:
            parts.append(f"data: {text}\r\n\r\n".encode())
    parts.append(b"data: [DONE]\r\n\r\n")
    body = b"".join(parts)
    emoji = SPLIT_FINGERPRINT[-1].encode()
    forced = sorted({body.index(emoji) + len(emoji) // 2, body.index(b"}\r\n") + 2})
    pieces: list[bytes] = []
    pos = 0
    while pos < len(body):
        end = min(pos + SPLIT_SIZES[len(pieces) % len(SPLIT_SIZES)], len(body))
        end = next((f for f in forced if pos < f < end), end)
        pieces.append(body[pos:end])
        pos = end
    return pieces
