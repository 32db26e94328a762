"""Fast by measurement: whole-process wall time and peak RSS of the gate against its floors.

Starts the built-in simulator in-process on a free loopback port and runs every command as a child process
(no shell) through a small launcher that times it and reads its own peak RSS from os.wait4. The commands of
each comparison alternate (A B A B ...) so drift in the machine's load hits all of them alike; every command
runs once untimed first (which also warms a private bytecode cache). Linux (or macOS); needs no shell tools,
uses curl for the physical floor when it is installed.

    python bench/bench.py                # 10 runs per command
    python bench/bench.py --quick        # 3 runs per command (CI)
    python bench/bench.py --json bench.json

With Yelp's detect-secrets installed (the test extra), it also measures what loading its regex plugins would
add to the request-file scan (docs/performance.md, "Secret rules"); without it, that group is skipped.

It is a measurement, not a test: it prints PASS/MISS per target and exits 0 unless the bench itself breaks
(exit 2). No traffic leaves 127.0.0.1: proxy variables are removed from the children's environment.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_RUNS = 10
QUICK_RUNS = 3
GATE = "cometapi-smoke-gate"
# Modules --help and --version must not load: they belong to the commands that send or report.
HEAVY_MODULES = ("requests", "urllib3", "jsonschema", "junit_xml")
# detect-secrets' plugins that are not a fixed pattern (entropy, keywords) or not a plugin: never measured.
NOISY_PLUGINS = frozenset({"__init__", "base", "high_entropy_strings", "keyword"})
REQUEST_FILE = Path(__file__).resolve().parents[1] / "examples" / "request-structured-output.json"
_SCAN_IMPORT = "import requests, gate.config.payload_scan"  # a run has imported requests before it scans
# Variables that would change what the children do: the gate's inputs, GitHub's step files, proxies.
_STRIPPED_PREFIXES = ("INPUT_", "COMETAPI_", "GATE_", "GITHUB_")
_STRIPPED_NAMES = {
    name for base in ("http_proxy", "https_proxy", "all_proxy", "no_proxy") for name in (base, base.upper())
}

FLOOR_SCRIPT = """\
import sys
{extra_imports}import requests

url, key, model = sys.argv[1:4]
body = {{
    "model": model,
    "messages": [
        {{"role": "system", "content": "Reply with exactly the word: pong"}},
        {{"role": "user", "content": "ping"}},
    ],
    "temperature": 0,
    "max_tokens": 16,
}}
response = requests.post(url, json=body, headers={{"Authorization": "Bearer " + key}}, timeout=30)
response.raise_for_status()
text = response.json()["choices"][0]["message"]["content"]
sys.exit(0 if "pong" in text.lower() else 1)
"""


class BenchError(Exception):
    """The bench cannot measure (a command failed, the gate did not pass, the simulator is missing)."""


@dataclass
class Command:
    key: str
    label: str
    argv: list[str]
    before: list[Path] = field(default_factory=list)  # files removed before each run (appended reports)
    wall_ms: list[float] = field(default_factory=list)
    rss_kb: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "runs": len(self.wall_ms),
            "wall_ms": {
                "median": round(statistics.median(self.wall_ms), 1),
                "min": round(min(self.wall_ms), 1),
                "max": round(max(self.wall_ms), 1),
                "all": [round(v, 1) for v in self.wall_ms],
            },
            "peak_rss_mb": {
                "median": round(statistics.median(self.rss_kb) / 1024, 1),
                "min": round(min(self.rss_kb) / 1024, 1),
                "max": round(max(self.rss_kb) / 1024, 1),
            },
        }


def child_env(pycache: Path) -> dict[str, str]:
    """The children's environment: no gate inputs, no GitHub step files, no proxy (loopback only), no colour,
    and bytecode cached in `pycache` (warmed by the untimed first run) even under PYTHONDONTWRITEBYTECODE, so
    every command loads from bytecode as an installed gate does (the container image compiles it)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(_STRIPPED_PREFIXES)
        and k not in _STRIPPED_NAMES
        and k != "PYTHONDONTWRITEBYTECODE"
    }
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env["NO_COLOR"] = "1"
    return env


