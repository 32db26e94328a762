"""The house rules of gate/: a package per stage, imports only down the ordered list of stages (function-level
imports included), no import cycle, no module over 300 lines but data tables, no function over cyclomatic
complexity 15, one place for each concern."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from radon.complexity import cc_visit
from radon.visitors import Class

ROOT = Path(__file__).resolve().parents[2]
GATE = ROOT / "gate"

# The stages, lowest first (README.md "Layout" and docs/design.md give the same list): a module imports only
# from its own package or from a package listed before it, and never in a cycle. The flow of a run climbs it:
# config is resolved, HTTP sends, diagnosis reads the answer, checks judge, the outcome is decided, publish
# writes it; app runs that flow and cli parses the command line.
STAGES: tuple[str, ...] = (
    "gate",  # the package itself: its version
    "gate.simulator",  # a self-contained server: imports nothing of the gate (config names its scenarios)
    "gate.core",
    "gate.config",
    "gate.http",
    "gate.diagnosis",
    "gate.checks",
    "gate.outcome",
    "gate.publish",
    "gate.app",
    "gate.cli",
    "gate.__main__",
)
LAYERS: dict[str, int] = {stage: number for number, stage in enumerate(STAGES)}
MAX_TOP_LEVEL = 12
DATA_TABLES = {"gate/config/options.py", "gate/simulator/scenarios.py"} | {
    f"gate/simulator/replays/{name}.py" for name in ("hosted", "self_hosted", "clouds", "relays")
}
MAX_LINES = 300
MAX_COMPLEXITY = 15  # radon's cyclomatic complexity (rank C tops out at 20): above it, split or make it data


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _layer(module: str) -> int:
    while module not in LAYERS:
        module = module.rsplit(".", 1)[0]
    return LAYERS[module]


MODULES = {_module_name(p): p for p in GATE.rglob("*.py")}


def _imports(path: Path, *, annotations: bool = False) -> set[str]:
    """Every gate module `path` imports, at any depth (function-level imports count; `if TYPE_CHECKING`
    blocks only with `annotations`). `from pkg import mod` is an import of pkg.mod; `from pkg import name`
    one of pkg."""
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for block in ast.walk(tree):  # annotations only: never imported at run time
        if not annotations and isinstance(block, ast.If) and getattr(block.test, "id", "") == "TYPE_CHECKING":
            block.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("gate"):
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in MODULES else node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("gate"))
    return found


def _graph(*, annotations: bool = False) -> dict[str, set[str]]:
    return {
        name: {m for m in _imports(path, annotations=annotations) if m in MODULES and m != name}
        for name, path in MODULES.items()
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    done: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(graph[node]):
            if nxt in path:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in done:
                visit(nxt, [*path, nxt])
        done.add(node)

    for node in sorted(graph):
        visit(node, [node])
    return cycles


def test_every_module_has_a_layer():
    assert all(_layer(module) >= 0 for module in _graph())


def test_the_tree_shows_the_stages():
    """At most 12 entries at the top of gate/, each one a stage of the list (or the package's own files)."""
    entries = sorted(p.name for p in GATE.iterdir() if p.name != "__pycache__")
    assert len(entries) <= MAX_TOP_LEVEL, entries
    stages = {stage.split(".")[1] for stage in STAGES if "." in stage}
    assert {Path(e).stem for e in entries} - {"__init__"} == stages


def test_the_readme_lists_the_stages_in_the_same_order():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme.split("### Layout", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1].strip() for line in layout.splitlines() if line.startswith("| `gate/")]
    listed = [row.strip("`").removesuffix("/").removesuffix(".py").replace("/", ".") for row in rows]
    assert listed == [s for s in STAGES if s != "gate" and s != "gate.__main__"]


def test_imports_only_go_down_the_layers():
    upward = [
        f"{src} (layer {_layer(src)}) imports {dst} (layer {_layer(dst)})"
        for src, targets in _graph().items()
        for dst in targets
        if _layer(dst) > _layer(src) and not dst.startswith(src + ".")
    ]
    assert upward == []


def test_no_import_cycle():
    assert _cycles(_graph()) == []


def test_no_import_cycle_even_for_annotations():
    """An import made only for type hints (`if TYPE_CHECKING`) is still a dependency a reader follows: one
    direction too (the simulator's handler serves a Host protocol rather than import its server)."""
    assert _cycles(_graph(annotations=True)) == []


def test_no_module_is_over_300_lines_except_data_tables():
    long = {
        str(p.relative_to(ROOT)): n
        for p in GATE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert {k: v for k, v in long.items() if k not in DATA_TABLES} == {}


def _functions(blocks: list[Any]) -> Iterator[Any]:
    """Every function and method radon found, closures included (radon scores a closure on its own). A
    class is skipped: cc_visit lists its methods beside it."""
    for block in blocks:
        if not isinstance(block, Class):
            yield block
            yield from _functions(block.closures)


def test_no_function_is_over_cyclomatic_complexity_15():
    """A function a newcomer can read in one go: over 15 paths, the rules belong in a table or in helpers."""
    offenders = sorted(
        f"{path.relative_to(ROOT)}:{block.lineno} {block.fullname} ({block.complexity})"
        for path in GATE.rglob("*.py")
        for block in _functions(cc_visit(path.read_text(encoding="utf-8")))
        if block.complexity > MAX_COMPLEXITY
    )
    assert not offenders, f"over complexity {MAX_COMPLEXITY}:\n  " + "\n  ".join(offenders)


def test_only_the_endpoint_module_sends_requests():
    """One function builds and sends every request (headers, auth, timeouts): a new option is one edit."""
    senders = {
        _module_name(p)
        for p in GATE.rglob("*.py")
        if "from gate.http.client import" in p.read_text(encoding="utf-8")
        and "send" in _names_from(p, "gate.http.client")
    }
    assert senders == {"gate.http.endpoint", "gate.publish.pushgateway"}  # the pushgateway is not the API


def _names_from(path: Path, module: str) -> set[str]:
    return {
        alias.name
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and node.module == module
        for alias in node.names
    }


def test_server_text_is_cleaned_by_one_module():
    """No second `one_line`/`clean`: every reporter and message cleans through gate.core.text."""
    defining = sorted(
        str(p.relative_to(ROOT))
        for p in GATE.rglob("*.py")
        if any(
            isinstance(node, ast.FunctionDef) and node.name in ("one_line", "clean", "strip_ansi")
            for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        )
    )
    assert defining == ["gate/core/text.py"]


def test_exit_codes_come_from_the_one_enum():
    """No literal exit code outside gate.core.failures.ExitCode (the simulator and entry point aside)."""
    offenders = []
    for path in GATE.rglob("*.py"):
        if "simulator" in path.parts or path.name == "failures.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", getattr(node.func, "id", "")) == "exit"
            ):
                args = node.args
                if args and isinstance(args[0], ast.Constant | ast.BinOp):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
        text = path.read_text(encoding="utf-8")
        assert "EXIT_USAGE" not in text and "128 + " not in text, path
    assert offenders == []
