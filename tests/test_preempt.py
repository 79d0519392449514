"""Time slices: a CPU-bound goroutine gives way at its channel operations to
the goroutines it readied, and is preempted when another process wakes a
goroutine of its P (docs/design.md, "Placement"); with one P, or with
PARAGO_PREEMPT=0, scheduling stays purely cooperative.

No timing is asserted: each test checks an order of events (the woken
goroutine ran while the long job was still running), with a generous bound
on the job so that a failure ends instead of hanging.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import textwrap

import pytest

import parago as pg
from helpers import run, wait_blocked
from parago._core import preempt, sched
from parago._runtime import spawn

pytestmark = pytest.mark.timeout(120)

BOUND = 60.0       # seconds a "long job" may run before the test gives up on it


def _pin(p, fn, *args):
    """Start a goroutine on P ``p`` (an internal hook: placement chooses
    where goroutines go, and these tests need two on the same P)."""
    proc = sched.tls.proc
    spawn.go_on(proc, p, fn, args, {})


def long_job(started, woken, seen, done, bound=BOUND):
    """Run plain Python until ``woken`` is set (or ``bound`` seconds pass);
    record whether the woken goroutine ran meanwhile."""
    import time
    started.store(True)
    end = time.monotonic() + bound
    while not woken.load() and time.monotonic() < end:
        sum(i * i for i in range(2000))          # no parago call in here
    seen.store(woken.load())
    done.done()


def wake_me(ch, woken):
    ch.recv()
    woken.store(True)


def woken_during_a_job(bound=BOUND, young=False):
    """P1 runs a long job; P0 wakes another goroutine of P1: did it run
    before the job ended? ``young``: the wake-up comes the moment the job
    starts, so the waker's nudge is refused (the job has not used its
    slice) and only an idle P's later look (preempt.nudge_overdue) can get
    the woken goroutine to run before the job ends."""
    started, woken, seen, done = (pg.atomic.Bool(), pg.atomic.Bool(), pg.atomic.Bool(),
                                  pg.WaitGroup())
    ch = pg.chan()
    _pin(1, wake_me, ch, woken)
    wait_blocked("chan receive")
    done.add(1)
    _pin(1, long_job, started, woken, seen, done, bound)
    while not started.load():
        if not young:
            pg.sleep(0.001)
    if not young:
        pg.sleep(0.01)             # the job has run a whole time slice by now
    ch.send("wake up")             # its receiver is on P1, which is busy
    done.wait()                    # P0 idles here
    return seen.load()


def test_a_goroutine_woken_by_another_process_runs_during_a_long_job():
    # Only a preemption lets it run on P1 before the job ends.
    assert pg.run(woken_during_a_job, procs=2) is True


def test_a_wake_up_during_a_young_job_is_not_lost():
    # Before idle Ps looked, the woken goroutine waited for the whole job.
    assert pg.run(woken_during_a_job, 30.0, True, procs=2) is True


def sleep_then_flag(woken):
    pg.sleep(0.05)
    woken.store(True)


def test_one_p_is_cooperative():
    # procs=1: a timer due during a CPU-bound job waits for the job to yield.
    def main():
        woken, seen, done = pg.atomic.Bool(), pg.atomic.Bool(), pg.WaitGroup()
        pg.go(sleep_then_flag, woken)
        wait_blocked("sleep")
        done.add(1)
        pg.go(long_job, pg.atomic.Bool(), woken, seen, done, 0.2)
        done.wait()
        while not woken.load():          # the sleeper runs once the job is over
            pg.sleep(0.001)
        return seen.load()

    assert pg.run(main, procs=1) is False


SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    import parago as pg
    import test_preempt as t

    print(pg.run(t.woken_during_a_job, 2.0, procs=2))
""")


@pytest.mark.parametrize("setting,expect", [("1", "True"), ("0", "False")])
def test_parago_preempt_turns_it_off(tmp_path, setting, expect):
    script = tmp_path / "job.py"
    script.write_text(SCRIPT.format(tests=os.path.dirname(__file__)))
    env = dict(os.environ, PARAGO_PREEMPT=setting)
    out = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True,
                         timeout=100)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == expect


# ---- give way: the same P ----------------------------------------------------------------

def feeder(jobs, n, fed):
    for i in range(n):
        jobs.send(i)
        fed.add(1)


def heavy_taker(jobs, fed, out):
    """Take a job from the feeder parked on this P, then compute; record how
    many jobs the feeder had handed over when the computation ended."""
    sum(i * i for i in range(200_000))          # a long slice: heavy from now on
    jobs.recv()
    sum(i * i for i in range(200_000))          # the feeder must not wait for this
    out.send(fed.load())


def test_a_cpu_bound_goroutine_gives_way_to_the_goroutine_it_readied():
    def main():
        jobs, fed, out = pg.chan(), pg.atomic.Int64(), pg.chan(1)
        _pin(1, feeder, jobs, 3, fed)
        wait_blocked("chan send")
        _pin(1, heavy_taker, jobs, fed, out)
        return out.recv()

    # Taking job 0 readied the feeder; given way to, it handed job 0 over
    # (fed = 1) and parked again on job 1 before the second computation.
    assert pg.run(main, procs=2) == 1


# ---- where preemption may happen ------------------------------------------------------------

class _Probe:
    def __deepcopy__(self, memo):
        return preempt._safe(sys._getframe(), sched.Processor._body.__code__)


def probe_frames(out):
    here = preempt._safe(sys._getframe(), sched.Processor._body.__code__)
    under_stdlib = copy.deepcopy(_Probe())      # copy.py's frames are on the stack
    out.send((here, under_stdlib))


def test_preemption_only_in_user_code(mode):
    def main():
        out = pg.chan(1)
        pg.go(probe_frames, out)
        return out.recv()

    assert run(mode, main) == (True, False)


# ---- a storm of preemptions changes no result ---------------------------------------------------

def churn(n, mu, total, results):
    """CPU work between locks, channel sends and allocations: preempted
    anywhere in user code, nothing may be lost or doubled."""
    acc = 0
    for i in range(n):
        acc += sum(j * j for j in range(20000))
        with mu:
            total.add(1)
        results.send((i, [i] * 20))
    results.send(("end", (acc, preempt.preempted)))


def pinger(ch, n, pongs):
    for _i in range(n):
        v = ch.recv()
        pongs.send(v)


def test_many_preemptions_lose_nothing():
    def main():
        mu, total = pg.Mutex(), pg.atomic.Int64()
        results, ping, pong = pg.chan(16), pg.chan(), pg.chan(1)
        n = 200
        _pin(1, churn, n, mu, total, results)
        _pin(1, pinger, ping, 10_000, pong)
        got, acc, pings = [], None, 0
        while acc is None:
            # Keep waking the pinger on P1 from here: every wake while churn
            # runs a slice asks for a preemption.
            i, v = pg.select(results.recv, (ping.send, pings), pong.recv)[:2]
            if i == 0:
                if v[0] == "end":
                    acc = v[1]
                else:
                    assert v[1] == [v[0]] * 20
                    got.append(v[0])
            elif i == 1:
                pings += 1
        return got, acc, total.load(), pings

    got, (acc, preempted), total, pings = pg.run(main, procs=2)
    assert got == list(range(200)) and total == 200
    assert acc == 200 * sum(j * j for j in range(20000))
    assert pings > 0 and preempted > 0