# The children are started by this small launcher, not by the bench: on Linux a child's ru_maxrss starts at
# the peak RSS of the process it was forked from (the kernel carries the old address space's high-water mark
# across exec), so forking from the bench (simulator and all) would inflate every reading. The launcher is a
# bare `python -I -S` (about 10 MB), which is below every command measured; it reports its own peak so the
# bench can show that floor. It also takes the times, away from the simulator's threads.
LAUNCHER = """\
import json, os, resource, sys, time
env = json.loads(sys.stdin.readline())
for line in sys.stdin:
    argv, log = json.loads(line)
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
        (os.POSIX_SPAWN_DUP2, 1, 2),
    ]
    started = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, env, file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    wall = (time.perf_counter() - started) * 1000
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if os.path.exists("/proc/self/status"):  # the address space's own peak (ru_maxrss carries the parent's)
        with open("/proc/self/status") as status_file:
            own = next((int(x.split()[1]) for x in status_file if x.startswith("VmHWM:")), own)
    print(json.dumps([wall, usage.ru_maxrss, os.waitstatus_to_exitcode(status), own]), flush=True)
"""
RSS_UNIT_KB = 1 / 1024 if sys.platform == "darwin" else 1  # ru_maxrss: bytes on macOS, KB on Linux


class Launcher:
    """A lean child process that spawns each measured command and returns (wall ms, peak RSS KB, exit)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", LAUNCHER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        self._send(env)
        self.own_rss_kb = 0.0

    def _send(self, value: object) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(value) + "\n")
        self.proc.stdin.flush()

    def run(self, argv: Sequence[str], log: Path) -> tuple[float, float]:
        """(wall ms, peak RSS KB) of one child; raises BenchError when it exits non-zero."""
        assert self.proc.stdout is not None
        self._send([list(argv), str(log)])
        line = self.proc.stdout.readline()
        if not line:
            raise BenchError(f"the launcher stopped (exit {self.proc.wait()})")
        wall, rss, code, own = json.loads(line)
        self.own_rss_kb = max(self.own_rss_kb, own * RSS_UNIT_KB)
        if code != 0:
            tail = log.read_text("utf-8", "replace")[-2000:]
            raise BenchError(f"{' '.join(argv)} exited {code}:\n{tail}")
        return wall, rss * RSS_UNIT_KB

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=10)


def measure(group: Sequence[Command], runs: int, launcher: Launcher, work: Path) -> None:
    """One untimed warm-up each, then `runs` rounds in which the commands alternate."""
    log = work / "child.log"
    for round_no in range(runs + 1):
        for cmd in group:
            for path in cmd.before:
                path.unlink(missing_ok=True)
            wall, rss = launcher.run(cmd.argv, log)
            if round_no:
                cmd.wall_ms.append(wall)
                cmd.rss_kb.append(rss)


def imported_modules(argv: Sequence[str], env: dict[str, str]) -> set[str]:
    """Top-level package names a command imports (via PYTHONPROFILEIMPORTTIME, which any python honours)."""
    proc = subprocess.run(
        argv, env={**env, "PYTHONPROFILEIMPORTTIME": "1"}, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise BenchError(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr[-2000:]}")
    names = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with_cpuinfo = Path("/proc/cpuinfo")
    if with_cpuinfo.exists():
        for line in with_cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_gb = None
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    os_name = platform.platform()
    release = Path("/etc/os-release")
    if release.exists():
        for line in release.read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = f"{line.split('=', 1)[1].strip(chr(34))}, kernel {platform.release()}"
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpus": usable,
        "cpu_model": cpu,
        "memory_gb": mem_gb,
        "python": platform.python_version(),
        "os": os_name,
    }


def build_commands(sim: Any, key: str, model: str, work: Path) -> dict[str, list[Command]]:
    bin_dir = Path(sys.executable).parent
    python = sys.executable
    gate_exe = bin_dir / GATE
    gate = [str(gate_exe)] if gate_exe.exists() else [python, "-m", "gate"]
    chat_url = f"{sim.base_url}/v1/chat/completions"
    floors = {}
    for name, extra in (("requests", ""), ("deps", "import click\nimport jsonschema\nimport junit_xml\n")):
        script = work / f"floor_{name}.py"
        script.write_text(FLOOR_SCRIPT.format(extra_imports=extra), encoding="utf-8")
        floors[name] = [python, str(script), chat_url, key, model]
    reports = {"json": work / "report.json", "junit": work / "report.xml", "summary": work / "summary.md"}
    auth = ["--api-key", key, "--model", model]
    request: list[Command] = []
    curl = shutil.which("curl")
    if curl:
        body = json.dumps(
            {
                "model": model,
                "messages": [
                    {"role": "system", "content": "Reply with exactly the word: pong"},
                    {"role": "user", "content": "ping"},
                ],
                "temperature": 0,
                "max_tokens": 16,
            }
        )
        curl_argv = [curl, "-sS", "-f", "--noproxy", "*", "-o", os.devnull, "-H"]
        curl_argv += [f"Authorization: Bearer {key}", "-H", "Content-Type: application/json"]
        curl_argv += ["--data-binary", body, chat_url]
        request.append(Command("curl", "(a) curl, one POST", curl_argv))
    request += [
        Command("requests", "(b) python + requests, one POST", floors["requests"]),
        Command("deps", "(c) (b) + import click, jsonschema, junit_xml", floors["deps"]),
        Command(
            "gate_all_reports",
            "(d) gate run --samples 1, json+junit+summary",
            [*gate, "run", "--base-url", sim.base_url, *auth, "--samples", "1"]
            + [arg for name, path in reports.items() for arg in (f"--{name}", str(path))],
            before=list(reports.values()),
        ),
    ]
    slow_url = sim.url_for("latency_100ms")
    samples = []
    for n in (1, 10):
        report = work / f"samples{n}.json"
        argv = [*gate, "run", "--base-url", slow_url, *auth, "--samples", str(n), "--json", str(report)]
        samples.append(Command(f"samples{n}", f"(e) gate run --samples {n}, 100 ms server", argv))
    startup = [
        Command("help", "(f) gate --help", [*gate, "--help"]),
        Command("version", "(f) gate --version", [*gate, "--version"]),
        Command("import_click", "(f) python -c 'import click'", [python, "-c", "import click"]),
    ]
    groups = {"request": request, "samples": samples, "startup": startup}
    plugins = detect_secrets_plugins()
    if plugins:
        groups["secret_rules"] = secret_rule_commands(sim, auth, plugins)
    return groups


def detect_secrets_plugins() -> list[str]:
    """The modules of detect-secrets' regex plugins, found without importing them; [] when not installed."""
    spec = importlib.util.find_spec("detect_secrets")
    if spec is None or spec.origin is None:
        return []
    folder = Path(spec.origin).parent / "plugins"
    return sorted(
        f"detect_secrets.plugins.{p.stem}" for p in folder.glob("*.py") if p.stem not in NOISY_PLUGINS
    )


