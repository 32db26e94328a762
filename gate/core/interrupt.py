"""Cancellation: SIGINT and SIGTERM end a run within seconds, with every report saying it was interrupted.

A cancelled CI job gets SIGINT first, then SIGTERM (GitHub), or SIGTERM alone (`docker stop`, Kubernetes).
While the checks run (on a worker thread: gate.app), either signal raises `Interrupted` in the main thread,
which only waits: the check under way fails as `interrupted` and the rest are skipped. While the reports are
written, a signal is only noted (`hold`), so no file is cut short; the process then exits 130 or 143.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

from gate.core.failures import ExitCode

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):  # like KeyboardInterrupt, which it replaces here
    """Raised in the main thread by SIGINT or SIGTERM while a run is under way."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> ExitCode:
        return exit_code(self.signum)


def exit_code(signum: int) -> ExitCode:
    return ExitCode.TERMINATED if signum == signal.SIGTERM else ExitCode.INTERRUPTED


class Signals:
    """The process's SIGINT/SIGTERM handling for one command: raise, or note while the reports are written.
    Outside the main thread (a test calling the gate from a worker), signals are left alone."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._holding = False
        self._previous: dict[int, object] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        first = self.received is None
        self.received = self.received or signum
        if first and not self._holding:
            raise Interrupted(signum)

    def install(self) -> Signals:
        if threading.current_thread() is threading.main_thread():
            for signum in SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        self._previous.clear()

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Signals are noted, not raised, inside this block (the reports are being written)."""
        holding, self._holding = self._holding, True
        try:
            yield
        finally:
            self._holding = holding
