"""The house rules of gate/: no import cycle (function-level imports included), imports only go down the
layers of DESIGN.md's flow, no module over 300 lines but data tables, and one place for each concern."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GATE = ROOT / "gate"

# Lower number = lower layer. A module may import only from its own layer or below (and never in a cycle).
LAYERS: dict[str, int] = {
    "gate": 0,
    "gate.failures": 0,
    "gate.text": 0,
    "gate.options": 0,
    "gate.urls": 1,
    "gate.retry": 0,
    "gate.shape": 0,
    "gate.sse": 0,
    "gate.contract": 0,
    "gate.baseline": 0,
    "gate.jsonbody": 0,
    "gate.inputfile": 0,  # every input file is read through it: size, file type, UTF-8, strict YAML
    "gate.redact": 0,
    "gate.safe_files": 0,
    "gate.strict_yaml": 0,
    "gate.interrupt": 0,
    "gate.simulator": 0,  # a self-contained server: imports nothing of the gate
    "gate.inputs": 1,
    "gate.targets": 1,
    "gate.transport_errors": 1,
    "gate.client": 1,
    "gate.config": 2,
    "gate.settings": 2,
    "gate.template": 1,
    "gate.template_scan": 1,
    "gate.scan_rules": 0,
    "gate.request_vars": 1,
    "gate.target_values": 1,
    "gate.streamed": 1,
    "gate.judge": 3,
    "gate.runbook": 1,
    "gate.fallback": 3,
    "gate.classify": 2,
    "gate.families": 3,
    "gate.endpoint": 3,
    "gate.gateway": 2,
    "gate.headers": 1,
    "gate.probe": 4,
    "gate.results": 1,
    "gate.checks": 5,
    "gate.runner": 6,
    "gate.verdict": 2,
    "gate.report": 7,
    "gate.record": 8,
    "gate.reporters": 9,
    "gate.github": 9,
    "gate.terminal": 10,
    "gate.publish": 11,
    "gate.pushgateway": 2,
    "gate.app": 12,
    "gate.cli": 13,
    "gate.__main__": 14,
}
DATA_TABLES = {"gate/options.py", "gate/simulator/scenarios.py"}
MAX_LINES = 300


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


def _imports(path: Path) -> set[str]:
    """Every gate module `path` imports, at any depth (function-level imports count; `if TYPE_CHECKING`
    blocks do not). `from pkg import mod` is an import of pkg.mod; `from pkg import name` one of pkg."""
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for block in ast.walk(tree):  # annotations only: never imported at run time
        if isinstance(block, ast.If) and getattr(block.test, "id", "") == "TYPE_CHECKING":
            block.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("gate"):
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in MODULES else node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("gate"))
    return found


def _graph() -> dict[str, set[str]]:
    return {name: {m for m in _imports(path) if m in MODULES and m != name} for name, path in MODULES.items()}


def test_every_module_has_a_layer():
    assert all(_layer(module) >= 0 for module in _graph())


def test_imports_only_go_down_the_layers():
    upward = [
        f"{src} (layer {_layer(src)}) imports {dst} (layer {_layer(dst)})"
        for src, targets in _graph().items()
        for dst in targets
        if _layer(dst) > _layer(src) and not dst.startswith(src + ".")
    ]
    assert upward == []


def test_no_import_cycle():
    graph = _graph()
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
    assert cycles == []


def test_no_module_is_over_300_lines_except_data_tables():
    long = {
        str(p.relative_to(ROOT)): n
        for p in GATE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert {k: v for k, v in long.items() if k not in DATA_TABLES} == {}


def test_only_the_endpoint_module_sends_requests():
    """One function builds and sends every request (headers, auth, timeouts): a new option is one edit."""
    senders = {
        _module_name(p)
        for p in GATE.rglob("*.py")
        if "from gate.client import" in p.read_text(encoding="utf-8")
        and "send" in _names_from(p, "gate.client")
    }
    assert senders == {"gate.endpoint", "gate.pushgateway"}  # the pushgateway is not the API


def _names_from(path: Path, module: str) -> set[str]:
    return {
        alias.name
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and node.module == module
        for alias in node.names
    }


def test_server_text_is_cleaned_by_one_module():
    """No second `one_line`/`clean`: every reporter and message cleans through gate.text."""
    defining = sorted(
        str(p.relative_to(ROOT))
        for p in GATE.rglob("*.py")
        if any(
            isinstance(node, ast.FunctionDef) and node.name in ("one_line", "clean", "strip_ansi")
            for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        )
    )
    assert defining == ["gate/text.py"]


def test_exit_codes_come_from_the_one_enum():
    """No literal exit code outside gate.failures.ExitCode (the simulator and entry point aside)."""
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
