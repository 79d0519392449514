"""Deadlock detection and goroutine dumps: the RT rows about them and the
seeds' deadlock programs, in one process and across processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import parago as pg
from helpers import run, start_peer, states, wait_blocked

pytestmark = pytest.mark.timeout(120)


def deadlock_message(mode, main) -> str:
    with pytest.raises(pg.Deadlock) as ei:
        run(mode, main)
    msg = str(ei.value)
    assert msg.startswith("all goroutines are asleep - deadlock!\n\n")
    return msg


# ---- the seeds' deadlock programs -----------------------------------------------------

def print_sum(wg, v1, v2):
    v1.lock()
    pg.sleep(0.05)           # the seed sleeps 2 s: long enough for both to hold one
    v2.lock()
    print("sum=", flush=True)
    v2.unlock()
    v1.unlock()
    wg.done()


def test_seed_print_sum_two_mutexes(mode):
    def main():
        a, b, wg = pg.Mutex(), pg.Mutex(), pg.WaitGroup()
        wg.add(2)
        start_peer(mode, print_sum, wg, a, b)
        pg.go(print_sum, wg, b, a)
        wg.wait()
    msg = deadlock_message(mode, main)
    assert msg.count("[sync.Mutex.Lock]") == 2 and "[sync.WaitGroup.Wait]" in msg
    assert "in print_sum" in msg


def test_seed_receive_nobody_sends(mode):
    def main():
        start_peer(mode, lambda: None)
        pg.chan().recv()
    msg = deadlock_message(mode, main)
    assert "goroutine 1 [chan receive]" in msg


def init_a(once_a, once_b):
    once_b.do(lambda: init_b(once_a, once_b))


def init_b(once_a, once_b):
    once_a.do(lambda: init_a(once_a, once_b))


def test_seed_once_a_once_b(mode):
    def main():
        once_a, once_b = pg.Once(), pg.Once()
        if mode == "xproc":
            start_peer(mode, lambda: None)      # a second process is up and idle
        once_a.do(lambda: init_a(once_a, once_b))
    msg = deadlock_message(mode, main)
    assert "[sync.Mutex.Lock]" in msg


# ---- RT rows ---------------------------------------------------------------------------

def wg_wait_forever(wg):
    wg.wait()


def test_rt14_main_blocked_on_sync_with_others_blocked(mode):
    def main():
        wg, mu = pg.WaitGroup(), pg.Mutex()
        wg.add(1)
        mu.lock()
        start_peer(mode, wg_wait_forever, wg)
        mu.lock()
    msg = deadlock_message(mode, main)
    assert "goroutine 1 [sync.Mutex.Lock]" in msg and "[sync.WaitGroup.Wait]" in msg


def test_rt18_pending_after_func_is_no_goroutine():
    def main():
        pg.after_func(3600, lambda: None)
        t = pg.Timer(3600)
        assert pg.num_goroutine() == 1 and len(states()) == 1
        t.stop()
    pg.run(main, procs=1)


def test_rt15_stopped_timers_do_not_keep_the_program_alive():
    def main():
        pg.after_func(3600, lambda: None).stop()
        pg.chan().recv()
    with pytest.raises(pg.Deadlock):
        pg.run(main, procs=1)


def select_two(a, b):
    pg.select(a.recv, b.recv)


def cond_wait(c):
    c.L.lock()
    c.wait()


def test_rt19_rt20_dump_format_and_wait_reasons(mode):
    def main():
        a, b, cond = pg.chan(), pg.chan(1), pg.Cond(pg.Mutex())
        b.send(1)
        start_peer(mode, b.send, 2)                        # chan send
        pg.go(select_two, a, pg.chan())                    # select
        pg.go(pg.select)                                   # select (no cases)
        pg.go(a.recv)                                      # chan receive
        pg.go(pg.sleep, 3600)                              # sleep
        pg.go(cond_wait, cond)                             # sync.Cond.Wait
        wait_blocked("sync.Cond.Wait")
        wait_blocked("sleep")
        wait_blocked("chan send")
        return pg.runtime.stack()
    text = run(mode, main)
    import re
    headers = re.findall(r"^goroutine (\d+) \[([^\]]+)\]: \(P(\d+), pid (\d+)\)$", text, re.M)
    reasons = sorted(r for _, r, _, _ in headers)
    assert reasons == sorted(["running", "chan send", "select", "select (no cases)",
                              "chan receive", "sleep", "sync.Cond.Wait"])
    assert [g for g, r, _, _ in headers if r == "running"] == ["1"]


def test_dump_shows_minutes_for_long_waits():
    from parago._core import sched
    from parago._runtime import dump

    def main():
        ch = pg.chan()
        pg.go(lambda c: c.recv(), ch)
        wait_blocked("chan receive")
        for g in sched.tls.proc.goroutines():
            if g.reason == "chan receive":
                g.since -= 150                  # as if it had waited 2.5 minutes
        text = dump.format_local(sched.tls.proc)
        ch.close()
        return text
    assert "[chan receive, 2 minutes]" in pg.run(main, procs=1)


def test_sigquit_prints_the_dump_and_the_program_goes_on(tmp_path):
    src = os.path.dirname(os.path.dirname(pg.__file__))
    script = tmp_path / "sigquit.py"
    script.write_text(f"import sys; sys.path.insert(0, {src!r})\n" + textwrap.dedent("""
        import os, time
        import parago as pg
        def parked(c):
            c.recv()
        def main():
            c = pg.chan()
            pg.go(parked, c)
            pg.sleep(0.1)
            print("ready", flush=True)
            while not os.path.exists(os.environ["DONE_FILE"]):
                pg.sleep(0.01)
            print("finished", flush=True)
            c.close()
        pg.run(main, procs=2)
    """))
    done = tmp_path / "done"
    p = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True,
                         env=dict(os.environ, DONE_FILE=str(done)))
    assert p.stdout.readline().strip() == "ready"
    p.send_signal(signal.SIGQUIT)
    time.sleep(1.0)
    done.touch()
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0 and "finished" in out
    assert "SIGQUIT: goroutine dump" in err and "[chan receive]" in err and "in parked" in err
