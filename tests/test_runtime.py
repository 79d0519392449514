"""pg.run, go, gosched, goexit, panics, deadlock, the dump, sleep, teardown."""

from __future__ import annotations

import contextvars
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import parago as pg
from helpers import run, start_peer, states, wait_blocked

pytestmark = pytest.mark.timeout(120)


# ---- bodies ----------------------------------------------------------------------

def boom(msg):
    raise ValueError(msg)


def send_pid(ch):
    ch.send(os.getpid())


def sleep_then_send(ch, s):
    time.sleep(s)            # plain Python blocking: not a parago wait
    ch.send("late")


class Unpicklable(Exception):
    def __reduce__(self):
        raise TypeError("no")


def raise_unpicklable():
    raise Unpicklable("custom failure")


# ---- running and results ------------------------------------------------------------

def test_run_returns_main_result_with_args():
    assert pg.run(lambda a, b=0: a + b, 2, b=3, procs=1) == 5


def test_exception_in_main_propagates_unchanged(mode):
    class MyError(Exception):
        pass

    def main():
        raise MyError("from main")
    with pytest.raises(MyError, match="from main"):
        run(mode, main)


def test_go01_arguments_evaluated_at_go_time(mode):
    def main():
        ch = pg.chan()
        data = [1]
        start_peer(mode, lambda c, d: c.send(d), ch, data)
        data.append(2)
        assert ch.recv() == [1]
    run(mode, main)


def test_go05_nil_func_panics():
    def main():
        with pytest.raises(pg.Panic, match="go of nil func value"):
            pg.go(None)
        with pytest.raises(TypeError, match="not callable"):
            pg.go(42)
    pg.run(main, procs=1)


def test_go_unpicklable_argument_is_named():
    def main():
        with pytest.raises(TypeError, match=r"argument 1 \(lock\)"):
            pg.go(print, 1, threading.Lock())
        with pytest.raises(TypeError, match="keyword argument 'x'"):
            pg.go(print, x=threading.Lock())
        assert pg.num_goroutine() == 1
    pg.run(main, procs=1)


def test_outside_runtime_errors():
    for call in (lambda: pg.go(print), pg.gosched, pg.num_goroutine, lambda: pg.sleep(0.01),
                 lambda: pg.after(1), pg.runtime.stack):
        with pytest.raises(pg.NoRuntime):
            call()


def test_not_reentrant():
    def main():
        with pytest.raises(RuntimeError, match="reentrant|inside a goroutine"):
            pg.run(lambda: 1, procs=1)
    pg.run(main, procs=1)


def test_goroutines_run_on_every_process():
    def main():
        ch = pg.chan(8)
        pids = {start_peer("xproc", send_pid, ch)}
        pids.add(ch.recv())
        return pids
    pids = pg.run(main, procs=2)
    assert len(pids) == 1 and os.getpid() not in pids


# ---- panics ----------------------------------------------------------------------------

def test_goroutine_panic_ends_the_run(mode):
    def main():
        start_peer(mode, boom, "kaboom")
        pg.chan().recv()
    with pytest.raises(pg.GoroutinePanic) as ei:
        run(mode, main)
    e = ei.value
    assert isinstance(e.__cause__, ValueError) and str(e.__cause__) == "kaboom"
    assert e.goroutine >= 2
    assert "boom" in e.remote_traceback and "ValueError: kaboom" in e.remote_traceback


def test_unpicklable_exception_arrives_as_stand_in():
    def main():
        start_peer("xproc", raise_unpicklable)
        pg.chan().recv()
    with pytest.raises(pg.GoroutinePanic) as ei:
        pg.run(main, procs=2)
    cause = ei.value.__cause__
    assert isinstance(cause, pg.RemoteError)
    assert cause.type_name == "Unpicklable" and "custom failure" in str(cause)


# ---- gosched, goexit, counts ----------------------------------------------------------

def spin_until(flag_ch):
    while pg.select(flag_ch.recv, default=True)[0] == -1:
        pg.gosched()


