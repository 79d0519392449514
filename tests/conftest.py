"""Test-wide checks: after every test no goroutine, worker process or
/dev/shm segment of this process's runtimes is left behind."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import psutil
import pytest

from helpers import MODES
from parago._core import sched
from parago._runtime.runtime import current as current_runtime
from parago._shm import segment


def _own_segments() -> set[str]:
    me = f"{segment.PREFIX}{os.getpid()}_"
    return {n for n in segment.list_segments() if n.startswith(me)}


# Callables returning the pids of processes a fixture keeps beyond one test
# (a Dask cluster kept for a module): those and their descendants are not leaks.
_kept: list[Callable[[], set[int]]] = []


def _leaked_processes() -> list[psutil.Process]:
    """Descendants that are not multiprocessing's long-lived helpers (the
    forkserver and resource tracker are per test process and expected) nor
    kept by a fixture (keep_processes)."""
    out = []
    me = os.getpid()
    kept = set().union(*(pids() for pids in _kept))
    for p in psutil.Process(me).children(recursive=True):
        try:
            cmd = " ".join(p.cmdline())
            if p.status() == psutil.STATUS_ZOMBIE:
                continue
            if kept & ({p.pid} | {a.pid for a in p.parents()}):
                continue
            if p.ppid() == me and ("forkserver" in cmd or "resource_tracker" in cmd):
                continue
            out.append(p)
        except psutil.NoSuchProcess:
            continue
    return out


@pytest.fixture(autouse=True)
def no_leaks():
    before = _own_segments()
    yield
    assert sched.tls.proc is None, "a runtime's scheduler is still installed after the test"
    assert current_runtime() is None, "a runtime is still running after the test"
    leaked = _own_segments() - before
    assert not leaked, f"shared-memory segments left in /dev/shm: {sorted(leaked)}"
    deadline = time.monotonic() + 5
    while (procs := _leaked_processes()) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not procs, f"processes left running: {[(p.pid, p.cmdline()) for p in procs]}"


@pytest.fixture(scope="session")
def keep_processes() -> list[Callable[[], set[int]]]:
    """Where a fixture that keeps processes beyond one test registers a
    callable giving their pids (and removes it when it stops them)."""
    return _kept


@pytest.fixture(params=MODES)
def mode(request):
    """Run the test with every goroutine in one process ("local", procs=1)
    and with the peer provably in another process ("xproc", procs=2)."""
    return request.param
