"""Shared by the crash scenarios (run as scripts by tests/test_crash.py)."""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import parago as pg  # noqa: E402


def report_pid(ready, fn, args):
    ready.send(os.getpid())
    fn(*args)


def start_remote(fn, *args) -> int:
    """Start fn(*args) on another process (main keeps P0 busy meanwhile)."""
    ready = pg.chan(1)
    pg.go(report_pid, ready, fn, args)
    deadline = time.monotonic() + 30
    while len(ready) == 0:
        assert time.monotonic() < deadline, "no worker took the goroutine"
        time.sleep(0.0005)
    pid = ready.recv()
    assert pid != os.getpid()
    return pid


def wait_for_crash(n: int = 1, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while len(pg.runtime.crashes()) < n:
        assert time.monotonic() < deadline, "the crash was not noticed"
        pg.sleep(0.005)


def killer(pid, progress, at):
    """SIGKILL process ``pid`` once the atomic ``progress`` reaches ``at``."""
    deadline = time.monotonic() + 30
    while progress.load() < at and time.monotonic() < deadline:
        time.sleep(0.0001)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass                     # the stream had ended and the run with it
