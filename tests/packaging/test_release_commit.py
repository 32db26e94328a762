"""scripts/release_commit.py makes the release commit whose action.yml pulls the published image by digest,
moves the floating tags v1 and v1.2 to it and leaves the version tag, main, the index and the working tree
alone; the release workflow runs it with the pushed digest and pushes only the tags it moved."""

from __future__ import annotations

import difflib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml", reason="PyYAML is a test dependency (the test extra)")
if shutil.which("git") is None:
    pytest.skip("git is not installed", allow_module_level=True)

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "release_commit.py"
RELEASE_WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"
IMAGE = "ghcr.io/acme/cometapi-smoke-gate"
DIGEST = "sha256:" + "0123456789abcdef" * 4
REFERENCE = f"docker://{IMAGE}@{DIGEST}"
MAIN_LINE = b'  image: "Dockerfile"'
RELEASE_LINE = f'  image: "{REFERENCE}"'.encode()
COPIED = ["action.yml", "Dockerfile", "README.md", "gate/config/options.py", "scripts/lint_packaging.sh"]


def _env() -> dict[str, str]:
    """No GIT_* from outside, no user or system git config; git status must not rewrite the index."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1", GIT_OPTIONAL_LOCKS="0")
    return env


def _git(repo: Path, *args: str, check: bool = True) -> str:
    proc = subprocess.run(["git", *args], cwd=repo, env=_env(), capture_output=True, text=True)
    if check:
        assert proc.returncode == 0, f"git {' '.join(args)}: {proc.stderr}"
    return proc.stdout.strip()


def _run(repo: Path, *args: str, cwd: Path | None = None, with_repo: bool = True):
    argv = [sys.executable, str(SCRIPT), *args, *(["--repo", str(repo)] if with_repo else [])]
    return subprocess.run(argv, cwd=cwd or repo.parent, env=_env(), capture_output=True, text=True)


def _release(repo: Path, *, tag: str = "v1.2.3", **kwargs):
    return _run(repo, "--image", IMAGE, "--digest", DIGEST, "--tag", tag, **kwargs)


def _commit_all(repo: Path, message: str) -> str:
    _git(repo, "add", "--all")
    _git(repo, "commit", "--quiet", "-m", message)
    return _git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository on branch main holding the real action.yml and a few files, tagged v1.2.3."""
    path = tmp_path / "repo"
    path.mkdir()
    _git(path, "init", "--quiet", "--initial-branch=main")
    _git(path, "config", "user.name", "Release Test")
    _git(path, "config", "user.email", "release-test@example.com")
    _git(path, "config", "core.autocrlf", "false")
    for name in COPIED:
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, path / name)
    (path / "scripts" / "lint_packaging.sh").chmod(0o755)
    _commit_all(path, "Source of v1.2.3")
    _git(path, "tag", "-a", "v1.2.3", "-m", "v1.2.3")
    return path


def _state(repo: Path) -> dict:
    """Everything the script must leave alone (objects included: a refusal writes nothing)."""
    index = repo / ".git" / "index"
    return {
        "head": _git(repo, "rev-parse", "HEAD"),
        "branch": _git(repo, "symbolic-ref", "--quiet", "HEAD", check=False),
        "refs": _git(repo, "for-each-ref", "--format=%(refname) %(objectname)"),
        "status": _git(repo, "status", "--porcelain", "--untracked-files=all"),
        "index": (index.read_bytes(), index.stat().st_mtime_ns) if index.exists() else None,
        "action.yml": (repo / "action.yml").read_bytes() if (repo / "action.yml").exists() else None,
        "objects": _git(repo, "count-objects", "-v"),
    }


def _show(repo: Path, rev: str, path: str = "action.yml") -> bytes:
    return subprocess.run(
        ["git", "show", f"{rev}:{path}"], cwd=repo, env=_env(), capture_output=True, check=True
    ).stdout


def _peel(repo: Path, tag: str) -> str:
    return _git(repo, "rev-parse", "--verify", "--quiet", f"refs/tags/{tag}^{{commit}}", check=False)


