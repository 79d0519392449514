"""WorkerPool: Executor behaviour, crashes, backpressure; standalone and
inside pg.run, in one process and across processes."""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import itertools
import os
import signal
import threading
import time

import pytest

import parago as pg

pytestmark = pytest.mark.timeout(120)


def inc(x):
    return x + 1


def add(a, b=0):
    return a + b


def pid(_=None):
    return os.getpid()


def fail(msg):
    raise KeyError(msg)


def sleepy(s):
    time.sleep(s)
    return s


def die():
    os.kill(os.getpid(), signal.SIGKILL)


def unpicklable_result():
    return threading.Lock()


@pytest.fixture
def pool():
    p = pg.WorkerPool(2)
    yield p
    p.shutdown()


# ---- standalone ------------------------------------------------------------------------

def test_is_an_executor(pool):
    assert isinstance(pool, cf.Executor)
    f = pool.submit(add, 2, b=3)
    assert isinstance(f, cf.Future) and f.result(30) == 5


def test_runs_in_other_processes(pool):
    pids = set(pool.map(pid, range(200)))
    assert os.getpid() not in pids and pids


def test_map_order_chunksize_and_many_iterables(pool):
    assert list(pool.map(inc, range(5000))) == list(range(1, 5001))
    assert list(pool.map(add, range(10), range(10), chunksize=4)) == [2 * i for i in range(10)]
    assert list(pool.map(inc, [])) == []


def test_map_timeout(pool):
    it = pool.map(sleepy, [0.5, 0.5], timeout=0.05)
    with pytest.raises(cf.TimeoutError):
        next(it)


def test_imap_ordered_and_unordered(pool):
    assert list(pool.imap(inc, range(100))) == list(range(1, 101))
    assert sorted(pool.imap(inc, range(100), ordered=False)) == list(range(1, 101))
    # unordered yields a fast result before a slow earlier one
    got = list(pool.imap(sleepy, [0.3, 0.0], ordered=False))
    assert got == [0.0, 0.3]


def test_exception_reaches_the_future_with_remote_traceback(pool):
    f = pool.submit(fail, "nope")
    with pytest.raises(KeyError, match="nope") as ei:
        f.result(30)
    tb = str(ei.value.__cause__)
    assert "fail" in tb and "KeyError" in tb
    it = pool.map(fail, ["x"])
    with pytest.raises(KeyError):
        next(it)


def test_unpicklable_argument_and_result_fail_alone(pool):
    bad = pool.submit(inc, threading.Lock())
    good = pool.submit(inc, 1)
    with pytest.raises(TypeError, match="cannot be copied"):
        bad.result(30)
    assert good.result(30) == 2
    with pytest.raises(TypeError, match="cannot be copied back"):
        pool.submit(unpicklable_result).result(30)


def test_backpressure_with_an_endless_generator(pool):
    drawn = itertools.count()
    it = pool.imap(inc, drawn)
    first = [next(it) for _ in range(10000)]
    assert first == list(range(1, 10001))
    ahead = next(drawn) - 10000
    assert ahead <= 2 * 4096, f"read {ahead} items ahead of the consumer"


def test_cancel_a_queued_task():
    with pg.WorkerPool(1) as pool:
        blocker = pool.submit(sleepy, 0.5)
        queued = [pool.submit(inc, i) for i in range(10)]
        time.sleep(0.1)
        last = queued[-1]
        assert last.cancel() is True and last.cancelled()
        assert blocker.result(30) == 0.5
        assert [f.result(30) for f in queued[:-1]] == list(range(1, 10))


def test_shutdown_cancel_futures_and_no_new_work():
    pool = pg.WorkerPool(1)
    pool.submit(sleepy, 0.3)
    later = [pool.submit(inc, i) for i in range(5)]
    time.sleep(0.05)
    pool.shutdown(wait=True, cancel_futures=True)
    assert all(f.cancelled() or f.done() for f in later)
    with pytest.raises(RuntimeError, match="after shutdown"):
        pool.submit(inc, 1)


def test_worker_killed_mid_task_fails_only_its_tasks():
    with pg.WorkerPool(2) as pool:
        doomed = pool.submit(die)
        with pytest.raises(pg.WorkerCrashed, match="SIGKILL"):
            doomed.result(30)
        # the pool keeps working, with a replacement worker
        assert list(pool.map(inc, range(500))) == list(range(1, 501))
        assert len(set(pool.map(pid, range(200)))) >= 1


def test_asyncio_run_in_executor(pool):
    async def main():
        loop = asyncio.get_running_loop()
        return await asyncio.gather(*(loop.run_in_executor(pool, inc, i) for i in range(20)))
    assert asyncio.run(main()) == list(range(1, 21))


def test_cannot_be_copied(pool):
    import pickle
    with pytest.raises(TypeError, match="cannot be copied"):
        pickle.dumps(pool)


def test_bad_arguments():
    with pytest.raises(ValueError):
        pg.WorkerPool(0)
    with pg.WorkerPool(1) as pool, pytest.raises(TypeError):
        pool.submit(42)


# ---- inside pg.run -------------------------------------------------------------------------

@pytest.mark.parametrize("procs", (1, 2))
def test_inside_pg_run(procs):
    def main():
        with pg.WorkerPool() as pool:
            assert pool.submit(add, 1, 2).result() == 3          # parks, does not block
            assert list(pool.map(inc, range(1000))) == list(range(1, 1001))
            pids = set(pool.map(pid, range(50)))
            with pytest.raises(KeyError):
                pool.submit(fail, "k").result()
            return pids
    pids = pg.run(main, procs=procs)
    if procs == 1:
        assert pids == {os.getpid()}
    else:
        assert os.getpid() not in pids


def test_inside_pg_run_a_pool_crash_does_not_end_the_run():
    def main():
        with pg.WorkerPool() as pool:
            with pytest.raises(pg.WorkerCrashed):
                pool.submit(die).result()
            return pool.submit(inc, 41).result()
    assert pg.run(main, procs=2) == 42


def make_pool_here():
    try:
        pg.WorkerPool()
    except RuntimeError as e:
        return str(e)


def test_pool_must_be_made_on_p0():
    def main():
        out = pg.chan(1)
        from helpers import start_peer
        start_peer("xproc", lambda o: o.send(make_pool_here()), out)
        return out.recv()
    assert "P0" in pg.run(main, procs=2)