def test_rt05_gosched_lets_others_progress():
    """TestYieldProgress: a goroutine looping on select-default + gosched must
    not stop another goroutine's send from happening."""
    def main():
        flag = pg.chan()
        pg.go(spin_until, flag)
        flag.send(True)
    pg.run(main, procs=1)


def report_started(out, i):
    out.send(i)


def test_rt05_gosched_starts_the_goroutines_just_made():
    """As Go's Gosched on one P: the goroutines main just made run at its
    next gosched, one each, before main goes on (they wait in the P's queue
    of unstarted goroutines, not in its run queue)."""
    def main():
        out = pg.chan(10)
        for i in range(10):
            pg.go(report_started, out, i)
        seen = []
        for _ in range(10):
            pg.gosched()
            seen.append(len(out))
        assert seen == list(range(1, 11))
        assert [out.recv() for _ in range(10)] == list(range(10))
    pg.run(main, procs=1)


def test_go_finds_a_module_function_by_its_name_now(monkeypatch):
    """A module's function travels as its module and name (no pickle of the
    function): the goroutine runs what that name holds now, in its process
    (here main's: a rebound attribute is seen), and a function no longer
    under its own name in its module is copied as pickle would copy it (by
    value)."""
    import helpers

    def main():
        out = pg.chan(2)
        pg.go(helpers.send_value, out, 1)
        assert out.recv() == 1
        monkeypatch.setattr(helpers, "send_value", helpers.send_value_twice)
        pg.go(helpers.send_value, out, 2)
        assert [out.recv(), out.recv()] == [2, 2]
        pg.go(helpers.UNNAMED[0], out, 3)
        assert out.recv() == 3
    pg.run(main, procs=1)


def test_go_of_module_functions_by_name_on_another_process():
    """The goroutine start_peer makes (helpers._remote_body, by name) starts
    on the other P's process, which finds the function in its own import of
    the module; and one no longer under its name goes by value there too."""
    import helpers

    def main():
        out = pg.chan(2)
        start_peer("xproc", helpers.send_value, out, 1)
        start_peer("xproc", helpers.UNNAMED[0], out, 2)
        assert sorted([out.recv(), out.recv()]) == [1, 2]
    pg.run(main, procs=2)


def goexit_with_finally(out):
    try:
        pg.goexit()
    finally:
        out.send("finally ran")


def test_rt06_goexit_runs_finally(mode):
    def main():
        out = pg.chan()
        start_peer(mode, goexit_with_finally, out)
        assert out.recv() == "finally ran"
    run(mode, main)


def test_rt07_goexit_in_main():
    def main():
        pg.go(time.sleep, 0.01)
        pg.goexit()
    with pytest.raises(pg.Deadlock, match=r"no goroutines \(main called runtime.Goexit\)"):
        pg.run(main, procs=1)


def test_rt04_num_goroutine(mode):
    def main():
        assert pg.num_goroutine() == 1
        ch = pg.chan()
        start_peer(mode, lambda c: c.recv(), ch)
        pg.go(lambda c: c.recv(), ch)
        wait_blocked("chan receive", 2)
        assert pg.num_goroutine() == 3 == len(states())
        ch.close()
    run(mode, main)


def test_rt03_num_cpu_and_gomaxprocs():
    assert pg.num_cpu() == len(os.sched_getaffinity(0))
    assert pg.run(pg.gomaxprocs, procs=2) == 2
    assert pg.run(pg.gomaxprocs, procs=1) == 1


def test_rt02_maxprocs_from_environment(monkeypatch):
    monkeypatch.setenv("PARAGO_MAXPROCS", "1")
    assert pg.run(pg.gomaxprocs) == 1


# ---- deadlock and the dump --------------------------------------------------------------

_LOCAL_VAR: contextvars.ContextVar[str] = contextvars.ContextVar("parago_test", default="unset")


def set_var_and_report(out, value, how):
    seen = _LOCAL_VAR.get()
    _LOCAL_VAR.set(value)
    out.send(seen)
    if how == "goexit":
        pg.goexit()


