"""WorkerPool: each guarantee of docs/pool.md, standalone and inside pg.run.

Standalone pools have their own worker processes; inside pg.run the
workers are goroutines on the runtime's Ps (procs=2: on P1). Functions used
as tasks live at module level, so workers import them by reference.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import gc
import itertools
import logging
import multiprocessing as mp
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import threading
import time
import weakref
from concurrent.futures.process import BrokenProcessPool

import pytest

import parago as pg

pytestmark = pytest.mark.timeout(180)

HERE = os.path.dirname(os.path.abspath(__file__))


# ---- tasks ------------------------------------------------------------------------------

def inc(x):
    return x + 1


def add(a, b=0):
    return a + b


def pid(_=None):
    return os.getpid()


def parent_pid(_=None):
    return os.getppid()


def fail(msg):
    raise KeyError(msg)


def sleepy(s):
    time.sleep(s)
    return s


def die(_=None):
    os.kill(os.getpid(), signal.SIGKILL)


def exit_task(code):
    sys.exit(code)


def interrupt_task():
    raise KeyboardInterrupt("from the task")


def unpicklable_result():
    return threading.Lock()


def identity(x):
    return x


def record(i, path):
    """Count an execution in ``path`` (one line per run), then maybe kill
    this worker: task i % 100 == 37 SIGKILLs it."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, f"{i}\n".encode())
    finally:
        os.close(fd)
    if i % 100 == 37:
        os.kill(os.getpid(), signal.SIGKILL)
    return 2 * i


def executions(path) -> dict:
    counts: dict = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                counts[int(line)] = counts.get(int(line), 0) + 1
    return counts


class ErrorAtPickle:
    def __reduce__(self):
        raise pickle.PicklingError("refuses to be pickled")


def _unpickle_fails():
    raise ValueError("refuses to be unpickled")


class ErrorAtUnpickle:
    def __reduce__(self):
        return _unpickle_fails, ()


def _exit_at_unpickle():
    sys.exit(3)


class ExitAtUnpickle:
    def __reduce__(self):
        return _exit_at_unpickle, ()


def _crash_at_unpickle():
    os.kill(os.getpid(), signal.SIGKILL)


class CrashAtUnpickle:
    def __reduce__(self):
        return _crash_at_unpickle, ()


def return_instance(cls):
    return cls()


# What a worker keeps alive: instances of Tracked register in the worker's
# own ALIVE set when they are unpickled there.
ALIVE: weakref.WeakSet = weakref.WeakSet()


def _tracked():
    t = Tracked()
    ALIVE.add(t)
    return t


class Tracked:
    payload = b""

    def __reduce__(self):
        return _tracked, ()

    def method(self):
        return "ran"


def take(obj):
    return type(obj).__name__


def alive_in_worker():
    gc.collect()
    return len(ALIVE)


def make_tracked(_=None):
    return _tracked()


def log_warning(x):
    logging.getLogger("parago.test").warning("task %s says hello", x)
    logging.getLogger("parago.test").debug("too quiet to travel")
    return x


# ---- fixtures ---------------------------------------------------------------------------

@pytest.fixture
def pool():
    p = pg.WorkerPool(2)
    yield p
    p.shutdown()


def in_run(fn, *args, procs=2):
    """Run ``fn(pool, *args)`` inside pg.run with a pool of that runtime."""
    def main():
        with pg.WorkerPool() as pool:
            return fn(pool, *args)
    return pg.run(main, procs=procs)


def both(check):
    """Run ``check(pool)`` with a standalone pool, then inside pg.run."""
    with pg.WorkerPool(2) as pool:
        check(pool)
    in_run(check)


def run_script(code: str, timeout: float = 120, **kw) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([HERE, *sys.path]))
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=timeout, env=env, **kw)


# ---- 1. failure isolation --------------------------------------------------------------------

def kill_soak(n: int, tmp_path) -> None:
    path = str(tmp_path / "executions")
    with pg.WorkerPool(2) as pool:
        futures = [pool.submit(record, i, path) for i in range(n)]
        for i, f in enumerate(futures):
            if i % 100 == 37:
                with pytest.raises(pg.WorkerCrashed):
                    f.result()
            else:
                assert f.result() == 2 * i
    counts = executions(path)
    assert sorted(counts) == list(range(n))                  # nothing was lost
    assert all(c == 1 for c in counts.values()), {i: c for i, c in counts.items() if c != 1}


