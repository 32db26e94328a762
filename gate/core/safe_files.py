"""Writing the gate's files without following anything a repository placed in their way.

The gate runs inside pull-request workflows: the workspace, and every path in it, may come from the change
under test. So a destination the user names (`--json`, `--junit`, `--summary`, `--metrics-file`) is never
followed through a symbolic link, and neither is any directory on its way at or below the working directory:
a committed `reports -> /home/runner/.ssh` link is refused, not written through. Every file is written to a
new, randomly named temp file created exclusively (`O_EXCL | O_NOFOLLOW`, mode 0644) in the destination's
directory and renamed over it, so a reader never sees half a report and a planted temp name is never
written through. Appends (the step summary) open with `O_NOFOLLOW | O_NONBLOCK` and are undone on failure.

The paths the CI system hands over (`GITHUB_STEP_SUMMARY`, `GITHUB_OUTPUT`) are trusted: followed as given,
their directories never made. Every failure raises `OSError` with a message that names the problem.

Windows (the composite action on a Windows runner) has neither `O_NOFOLLOW` nor `dir_fd`: there the same
checks are made on paths (`lstat`, a reparse point, a junction included, counts as a link) just before the
open and the rename, and files are opened in binary mode. Creating a link on Windows needs a privilege a
workflow does not normally have, which narrows what the remaining window between check and use could serve.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from pathlib import Path

MODE = 0o644
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # 0 on Windows
_PORTABLE = getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)  # each 0 where it does not exist
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW | _PORTABLE
_APPEND = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NONBLOCK", 0) | _PORTABLE
# Writes through a directory descriptor (openat, renameat) where the platform has them: Linux and macOS.
_AT = hasattr(os, "O_DIRECTORY") and {os.open, os.stat, os.unlink, os.rename} <= os.supports_dir_fd
_REPARSE_POINT = getattr(stat, "FILE_ATTRIBUTE_REPARSE_POINT", 0x400)


class RefusedPath(OSError):
    """A destination the gate will not write: a link, a directory or a special file."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(errno.EPERM, problem, str(path))
        self.problem = problem


def _is_link(info: os.stat_result) -> bool:
    """A symbolic link, or on Windows any reparse point (a junction too)."""
    return stat.S_ISLNK(info.st_mode) or bool(getattr(info, "st_file_attributes", 0) & _REPARSE_POINT)


def _kind_of(info: os.stat_result) -> str | None:
    return _kind(stat.S_IFLNK if _is_link(info) else info.st_mode)


def _lstat_kind(path: Path | str, **dir_fd: int) -> str | None:
    """What is at `path` when it is not a regular file; None when nothing is there."""
    try:
        return _kind_of(os.lstat(path, **dir_fd))
    except FileNotFoundError:
        return None


def _kind(mode: int) -> str | None:
    """What a destination is, when it is not a regular file."""
    if stat.S_ISLNK(mode):
        return "is a symbolic link (never followed)"
    if stat.S_ISDIR(mode):
        return "is a directory"
    if not stat.S_ISREG(mode):
        return "is not a regular file (a FIFO, socket or device)"
    return None


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def prepare_directory(path: Path) -> Path:
    """The destination's directory as an absolute path, made when missing. No directory at or below the
    working directory on the way may be a symbolic link (those are the workspace's, and may be planted).
    The path is taken lexically (`a/../b` is `b`), and every write then goes through this directory, so the
    kernel never walks a component that was not checked."""
    cwd = Path(os.path.abspath(os.getcwd()))
    parent = Path(os.path.abspath(path)).parent
    current = Path(parent.anchor)
    for part in parent.parts[1:]:
        current = current / part
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            with contextlib.suppress(FileExistsError):
                os.mkdir(current, 0o755)
            info = os.lstat(current)
        if _is_link(info) and _inside(current, cwd):
            raise RefusedPath(path, f"its directory {current} is a symbolic link (never followed)")
        if not stat.S_ISDIR(os.stat(current).st_mode):
            raise RefusedPath(path, f"{current} is not a directory")
    return parent


def check_destination(path: Path) -> None:
    """Everything a write will need, checked before anything is sent: the directory exists or is made,
    the destination is not a link, a directory or a special file, and a file can be created beside it (a
    read-only mount or a full inode table fails here). Raises OSError naming the problem."""
    parent = prepare_directory(path)
    problem = _lstat_kind(parent / path.name)
    if problem:
        raise RefusedPath(path, problem)
    probe = parent / f".{path.name}.{secrets.token_hex(8)}.probe"
    fd = os.open(probe, _CREATE, MODE)
    os.close(fd)
    os.unlink(probe)


def replace_file(path: Path, text: str) -> None:
    """Write `text` to a fresh exclusive temp file beside `path`, then rename it over `path`. The temp file
    is removed on any failure; the destination is refused, never followed, when it is not a regular file."""
    parent = prepare_directory(path)
    data = text.encode("utf-8", "surrogateescape")
    temp = f".{path.name}.{secrets.token_hex(8)}.tmp"
    if not _AT:
        _replace_by_path(path, parent / temp, parent / path.name, data)
        return
    directory = os.open(parent, os.O_RDONLY | os.O_DIRECTORY | _PORTABLE)
    try:
        fd = os.open(temp, _CREATE, MODE, dir_fd=directory)
        try:
            _fill(fd, data)
            problem = _lstat_kind(path.name, dir_fd=directory)
            if problem:
                raise RefusedPath(path, problem)
            os.replace(temp, path.name, src_dir_fd=directory, dst_dir_fd=directory)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp, dir_fd=directory)
            raise
    finally:
        os.close(directory)


def _replace_by_path(path: Path, temp: Path, target: Path, data: bytes) -> None:
    """replace_file where there is no dir_fd (Windows): the same steps, on the checked directory's path."""
    fd = os.open(temp, _CREATE, MODE)
    try:
        _fill(fd, data)
        problem = _lstat_kind(target)
        if problem:
            raise RefusedPath(path, problem)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _fill(fd: int, data: bytes) -> None:
    """Write `data` to a new file's descriptor and close it, mode 0644 whatever the umask (later steps, as
    another user, read the reports; Windows has no fchmod and no such modes)."""
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, MODE)
        _write_all(fd, data)
    finally:
        os.close(fd)


def append_file(path: Path, text: str, *, trusted: bool = False) -> None:
    """Append `text` (a shared file such as the step summary: never replaced). A user-given path is not
    followed through links; a path the CI system handed over is. A failed append is cut back off, so the
    file never ends in half a section."""
    if trusted:
        fd = os.open(path, _APPEND, MODE)
    else:
        parent = prepare_directory(path)
        problem = None if NOFOLLOW else _lstat_kind(parent / path.name)  # no O_NOFOLLOW: look first
        if problem:
            raise RefusedPath(path, problem)
        try:
            fd = os.open(parent / path.name, _APPEND | NOFOLLOW, MODE)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise RefusedPath(path, "is a symbolic link (never followed)") from None
            if exc.errno == errno.ENXIO:  # a FIFO with no reader
                raise RefusedPath(path, _kind(stat.S_IFIFO) or "") from None
            raise
    try:
        info = os.fstat(fd)
        problem = _kind_of(info)
        if problem:
            raise RefusedPath(path, problem)
        try:
            _write_all(fd, text.encode("utf-8", "surrogateescape"))
        except OSError:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, info.st_size)
            raise
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def describe(exc: OSError) -> str:
    """One line for an OSError: the problem, without Python's `[Errno n]` prefix."""
    if isinstance(exc, RefusedPath):
        return exc.problem
    return exc.strerror or str(exc)