def _generator():
    spec = importlib.util.spec_from_file_location("action_yml", ROOT / "scripts" / "action_yml.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _check_jsonschema() -> str | None:
    """check-jsonschema from .venv, else from scripts/lint_packaging.sh's venv, else from PATH."""
    lint_venv = Path(os.environ.get("LINT_VENV", "/tmp/lintvenv"))
    for candidate in (ROOT / ".venv" / "bin" / "check-jsonschema", lint_venv / "bin" / "check-jsonschema"):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("check-jsonschema")


# --- the release commit ---------------------------------------------------------------------------------


def test_release_commit_pins_the_image_and_changes_nothing_else(repo):
    main_head = _git(repo, "rev-parse", "main")
    before = _state(repo)
    proc = _release(repo)
    assert proc.returncode == 0, proc.stderr
    assert re.fullmatch(r"[0-9a-f]{40}\n", proc.stdout), proc.stdout
    commit = proc.stdout.strip()

    main_text, release_text = _show(repo, "main"), _show(repo, commit)
    assert release_text.count(RELEASE_LINE + b"\n") == 1
    changed = [
        line
        for line in difflib.ndiff(
            main_text.decode().splitlines(keepends=True), release_text.decode().splitlines(keepends=True)
        )
        if line[:2] in ("- ", "+ ")
    ]
    assert changed == ["- " + MAIN_LINE.decode() + "\n", "+ " + RELEASE_LINE.decode() + "\n"]
    assert release_text.replace(RELEASE_LINE, MAIN_LINE) == main_text

    # One parent, main's HEAD; the same tree apart from action.yml (modes kept).
    assert _git(repo, "rev-list", "--parents", "-n", "1", commit).split() == [commit, main_head]
    assert _git(repo, "diff", "--name-only", main_head, commit) == "action.yml"
    main_tree = _git(repo, "ls-tree", "-r", main_head).splitlines()
    release_tree = _git(repo, "ls-tree", "-r", commit).splitlines()
    assert [line for line in release_tree if not line.endswith("\taction.yml")] == [
        line for line in main_tree if not line.endswith("\taction.yml")
    ]
    assert "100755 blob" in next(line for line in release_tree if line.endswith("lint_packaging.sh"))
    assert _git(repo, "log", "-1", "--format=%s", commit) == (
        f"Release v1.2.3: action.yml pulls {IMAGE}@{DIGEST}"
    )

    # The floating tags moved (annotated); the version tag stays on the source commit.
    assert _peel(repo, "v1") == _peel(repo, "v1.2") == commit
    assert _git(repo, "cat-file", "-t", "refs/tags/v1") == "tag"
    assert _peel(repo, "v1.2.3") == main_head
    assert "v1, v1.2 -> " + commit in proc.stderr

    # main, the index and the working tree are untouched.
    after = _state(repo)
    for key in ("head", "branch", "status", "index", "action.yml"):
        assert after[key] == before[key], key
    assert after["branch"] == "refs/heads/main"
    assert after["status"] == ""
    assert MAIN_LINE in (repo / "action.yml").read_bytes()
    assert _git(repo, "rev-parse", "main") == main_head


def test_release_action_yml_is_what_the_generator_writes_for_the_image(repo, tmp_path, monkeypatch):
    commit = _release(repo).stdout.strip()
    release_text = _show(repo, commit).decode("utf-8")
    assert yaml.safe_load(release_text)["runs"] == {"using": "docker", "image": REFERENCE, "args": ["run"]}
    generator = _generator()
    if (ROOT / "action.yml").read_text(encoding="utf-8") != generator.render():
        pytest.skip("action.yml has drifted from gate/config/options.py (test_action_yml.py reports it)")
    assert release_text == generator.render(REFERENCE), "all but runs.image is what action_yml.py generates"
    # `python scripts/action_yml.py` run in the release commit finds action.yml in sync, image kept.
    target = tmp_path / "action.yml"
    target.write_text(release_text, encoding="utf-8")
    (tmp_path / "composite").mkdir()  # the release commit keeps HEAD's composite variant as it is
    (tmp_path / "composite" / "action.yml").write_text(generator.render_composite(), encoding="utf-8")
    monkeypatch.setattr(generator, "ACTION_PATH", target)
    monkeypatch.setattr(generator, "ROOT", tmp_path)
    assert generator.main([]) == 0
    assert generator.current_image(release_text) == REFERENCE


def test_release_action_yml_is_valid_against_the_action_schema(repo, tmp_path):
    tool = _check_jsonschema()
    if tool is None:
        pytest.skip(
            "check-jsonschema is not installed (.venv/bin, $LINT_VENV/bin or PATH): "
            "run scripts/lint_packaging.sh once to install it"
        )
    commit = _release(repo).stdout.strip()
    target = tmp_path / "action.yml"
    target.write_bytes(_show(repo, commit))
    # The same builtin schema scripts/lint_packaging.sh checks action.yml against (offline).
    proc = subprocess.run(
        [tool, "--builtin-schema", "vendor.github-actions", str(target)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_uncommitted_changes_are_kept_and_left_out_of_the_release(repo):
    (repo / "README.md").write_text("edited, not staged\n", encoding="utf-8")
    (repo / "staged.txt").write_text("staged, not committed\n", encoding="utf-8")
    _git(repo, "add", "staged.txt")
    (repo / "action.yml").write_bytes((repo / "action.yml").read_bytes() + b"# local edit\n")
    before = _state(repo)
    proc = _release(repo)
    assert proc.returncode == 0, proc.stderr
    commit = proc.stdout.strip()
    after = _state(repo)
    for key in ("head", "branch", "status", "index", "action.yml"):
        assert after[key] == before[key], key
    assert _git(repo, "diff", "--name-only", "HEAD", commit) == "action.yml"
    assert b"# local edit" not in _show(repo, commit)
    assert _show(repo, commit, "README.md") == _show(repo, "HEAD", "README.md")


def test_repo_defaults_to_the_current_directory_and_a_detached_head_works(repo):
    _git(repo, "checkout", "--quiet", "--detach", "v1.2.3")
    (repo / "gate").mkdir(exist_ok=True)
    proc = _release(repo, cwd=repo / "gate", with_repo=False)
    assert proc.returncode == 0, proc.stderr
    commit = proc.stdout.strip()
    assert _git(repo, "diff", "--name-only", "v1.2.3", commit) == "action.yml"
    assert _peel(repo, "v1") == commit
    assert _git(repo, "rev-parse", "HEAD") == _peel(repo, "v1.2.3")


def test_crlf_line_endings_are_kept(repo):
    text = (repo / "action.yml").read_bytes().replace(b"\n", b"\r\n")
    (repo / "action.yml").write_bytes(text)
    _commit_all(repo, "CRLF")
    _git(repo, "tag", "-f", "-a", "v1.2.3", "-m", "v1.2.3")
    proc = _release(repo)
    assert proc.returncode == 0, proc.stderr
    assert _show(repo, proc.stdout.strip()) == text.replace(MAIN_LINE + b"\r\n", RELEASE_LINE + b"\r\n")


def test_floating_tags_only_move_forward(repo):
    """A patch for an older line moves its minor tag, not the major tag a newer release holds."""
    newer = _git(repo, "commit-tree", "HEAD^{tree}", "-p", "HEAD", "-m", "Source of v1.3.0")
    _git(repo, "tag", "v1.3.0", newer)
    _git(repo, "tag", "v1", newer)
    _git(repo, "tag", "v1.4.0-rc.1", newer)  # a pre-release is not a newer release
    proc = _release(repo)
    assert proc.returncode == 0, proc.stderr
    commit = proc.stdout.strip()
    assert _peel(repo, "v1") == newer
    assert _peel(repo, "v1.2") == commit
    assert "left v1 alone: v1.3.0 is newer" in proc.stderr

    _git(repo, "tag", "v1.2.4", newer)
    proc = _release(repo)
    assert proc.returncode == 0, proc.stderr
    assert _peel(repo, "v1") == newer and _peel(repo, "v1.2") == commit
    assert "no tag moved" in proc.stderr

    proc = _release(repo, tag="v2.0.0")  # no v2.0.0 tag here: nothing to compare HEAD with
    assert proc.returncode == 0, proc.stderr
    assert _peel(repo, "v2") == _peel(repo, "v2.0") == proc.stdout.strip()


# --- refusals: exit 2, one line, nothing changed ----------------------------------------------------------


def _assert_refused(repo: Path, proc, expected: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("release_commit.py: ") and expected in lines[0], lines[0]


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--digest", "sha256:" + "A" * 64, "is not sha256: followed by 64 lowercase hex"),
        ("--digest", "sha256:" + "0" * 63, "is not sha256: followed by 64 lowercase hex"),
        ("--digest", "0" * 64, "is not sha256: followed by 64 lowercase hex"),
        ("--digest", "sha512:" + "0" * 128, "is not sha256: followed by 64 lowercase hex"),
        ("--digest", "", "is not sha256: followed by 64 lowercase hex"),
        ("--image", "ghcr.io/Acme/cometapi-smoke-gate", "is not REGISTRY/<owner>/<repo> in lowercase"),
        ("--image", "acme/cometapi-smoke-gate", "is not REGISTRY/<owner>/<repo> in lowercase"),
        ("--image", "cometapi-smoke-gate", "is not REGISTRY/<owner>/<repo> in lowercase"),
        ("--image", "ghcr.io/acme", "is not REGISTRY/<owner>/<repo> in lowercase"),
        ("--image", "127.0.0.1:5000/acme", "is not REGISTRY/<owner>/<repo> in lowercase"),
        ("--image", "ghcr.io/acme/cometapi-smoke-gate:v1", "is not REGISTRY/<owner>/<repo> in lowercase"),
        ("--image", f"ghcr.io/acme/cometapi-smoke-gate@{DIGEST}", "is not REGISTRY/<owner>/<repo>"),
        ("--image", "docker://ghcr.io/acme/cometapi-smoke-gate", "is not REGISTRY/<owner>/<repo>"),
        ("--image", "https://ghcr.io/acme/cometapi-smoke-gate", "is not REGISTRY/<owner>/<repo>"),
        ("--image", "ghcr.io/acme/cometapi-smoke-gate\n", "is not REGISTRY/<owner>/<repo>"),
        ("--tag", "1.2.3", "is not a release tag vMAJOR.MINOR.PATCH"),
        ("--tag", "v1.2", "is not a release tag vMAJOR.MINOR.PATCH"),
        ("--tag", "v1", "is not a release tag vMAJOR.MINOR.PATCH"),
        ("--tag", "v1.3.0-rc.1", "is not a release tag vMAJOR.MINOR.PATCH"),
        ("--tag", "v01.2.3", "is not a release tag vMAJOR.MINOR.PATCH"),
        ("--tag", "V1.2.3", "is not a release tag vMAJOR.MINOR.PATCH"),
    ],
)
def test_malformed_arguments_are_refused(repo, option, value, expected):
    args = {"--image": IMAGE, "--digest": DIGEST, "--tag": "v1.2.3", option: value}
    before = _state(repo)
    proc = _run(repo, *(item for pair in args.items() for item in pair))
    _assert_refused(repo, proc, expected)
    assert _state(repo) == before


@pytest.mark.parametrize(
    "image",
    [
        "127.0.0.1:5000/acme/cometapi-smoke-gate",  # the loopback registry of the release-path test
        "localhost:5000/acme/cometapi-smoke-gate",
        "registry.example.com:8443/platform/tools/cometapi-smoke-gate",
        "docker.io/acme/cometapi-smoke-gate",
    ],
)
def test_any_named_registry_is_pinned(repo, image):
    proc = _run(repo, "--image", image, "--digest", DIGEST, "--tag", "v1.2.3")
    assert proc.returncode == 0, proc.stderr
    release_text = _show(repo, proc.stdout.strip()).decode("utf-8")
    assert yaml.safe_load(release_text)["runs"]["image"] == f"docker://{image}@{DIGEST}"


def _pinned(text: str) -> str:
    return text.replace('  image: "Dockerfile"', f'  image: "{REFERENCE}"')


def _twice(text: str) -> str:
    return text.replace('  color: "green"\n', '  color: "green"\n  image: "Dockerfile"\n')


def _outside_runs(text: str) -> str:
    return _twice(text).replace('  using: "docker"\n  image: "Dockerfile"', '  using: "docker"\n  image: "x"')


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_pinned, "has the line 'image: \"Dockerfile\"' 0 times, not once"),
        (lambda text: text.replace('  image: "Dockerfile"', "  image: 'Dockerfile'"), "0 times, not once"),
        (lambda text: text.replace('  image: "Dockerfile"', '    image: "Dockerfile"'), "0 times, not once"),
        (_twice, "has the line 'image: \"Dockerfile\"' 2 times, not once"),
        (_outside_runs, "outside the runs: section"),
        (None, "HEAD has no action.yml file"),
    ],
    ids=["already-pinned", "single-quoted", "indented", "twice", "outside-runs", "missing"],
)
def test_action_yml_without_exactly_one_dockerfile_line_under_runs_is_refused(repo, edit, expected):
    if edit is None:
        _git(repo, "rm", "--quiet", "action.yml")
    else:
        text = (repo / "action.yml").read_text(encoding="utf-8")
        (repo / "action.yml").write_text(edit(text), encoding="utf-8")
    _commit_all(repo, "edited action.yml")
    _git(repo, "tag", "-f", "-a", "v1.2.3", "-m", "v1.2.3")
    before = _state(repo)
    _assert_refused(repo, _release(repo), expected)
    assert _state(repo) == before
    assert _peel(repo, "v1") == ""