def test_kill_soak_200(tmp_path):
    """1 task in 100 SIGKILLs its own worker: only those fail, every other
    task runs exactly once (counted in a file), no future stays pending."""
    kill_soak(200, tmp_path)


@pytest.mark.stress
@pytest.mark.timeout(900)
def test_kill_soak_2000(tmp_path):
    kill_soak(2000, tmp_path)


def test_a_killed_worker_fails_only_its_task_and_is_replaced(pool):
    crashed = pool.submit(die)
    with pytest.raises(pg.WorkerCrashed, match="SIGKILL") as ei:
        crashed.result()
    assert isinstance(ei.value, BrokenProcessPool)           # except BrokenProcessPool catches it
    assert list(pool.map(inc, range(500))) == list(range(1, 501))
    assert len(pool._processes) == 2 or pool.submit(inc, 1).result() == 2


def test_a_crash_inside_a_chunk_fails_only_the_running_task(tmp_path):
    """chunksize 10: task 37 of a chunk kills its worker; the tasks before it
    in its chunk keep their results, the ones after it run elsewhere; none
    runs twice."""
    path = str(tmp_path / "executions")
    with pg.WorkerPool(1) as pool:
        it = pool.map(record, range(60), [path] * 60, chunksize=10)
        got = [next(it) for _ in range(37)]
        with pytest.raises(pg.WorkerCrashed):
            next(it)
        assert got == [2 * i for i in range(37)]
        # the tasks after it still run (on a replacement worker), once each
        rest = [pool.submit(record, i, path) for i in range(60, 70)]
        assert [f.result() for f in rest] == [2 * i for i in range(60, 70)]
    counts = executions(path)
    assert all(c == 1 for c in counts.values())
    assert set(range(38)) <= set(counts)


def test_a_dead_worker_s_unstarted_tasks_run_elsewhere(tmp_path):
    path = str(tmp_path / "executions")
    with pg.WorkerPool(1) as pool:
        futures = [pool.submit(record, i, path) for i in range(30, 45)]   # 37 kills
        outcome = []
        for f in futures:
            try:
                outcome.append(f.result())
            except pg.WorkerCrashed:
                outcome.append("crashed")
    assert outcome == [2 * i if i != 37 else "crashed" for i in range(30, 45)]
    assert all(c == 1 for c in executions(path).values())


def test_pickling_errors_fail_their_own_future(pool):
    bad_arg = pool.submit(identity, ErrorAtPickle())
    bad_result = pool.submit(return_instance, ErrorAtPickle)
    lock_result = pool.submit(unpicklable_result)
    good = pool.submit(inc, 1)
    with pytest.raises(pickle.PicklingError, match="refuses to be pickled"):
        bad_arg.result()
    with pytest.raises(pickle.PicklingError, match="refuses to be pickled"):
        bad_result.result()
    with pytest.raises(TypeError, match="lock"):
        lock_result.result()
    assert good.result() == 2
    assert pool.submit(inc, 2).result() == 3


def test_unpickling_errors_are_broken_process_pool_with_the_cause(pool):
    bad_arg = pool.submit(identity, ErrorAtUnpickle())
    with pytest.raises(BrokenProcessPool) as ei:
        bad_arg.result()
    assert isinstance(ei.value.__cause__, ValueError)
    assert "refuses to be unpickled" in str(ei.value.__cause__)
    bad_result = pool.submit(return_instance, ErrorAtUnpickle)
    with pytest.raises(BrokenProcessPool) as ei:
        bad_result.result()
    assert isinstance(ei.value.__cause__, ValueError)
    exit_result = pool.submit(return_instance, ExitAtUnpickle)
    with pytest.raises(BrokenProcessPool) as ei:
        exit_result.result()
    assert isinstance(ei.value.__cause__, SystemExit)
    assert pool.submit(inc, 1).result() == 2