def secret_rule_commands(sim: Any, auth: list[str], plugins: list[str]) -> list[Command]:
    """(g): the scan's module, and a run with a request file (the only runs that scan), each alone and with
    detect-secrets' regex plugins imported first. All four start the same way (`python -c`)."""
    python, loaded = sys.executable, ", ".join(plugins)
    gate_main = "from gate.cli import main; main()"
    run = ["run", "--base-url", sim.url_for("tmpl_ok"), *auth, "--samples", "1"]
    run += ["--request-file", str(REQUEST_FILE)]
    return [
        Command("scan_import", "(g) import requests, gate.config.payload_scan", [python, "-c", _SCAN_IMPORT]),
        Command(
            "scan_import_ds",
            "(g) the same + detect-secrets regex plugins",
            [python, "-c", f"{_SCAN_IMPORT}, {loaded}"],
        ),
        Command("request_file", "(g) gate run --request-file", [python, "-c", gate_main, *run]),
        Command(
            "request_file_ds",
            "(g) the same + detect-secrets regex plugins",
            [python, "-c", f"import {loaded}; {gate_main}", *run],
        ),
    ]


def ratio(results: dict[str, Command], num: str, den: str, stat: Any = statistics.median) -> float | None:
    """stat(num) / stat(den) of the wall times; None when a command was skipped."""
    if num not in results or den not in results:
        return None
    return stat(results[num].wall_ms) / stat(results[den].wall_ms)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, help=f"timed runs per command (default {DEFAULT_RUNS})")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_RUNS} runs per command (CI)")
    parser.add_argument("--json", type=Path, help="write the results to this file")
    args = parser.parse_args(argv)
    runs = args.runs if args.runs is not None else (QUICK_RUNS if args.quick else DEFAULT_RUNS)
    if runs < 1:
        parser.error("--runs must be at least 1")
    try:
        return bench(runs, args.json)
    except BenchError as exc:
        print(f"bench: cannot measure: {exc}", file=sys.stderr)
        return 2