def test_a_version_tag_on_another_commit_is_refused(repo):
    (repo / "new.txt").write_text("after the release\n", encoding="utf-8")
    _commit_all(repo, "after the release")
    before = _state(repo)
    _assert_refused(repo, _release(repo), "tag v1.2.3 points at")
    assert _state(repo) == before


def test_a_directory_without_a_repository_is_refused(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    _assert_refused(empty, _release(empty), "is not a git repository with a commit at HEAD")
    assert list(empty.iterdir()) == []


# --- the release workflow -------------------------------------------------------------------------------


def _release_step() -> tuple[dict, dict]:
    jobs = yaml.safe_load(RELEASE_WORKFLOW.read_text(encoding="utf-8"))["jobs"]
    steps = [
        step for step in jobs["major-tag"]["steps"] if "scripts/release_commit.py" in step.get("run", "")
    ]
    assert len(steps) == 1, "one step of the major-tag job runs scripts/release_commit.py"
    return jobs, steps[0]


def test_workflow_runs_the_script_with_the_pushed_digest_and_pushes_only_the_moved_tags():
    jobs, step = _release_step()
    job = jobs["major-tag"]
    assert job["needs"] == "image" or "image" in job["needs"]
    assert job["if"] == "${{ !contains(github.ref_name, '-') }}", "pre-releases move nothing"
    assert job["permissions"] == {"contents": "write"}
    assert (
        "contents" not in jobs["image"]["permissions"] or jobs["image"]["permissions"]["contents"] == "read"
    )
    assert jobs["image"]["outputs"]["digest"] == "${{ steps.push.outputs.digest }}"
    checkout = job["steps"][0]
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with"]["fetch-depth"] == 0, "the script compares with every release tag"

    assert step["env"] == {"TAG": "${{ github.ref_name }}", "DIGEST": "${{ needs.image.outputs.digest }}"}
    run = step["run"]
    call = re.sub(r"\\\n\s*", "", run)
    assert (
        'python3 scripts/release_commit.py --image "ghcr.io/${GITHUB_REPOSITORY,,}" --digest "$DIGEST" '
        '--tag "$TAG"' in call
    )
    assert 'git config user.name "github-actions[bot]"' in run
    pushes = [line.strip() for line in run.splitlines() if "git push" in line]
    assert pushes == ['git push --force origin "${moved[@]}"']
    assert 'for tag in "$major" "$minor"; do' in run
    assert 'moved+=("refs/tags/$tag")' in run
    assert "--tags" not in run and "--mirror" not in run and "git tag " not in run


def test_workflow_step_moves_and_pushes_the_floating_tags_to_a_remote(repo, tmp_path):
    """The step's shell, run against a local bare remote: v1 and v1.2 pushed, v1.2.3 and main untouched."""
    _, step = _release_step()
    (repo / "scripts" / "release_commit.py").write_bytes(SCRIPT.read_bytes())
    source = _commit_all(repo, "the release script is part of the tagged tree")
    _git(repo, "tag", "-f", "-a", "v1.2.3", "-m", "v1.2.3")
    remote = tmp_path / "origin.git"
    _git(tmp_path, "init", "--quiet", "--bare", str(remote))
    _git(repo, "remote", "add", "origin", str(remote))
    _git(repo, "push", "--quiet", "origin", "main", "refs/tags/v1.2.3")
    _git(repo, "checkout", "--quiet", "--detach", "v1.2.3")
    remote_before = _git(remote, "for-each-ref", "--format=%(refname) %(objectname)")

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    summary = tmp_path / "summary.md"
    env = _env() | {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "TAG": "v1.2.3",
        "DIGEST": DIGEST,
        "GITHUB_REPOSITORY": "Acme/CometAPI-Smoke-Gate",
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr

    commit = _peel(repo, "v1")
    release_text = _show(repo, commit)
    assert b'  image: "docker://ghcr.io/acme/cometapi-smoke-gate@' + DIGEST.encode() + b'"' in release_text
    assert _peel(remote, "v1") == _peel(remote, "v1.2") == commit
    assert _peel(remote, "v1.2.3") == source
    remote_after = _git(remote, "for-each-ref", "--format=%(refname) %(objectname)")
    changed = set(remote_after.splitlines()) - set(remote_before.splitlines())
    assert {line.split()[0] for line in changed} == {"refs/tags/v1", "refs/tags/v1.2"}
    assert _git(remote, "rev-parse", "refs/heads/main") == source
    assert commit in summary.read_text(encoding="utf-8")