def test_goroutines_after_ended_ones_start_fresh():
    """An ended goroutine's greenlet is kept for the next one (Go's free G
    list): the next goroutine still starts in a context of its own, whether
    the one before returned or called goexit, and never sees its variables."""
    from parago._core import sched

    def main():
        out = pg.chan()
        for i, how in enumerate(["return", "goexit"] * 20):
            pg.go(set_var_and_report, out, f"set by {i}", how)
            assert out.recv() == "unset", i
            pg.gosched()                      # it ends before the next starts
            assert sched.this_proc().free_gr, "no greenlet kept for reuse"
    pg.run(main, procs=1)


def test_rt13_receive_nobody_sends_is_deadlock(mode):
    def main():
        ch = pg.chan()
        start_peer(mode, lambda c: c.recv(), ch)
        ch.recv()
    with pytest.raises(pg.Deadlock) as ei:
        run(mode, main)
    msg = str(ei.value)
    assert msg.startswith("all goroutines are asleep - deadlock!\n\n")
    assert "goroutine 1 [chan receive]" in msg and msg.count("[chan receive]") == 2


def test_rt15_no_deadlock_while_a_timer_is_pending(mode):
    def main():
        ch = pg.chan()
        start_peer(mode, lambda c: c.recv(), ch)
        i, _, _ = pg.select(ch.recv, pg.after(0.2).recv)
        pg.sleep(0.05)
        return i
    assert run(mode, main) == 1


def test_rt16_no_deadlock_while_a_goroutine_blocks_outside_parago():
    def main():
        ch = pg.chan()
        start_peer("xproc", sleep_then_send, ch, 0.5)
        return ch.recv()
    assert pg.run(main, procs=2) == "late"


def test_rt17_partial_deadlock_is_not_reported(mode):
    def main():
        start_peer(mode, lambda: pg.chan().recv())
        pg.sleep(0.05)
        return "ok"
    assert run(mode, main) == "ok"


def test_stack_lists_every_goroutine_go_style(mode):
    def main():
        ch = pg.chan()
        start_peer(mode, lambda c: c.recv(), ch)
        wait_blocked("chan receive")
        text = pg.runtime.stack()
        ch.close()
        return text
    text = run(mode, main)
    assert "goroutine 1 [running]:" in text
    assert "[chan receive]:" in text and "test_runtime.py" in text


# ---- time ------------------------------------------------------------------------------------

def test_tm01_sleep_blocks_only_the_goroutine():
    def main():
        ch = pg.chan()
        t0 = time.monotonic()
        pg.go(lambda c: (pg.sleep(0.1), c.send(1)), ch)
        pg.sleep(0)                        # d <= 0 returns at once
        ch.recv()
        return time.monotonic() - t0
    assert pg.run(main, procs=1) >= 0.1


def test_many_sleeping_goroutines_on_one_proc():
    def sleeper(done):
        pg.sleep(0.2)
        done.send(1)

    def main():
        done = pg.chan(1000)
        for _ in range(1000):
            pg.go(sleeper, done)
        return sum(done.recv() for _ in range(1000))
    assert pg.run(main, procs=1) == 1000


def test_sleep_rejects_bad_durations():
    def main():
        with pytest.raises(TypeError):
            pg.sleep("1")
        with pytest.raises(ValueError):
            pg.sleep(float("nan"))
    pg.run(main, procs=1)


# ---- teardown on every exit path ---------------------------------------------------------------

SCRIPT_PRELUDE = "import os, sys, time\nsys.path.insert(0, {src!r})\nimport parago as pg\n"


def _script(body: str) -> str:
    src = os.path.dirname(os.path.dirname(pg.__file__))
    return SCRIPT_PRELUDE.format(src=src) + textwrap.dedent(body)


def test_ctrl_c_tears_everything_down(tmp_path):
    script = tmp_path / "ctrlc.py"
    script.write_text(_script("""
        def main():
            print("ready", os.getpid(), flush=True)
            pg.chan().recv() if False else time.sleep(60)
        try:
            pg.run(main, procs=2)
        except KeyboardInterrupt:
            print("interrupted", flush=True)
    """))
    p = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    assert line.startswith("ready")
    time.sleep(0.3)                                 # let the worker start
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=30)
    assert "interrupted" in out
    assert not [n for n in os.listdir("/dev/shm") if n.startswith(f"parago_{p.pid}_")]


