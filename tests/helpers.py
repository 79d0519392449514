"""Helpers for tests that run a scenario in one process and across processes.

Every helper here is importable by worker processes (tests/ is on sys.path),
so goroutine bodies defined at module level in test files or here are copied
by reference.
"""

from __future__ import annotations

import os
import re
import time

import parago as pg

# The two ways every channel/sync behaviour is exercised.
MODES = ("local", "xproc")
PROCS = {"local": 1, "xproc": 2}


def _remote_body(ready, fn, args):
    ready.send(os.getpid())
    fn(*args)


def start_peer(mode: str, fn, *args) -> int:
    """Start ``fn(*args)`` as a goroutine. In "xproc" mode it is provably on
    another process: main keeps its own P busy (plain sleeps, no parago
    blocking) until the goroutine reports its pid, so only another P can
    have started it. Returns that pid."""
    if mode == "local":
        pg.go(fn, *args)
        return os.getpid()
    ready = pg.chan(1)
    pg.go(_remote_body, ready, fn, args)
    deadline = time.monotonic() + 60
    while len(ready) == 0:
        if time.monotonic() > deadline:
            raise TimeoutError("no other P started the peer goroutine within 60 s")
        time.sleep(0.0005)
    pid = ready.recv()
    assert pid != os.getpid(), "peer ran on main's process"
    return pid


def send_value(out, v) -> None:
    out.send(v)


def send_value_twice(out, v) -> None:
    out.send(v)
    out.send(v)


def _unnamed(out, v) -> None:
    out.send(v)


UNNAMED = [_unnamed]    # a module's function no longer under its own name there
del _unnamed


def run(mode: str, main, *args):
    return pg.run(main, *args, procs=PROCS[mode])


_HEADER = re.compile(r"^goroutine (\d+) \[([^\]]*)\]", re.MULTILINE)


def states() -> list[tuple[int, str]]:
    """(goroutine id, status) of every goroutine in every process."""
    return [(int(g), s) for g, s in _HEADER.findall(pg.runtime.stack())]


def wait_blocked(reason: str, n: int = 1, timeout: float = 30.0) -> None:
    """Poll the goroutine dump until at least ``n`` goroutines are parked with
    a status starting with ``reason``. This is how tests establish that a
    goroutine *is blocked* without racing on a sleep."""
    deadline = time.monotonic() + timeout
    while True:
        got = sum(1 for _, s in states() if s.startswith(reason))
        if got >= n:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {got} goroutine(s) blocked in {reason!r} after {timeout} s:\n"
                               + pg.runtime.stack())
        pg.sleep(0.001)
