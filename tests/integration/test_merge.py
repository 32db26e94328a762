"""`cometapi-smoke-gate merge`: the reports of a CI matrix (one gate run per job, each against the simulator)
merged into one run, with the exit codes, decision, reports and outputs of one run of several targets."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from gate.cli import main
from gate.core.redact import FRAGMENT
from gate.publish.github import OUTPUT_NAMES
from gate.simulator import DEFAULT_API_KEY, DEFAULT_MODEL
from tests.support import report_problems

KEY = "sk-MergeProbe-0123456789abcdefXYZ"
_GATE_VARIABLES = ("INPUT_", "COMETAPI_", "GATE_", "GITHUB_", "GITLAB_CI", "JENKINS_URL")

# job name -> (scenario, extra options): each job one `run` of the matrix, its report in its own directory
JOBS: dict[str, tuple[str, tuple[str, ...]]] = {
    "eu-west": ("ok", ("--environment", "production-eu")),
    "us-east": ("ok", ("--environment", "production-us")),
    "ap-south": ("auth", ("--environment", "production-ap")),
    "rate": ("rate_limit", ("--environment", "production-rate", "--retries", "0")),
    "gw-upstream": ("gw_bad_status", ("--environment", "production-gw", "--retries", "0")),
    "gw-token": ("gw_invalid_token", ("--environment", "production-gw2")),
    "other-change": ("ok", ("--environment", "production-eu", "--change-id", "CH-8")),
    "report-mode": ("auth", ("--environment", "production-rm", "--mode", "report")),
}
EXPECTED_EXIT = {"ap-south": 1, "rate": 3, "gw-upstream": 3, "gw-token": 1}


def _isolated(extra: Mapping[str, str] | None = None) -> dict[str, str | None]:
    """The environment for an in-process CLI call: no gate or CI variable of the developer's shell."""
    env: dict[str, str | None] = {name: None for name in os.environ if name.startswith(_GATE_VARIABLES)}
    env.update(extra or {})
    return env


