"""The application's own request (`--request-file`): read, placeholders filled, checked before sending.

The file is the body exactly as the application sends it (JSON, or YAML for .yml/.yaml). `{{prompt}}` and
`{{model}}` are replaced by --prompt and --model, `${VAR}` by the environment variable when --request-vars
lists it (`gate/config/request_vars.py`: any other name is a configuration error, a credential's name always);
the model comes from the config when the file has none. Nothing else is changed: if the service rejects the
body, that is the finding. Before anything is sent, the body is checked against the request schema of the
--api chosen (`gate/core/contract/chat_completion_request.schema.json`, `responses_request.schema.json` or
`embeddings_request.schema.json`; a field the schema does not know is a warning, since gateways may drop what
they do not know) and scanned for secrets and personal data, which must never be in a smoke test's payload
(`gate/config/payload_scan.py`). Either problem is a configuration error: nothing is sent."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gate.config.input_files import InputFileError, parse_json, parse_yaml, read_text
from gate.config.inputs import ConfigError
from gate.config.request_vars import credential_values, unfilled
from gate.core.jsonbody import MAX_DEPTH, deeper_than

# --api -> (request schema, the API's name in messages)
REQUEST_SCHEMAS = {
    "chat": ("chat_completion_request", "Chat Completions"),
    "responses": ("responses_request", "Responses"),
    "embeddings": ("embeddings_request", "Embeddings"),
}
_PLACEHOLDER = re.compile(r"\{\{\s*(prompt|model)\s*\}\}|\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True, eq=False)
class RequestFile:
    body: Mapping[str, Any]
    path: Path
    notes: tuple[str, ...]  # warnings found before sending (unknown fields)
    api: str = "chat"  # the --api whose request schema the body was checked against

    @property
    def streams(self) -> bool:
        return self.body.get("stream") is True

    @property
    def response_format(self) -> Mapping[str, Any] | None:
        """chat's response_format (the structured-output check reads it); None for another --api."""
        value = self.body.get("response_format") if self.api == "chat" else None
        return value if isinstance(value, Mapping) else None

    @property
    def tools(self) -> list[Mapping[str, Any]]:
        tools = self.body.get("tools") if self.api == "chat" else None  # the tool-calls check reads chat's
        return [t for t in tools if isinstance(t, Mapping)] if isinstance(tools, list) else []

    @property
    def forced_tool(self) -> str | None:
        """ "required", or the name of the one function tool_choice forces; None when the model may answer
        in text."""
        choice = self.body.get("tool_choice")
        if choice == "required":
            return "required"
        if isinstance(choice, Mapping):
            function = choice.get("function")
            return str(function.get("name")) if isinstance(function, Mapping) else "required"
        return None

    @property
    def wants_usage_chunk(self) -> bool:
        options = self.body.get("stream_options")
        return self.streams and isinstance(options, Mapping) and options.get("include_usage") is True


def load_request_file(
    path: Path,
    *,
    prompt: str,
    model: str,
    env: Mapping[str, str],
    secrets: list[str],
    source: str,
    request_vars: Sequence[str] = (),
    api: str = "chat",
) -> RequestFile:
    """The filled, checked body; raises ConfigError (exit 2, nothing sent) with every finding named.

    `${VAR}` reads only the names in `request_vars` (gate/config/request_vars.py), and the values of the
    credential-named variables of `env` are searched for in the filled body. `api` (--api) names the request
    schema the body must meet."""

    def fail(problem: str, fix: str) -> ConfigError:
        return ConfigError("request-file", problem, fix, source)

    try:
        text = read_text(path)  # at most 1 MiB of UTF-8 from a regular file (gate/config/input_files.py)
    except InputFileError as exc:
        raise fail(exc.problem, exc.fix) from None
    body = _parse(path, text, fail)
    if deeper_than(body, MAX_DEPTH):
        raise fail(
            f"{path} is nested more than {MAX_DEPTH} levels deep", "a request body is a few levels deep"
        )
    schema_name, api_name = REQUEST_SCHEMAS[api]
    if not isinstance(body, dict):
        raise fail(f"{path} is not a JSON object (a {api_name} request body)", "write the body as an object")
    missing: list[str] = []
    readable = {name: env[name] for name in request_vars if name in env}
    body = _fill(body, {"prompt": prompt, "model": model}, readable, missing)
    if missing:
        raise unfilled(path, sorted(set(missing)), request_vars, source)
    body.setdefault("model", model)
    from gate.config.payload_scan import scan, unknown_fields

    _check_shape(body, path, api, fail)
    broken = _invalid_schemas(body)
    if broken:
        raise fail(f"{path} holds a schema that is not valid JSON Schema: {broken}", "fix the schema")
    findings = scan(body, secrets, credential_values(env))
    if findings:
        listed = "; ".join(f"{f.path}: {f.kind} ({f.masked})" for f in findings[:10])
        raise fail(
            f"{path} holds what a smoke test must never send: {listed}",
            "use a synthetic prompt with no real user data, and never a secret, in the request file",
        )
    notes = tuple(
        f"the request file has field '{name}', which the {api_name} reference does not define: a "
        "gateway may drop it silently"
        for name in unknown_fields(body, schema_name)
    )
    return RequestFile(body, path, notes, api)


