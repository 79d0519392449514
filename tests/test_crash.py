"""Surviving a process that dies at any instruction (issue: crashes).

Scenario scripts in tests/scenarios/ run in a subprocess (a crash test must
never take the test runner with it) and SIGKILL a worker at random points of
1,000 cross-process channel operations, or deterministically at the worst
instants. Each checks its own invariants; here we check it finished in time,
reported success, and left no segment and no process behind.
"""

from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import psutil
import pytest

import parago as pg
from helpers import start_peer

pytestmark = pytest.mark.timeout(300)

SCENARIOS = pathlib.Path(__file__).resolve().parent / "scenarios"


def run_scenario(*args, timeout=240) -> dict:
    p = subprocess.Popen([sys.executable, str(SCENARIOS / args[0]), *map(str, args[1:])],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        pytest.fail(f"{args} hung:\n{err[-3000:]}")
    assert p.returncode == 0, f"{args} failed:\n{err[-4000:]}"
    leftovers = [n for n in os.listdir("/dev/shm") if n.startswith(f"parago_{p.pid}_")]
    assert not leftovers, f"segments left behind: {leftovers}"
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.parametrize("seed", (1, 2, 3))
def test_sigkill_producer_at_random_points(seed):
    r = run_scenario("kill_producer.py", 15, seed)
    assert r["ok"] and len(r["received"]) == 15


@pytest.mark.parametrize("seed", (1, 2, 3))
def test_sigkill_consumer_at_random_points(seed):
    r = run_scenario("kill_consumer.py", 15, seed)
    assert r["ok"] and len(r["received"]) == 15


@pytest.mark.parametrize("where", ("lock", "deliver", "alloc", "gqueue"))
def test_death_inside_a_critical_section_wedges_nobody(where):
    assert run_scenario("die_in_critical_section.py", where, timeout=60)["ok"]


def kill_self():
    os.kill(os.getpid(), signal.SIGKILL)


def parked(ch):
    ch.recv()


def test_default_crash_ends_the_run_naming_what_was_lost():
    def main():
        ch = pg.chan()
        ready = pg.chan(1)
        pid = start_peer("xproc", parked_then_report, ch, ready)
        gid = ready.recv()
        t0 = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        try:
            ch.recv()                       # main is blocked when the crash is noticed
        finally:
            main.waited = time.monotonic() - t0
        return gid
    main.waited = None
    with pytest.raises(pg.WorkerCrashed) as ei:
        pg.run(main, procs=2)
    e = ei.value
    assert e.proc == 1 and e.exitcode == -signal.SIGKILL
    assert "SIGKILL" in str(e) and "P1" in str(e)
    assert len(e.goroutines) >= 1 and str(e.goroutines[-1]) in str(e)
    assert main.waited < 1.0, "the crash was noticed after more than 1 s"


def parked_then_report(ch, ready):
    """Would send on ch an hour from now: the program is not deadlocked,
    it only loses this goroutine when its process is killed."""
    from parago._core import sched
    ready.send(sched.tls.proc.current.id)
    pg.sleep(3600)
    ch.send(1)


def test_continue_mode_replaces_the_process(recwarn):
    def main():
        pid = start_peer("xproc", kill_self)
        deadline = time.monotonic() + 10
        while not pg.runtime.crashes():
            assert time.monotonic() < deadline
            pg.sleep(0.01)
        # a replacement P1 is started and runs goroutines again
        pid2 = start_peer("xproc", lambda: None)
        assert pid2 != pid and psutil.pid_exists(pid2)
        return len(pg.runtime.crashes())
    assert pg.run(main, procs=2, on_crash="continue") == 1
    assert any("replaced" in str(w.message) for w in recwarn)


def test_bad_on_crash_value():
    with pytest.raises(ValueError, match="on_crash"):
        pg.run(lambda: None, procs=1, on_crash="ignore")


def soak_producer(ch, n):
    for i in range(n):
        ch.send(i)
    ch.close()


@pytest.mark.stress
@pytest.mark.timeout(1800)
def test_soak_ten_million_values_across_two_processes():
    n = 10_000_000

    def main():
        ch = pg.chan(1024)
        start_peer("xproc", soak_producer, ch, n)
        total = count = 0
        for v in ch:
            total += v
            count += 1
        return count, total
    count, total = pg.run(main, procs=2)
    assert count == n and total == n * (n - 1) // 2
