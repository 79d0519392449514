"""Kernels for perf/sync.py: the sync package beside multiprocessing's.

- the seeds' RWMutex-vs-Mutex table: one producer taking the write lock five
  times, 2^k observers taking it once (read lock vs plain lock);
- Mutex lock+unlock uncontended, and contended by two processes, beside
  multiprocessing.Lock;
- atomic add, alone and from two processes, beside multiprocessing.Value
  under its lock;
- the seeds' Pool program: 1,048,576 goroutines sharing 4 KB of buffers.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from multiprocessing.sharedctypes import Synchronized
    from multiprocessing.synchronize import Event, Lock
    from typing import Protocol

    import parago as pg

    class _Locker(Protocol):                 # Go's sync.Locker: a Mutex, an RWMutex, rlocker()
        def lock(self) -> None: ...
        def unlock(self) -> None: ...

# ---- RWMutex vs Mutex (the seed's table) --------------------------------------------

def _producer(wg: pg.WaitGroup, lock_w: pg.RWMutex) -> None:
    import parago as pg
    for _ in range(5):
        lock_w.lock()
        lock_w.unlock()
        pg.sleep(1e-9)
    wg.done()


def _observer(wg: pg.WaitGroup, lock: _Locker) -> None:
    lock.lock()
    lock.unlock()
    wg.done()


def rw_table(max_pow: int = 12, procs: int = 1) -> dict[str, Any]:
    import parago as pg

    def test(count: int, rw: pg.RWMutex, observer_lock: _Locker) -> float:
        wg = pg.WaitGroup()
        wg.add(count + 1)
        t0 = time.perf_counter()
        pg.go(_producer, wg, rw)
        for _ in range(count):
            pg.go(_observer, wg, observer_lock)
        wg.wait()
        return time.perf_counter() - t0

    def main() -> list[tuple[int, float, float]]:
        rows = []
        for i in range(max_pow + 1):
            count = 2 ** i
            rw = pg.RWMutex()
            t_rw = test(count, rw, rw.rlocker())
            rw = pg.RWMutex()
            t_mu = test(count, rw, rw)
            rows.append((count, t_rw, t_mu))
        return rows
    return {"rows": pg.run(main, procs=procs)}


# ---- Mutex beside multiprocessing.Lock --------------------------------------------------

def _pg_lock_loop(mu: pg.Mutex, n: int, ready: pg.Chan[int | None], done: pg.Chan[bool]) -> None:
    ready.send(os.getpid())
    ready.send(None)          # the second value: main has let us go
    for _ in range(n):
        mu.lock()
        mu.unlock()
    done.send(True)


def parago_mutex(n: int = 200000, contended: bool = False) -> dict[str, float]:
    import parago as pg

    def main() -> float:
        mu, ready, done = pg.Mutex(), pg.chan(1), pg.chan(1)
        if contended:
            pg.go(_pg_lock_loop, mu, n, ready, done)
            while len(ready) == 0:
                time.sleep(0.0005)
            assert ready.recv() != os.getpid()
        t0 = time.perf_counter()
        if contended:
            ready.recv()
        for _ in range(n):
            mu.lock()
            mu.unlock()
        if contended:
            done.recv()
        return (time.perf_counter() - t0) / (n * (2 if contended else 1))
    return {"per_op": pg.run(main, procs=2 if contended else 1)}


def _mp_lock_loop(lock: Lock, n: int, start: Event) -> None:
    start.wait()
    for _ in range(n):
        lock.acquire()
        lock.release()


def mp_lock(n: int = 200000, contended: bool = False) -> dict[str, float]:
    lock, start = mp.Lock(), mp.Event()
    p = mp.Process(target=_mp_lock_loop, args=(lock, n, start)) if contended else None
    if p:
        p.start()
    t0 = time.perf_counter()
    start.set()
    for _ in range(n):
        lock.acquire()
        lock.release()
    if p:
        p.join()
    return {"per_op": (time.perf_counter() - t0) / (n * (2 if contended else 1))}


# ---- atomic add beside multiprocessing.Value ---------------------------------------------

def _pg_add_loop(x: pg.atomic.Int64, n: int, ready: pg.Chan[int | None],
                 done: pg.Chan[bool]) -> None:
    ready.send(os.getpid())
    ready.send(None)
    for _ in range(n):
        x.add(1)
    done.send(True)


def parago_atomic(n: int = 500000, contended: bool = False) -> dict[str, float]:
    import parago as pg

    def main() -> float:
        x, ready, done = pg.atomic.Int64(), pg.chan(1), pg.chan(1)
        if contended:
            pg.go(_pg_add_loop, x, n, ready, done)
            while len(ready) == 0:
                time.sleep(0.0005)
            ready.recv()
        t0 = time.perf_counter()
        if contended:
            ready.recv()
        for _ in range(n):
            x.add(1)
        if contended:
            done.recv()
        assert x.load() == n * (2 if contended else 1)
        return (time.perf_counter() - t0) / (n * (2 if contended else 1))
    return {"per_op": pg.run(main, procs=2 if contended else 1)}


def _mp_add_loop(v: Synchronized[int], n: int, start: Event) -> None:
    start.wait()
    for _ in range(n):
        with v.get_lock():
            v.value += 1


def mp_value(n: int = 500000, contended: bool = False) -> dict[str, float]:
    v, start = mp.Value("q", 0), mp.Event()
    p = mp.Process(target=_mp_add_loop, args=(v, n, start)) if contended else None
    if p:
        p.start()
    t0 = time.perf_counter()
    start.set()
    for _ in range(n):
        with v.get_lock():
            v.value += 1
    if p:
        p.join()
    assert v.value == n * (2 if contended else 1)
    return {"per_op": (time.perf_counter() - t0) / (n * (2 if contended else 1))}


# ---- the seeds' Pool program ---------------------------------------------------------------

def _calc_worker(calc_pool: pg.Pool) -> None:
    mem = calc_pool.get()
    calc_pool.put(mem)


def _new_calc(created: pg.atomic.Int64) -> bytearray:
    created.add(1)
    return bytearray(1024)


def pool_program(n: int = 1024 * 1024, procs: int = 0) -> dict[str, float]:
    import parago as pg

    def main() -> tuple[int, float]:
        created = pg.atomic.Int64()
        calc_pool = pg.Pool(lambda: _new_calc(created))
        for _ in range(4):
            calc_pool.put(calc_pool.new())  # type: ignore[misc]  # Pool.new is optional; set above
        wg = pg.WaitGroup()
        t0 = time.perf_counter()
        for _ in range(n):
            wg.go(_calc_worker, calc_pool)
        wg.wait()
        return created.load(), time.perf_counter() - t0
    created, seconds = pg.run(main, procs=procs or None)
    return {"created": created, "seconds": seconds, "n": n,
            "p0_max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