def test_killed_p0_workers_exit_and_segment_is_removed(tmp_path):
    script = tmp_path / "killp0.py"
    script.write_text(_script("""
        def spin(ch):
            ch.send(os.getpid())
            while True:
                pg.sleep(0.01)
        def main():
            ch = pg.chan(1)
            pg.go(spin, ch)
            while len(ch) == 0:
                time.sleep(0.001)
            print(ch.recv(), flush=True)
            time.sleep(60)
        pg.run(main, procs=2)
    """))
    p = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    worker = int(p.stdout.readline())
    p.kill()
    p.wait(10)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            break
        time.sleep(0.02)
    else:
        pytest.fail("the worker outlived P0 by more than 3 s")
    deadline = time.monotonic() + 3
    while [n for n in os.listdir("/dev/shm") if n.startswith(f"parago_{p.pid}_")]:
        assert time.monotonic() < deadline, "the dead runtime's segment was not removed"
        time.sleep(0.02)


def test_top_level_script_without_main_guard(tmp_path):
    """Workers do not re-run the main module: pg.run at top level just works,
    and functions of __main__ are copied by value."""
    script = tmp_path / "toplevel.py"
    script.write_text(_script("""
        FACTOR = 3
        def work(ch, x):
            ch.send((os.getpid(), x * FACTOR))
        def main():
            ch = pg.chan()
            for i in range(4):
                pg.go(work, ch, i)
            return sorted(ch.recv()[1] for _ in range(4))
        print(pg.run(main, procs=2))
    """))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[0, 3, 6, 9]"


# ---- gomaxprocs while running, and memory reuse ---------------------------------------

def report_pid(ch):
    ch.send(os.getpid())


def test_rt01_gomaxprocs_grows_and_shrinks():
    def main():
        assert pg.gomaxprocs(0) == 1 and pg.gomaxprocs(-3) == 1     # n < 1 only queries
        assert pg.gomaxprocs(2) == 1 and pg.gomaxprocs() == 2
        pid = start_peer("xproc", report_pid, pg.chan(1))           # a new P took it
        assert pid != os.getpid()
        assert pg.gomaxprocs(1) == 2
        deadline = time.monotonic() + 10
        while not _retired():
            assert time.monotonic() < deadline, "the retired worker did not exit"
            pg.sleep(0.01)
        ch = pg.chan(1)
        pg.go(report_pid, ch)
        assert ch.recv() == os.getpid()       # only P0 is left
    pg.run(main, procs=1)


def _retired() -> bool:
    from parago._core import sched
    from parago._shm import ptable
    return ptable.state(sched.tls.proc.arena, 1) == ptable.S_EXITED


def set_procs_from_worker(n, out):
    out.send(pg.gomaxprocs(n))


def test_gomaxprocs_from_a_worker_goroutine():
    def main():
        out = pg.chan(1)
        start_peer("xproc", set_procs_from_worker, 3, out)
        assert out.recv() == 2
        deadline = time.monotonic() + 10
        while pg.gomaxprocs() != 3:
            assert time.monotonic() < deadline
            pg.sleep(0.01)
    pg.run(main, procs=2)


def test_dropped_objects_are_freed():
    """Channels and sync objects nobody references give their memory back:
    making and dropping many of them does not grow the arena."""
    from parago._core import sched
    from parago._shm import layout as L

    def main():
        M = sched.tls.proc.arena.M
        for _ in range(2000):
            pg.chan(4).send(1)
            pg.Mutex()
            pg.atomic.Int64()
        top = M[L.H_TOP]
        for _ in range(20000):
            ch = pg.chan(4)
            ch.send([1, 2, 3])
            pg.WaitGroup().add(1)
        assert M[L.H_TOP] == top
    pg.run(main, procs=1)