def bench(runs: int, json_path: Path | None) -> int:
    try:
        from gate import __version__
        from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL, Simulator
    except ImportError as exc:
        raise BenchError(
            f"{exc}; run it with the project's python (.venv/bin/python bench/bench.py)"
        ) from None
    info = machine()
    print(f"cometapi-smoke-gate {__version__} bench: {runs} timed run(s) per command, alternating")
    print(
        f"machine: {info['cpus']} CPU(s), {info['cpu_model']}, {info['memory_gb']} GB, "
        f"Python {info['python']}, {info['os']}"
    )
    notes: list[str] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="gate-bench-") as tmp, Simulator() as sim:
        work = Path(tmp)
        env = child_env(work / "pycache")
        groups = build_commands(sim, DEFAULT_API_KEY, DEFAULT_MODEL, work)
        if not any(c.key == "curl" for c in groups["request"]):
            notes.append("curl not found: the physical floor (a) was skipped")
        launcher = Launcher(env)
        try:
            for group in groups.values():
                measure(group, runs, launcher, work)
        finally:
            launcher.close()
        notes.append(
            f"peak RSS readings cannot go below the launcher's own peak, {launcher.own_rss_kb / 1024:.1f} MB"
        )
        gate_report = json.loads((work / "report.json").read_text("utf-8"))
        if gate_report.get("result") != "pass":
            raise BenchError(
                f"the gate did not pass against the simulator: {gate_report.get('failure_class')}"
            )
        sample_latency = json.loads((work / "samples10.json").read_text("utf-8")).get("latency_ms")
        gate_cmd = groups["startup"][0].argv[:-1]
        loaded = {
            flag: sorted(imported_modules([*gate_cmd, flag], env) & set(HEAVY_MODULES))
            for flag in ("--help", "--version")
        }
    elapsed = time.monotonic() - started
    results = {c.key: c for group in groups.values() for c in group}
    print_table(results)
    rss_gate = max(results["gate_all_reports"].rss_kb) / 1024
    targets = [
        ("gate(1 sample, all reports) / dependency floor", "gate_all_reports", "deps", 1.3),
        ("samples10 / samples1 at 100 ms", "samples10", "samples1", 1.5),
        ("--help / import click", "help", "import_click", 1.5),
        ("--version / import click", "version", "import_click", 1.5),
    ]
    print("\ntargets (ratio of medians; ratio of minimums in brackets, for information):")
    target_out: dict[str, Any] = {}
    for name, num, den, limit in targets:
        value, best = ratio(results, num, den), ratio(results, num, den, min)
        ok = value is not None and value <= limit
        shown = f"{value:.2f} ({best:.2f})" if value is not None and best is not None else "n/a"
        print(f"  {'PASS' if ok else 'MISS'}  ratio {name:<48} {shown:>13}  target <= {limit:g}")
        target_out[name] = {
            "value": None if value is None else round(value, 3),
            "ratio_of_minimums": None if best is None else round(best, 3),
            "target": limit,
            "pass": ok,
        }
    rss_name = "peak RSS of the gate run (max of runs)"
    ok = rss_gate <= 60.0
    print(f"  {'PASS' if ok else 'MISS'}  {rss_name:<54} {rss_gate:>10.1f} MB  target <= 60 MB")
    target_out[rss_name] = {"value": round(rss_gate, 1), "unit": "MB", "target": 60.0, "pass": ok}
    print("checks:")
    for flag, mods in loaded.items():
        extra = f" (loaded: {', '.join(mods)})" if mods else ""
        print(
            f"  {'MISS' if mods else 'PASS'}  {GATE} {flag} imports none of {', '.join(HEAVY_MODULES)}{extra}"
        )
    print("for information:")
    info_ratios = [
        ("requests floor / curl", ratio(results, "requests", "curl")),
        ("dependency floor / requests floor", ratio(results, "deps", "requests")),
        ("gate(1 sample, all reports) / curl", ratio(results, "gate_all_reports", "curl")),
        ("scan import + detect-secrets / scan import", ratio(results, "scan_import_ds", "scan_import")),
        (
            "request-file run + detect-secrets / request-file run",
            ratio(results, "request_file_ds", "request_file"),
        ),
    ]
    for name, value in info_ratios:
        if value is not None:
            print(f"        ratio {name:<48} {value:>13.2f}")
    detect_secrets = detect_secrets_cost(results)
    if ds := detect_secrets:
        print(
            f"        detect-secrets {ds['version']}: its {ds['plugins']} regex plugins add "
            f"{ds['import_added_ms']:.1f} ms to the import and {ds['run_added_ms']:.1f} ms "
            f"({ds['run_added_rss_mb']:+.1f} MB peak RSS) to a request-file run (medians)"
        )
    else:
        notes.append("detect-secrets not installed: the secret-rules group (g) was skipped")
    if sample_latency:
        print(
            "        latency the gate reported for --samples 10 (last run): "
            f"p50 {sample_latency['p50']:.0f} ms, p95 {sample_latency['p95']:.0f} ms, "
            f"max {sample_latency['max']:.0f} ms"
        )
    for note in notes:
        print(f"note: {note}")
    print(f"bench took {elapsed:.1f} s")
    if json_path is not None:
        payload = {
            "version": __version__,
            "runs": runs,
            "machine": info,
            "commands": {key: cmd.summary() for key, cmd in results.items()},
            "targets": target_out,
            "ratios": {name: round(v, 3) for name, v in info_ratios if v is not None},
            "sample_latency_ms": sample_latency,
            "detect_secrets": detect_secrets,
            "lazy_imports": {"heavy_modules_loaded": loaded, "pass": not any(loaded.values())},
            "notes": notes,
            "elapsed_s": round(elapsed, 1),
            "launcher_rss_mb": round(launcher.own_rss_kb / 1024, 1),
        }
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {json_path}")
    return 0


