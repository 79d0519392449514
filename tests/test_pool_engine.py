"""The WorkerPool engine's bookkeeping on its own, driven by a fake transport.

What the public tests (test_pool.py) can reach only through races between
a worker's death and the caller is set up here directly: the engine's
queues in a given state, then one engine call.
"""

from __future__ import annotations

import concurrent.futures as cf

import pytest

from parago._runtime import pool_engine as E
from parago._runtime import pool_tasks as T

pytestmark = pytest.mark.timeout(30)


def square(x):
    return x * x


class _Signal:
    def wait(self, lock, timeout):
        raise AssertionError("nothing here waits")

    def notify(self):
        pass


class FakeEngine(E.Engine):
    """An engine whose workers are never started nor reached."""

    def _start_workers(self, n):
        raise AssertionError("no worker is started here")

    def _send(self, w, msg):
        return True

    def _kill(self, w):
        pass

    def _retire(self, w):
        pass

    def _new_signal(self):
        return _Signal()

    def wait_for(self, fut, timeout):
        return timeout


def _requeued_map_unit(engine, n, offset):
    """A map's unit of ``n`` tasks whose first ``offset`` finished before
    its worker died: the rest wait in pending (as on_death requeues them)."""
    job = E.Job(engine, square, False, True, None, None, n, None, n)
    with engine.lock:
        job.total = n
        unit = E.Unit(job, 0, n, T.function_bytes(square), T.args_bytes(list(range(n)), None),
                      None, False, None, offset, E.fn_key(square))
        unit.fresh = False
        job.put(0, list(range(offset)), may_fail=False)
        engine.pending.append(unit)
        engine.npending += n - offset
    return job


def test_cancel_pending_fails_a_maps_requeued_tasks():
    # shutdown(cancel_futures=True) after a worker died in the middle of a
    # map chunk: the chunk's unstarted tasks, back in pending, are cancelled
    # (the map raises CancelledError after the results that came before).
    engine = FakeEngine(1)
    job = _requeued_map_unit(engine, 5, 2)
    with engine.lock:
        engine.cancel_pending()
    engine.flush()
    assert engine.npending == 0 and not engine.pending
    results = job.iterate()
    assert [next(results), next(results)] == [0, 1]
    with pytest.raises(cf.CancelledError):
        next(results)


def test_break_pool_fails_a_maps_requeued_tasks():
    engine = FakeEngine(1)
    job = _requeued_map_unit(engine, 3, 1)
    err = RuntimeError("broken")
    with engine.lock:
        engine.break_pool(err)
    engine.flush()
    results = job.iterate()
    assert next(results) == 0
    with pytest.raises(RuntimeError, match="broken"):
        next(results)
