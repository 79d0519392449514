"""Placement (DESIGN decision 8): Go's canonical patterns spread over every P
without a hint, and the scheduler defects found while measuring them.

These tests check where goroutines ran, never how fast: speed is perf/'s
(perf/patterns.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
import types

import pytest

import parago as pg
from helpers import run, start_peer, wait_blocked
from parago._runtime import hooks
from parago._shm import layout as L
from parago._shm import ptable
from parago._shm.arena import Arena

pytestmark = pytest.mark.timeout(120)

RUNS = 20


def burn(k):
    s = 0
    for i in range(k):
        s += i * i
    return s


# ---- a. workers started before any job exists ------------------------------------------

def worker(jobs, results, where):
    where.send(os.getpid())
    for n in jobs:
        results.send(burn(n))


def feed(jobs, n):
    for _ in range(n):
        jobs.send(2000)
    jobs.close()


def workers_first(w, feeder, cap):
    jobs, results, where = pg.chan(cap), pg.chan(64), pg.chan(w)
    for _ in range(w):
        pg.go(worker, jobs, results, where)      # workers first, as Go code does
    n = 40
    if feeder == "go":
        pg.go(feed, jobs, n)
    else:
        for _ in range(n):
            jobs.send(2000)
            if len(results):
                results.recv()
                n -= 1
        jobs.close()
    for _ in range(n):
        results.recv()
    return {where.recv() for _ in range(w)}


@pytest.mark.parametrize("w,feeder,cap", [(2, "go", 0), (2, "main", 0), (4, "main", 64),
                                          (16, "go", 64)])
def test_workers_started_first_run_on_every_process(w, feeder, cap):
    for _ in range(RUNS):
        assert len(pg.run(workers_first, w, feeder, cap, procs=2)) == 2


# ---- e. recursive fork-join ------------------------------------------------------------------

def node(depth, wg, placed, go_on, leaves):
    if depth == 0:
        placed.send(None)
        go_on.recv()             # every leaf is placed before any ends (below)
        burn(20000)
        leaves.send(os.getpid())
    else:
        inner = pg.WaitGroup()
        inner.add(2)
        pg.go(node, depth - 1, inner, placed, go_on, leaves)
        pg.go(node, depth - 1, inner, placed, go_on, leaves)
        inner.wait()
    wg.done()


def fork_join(depth):
    """A fork-join tree whose leaves all wait to be placed before they
    compute: where they run then depends on the placement policy alone, not
    on which process the OS gave more time (the tests run beside others)."""
    n = 2 ** depth
    leaves, placed, go_on, wg = pg.chan(n), pg.chan(n), pg.chan(), pg.WaitGroup()
    wg.add(1)
    pg.go(node, depth, wg, placed, go_on, leaves)
    for _ in range(n):
        placed.recv()
    go_on.close()
    wg.wait()
    return [leaves.recv() for _ in range(n)]


def test_fork_join_leaves_spread_off_mains_process():
    for _ in range(RUNS):
        pids = pg.run(fork_join, 6, procs=2)
        off = sum(1 for p in pids if p != os.getpid())
        assert off >= len(pids) / 3, f"only {off} of {len(pids)} leaves left main's process"


# ---- d. a pipeline of raw goroutines -----------------------------------------------------------

def stage(no, inbox, out, wg, where):
    where.send((no, os.getpid()))
    for item in inbox:
        burn(1000)
        out.send(item)
    wg.done()


def closer(wg, ch):
    wg.wait()
    ch.close()


def source(out, n):
    for i in range(n):
        out.send(i)
    out.close()


def all_procs_alive():
    """Wait (parked, not racing a clock) until every P's process runs: a P
    still starting after STARTING_PATIENCE_NS has its queue started by
    another P, which a loaded machine can take that long to reach."""
    while any(p["state"] == "starting" for p in pg.runtime.stats()):
        pg.sleep(0.01)


def pipeline(per_stage):
    all_procs_alive()
    where = pg.chan(3 * per_stage)
    src = pg.chan()
    pg.go(source, src, 30)
    inbox = src
    for no in range(3):
        out, wg = pg.chan(), pg.WaitGroup()
        wg.add(per_stage)
        for _ in range(per_stage):
            pg.go(stage, no, inbox, out, wg, where)
        pg.go(closer, wg, out)
        inbox = out
    assert sorted(inbox) == list(range(30))
    return [where.recv() for _ in range(3 * per_stage)]


@pytest.mark.parametrize("per_stage", [1, 2])
def test_pipeline_stages_are_not_all_on_one_process(per_stage):
    for _ in range(RUNS):
        where = pg.run(pipeline, per_stage, procs=2)
        assert len({pid for _, pid in where}) == 2, where
        if per_stage == 2:
            # Each stage has a goroutine on each process.
            for no in range(3):
                assert len({pid for n, pid in where if n == no}) == 2, where


# ---- runtime.stats ------------------------------------------------------------------------------

def report_stats(out):
    out.send((os.getpid(), pg.runtime.stats()))


def test_stats_says_where_goroutines_ran(mode):
    def main():
        results = pg.chan(64)
        for _ in range(8):
            pg.go(lambda r: r.send(burn(3000)), results)
        for _ in range(8):
            results.recv()
        out = pg.chan(1)
        caller = start_peer(mode, report_stats, out)
        pid, stats = out.recv()
        assert pid == caller
        return stats, pg.runtime.stats()

    for stats in run(mode, main):
        assert [s["p"] for s in stats] == list(range(len(stats)))
        assert len(stats) == (1 if mode == "local" else 2)
        assert stats[0]["pid"] == os.getpid()
        for s in stats:
            assert set(s) >= {"p", "pid", "started", "runnable", "blocked", "cpu_s"}
            assert s["state"] == "alive"
            assert s["cpu_s"] >= 0 and s["runnable"] >= 0 and s["blocked"] >= 0
        # main, 8 burners and the reporter (and in xproc its ready-report).
        assert sum(s["started"] for s in stats) >= 10
        if mode == "xproc":
            assert all(s["started"] > 0 for s in stats)


def test_stats_needs_a_runtime():
    with pytest.raises(pg.NoRuntime):
        pg.runtime.stats()


# ---- pinned goroutines do not starve behind a gosched loop ----------------------------------

def spin_yielding(stop, spinning):
    spinning.store(True)
    while not stop.load():
        pg.gosched()


def test_stage_worker_runs_beside_a_gosched_loop(mode):
    # A stage's workers are pinned to their P; the anti-starvation check
    # used to look only at the unpinned queue, so a goroutine looping on
    # gosched on that P kept them from ever starting.
    def main():
        stop, spinning = pg.atomic.Bool(), pg.atomic.Bool()
        start_peer(mode, spin_yielding, stop, spinning)
        while not spinning.load():
            pg.sleep(0.001)
        n = pg.gomaxprocs()
        # workers=n puts one worker on every P, the looping one included.
        out = pg.pipeline.stage(burn, pg.pipeline.generator(None, *[100] * 4 * n), workers=n)
        got = sorted(out)
        stop.store(True)
        return got

    assert run(mode, main) == [burn(100)] * (4 if mode == "local" else 8)


def square(x):
    return x * x


def test_worker_pool_task_runs_beside_a_gosched_loop(mode):
    def main():
        stop, spinning = pg.atomic.Bool(), pg.atomic.Bool()
        start_peer(mode, spin_yielding, stop, spinning)
        while not spinning.load():
            pg.sleep(0.001)
        with pg.WorkerPool(1) as pool:       # its worker shares the looping goroutine's P
            got = pool.submit(square, 7).result(timeout=60)
        stop.store(True)
        return got

    assert run(mode, main) == 49


# ---- no false deadlock while a timer is pending ---------------------------------------------

def _fake_runtime(nprocs: int):
    """An arena whose P slots say what a test sets, and a P to prove from."""
    arena = Arena.create(64 << 20)
    M = arena.M
    M[L.H_NSLOTS] = M[L.H_NPROCS] = nprocs
    arena.p, arena.tag = 0, ptable.tag_of(1, 0)
    for p in range(nprocs):
        ptable.init_slot(arena, p, os.getpid())
        ptable.set_state(arena, p, ptable.S_ALIVE)
    return arena, types.SimpleNamespace(arena=arena, M=M, mem=arena.mem, p=1)


def test_deadlock_proof_is_not_fooled_by_a_p_that_sleeps_again_with_a_timer():
    """The interleaving behind a false Deadlock seen under load: P1 proves
    while P0 goes from "asleep, no timer" to "awake, a goroutine adds a
    timer" to "asleep with the timer", without touching anything the proof
    used to re-read. The hook runs P0's steps between the proof's steps."""
    arena, prover = _fake_runtime(2)
    try:
        ptable.begin_sleep(arena, 1, 1, ntimers=0, ng=1)        # the prover itself
        ptable.begin_sleep(arena, 0, 1, ntimers=0, ng=1)        # P0: main parked, no timer
        assert hooks.prove_deadlock(prover)                      # truly stuck: proven

        def p0_wakes_sleeps_with_timer(p, step):
            if p == 0:
                ptable.end_sleep(arena, 0)                        # woken (its own futex timeout)
                ptable.begin_sleep(arena, 0, 2, ntimers=1, ng=1)  # main is in pg.sleep now

        ptable.end_sleep(arena, 0)
        ptable.begin_sleep(arena, 0, 1, ntimers=0, ng=1)
        hooks.between_proof_steps = p0_wakes_sleeps_with_timer
        try:
            assert not hooks.prove_deadlock(prover)
        finally:
            hooks.between_proof_steps = None
        assert not hooks.prove_deadlock(prover)                  # and P0's timer now shows
    finally:
        arena.close()
        arena.unlink()


def send_expect_panic(ch, v, out):
    try:
        ch.send(v)
        out.send("no panic")
    except pg.Panic as e:
        out.send(str(e))


def blocked_senders_then_close(mode):
    ch, out = pg.chan(), pg.chan(3)
    start_peer(mode, send_expect_panic, ch, 1, out)
    pg.go(send_expect_panic, ch, 2, out)
    wait_blocked("chan send", 2)         # main polls the dump between pg.sleep calls
    ch.close()
    return [out.recv(), out.recv()]


@pytest.fixture
def cpu_hog():
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield hog
    finally:
        hog.kill()
        hog.wait()


def test_no_false_deadlock_with_a_timer_pending_under_load(mode, cpu_hog):
    for _ in range(10):
        assert run(mode, blocked_senders_then_close, mode) == ["send on closed channel"] * 2


# ---- goroutine dumps -----------------------------------------------------------------------

def dump_from_here(out):
    out.send((os.getpid(), pg.runtime.stack()))


def test_stack_from_any_goroutine_lists_every_process(mode):
    def main():
        out = pg.chan(1)
        caller = start_peer(mode, dump_from_here, out)
        pid, text = out.recv()
        assert pid == caller
        return text

    text = run(mode, main)
    # main is parked on P0 in out.recv(): a dump taken on a worker shows it.
    assert f"goroutine 1 [chan receive]: (P0, pid {os.getpid()})" in text
    assert "busy in a goroutine" not in text


def receive_once(ch, got):
    got.store(ch.recv())


def send_and_flag(ch, sent):
    ch.send(42)
    sent.store(True)


def test_dump_shows_a_woken_goroutine_as_runnable(mode, monkeypatch):
    # Main busy-waits for the delivery below: a preemption would let the
    # woken goroutine run meanwhile, which is right, but not what is tested.
    monkeypatch.setenv("PARAGO_PREEMPT", "0")

    def main():
        ch, got, sent = pg.chan(), pg.atomic.Int64(), pg.atomic.Bool()
        # Two receivers of one function: placement puts the first on the
        # other P (in xproc), so the second, the one watched, is on main's.
        pg.go(receive_once, pg.chan(), got)
        pg.go(receive_once, ch, got)
        wait_blocked("chan receive", 2)
        if mode == "local":
            ch.send(42)                        # handed over; main keeps its P
        else:
            start_peer(mode, send_and_flag, ch, sent)
            while not sent.load():             # delivered from another process:
                time.sleep(0.001)              # main must not park meanwhile
        return pg.runtime.stack()

    text = run(mode, main)
    line = next(ln for ln in text.splitlines() if ln.startswith("goroutine 3 "))
    assert line.startswith("goroutine 3 [runnable]") and f"pid {os.getpid()})" in line, text


# ---- a stopped worker holding a lock --------------------------------------------------------

STOPPED_HOLDER = textwrap.dedent("""
    import os, signal, sys, threading, time
    import parago as pg

    def holder(mu, ready, release):
        mu.lock()
        ready.send(os.getpid())
        while not release.load():
            time.sleep(0.01)           # holds the lock in plain Python
        mu.unlock()

    def main():
        mu, ready, release = pg.Mutex(), pg.chan(1), pg.atomic.Bool()
        pg.go(holder, mu, ready, release)
        pid = ready.recv()
        os.kill(pid, signal.SIGSTOP)

        def resume():
            # continue it once the warning is out, then let it unlock
            while "Still waiting" not in open(sys.argv[1]).read():
                time.sleep(0.05)
            os.kill(pid, signal.SIGCONT)
            release.store(True)
        threading.Thread(target=resume, daemon=True).start()
        mu.lock()
        return "locked after the continue"

    print(pg.run(main, procs=2), flush=True)
""")


def test_a_stopped_worker_holding_a_mutex_is_reported_and_waited_for(tmp_path):
    script = tmp_path / "stopped.py"
    script.write_text(STOPPED_HOLDER)
    err = tmp_path / "stderr.txt"
    with open(err, "w") as ef:
        proc = subprocess.run([sys.executable, str(script), str(err)], stdout=subprocess.PIPE,
                              stderr=ef, text=True, timeout=90)
    text = err.read_text()
    assert proc.returncode == 0, text
    assert proc.stdout.strip() == "locked after the continue"
    assert "has been stopped for 5 s" in text and "kill -CONT" in text, text
    assert "goroutine 1 [sync.Mutex.Lock]" in text, text
    assert "stopped (SIGSTOP or a debugger); its goroutines cannot be listed" in text, text
    assert text.count("Still waiting") == 1, text