def test_a_worker_killed_while_unpickling_a_chunk_fails_only_the_culprit(pool):
    items = [1, 2, CrashAtUnpickle(), 4, 5, 6]
    it = pool.map(identity, items, chunksize=6)
    assert [next(it), next(it)] == [1, 2]
    with pytest.raises(pg.WorkerCrashed, match="unpickled"):
        next(it)
    assert list(pool.map(inc, [1, 2])) == [2, 3]


def test_an_unpicklable_map_item_fails_alone(pool):
    it = pool.map(identity, [1, 2, ErrorAtUnpickle(), 4], chunksize=4)
    assert [next(it), next(it)] == [1, 2]
    with pytest.raises(BrokenProcessPool):
        next(it)


def test_system_exit_and_keyboard_interrupt_come_back_from_result(pool):
    with pytest.raises(SystemExit) as ei:
        pool.submit(exit_task, 5).result()
    assert ei.value.code == 5
    with pytest.raises(KeyboardInterrupt, match="from the task"):
        pool.submit(interrupt_task).result()
    assert pool.submit(inc, 1).result() == 2


def test_exceptions_carry_the_worker_traceback(pool):
    with pytest.raises(KeyError, match="nope") as ei:
        pool.submit(fail, "nope").result()
    cause = ei.value.__cause__
    assert isinstance(cause, cf.process._RemoteTraceback)
    assert "raise KeyError(msg)" in cause.tb


def test_isolation_inside_pg_run():
    def check(pool):
        with pytest.raises(pg.WorkerCrashed):
            pool.submit(die).result()
        with pytest.raises(pickle.PicklingError):
            pool.submit(identity, ErrorAtPickle()).result()
        with pytest.raises(BrokenProcessPool):
            pool.submit(identity, ErrorAtUnpickle()).result()
        with pytest.raises(BrokenProcessPool):
            pool.submit(return_instance, ErrorAtUnpickle).result()
        with pytest.raises(SystemExit):
            pool.submit(exit_task, 1).result()
        return pool.submit(inc, 41).result()
    assert in_run(check) == 42


def test_kill_soak_inside_pg_run(tmp_path):
    path = str(tmp_path / "executions")

    def check(pool):
        futures = [pool.submit(record, i, path) for i in range(30, 140)]    # 37 and 137 kill
        out = []
        for f in futures:
            try:
                out.append(f.result())
            except pg.WorkerCrashed:
                out.append("crashed")
        return out
    out = in_run(check)
    assert out == [2 * i if i % 100 != 37 else "crashed" for i in range(30, 140)]
    assert all(c == 1 for c in executions(path).values())