def _run_job(out: Path, scenario: str, *options: str) -> int:
    """One job of the matrix: `run` against the simulator, its report in `out`, change CH-7 unless given."""
    change = [] if "--change-id" in options else ["--change-id", "CH-7"]
    args = ["run", "--base-url", f"sim://{scenario}", "--api-key", KEY, "--json", str(out / "report.json")]
    result = CliRunner().invoke(main, [*args, *change, *options], env=_isolated(), catch_exceptions=False)
    return result.exit_code


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One directory per job, each holding the report its gate run wrote (as a CI artifact download)."""
    root = tmp_path_factory.mktemp("matrix")
    for name, (scenario, options) in JOBS.items():
        code = _run_job(root / name, scenario, *options)
        assert code == (0 if name == "report-mode" else EXPECTED_EXIT.get(name, 0)), name
    return root


@dataclass
class Merged:
    exit_code: int
    stdout: str
    stderr: str
    out: Path

    @property
    def report(self) -> dict:
        return json.loads((self.out / "merged.json").read_text(encoding="utf-8"))

    @property
    def summary(self) -> str:
        return (self.out / "summary.md").read_text(encoding="utf-8")

    @property
    def junit(self) -> ET.Element:
        return ET.parse(self.out / "junit.xml").getroot()

    def target(self, name: str) -> dict:
        return next(t for t in self.report["targets"] if t["name"] == name)

    def run_checks(self) -> list[dict]:
        return [c for c in self.report["checks"] if "target" not in c]


@pytest.fixture
def jobs(matrix: Path, tmp_path: Path) -> Iterator[Path]:
    """The job directories copied under tmp_path (reports/<job>/report.json), so every report a test
    merges is checked against the schema after it."""
    reports = tmp_path / "reports"
    shutil.copytree(matrix, reports)
    yield reports


def _merge(tmp_path: Path, *args: str, env: Mapping[str, str] | None = None) -> Merged:
    out = tmp_path / "merged"
    outputs = ["--json", str(out / "merged.json"), "--junit", str(out / "junit.xml")]
    outputs += ["--summary", str(out / "summary.md")]
    result = CliRunner().invoke(main, ["merge", *args, *outputs], env=_isolated(env), catch_exceptions=False)
    return Merged(result.exit_code, result.stdout, result.stderr, out)


def _reports(root: Path, *names: str) -> list[str]:
    return [str(root / name / "report.json") for name in names]


def _job_checks(root: Path, name: str) -> list[str]:
    return [c["id"] for c in json.loads((root / name / "report.json").read_text())["checks"]]


def test_every_job_passing_is_exit_0_proceed_with_one_report_of_every_job(jobs, tmp_path):
    merged = _merge(tmp_path, *_reports(jobs, "eu-west", "us-east"), "--expect-jobs", "eu-west,us-east")
    assert merged.exit_code == 0, merged.stdout + merged.stderr
    report = merged.report
    assert report_problems(report) == []
    assert (report["result"], report["decision"], report["exit_code"]) == ("pass", "proceed", 0)
    assert [t["name"] for t in report["targets"]] == ["eu-west", "us-east"]
    assert report["environment"] == "production-eu, production-us"
    assert merged.target("eu-west")["decision_record"]["change_id"] == "CH-7"
    suites = {
        s.get("name"): [c.get("name") for c in s.iter("testcase")] for s in merged.junit.iter("testsuite")
    }
    assert suites == {f"cometapi-smoke-gate/{job}": _job_checks(jobs, job) for job in ("eu-west", "us-east")}
    assert merged.summary.startswith("## ✅ Smoke gate: proceed, all 2 targets passed")
    assert "target eu-west: PASS" in merged.stdout and "RESULT: PASS" in merged.stdout


def test_a_permanent_failure_is_exit_1_and_the_failing_jobs_come_first(jobs, tmp_path):
    merged = _merge(tmp_path, *_reports(jobs, "eu-west", "rate", "us-east", "ap-south"))
    assert merged.exit_code == 1, merged.stdout
    report = merged.report
    assert (report["result"], report["decision"]) == ("fail", "hold")
    assert [t["name"] for t in report["targets"]] == ["rate", "ap-south", "eu-west", "us-east"]
    assert report["failed_target"] == "rate" and report["failure_class"] == "rate_limit"
    assert report["exit_code"] == 1  # not 3: ap-south's auth failure is permanent
    summary = merged.summary
    assert summary.startswith("## ❌ Smoke gate: hold, 2 of 4 targets failed (rate, ap-south)")
    rows = [
        line.split("|")[1].strip() for line in summary.splitlines() if line.startswith("| ") and "❌" in line
    ]
    assert rows[:2] == ["rate", "ap-south"]
    sections = [line for line in summary.splitlines() if line.startswith("### Target")]
    assert sections == [
        "### Target `rate`",
        "### Target `ap-south`",
        "### Target `eu-west`",
        "### Target `us-east`",
    ]
    failures = {s.get("name"): s.get("failures") for s in merged.junit.iter("testsuite")}
    assert failures["cometapi-smoke-gate/ap-south"] == "1" and failures["cometapi-smoke-gate/eu-west"] == "0"


def test_only_transient_failures_exit_3(jobs, tmp_path):
    merged = _merge(tmp_path, *_reports(jobs, "eu-west", "rate", "gw-upstream"), "--expect", "3")
    assert merged.exit_code == 3, merged.stdout
    assert merged.report["failure_class"] == "rate_limit"
    assert merged.target("gw-upstream")["failure_class"] == "upstream"


def test_the_gateways_own_auth_answer_is_permanent(jobs, tmp_path):
    merged = _merge(tmp_path, *_reports(jobs, "gw-upstream", "gw-token"))
    assert merged.exit_code == 1
    assert {t["name"]: t["failure_class"] for t in merged.report["targets"]} == {
        "gw-upstream": "upstream",
        "gw-token": "auth",
    }


def test_a_job_run_in_report_mode_fails_an_enforcing_merge(jobs, tmp_path):
    merged = _merge(tmp_path, *_reports(jobs, "eu-west", "report-mode"))
    assert merged.exit_code == 1
    assert merged.target("report-mode")["exit_code"] == 1
    in_report_mode = _merge(tmp_path / "again", *_reports(jobs, "eu-west", "report-mode"), "--mode", "report")
    assert in_report_mode.exit_code == 0
    assert (in_report_mode.report["result"], in_report_mode.report["exit_code"]) == ("fail", 0)


def test_github_outputs_and_step_summary(jobs, tmp_path):
    commands = tmp_path / "file_commands"
    commands.mkdir()
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(commands / "output"),
        "GITHUB_STEP_SUMMARY": str(commands / "summary"),
    }
    out = tmp_path / "merged"
    result = CliRunner().invoke(
        main,
        ["merge", *_reports(jobs, "eu-west", "ap-south"), "--json", str(out / "merged.json")],
        env=_isolated(env),
        catch_exceptions=False,
    )
    assert result.exit_code == 1
    outputs = dict(line.split("=", 1) for line in (commands / "output").read_text().splitlines())
    assert set(outputs) == set(OUTPUT_NAMES)
    assert (outputs["result"], outputs["decision"], outputs["failure-class"]) == ("fail", "hold", "auth")
    assert outputs["report-path"] == str(out / "merged.json") and outputs["junit-path"] == ""
    assert (
        outputs["request-id"]
        == json.loads((jobs / "ap-south" / "report.json").read_text())["quoted_request_id"]
    )
    assert (commands / "summary").read_text().startswith("## ❌ Smoke gate: hold, 1 of 2 targets failed")
    assert "::error title=smoke gate%3A auth (ap-south)::" in result.stdout


def test_a_job_that_never_reported_fails_the_merge(jobs, tmp_path):
    merged = _merge(
        tmp_path, *_reports(jobs, "eu-west", "us-east"), "--expect-jobs", "eu-west us-east eu-central"
    )
    assert merged.exit_code == 1, merged.stdout
    missing = merged.target("eu-central")
    assert (missing["failure_class"], missing["failed_check"]) == ("evidence", "report")
    assert missing["checks"][0]["message"].startswith("job eu-central never reported")
    assert merged.report["failed_target"] == "eu-central"
    assert "target eu-central: FAIL [evidence]" in merged.stdout
    counted = _merge(tmp_path / "counted", *_reports(jobs, "eu-west", "us-east"), "--expect", "3")
    assert counted.exit_code == 1
    assert counted.target("missing-1")["checks"][0]["message"] == (
        "job missing-1 never reported: 2 of 3 jobs reported (eu-west, us-east)"
    )


def test_a_report_of_a_job_nobody_expected_is_refused(jobs, tmp_path):
    merged = _merge(tmp_path, *_reports(jobs, "eu-west", "us-east"), "--expect-jobs", "eu-west")
    assert merged.exit_code == 2
    assert [(c["id"], c["failure_class"]) for c in merged.run_checks()] == [("merge-jobs", "config")]
    assert "us-east" in merged.run_checks()[0]["message"]
    counted = _merge(tmp_path / "counted", *_reports(jobs, "eu-west", "us-east"), "--expect", "1")
    assert counted.exit_code == 2


def _broken_json(path: Path) -> None:
    path.write_text('{"schema_version": "1", "result": ', encoding="utf-8")


def _breaks_the_schema(path: Path) -> None:
    report = json.loads(path.read_text(encoding="utf-8"))
    report["checks"][0]["status"] = "maybe"
    path.write_text(json.dumps(report), encoding="utf-8")


def _contradicts_itself(path: Path) -> None:
    report = json.loads(path.read_text(encoding="utf-8"))
    report["result"] = "fail"
    path.write_text(json.dumps(report), encoding="utf-8")


def _not_a_report(path: Path) -> None:
    path.write_text('{"hello": "world"}', encoding="utf-8")


def _gone(path: Path) -> None:
    path.unlink()


def _a_directory(path: Path) -> None:
    path.unlink()
    path.mkdir()


def _too_big(path: Path) -> None:
    path.write_bytes(b" " * (8 * 1_048_576 + 1))


@pytest.mark.not_gate_reports  # a deliberately broken report: the merged one is checked by hand
@pytest.mark.parametrize(
    ("breaks", "said"),
    [
        (_broken_json, "does not parse as JSON"),
        (_breaks_the_schema, "does not match the JSON report's schema"),
        (_contradicts_itself, "says result fail, but none of its checks failed"),
        (_not_a_report, "is not a cometapi-smoke-gate JSON report"),
        (_gone, "cannot read"),
        (_a_directory, "is a directory, not a file"),
        (_too_big, "an input file may be at most 8,388,608 bytes (8 MiB)"),
    ],
    ids=lambda value: getattr(value, "__name__", "")[1:] or None,
)
def test_a_bad_input_is_a_configuration_error_with_every_report(jobs, tmp_path, breaks, said):
    bad = jobs / "us-east" / "report.json"
    breaks(bad)
    merged = _merge(tmp_path, *_reports(jobs, "eu-west", "us-east", "ap-south"))
    assert merged.exit_code == 2, merged.stdout + merged.stderr
    assert "Traceback" not in merged.stdout + merged.stderr
    report = merged.report
    assert report_problems(report) == []
    assert (report["result"], report["decision"]) == ("fail", "hold")
    unusable = merged.target("us-east")
    assert (unusable["failure_class"], unusable["failed_check"]) == ("config", "report")
    message = unusable["checks"][0]["message"]
    assert str(bad) in message and said in message
    assert {t["name"] for t in report["targets"]} == {"eu-west", "us-east", "ap-south"}  # the others count
    assert "reports/us-east/report.json" in merged.summary  # (the summary escapes the underscores before it)
    cases = {c.get("name"): c for s in merged.junit.iter("testsuite") for c in s.iter("testcase")}
    assert cases["report"].find("failure").get("type") == "config"


def test_the_same_report_twice_is_refused(jobs, tmp_path):
    eu = jobs / "eu-west" / "report.json"
    twice = _merge(
        tmp_path,
        str(eu),
        str(jobs / "us-east" / "report.json"),
        str(jobs / ".." / "reports" / "eu-west" / "report.json"),
    )
    assert twice.exit_code == 2
    assert [c["id"] for c in twice.run_checks()] == ["merge-duplicates"]
    assert [t["name"] for t in twice.report["targets"]] == ["eu-west", "us-east"]
    shutil.copytree(jobs / "eu-west", jobs / "eu-west-copy")  # one job's artifact uploaded under two names
    copied = _merge(tmp_path / "copied", *_reports(jobs, "eu-west", "eu-west-copy"))
    assert copied.exit_code == 2
    (duplicate,) = copied.run_checks()
    assert duplicate["id"] == "merge-duplicates" and "is the same run as eu-west" in duplicate["message"]
    assert [t["name"] for t in copied.report["targets"]] == ["eu-west"]


def test_two_files_of_one_job_name_are_refused_unless_named_by_file(jobs, tmp_path):
    flat = tmp_path / "flat"
    flat.mkdir()
    for job in ("eu-west", "us-east"):
        shutil.copy(jobs / job / "report.json", flat / f"{job}.json")
    by_dir = _merge(tmp_path, str(flat / "eu-west.json"), str(flat / "us-east.json"))
    assert by_dir.exit_code == 2
    assert [c["id"] for c in by_dir.run_checks()] == ["merge-names"]
    assert [t["name"] for t in by_dir.report["targets"]] == ["flat", "flat~2"]
    by_file = _merge(
        tmp_path / "by-file", str(flat / "eu-west.json"), str(flat / "us-east.json"), "--name-from", "file"
    )
    assert by_file.exit_code == 0
    assert [t["name"] for t in by_file.report["targets"]] == ["eu-west", "us-east"]


def test_reports_of_different_changes_are_refused_unless_allowed(jobs, tmp_path):
    mixed = _merge(tmp_path, *_reports(jobs, "eu-west", "other-change"))
    assert mixed.exit_code == 2
    (refused,) = mixed.run_checks()
    assert refused["id"] == "merge-changes"
    assert "change id CH-7 (eu-west); CH-8 (other-change)" in refused["message"]
    allowed = _merge(
        tmp_path / "allowed", *_reports(jobs, "eu-west", "other-change"), "--allow-mixed-changes"
    )
    assert allowed.exit_code == 0
    assert any("different changes" in notice for notice in allowed.report["notices"])
    assert allowed.target("other-change")["decision_record"]["change_id"] == "CH-7, CH-8"


def test_a_merged_report_and_a_several_targets_report_are_flattened(jobs, tmp_path):
    first = _merge(tmp_path / "first", *_reports(jobs, "eu-west", "ap-south"))
    assert first.exit_code == 1
    wave = jobs / "wave-1"
    wave.mkdir()
    shutil.copy(first.out / "merged.json", wave / "report.json")
    targets = tmp_path / "targets.toml"
    targets.write_text(
        '[[target]]\nname = "primary"\nbase-url = "sim://ok"\n\n[[target]]\nname = "backup"\nbase-url = "sim://ok"\n',
        encoding="utf-8",
    )
    fleet = jobs / "fleet"
    assert _run_job(fleet, "ok", "--targets", str(targets), "--change-id", "CH-7") == 0
    merged = _merge(
        tmp_path, str(wave / "report.json"), str(fleet / "report.json"), "--expect-jobs", "wave-1,fleet"
    )
    assert merged.exit_code == 1, merged.stdout
    assert [t["name"] for t in merged.report["targets"]] == [
        "wave-1/ap-south",
        "wave-1/eu-west",
        "fleet/primary",
        "fleet/backup",
    ]
    assert merged.target("wave-1/ap-south")["failure_class"] == "auth"
    assert report_problems(merged.report) == []
    again = _merge(tmp_path / "again", str(wave / "report.json"), *_reports(jobs, "eu-west"))
    assert again.exit_code == 2  # a job's report beside the merged report that holds it: the same run twice


def test_no_secret_in_any_output(jobs, tmp_path):
    """The reports hold no key; a report that does (a bug, an edit) is masked when the merge job has it."""
    tampered = jobs / "us-east" / "report.json"
    report = json.loads(tampered.read_text(encoding="utf-8"))
    report["checks"][0]["message"] = f"the server said {KEY}"
    tampered.write_text(json.dumps(report), encoding="utf-8")
    commands = tmp_path / "file_commands"
    commands.mkdir()
    env = {
        "COMETAPI_API_KEY": KEY,
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(commands / "output"),
        "GITHUB_STEP_SUMMARY": str(commands / "summary"),
    }
    merged = _merge(tmp_path, *_reports(jobs, "eu-west", "us-east", "ap-south"), env=env)
    assert merged.exit_code == 1
    files = [*merged.out.iterdir(), *commands.iterdir()]
    assert {p.name for p in files} == {"merged.json", "junit.xml", "summary.md", "output"}
    written = [p.read_text(encoding="utf-8") for p in files]
    fragments = {KEY[i : i + FRAGMENT] for i in range(len(KEY) - FRAGMENT + 1)}
    for text in (merged.stdout, merged.stderr, *written):
        assert not any(fragment in text for fragment in fragments)
    assert merged.report["failure_class"] == "auth"  # masked before writing: no leak found afterwards
    assert "the server said ***" in merged.target("us-east")["checks"][0]["message"]


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (("--expect", "three"), "--expect: 'three' is not a number of jobs"),
        (("--expect", "2", "--expect-jobs", "eu-west"), "2 jobs expected, but --expect-jobs names 1"),
        (("--name-from", "report"), "--name-from: 'report' is not one of dir, file"),
        (("--mode", "strict"), "--mode (from --mode): 'strict' is not one of enforce, report"),
    ],
)
def test_a_bad_option_is_a_configuration_error_with_every_report(jobs, tmp_path, options, said):
    merged = _merge(tmp_path, *_reports(jobs, "eu-west"), *options)
    assert merged.exit_code == 2
    assert said in merged.stderr
    report = merged.report
    assert (report["failure_class"], report["failed_check"]) == ("config", "config")
    assert said in report["checks"][0]["message"]
    assert merged.summary.startswith("## ❌ Smoke gate: hold")
    assert merged.junit.find(".//failure").get("type") == "config"


def test_a_cancelled_job_fails_the_merge_as_interrupted_not_with_its_signal(jobs, sim, tmp_path):
    """A job stopped by SIGTERM (a cancelled CI job) exits 143 with its report; the merge was not
    interrupted: it fails (exit 1, class interrupted, hold), within the 0/1/2/3 contract."""
    out = jobs / "cancelled"
    args = ["--base-url", sim.url_for("slow"), "--api-key", DEFAULT_API_KEY, "--model", DEFAULT_MODEL]
    env = {k: v for k, v in os.environ.items() if not k.startswith(_GATE_VARIABLES)}
    with subprocess.Popen(
        [sys.executable, "-m", "gate", "run", *args, "--json", str(out / "report.json")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    ) as proc:
        waited = 0.0
        while sim.count("slow") == 0 and waited < 60:  # the request is in flight: cancel the job
            time.sleep(0.05)
            waited += 0.05
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 143
    merged = _merge(tmp_path, *_reports(jobs, "eu-west", "cancelled"))
    assert merged.exit_code == 1, merged.stdout
    cancelled = merged.target("cancelled")
    assert (cancelled["failure_class"], cancelled["exit_code"], cancelled["decision"]) == (
        "interrupted",
        1,
        "hold",
    )
    assert merged.report["exit_code"] == 1


def test_a_report_linked_out_of_the_checkout_is_refused(jobs, matrix, tmp_path, monkeypatch):
    """A committed `reports/x/report.json -> /elsewhere/report.json` is not read (the input-file rules)."""
    monkeypatch.chdir(tmp_path)
    linked = jobs / "linked" / "report.json"
    linked.parent.mkdir()
    linked.symlink_to(matrix / "us-east" / "report.json")
    merged = _merge(tmp_path, *_reports(jobs, "eu-west", "linked"))
    assert merged.exit_code == 2
    message = merged.target("linked")["checks"][0]["message"]
    assert "is a symbolic link out of the working directory" in message