def detect_secrets_cost(results: dict[str, Command]) -> dict[str, Any] | None:
    """What loading detect-secrets' regex plugins adds (medians, ms); None when the group was skipped."""
    if "scan_import_ds" not in results:
        return None
    from importlib.metadata import version

    def added(num: str, den: str) -> float:
        return round(statistics.median(results[num].wall_ms) - statistics.median(results[den].wall_ms), 1)

    return {
        "version": version("detect-secrets"),
        "plugins": len(detect_secrets_plugins()),
        "import_added_ms": added("scan_import_ds", "scan_import"),
        "run_added_ms": added("request_file_ds", "request_file"),
        "run_added_rss_mb": round(
            (
                statistics.median(results["request_file_ds"].rss_kb)
                - statistics.median(results["request_file"].rss_kb)
            )
            / 1024,
            1,
        ),
    }


def print_table(results: dict[str, Command]) -> None:
    header = f"{'command':<46} {'runs':>4} {'median ms':>10} {'min–max ms':>12} {'RSS MB med/max':>15}"
    print("\n" + header)
    print("-" * len(header))
    for cmd in results.values():
        s = cmd.summary()
        wall, rss = s["wall_ms"], s["peak_rss_mb"]
        spread = f"{wall['min']:.0f}–{wall['max']:.0f}"
        memory = f"{rss['median']:.1f}/{rss['max']:.1f}"
        print(f"{cmd.label:<46} {s['runs']:>4} {wall['median']:>10.1f} {spread:>12} {memory:>15}")


if __name__ == "__main__":
    sys.exit(main())