def test_interpreter_exit_returns_with_work_pending_and_a_dead_worker():
    r = run_script("""
        import os, signal, time
        import parago as pg
        from test_pool import die, sleepy
        pool = pg.WorkerPool(2)
        pool.submit(die)
        fs = [pool.submit(sleepy, 0.01) for _ in range(20)]
        print("submitted")
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "submitted"


def test_exit_runs_what_was_submitted_and_refuses_more():
    """What CPython's test_interpreter_shutdown, test_hang_gh83386 and
    test_submit_after_interpreter_shutdown check, with WorkerPool."""
    r = run_script("""
        import atexit
        import parago as pg
        from test_pool import sleepy_print

        @atexit.register
        def run_last():
            try:
                t.submit(id, None)
            except RuntimeError as e:
                print("refused:", e)

        t = pg.WorkerPool(3)
        t.submit(sleepy_print, 0.5, "apple")
        u = pg.WorkerPool(2)
        u.submit(sleepy_print, 0.5, "pear")
        u.shutdown(wait=False)
    """)
    assert r.returncode == 0, r.stderr
    assert sorted(r.stdout.split("\n")[:-1]) == [
        "apple", "pear", "refused: cannot schedule new futures after shutdown"]
    assert r.stderr == ""


def sleepy_print(t, msg):
    time.sleep(t)
    print(msg, flush=True)


def test_shutdown_without_waiting_still_fails_a_bad_task():
    pool = pg.WorkerPool(2)
    pool.submit(inc, 1).result()
    f = pool.submit(identity, ErrorAtPickle())
    pool.shutdown(wait=False)
    with pytest.raises(pickle.PicklingError):
        f.result()
    pool.shutdown()


def test_a_dropped_pool_shuts_down():
    pool = pg.WorkerPool(2)
    assert pool.submit(inc, 1).result() == 2
    procs = list(pool._processes.values())
    del pool
    gc.collect()
    for p in procs:
        p.join(30)
        assert p.exitcode == 0


# ---- 2. a drop-in for ProcessPoolExecutor -------------------------------------------------------

def test_is_an_executor_with_the_stdlib_constructor():
    with pg.WorkerPool(max_workers=2, mp_context=mp.get_context("spawn")) as pool:
        assert isinstance(pool, cf.Executor)
        assert pool._max_workers == 2
        f = pool.submit(add, 2, b=3)
        assert isinstance(f, cf.Future) and f.result() == 5
        assert pool.submit(parent_pid).result() == os.getpid()       # spawn: our child
    with pg.WorkerPool(max_workers=1, mp_context=mp.get_context("forkserver")) as pool:
        assert pool.submit(parent_pid).result() != os.getpid()       # the forkserver's


def test_constructor_errors():
    with pytest.raises(ValueError, match="max_workers must be greater than 0"):
        pg.WorkerPool(0)
    with pytest.raises(ValueError, match="fork"):
        pg.WorkerPool(1, mp_context=mp.get_context("fork"))
    with pytest.raises(ValueError, match="max_tasks_per_child"):
        pg.WorkerPool(1, max_tasks_per_child=0)
    with pytest.raises(TypeError, match="initializer"):
        pg.WorkerPool(1, initializer=3)
    with pytest.raises(ValueError, match="task_timeout"):
        pg.WorkerPool(1, task_timeout=-1)
    with pytest.raises(TypeError, match="scheduler address"):
        pg.WorkerPool(cluster=8786)             # tests/test_cluster.py: a real cluster
    with pg.WorkerPool(1) as pool, pytest.raises(TypeError):
        pool.submit(42)


INIT_VALUE = "unset"


def set_init_value(v):
    global INIT_VALUE
    INIT_VALUE = v


def get_init_value(_=None):
    return INIT_VALUE


def test_initializer_and_initargs():
    with pg.WorkerPool(2, initializer=set_init_value, initargs=("ready",)) as pool:
        assert set(pool.map(get_init_value, range(20))) == {"ready"}


def test_a_failing_initializer_breaks_the_pool():
    with pg.WorkerPool(1, initializer=fail, initargs=("no",)) as pool:
        f = pool.submit(inc, 1)
        with pytest.raises(BrokenProcessPool, match="initializer"):
            f.result()
        with pytest.raises(BrokenProcessPool):
            pool.submit(inc, 1)


def test_max_tasks_per_child_replaces_the_worker():
    with pg.WorkerPool(1, max_tasks_per_child=2) as pool:
        pids = [pool.submit(pid).result() for _ in range(6)]
    assert pids[0] == pids[1] != pids[2] == pids[3] != pids[4] == pids[5]


def test_map_submits_every_item_even_if_the_results_are_never_read(tmp_path):
    path = str(tmp_path / "executions")
    with pg.WorkerPool(2) as pool:
        pool.map(record, range(1, 37), [path] * 36)          # never iterated
    assert executions(path) == {i: 1 for i in range(1, 37)}


def test_map_order_chunksize_and_many_iterables(pool):
    assert list(pool.map(inc, range(5000))) == list(range(1, 5001))
    assert list(pool.map(add, range(10), range(10), chunksize=4)) == [2 * i for i in range(10)]
    assert list(pool.map(add, range(10), range(3))) == [0, 2, 4]
    assert list(pool.map(inc, [])) == []
    with pytest.raises(ValueError, match="chunksize"):
        pool.map(inc, [1], chunksize=0)
    with pytest.raises(ValueError, match="chunksize"):
        pool.map(inc, [1], chunksize=-1)


def test_map_timeout_counts_from_the_call(pool):
    # The first result comes at once, the second never within the limit
    # (a limit wide enough for a loaded machine to start the first task).
    it = pool.map(sleepy, [0.0, 8.0], timeout=3.0)
    assert next(it) == 0.0
    with pytest.raises(cf.TimeoutError):
        next(it)


def test_map_buffersize_reads_ahead_by_that_much_only(pool):
    drawn = itertools.count()
    it = pool.map(inc, drawn, buffersize=8)
    assert [next(it) for _ in range(100)] == list(range(1, 101))
    assert next(drawn) - 100 <= 9, "read further ahead than buffersize"
    with pytest.raises(ValueError):
        pool.map(inc, [1], buffersize=0)
    with pytest.raises(TypeError):
        pool.map(inc, [1], buffersize=1.5)


def test_imap_is_lazy_bounded_and_ordered_or_not(pool):
    drawn = itertools.count()
    it = pool.imap(inc, drawn)
    assert [next(it) for _ in range(10000)] == list(range(1, 10001))
    assert next(drawn) - 10000 <= 4096 + 1
    assert sorted(pool.imap(inc, range(100), ordered=False)) == list(range(1, 101))
    assert list(pool.imap(sleepy, [0.5, 0.0], ordered=False)) == [0.0, 0.5]


def test_cancel_a_queued_task_and_shutdown_cancel_futures():
    with pg.WorkerPool(1) as pool:
        blocker = pool.submit(sleepy, 0.5)
        queued = [pool.submit(inc, i) for i in range(10)]
        assert queued[-1].cancel() and queued[-1].cancelled()
        assert blocker.result() == 0.5
        assert [f.result() for f in queued[:-1]] == list(range(1, 10))
    pool = pg.WorkerPool(1)
    pool.submit(sleepy, 0.3)
    later = [pool.submit(inc, i) for i in range(20)]
    pool.shutdown(wait=True, cancel_futures=True)
    assert any(f.cancelled() for f in later) and all(f.done() for f in later)
    with pytest.raises(RuntimeError, match="after shutdown"):
        pool.submit(inc, 1)


def test_asyncio_run_in_executor(pool):
    async def main():
        loop = asyncio.get_running_loop()
        return await asyncio.gather(*(loop.run_in_executor(pool, inc, i) for i in range(20)))
    assert asyncio.run(main()) == list(range(1, 21))


def test_cannot_be_pickled(pool):
    with pytest.raises(TypeError, match="cannot be copied"):
        pickle.dumps(pool)


def test_drop_in_inside_pg_run():
    def check(pool):
        assert pool._max_workers == 1
        assert pool.submit(add, 1, b=2).result() == 3
        assert list(pool.map(add, range(100), range(100))) == [2 * i for i in range(100)]
        assert sorted(pool.imap(inc, range(50), ordered=False)) == list(range(1, 51))
        with pytest.raises(ValueError, match="chunksize"):
            pool.map(inc, [1], chunksize=0)
        return True
    assert in_run(check)


@pytest.mark.parametrize("kw", [{"task_timeout": 1}, {"max_tasks_per_child": 2},
                                {"mp_context": mp.get_context("spawn")}])
def test_standalone_only_options_refused_inside_pg_run(kw):
    def main():
        with pytest.raises(ValueError, match="standalone pool"):
            pg.WorkerPool(**kw)
        return True
    assert pg.run(main, procs=1)


def test_pool_must_be_made_on_p0():
    def make_pool_here():
        try:
            pg.WorkerPool()
        except RuntimeError as e:
            return str(e)

    def main():
        out = pg.chan(1)
        from helpers import start_peer
        start_peer("xproc", lambda o: o.send(make_pool_here()), out)
        return out.recv()
    assert "P0" in pg.run(main, procs=2)


# ---- 3. nothing kept alive -----------------------------------------------------------------------

def test_nothing_kept_alive_in_the_parent(pool):
    obj = Tracked()
    ref = weakref.ref(obj)
    f = pool.submit(obj.method)                    # the callable holds obj
    assert f.result() == "ran"
    del obj, f
    gc.collect()
    assert ref() is None, "the pool kept the submitted callable alive"
    arg = Tracked()
    ref = weakref.ref(arg)
    assert pool.submit(take, arg).result() == "Tracked"
    del arg
    gc.collect()
    assert ref() is None, "the pool kept an argument alive"
    f = pool.submit(make_tracked)
    ref = weakref.ref(f.result())
    del f
    gc.collect()
    assert ref() is None, "the pool kept a result alive"
    for r in pool.map(make_tracked, range(5)):
        ref = weakref.ref(r)
        del r
        gc.collect()
        assert ref() is None, "map's iterator kept a result alive"


def test_nothing_kept_alive_in_the_worker():
    with pg.WorkerPool(1) as pool:
        assert pool.submit(take, Tracked()).result() == "Tracked"       # an argument
        assert pool.submit(Tracked().method).result() == "ran"          # a callable
        pool.submit(make_tracked).result()                              # a result
        assert list(pool.map(take, [Tracked()] * 50)) == ["Tracked"] * 50
        assert pool.submit(alive_in_worker).result() == 0


def test_nothing_kept_alive_inside_pg_run():
    def check(pool):
        obj = Tracked()
        ref = weakref.ref(obj)
        assert pool.submit(obj.method).result() == "ran"
        del obj
        gc.collect()
        assert ref() is None
        assert pool.submit(take, Tracked()).result() == "Tracked"
        return pool.submit(alive_in_worker).result()
    assert in_run(check) == 0


def test_a_rebound_main_global_is_seen_by_every_worker():
    r = run_script("""
        import parago as pg
        G = "old"
        def read(_):
            return G
        if __name__ == "__main__":
            with pg.WorkerPool(2) as pool:
                before = set(pool.map(read, range(2000)))
                G = "new"
                after = set(pool.map(read, range(2000)))
                one = {pool.submit(read, 0).result() for _ in range(20)}
            print(sorted(before), sorted(after), sorted(one))
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["['old']", "['new']", "['new']"]


# ---- 4. what users expect of a pool ----------------------------------------------------------

def test_task_timeout_fails_the_task_and_replaces_its_worker():
    with pg.WorkerPool(1, task_timeout=0.5) as pool:
        first = pool.submit(pid).result()
        slow = pool.submit(sleepy, 60)
        with pytest.raises(pg.TaskTimeout) as ei:
            slow.result()
        assert isinstance(ei.value, TimeoutError)
        assert pool.submit(pid).result() != first
        assert pool.submit(sleepy, 0.01).result() == 0.01


def test_a_timed_unit_is_stamped_before_it_reads_as_running():
    # The parent times the running task by STARTED_NS once PHASE says
    # RUNNING. A new worker's word holds 0 (an old worker's, an earlier
    # task's start) until the task's own stamp: read in between, a task that
    # had just started was killed as past its limit (seen under load in
    # docs/pool.md's task_timeout example). run(timed) stamps it first.
    from parago._shm import taskslots as TS

    fd = TS.create_memfd()
    slots = TS.map_memfd(fd)
    os.close(fd)
    try:
        assert slots.started_ns() == 0               # a new worker's record
        slots.load(0)
        assert slots.phase() == TS.LOADING           # not timed while loading
        before = time.monotonic_ns()
        slots.run(True)
        assert slots.phase() == TS.RUNNING
        assert slots.progress() == 1
        assert slots.started_ns() >= before
    finally:
        slots.close()


def test_task_timeout_per_map_and_distinct_from_result_timeout():
    with pg.WorkerPool(2) as pool:
        it = pool.map(sleepy, [0.0, 60.0, 0.0], task_timeout=0.5)
        assert next(it) == 0.0
        with pytest.raises(pg.TaskTimeout):
            next(it)
        slow = pool.submit(sleepy, 1.0)
        with pytest.raises(cf.TimeoutError) as ei:
            slow.result(timeout=0.01)
        assert not isinstance(ei.value, pg.TaskTimeout)
        assert slow.result() == 1.0


def test_progress_callable(pool):
    seen = []
    assert list(pool.map(inc, range(300), progress=lambda d, t: seen.append((d, t)))) \
        == list(range(1, 301))
    assert seen and seen[-1] == (300, 300)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    seen.clear()
    assert sorted(pool.imap(inc, range(50), progress=lambda d, t: seen.append((d, t)))) \
        == list(range(1, 51))
    assert seen[-1] == (50, 50)


def test_progress_true_shows_tqdm_or_says_it_is_missing(pool, monkeypatch):
    class Bar:
        made: list = []

        def __init__(self, total):
            self.total, self.n, self.closed = total, 0, False
            Bar.made.append(self)

        def update(self, k):
            self.n += k

        def close(self):
            self.closed = True

    fake = type(sys)("tqdm.auto")
    fake.tqdm = Bar
    monkeypatch.setitem(sys.modules, "tqdm.auto", fake)
    assert list(pool.map(inc, range(40), progress=True)) == list(range(1, 41))
    bar = Bar.made[-1]
    assert (bar.total, bar.n, bar.closed) == (40, 40, True)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    with pytest.raises(ImportError, match="tqdm"):
        pool.map(inc, range(3), progress=True)


class Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def root_capture():
    root = logging.getLogger()
    h = Capture()
    old = root.level
    root.addHandler(h)
    root.setLevel(logging.INFO)
    yield h
    root.removeHandler(h)
    root.setLevel(old)


def test_log_records_reach_the_parent_root_handlers_once(root_capture):
    with pg.WorkerPool(2) as pool:
        workers = set(pool.map(pid, range(20)))
        assert list(pool.map(log_warning, range(6))) == list(range(6))
    mine = [r for r in root_capture.records if r.name == "parago.test"]
    assert sorted(r.getMessage() for r in mine) == [f"task {i} says hello" for i in range(6)]
    assert all(r.process in workers and r.process != os.getpid() for r in mine)


def test_log_records_inside_pg_run(root_capture):
    def check(pool):
        return pool.submit(log_warning, 7).result(), pool.submit(pid).result()
    value, worker = in_run(check)
    assert value == 7
    mine = [r for r in root_capture.records if r.name == "parago.test"]
    assert [(r.getMessage(), r.process) for r in mine] == [("task 7 says hello", worker)]


def test_progress_inside_pg_run():
    def check(pool):
        seen = []
        out = list(pool.map(inc, range(100), progress=lambda d, t: seen.append((d, t))))
        return out, seen[-1]
    assert in_run(check) == (list(range(1, 101)), (100, 100))


CTRL_C = """
    import os, signal, sys, threading, time
    import parago as pg
    from test_pool import sleepy
    pool = pg.WorkerPool(2)
    fs = [pool.submit(sleepy, 60) for _ in range(10)]
    while len(pool._processes) < 2 or not fs[0].running():
        time.sleep(0.01)
    threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
    try:
        {wait}
    except KeyboardInterrupt:
        print("interrupted", sum(f.cancelled() for f in fs), all(f.done() for f in fs))
    pool.shutdown()
    print("workers left", len(pool._processes))
"""


@pytest.mark.parametrize("wait", ["fs[0].result()", "list(pool.map(sleepy, [60] * 4))",
                                  "time.sleep(60)"])
def test_ctrl_c_stops_the_pool(wait):
    """Tasks that would sleep a minute: Ctrl-C in the caller cancels what is
    queued and stops what runs (the script ends long before a minute)."""
    if wait == "time.sleep(60)":
        code = CTRL_C.replace("try:\n        {wait}", "try:\n        with pool:\n"
                                                      "            time.sleep(60)")
    else:
        code = CTRL_C.format(wait=wait)
    r = run_script(code, timeout=40)
    lines = r.stdout.splitlines()
    assert lines[0].startswith("interrupted"), (r.stdout, r.stderr)
    _, cancelled, all_done = lines[0].split()
    assert int(cancelled) >= 6 and all_done == "True"
    assert lines[1] == "workers left 0"


# ---- 5. layers ------------------------------------------------------------------------------

def test_the_public_module_is_a_facade():
    import ast
    src = open(pg.pool.__file__).read() if hasattr(pg, "pool") else \
        open(os.path.join(os.path.dirname(pg.__file__), "pool.py")).read()
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.ImportFrom):
            assert node.module not in ("_shm", "_core") and not (node.module or "").startswith(
                ("_shm", "_core")), node.module
    assert "tls.proc" not in src and "._sched" not in src
