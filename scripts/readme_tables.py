"""Generate the documentation's tables from the code (options, failure classes, simulator scenarios, the
action's inputs and outputs).

`python scripts/readme_tables.py --write` rewrites the marked blocks in README.md, docs/reference.md and
docs/guide.md (each block lives in one of them); the test suite fails when a document and the code disagree.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gate.config.options import GROUPS, OPTIONS, OptionSpec  # noqa: E402
from gate.core.failures import FAILURE_INFO, FailureClass  # noqa: E402
from gate.simulator import SCENARIOS  # noqa: E402


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _default(spec: OptionSpec) -> str:
    if spec.required:
        return "required"
    if spec.default is None:
        return ""
    value = str(spec.default).lower() if isinstance(spec.default, bool) else str(spec.default)
    return f"`{value}`"


def options_table() -> str:
    """One table per option group, in table order; a group that holds one value for the whole run says so."""
    parts = []
    for group in GROUPS:
        specs = [spec for spec in OPTIONS if spec.group == group]
        rows = [
            f"### {group}",
            "",
            *(
                ["One value for the whole run: a targets file cannot set these.", ""]
                if _run_wide(specs)
                else []
            ),
            "| option | environment variables (in precedence order) | default | what it does |",
            "|---|---|---|---|",
        ]
        for spec in specs:
            env = ", ".join(f"`{v}`" for v in spec.env_vars)
            rows.append(f"| `{spec.flag}` | {env} | {_default(spec)} | {_cell(spec.help)} |")
        parts.append("\n".join(rows))
    return "\n\n".join(parts)


def _run_wide(specs: list[OptionSpec]) -> bool:
    return all(spec.scope == "run" for spec in specs)


def failures_table() -> str:
    rows = ["| class | what broke | retried | exit | what to check next |", "|---|---|---|---|---|"]
    for failure in FailureClass:
        info = FAILURE_INFO[failure]
        exit_code = "2" if failure is FailureClass.CONFIG else ("3" if info.transient else "1")
        retried = "yes" if info.transient else "no"
        rows.append(
            f"| `{failure.value}` | {info.title} | {retried} | {exit_code} | {_cell(info.next_step)} |"
        )
    return "\n".join(rows)


def scenarios_table() -> str:
    from gate.simulator.replays import every

    replayed = {replay.name for replay in every()}
    rows = ["| scenario | behaviour |", "|---|---|"]
    for name, scenario in sorted(SCENARIOS.items()):
        if name not in replayed:
            rows.append(f"| `{name}` | {_cell(scenario.description)} |")
    rows.append(
        f"| `<family>_<answer>` | {len(replayed)} answers of other servers (OpenAI, Azure, Anthropic, "
        "Gemini, vLLM, Ollama, Cloudflare, LiteLLM, ...), replayed byte for byte: one per row of "
        "[dialects.md](dialects.md) |"
    )
    return "\n".join(rows)


def _action() -> dict:
    import yaml  # the test extra; README tables are regenerated in a dev environment

    return yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))


def action_inputs_table() -> str:
    rows = ["| input | required | default | description |", "|---|---|---|---|"]
    for name, spec in _action()["inputs"].items():
        default = spec.get("default")
        shown = f"`{default}`" if default not in (None, "") else ""
        required = "yes" if spec.get("required") else ""
        description = " ".join(str(spec.get("description", "")).split())
        rows.append(f"| `{name}` | {required} | {shown} | {_cell(description)} |")
    return "\n".join(rows)


def action_outputs_table() -> str:
    rows = ["| output | description |", "|---|---|"]
    for name, spec in _action()["outputs"].items():
        rows.append(f"| `{name}` | {_cell(' '.join(str(spec.get('description', '')).split()))} |")
    return "\n".join(rows)


BLOCKS = {
    "options": options_table,
    "failure-classes": failures_table,
    "scenarios": scenarios_table,
    "action-inputs": action_inputs_table,
    "action-outputs": action_outputs_table,
}


DOCUMENTS = ("README.md", "docs/reference.md", "docs/guide.md")  # each block lives in exactly one of them


def render(text: str, required: bool = False) -> str:
    """The document with every generated block it holds rebuilt (`required`: each block must be there)."""
    for name, build in BLOCKS.items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(\n<!-- {name}:end -->)", re.DOTALL)
        if not pattern.search(text):
            if required:
                raise SystemExit(f"no <!-- {name}:start/end --> block")
            continue
        text = pattern.sub(lambda m, b=build: m.group(1) + b() + m.group(2), text)
    return text


def blocks_in(text: str) -> set[str]:
    return {name for name in BLOCKS if f"<!-- {name}:start -->" in text}


def main(write: bool) -> None:
    seen: list[str] = []
    for name in DOCUMENTS:
        path = ROOT / name
        if not path.exists():
            continue
        current = path.read_text(encoding="utf-8")
        seen += sorted(blocks_in(current))
        updated = render(current)
        if write:
            path.write_text(updated, encoding="utf-8")
        elif updated != current:
            raise SystemExit(f"{name} tables are out of date: run python scripts/readme_tables.py --write")
    if sorted(seen) != sorted(BLOCKS):
        raise SystemExit(f"each generated block must be in exactly one of {DOCUMENTS}: found {sorted(seen)}")


if __name__ == "__main__":
    main("--write" in sys.argv)
