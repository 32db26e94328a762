"""Make the release commit that `uses: org/cometapi-smoke-gate@v1` runs: action.yml pulls the published image.

    python scripts/release_commit.py --image ghcr.io/OWNER/REPO --digest sha256:<64 hex> --tag v1.2.3 \
        [--repo PATH]

On `main` action.yml says `image: "Dockerfile"`, so the self-test workflow builds the code under review; a job
that uses a commit like that builds the image itself (base-image pull and pip install, every time). After the
release workflow has pushed the image, this script creates, in the git repository at --repo (default: the
current directory), a RELEASE COMMIT whose only parent is HEAD and whose tree is HEAD's tree with one line of
action.yml changed:

    image: "Dockerfile"   ->   image: "docker://ghcr.io/owner/repo@sha256:<digest>"

Everything else in action.yml stays byte for byte, so it still validates against the action schema and
`python scripts/action_yml.py` (which keeps whichever image action.yml names) still finds it in sync. The
commit is written with git plumbing (hash-object, mktree, commit-tree) from HEAD's committed files: the
working tree, the index and the checked-out branch are not touched, and nothing goes over the network.

Tags (the decision):
  * The version tag that triggered the release (v1.2.3) stays where it is: it names the reviewed source
    commit and is never moved. The script refuses when it exists and does not point at HEAD.
  * The MAJOR tag (v1) and the MINOR tag (v1.2) are moved to the release commit (`git tag -f`, annotated), so
    `uses: ...@v1` and `uses: ...@v1.2` pull the image instead of building it. A floating tag only moves
    forward: v1 is left alone when a newer vMAJOR.x.y tag exists (a patch for an older minor line), and v1.2
    when a newer v1.2.x tag exists; the script says so on stderr.
  * The release commit is on no branch: it stays reachable while a floating tag points at it. Pins that
    must never change keep using the version tag's commit (which builds the Dockerfile) or the image digest.
  * Pushing is the workflow's job: it pushes, with --force, only the floating tags that now point at the
    printed commit (never the version tag). Tags pushed with the workflow's GITHUB_TOKEN start no workflow
    run, so moving v1.2 does not trigger the release workflow again.

Prints the release commit's sha on stdout. Exit 2 (one line on stderr, nothing changed) when an argument is
malformed, action.yml at HEAD does not have the line `  image: "Dockerfile"` under `runs:` exactly once, or
the version tag points elsewhere; exit 1 when git fails. Only the standard library is used.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys

ACTION_FILE = "action.yml"
DEFAULT_LINE = '  image: "Dockerfile"'

DIGEST_RE = re.compile(r"sha256:[0-9a-f]{64}")
# REGISTRY/<owner>/<repo>[/...]: a registry host named explicitly (a dot, a port or `localhost`, as Docker
# tells a registry from a Docker Hub user), then two or more lowercase Docker path components; no tag, no
# digest, no scheme. Releases push to ghcr.io/<owner>/<repo>; the release-path test (scripts/runner_test.sh)
# pushes to a registry on loopback, 127.0.0.1:<port>/<owner>/<repo>.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_PORT = r"(?::[0-9]{1,5})"
_REGISTRY = rf"(?:{_LABEL}(?:\.{_LABEL})+{_PORT}?|localhost{_PORT}?|{_LABEL}{_PORT})"
IMAGE_RE = re.compile(rf"{_REGISTRY}/{_COMPONENT}(?:/{_COMPONENT})+")
VERSION_RE = re.compile(r"v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")


class Refusal(Exception):
    """A precondition failed: exit 2, nothing changed."""


class GitError(Exception):
    """A git command failed: exit 1."""


def git(repo: str, *args: str, stdin: bytes | None = None, check: bool = True) -> bytes:
    proc = subprocess.run(["git", "-C", repo, *args], input=stdin, capture_output=True)
    if check and proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines() or [f"exit {proc.returncode}"]
        raise GitError(f"git {' '.join(args[:2])} failed: {message[-1]}")
    return proc.stdout if proc.returncode == 0 else b""


def parse_version(tag: str) -> tuple[int, int, int] | None:
    match = VERSION_RE.fullmatch(tag)
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def check_arguments(image: str, digest: str, tag: str) -> None:
    if not IMAGE_RE.fullmatch(image):
        raise Refusal(
            f"--image {image!r} is not REGISTRY/<owner>/<repo> in lowercase (no scheme, tag or digest)"
        )
    if not DIGEST_RE.fullmatch(digest):
        raise Refusal(f"--digest {digest!r} is not sha256: followed by 64 lowercase hex digits")
    if parse_version(tag) is None:
        raise Refusal(f"--tag {tag!r} is not a release tag vMAJOR.MINOR.PATCH (pre-releases move nothing)")


def pin_image(text: bytes, reference: str) -> bytes:
    """action.yml with its one `  image: "Dockerfile"` line under `runs:` naming `reference` instead."""
    lines = text.splitlines(keepends=True)
    hits = [i for i, line in enumerate(lines) if line.rstrip(b"\r\n") == DEFAULT_LINE.encode()]
    if len(hits) != 1:
        found = f"{len(hits)} times, not once"
        raise Refusal(f"{ACTION_FILE} at HEAD has the line '{DEFAULT_LINE.strip()}' {found}")
    section = None
    for line in lines[: hits[0]]:
        match = re.match(rb"([A-Za-z_][\w-]*):", line)
        if match:
            section = match[1]
    if section != b"runs":
        raise Refusal(f"{ACTION_FILE} at HEAD has '{DEFAULT_LINE.strip()}' outside the runs: section")
    line = lines[hits[0]]
    ending = line[len(line.rstrip(b"\r\n")) :]
    lines[hits[0]] = f"  image: {json.dumps(reference)}".encode() + ending
    return b"".join(lines)


def head_commit(repo: str) -> str:
    sha = git(repo, "rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False).decode().strip()
    if not sha:
        raise Refusal(f"{repo} is not a git repository with a commit at HEAD")
    return sha


def tag_commit(repo: str, name: str) -> str | None:
    out = git(repo, "rev-parse", "--verify", "--quiet", f"refs/tags/{name}^{{commit}}", check=False)
    return out.decode().strip() or None


def floating_tags(repo: str, version: tuple[int, int, int]) -> tuple[list[str], list[str]]:
    """(tags to move, notes on tags left alone): vMAJOR and vMAJOR.MINOR, unless a newer release exists."""
    major, minor, _ = version
    released = [
        parsed
        for name in git(repo, "tag", "--list", f"v{major}.*").decode().split()
        if (parsed := parse_version(name)) is not None
    ]
    move, notes = [], []
    newest_major = max([v for v in released if v[0] == major], default=version)
    newest_minor = max([v for v in released if v[:2] == (major, minor)], default=version)
    for name, newest in ((f"v{major}", newest_major), (f"v{major}.{minor}", newest_minor)):
        if newest > version:
            notes.append(f"left {name} alone: v{'.'.join(map(str, newest))} is newer")
        else:
            move.append(name)
    return move, notes


def release(repo: str, image: str, digest: str, tag: str) -> str:
    check_arguments(image, digest, tag)
    version = parse_version(tag)
    head = head_commit(repo)
    tagged = tag_commit(repo, tag)
    if tagged is not None and tagged != head:
        raise Refusal(f"tag {tag} points at {tagged[:12]}, not at HEAD {head[:12]}: check out the tag first")
    entries = [e for e in git(repo, "ls-tree", "-z", "--full-tree", "HEAD").split(b"\0") if e]
    action = [e for e in entries if e.partition(b"\t")[2] == ACTION_FILE.encode()]
    if len(action) != 1 or action[0].split(b" ")[1] != b"blob":
        raise Refusal(f"HEAD has no {ACTION_FILE} file at the top of the repository")
    reference = f"docker://{image}@{digest}"
    pinned = pin_image(git(repo, "cat-file", "blob", f"HEAD:{ACTION_FILE}"), reference)
    move, notes = floating_tags(repo, version)

    blob = git(repo, "hash-object", "-w", "--no-filters", "--stdin", stdin=pinned).decode().strip()
    mode = action[0].split(b" ")[0]
    entries = [
        mode + b" blob " + blob.encode() + b"\t" + ACTION_FILE.encode() if e == action[0] else e
        for e in entries
    ]
    tree = git(repo, "mktree", "-z", stdin=b"".join(e + b"\0" for e in entries)).decode().strip()
    message = f"Release {tag}: {ACTION_FILE} pulls {image}@{digest}"
    commit = git(repo, "commit-tree", tree, "-p", head, "-m", message).decode().strip()
    for name in move:
        git(repo, "tag", "-f", "-a", name, "-m", f"{name} -> {tag}: {message.partition(': ')[2]}", commit)
    for note in notes:
        print(f"release_commit.py: {note}", file=sys.stderr)
    moved = ", ".join(move) or "no tag moved"
    print(f"release_commit.py: {moved} -> {commit} (release commit of {tag})", file=sys.stderr)
    return commit


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="release_commit.py",
        description="Create the release commit whose action.yml pulls the published image by digest, "
        "and move the major and minor tags to it.",
    )
    parser.add_argument("--image", required=True, help="REGISTRY/OWNER/REPO, lowercase (ghcr.io/OWNER/REPO)")
    parser.add_argument("--digest", required=True, help="sha256:<64 lowercase hex> of the pushed image")
    parser.add_argument("--tag", required=True, help="the release tag vMAJOR.MINOR.PATCH (left where it is)")
    parser.add_argument("--repo", default=".", help="the git repository (default: the current directory)")
    args = parser.parse_args(argv)
    try:
        commit = release(args.repo, args.image, args.digest, args.tag)
    except Refusal as refusal:
        print(f"release_commit.py: {refusal}", file=sys.stderr)
        return 2
    except GitError as error:
        print(f"release_commit.py: {error}", file=sys.stderr)
        return 1
    print(commit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