def _check_shape(body: Mapping[str, Any], path: Path, api: str, fail: Any) -> None:
    """The body against the request schema of `api`; a body of another API is named as such. A streamed
    Responses body is refused: the gate reads a Responses stream only in the stream check (--stream)."""
    from gate.core.contract import violations

    schema_name, api_name = REQUEST_SCHEMAS[api]
    problems = violations(body, schema_name, limit=5)
    if problems:
        other = _other_api(body, api)
        raise fail(
            f"{path} is not a valid {api_name} request (--api {api}): {'; '.join(problems)}{other}",
            "fix the body against the API reference",
        )
    if api != "chat" and body.get("stream") is True:
        raise fail(
            f"{path} asks for stream: true, which the gate sends only to the Chat Completions API",
            "drop stream from the file and pass --stream: the stream check streams the gate's own request",
        )


def _other_api(body: Mapping[str, Any], api: str) -> str:
    """A hint when the body is shaped for another API than --api (the usual mistake)."""
    if api != "chat" and "messages" in body and "input" not in body:
        return " (messages is a Chat Completions field: pass --api chat, or write the body for this API)"
    if api == "chat" and "input" in body and "messages" not in body:
        return " (input belongs to the Responses or Embeddings API: pass --api responses or embeddings)"
    return ""


def _invalid_schemas(body: Mapping[str, Any]) -> str | None:
    """The response_format (or a Response's text.format) json_schema and every tool's parameters must be
    valid JSON Schema: the gate validates the answer against them."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    schemas: list[tuple[str, Any]] = []
    response_format = body.get("response_format")
    if isinstance(response_format, Mapping) and isinstance(response_format.get("json_schema"), Mapping):
        schemas.append(("response_format.json_schema.schema", response_format["json_schema"].get("schema")))
    text_format = body.get("text", {}).get("format") if isinstance(body.get("text"), Mapping) else None
    if isinstance(text_format, Mapping) and text_format.get("type") == "json_schema":  # the Responses API
        schemas.append(("text.format.schema", text_format.get("schema")))
    for index, tool in enumerate(body.get("tools") or []):
        function = tool.get("function") if isinstance(tool, Mapping) else None
        if isinstance(function, Mapping):
            schemas.append((f"tools[{index}].function.parameters", function.get("parameters")))
        elif isinstance(tool, Mapping) and tool.get("type") == "function":  # the Responses API's flat tool
            schemas.append((f"tools[{index}].parameters", tool.get("parameters")))
    for where, schema in schemas:
        if schema is None:
            continue
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            return f"{where}: {exc.message[:160]}"
    return None


def _parse(path: Path, text: str, fail: Any) -> Any:
    """JSON, or YAML for .yml/.yaml with the strict loader (no anchors, aliases or tags; JSON types only)."""
    try:
        if path.suffix.lower() in (".yml", ".yaml"):
            return parse_yaml(text, path)
        return parse_json(text, path)
    except InputFileError as exc:  # one clear line, never a traceback
        raise fail(exc.problem, exc.fix) from None


def _fill(value: Any, names: Mapping[str, str], env: Mapping[str, str], missing: list[str]) -> Any:
    if isinstance(value, str):

        def replace(match: re.Match[str]) -> str:
            if match.group(1):
                return names[match.group(1)]
            variable = match.group(2)
            if variable not in env:
                missing.append(variable)
                return match.group(0)
            return env[variable]

        return _PLACEHOLDER.sub(replace, value)
    if isinstance(value, dict):
        return {key: _fill(item, names, env, missing) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, names, env, missing) for item in value]
    return value
