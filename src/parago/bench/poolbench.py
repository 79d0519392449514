"""Kernels for perf/pool.py and the bench's pool section: WorkerPool beside
multiprocessing.Pool, ProcessPoolExecutor, loky and mpire, each with 2
workers (or ``workers``).

- tiny: ``x + 1`` over 20,000 items at a given chunksize, one timed run (the
  bench's pool section);
- map_rate: ``x + 1`` over 20,000 items, as each pool's ``map`` does it by
  default (``chunksize=None``: multiprocessing.Pool and mpire then chunk the
  input themselves, the executors send one item per call) or at a given
  chunksize for all; ``reps`` timed runs in one pool;
- roundtrip: one ``submit(...).result()`` at a time (latency percentiles),
  quiet or with ``busy`` busy-loop processes running beside;
- cpu_speedup: 16 CPU-bound tasks on 1 worker and on ``workers`` (speedup);
- start: a fresh interpreter, pool start to first result (cold start).
Every pool is started and warmed before the timed part, except in start.
"""

from __future__ import annotations

import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import TypeAlias

    MapFn: TypeAlias = Callable[[Callable[[int], int], Iterable[int]], list[int]]
    CallFn: TypeAlias = Callable[[Callable[[int], int], int], int]


def inc(x: int) -> int:
    return x + 1


def cpu(k: int) -> int:
    s = 0
    for i in range(k):
        s += i * i % 7
    return s


def _make(impl: str, workers: int, chunksize: int | None = None
          ) -> tuple[MapFn, CallFn, Callable[[], object]]:
    """(map(fn, items) -> list, submit_result(fn, x) -> value, close); map at
    ``chunksize``, or at the pool's own default when it is None."""
    kw: dict[str, int] = {} if chunksize is None else {"chunksize": chunksize}
    p: Any                  # one of five pool types, each used through the same three calls
    if impl == "parago":
        import parago as pg
        p = pg.WorkerPool(workers)
        return (lambda f, it: list(p.map(f, it, **kw)),
                lambda f, x: p.submit(f, x).result(),
                p.shutdown)
    if impl == "multiprocessing":
        import multiprocessing as mp
        p = mp.get_context("forkserver").Pool(workers)
        return (lambda f, it: p.map(f, it, **kw), lambda f, x: p.apply(f, (x,)),
                p.terminate)
    if impl == "ProcessPoolExecutor":
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor
        p = ProcessPoolExecutor(workers, mp_context=mp.get_context("forkserver"))
        return (lambda f, it: list(p.map(f, it, **kw)),
                lambda f, x: p.submit(f, x).result(), p.shutdown)
    if impl == "loky":
        from loky import get_reusable_executor
        p = get_reusable_executor(max_workers=workers)
        return (lambda f, it: list(p.map(f, it, **kw)),
                lambda f, x: p.submit(f, x).result(), lambda: p.shutdown(wait=True))
    if impl == "mpire":
        from mpire import WorkerPool as MPool
        p = MPool(n_jobs=workers, start_method="forkserver")
        p.__enter__()
        return (lambda f, it: p.map(f, it, progress_bar=False,
                                    **({} if chunksize is None else {"chunk_size": chunksize})),
                lambda f, x: p.apply(f, (x,)), lambda: p.__exit__(None, None, None))
    raise ValueError(impl)


def tiny(impl: str, n: int = 20000, workers: int = 2, chunksize: int = 1) -> dict[str, float]:
    pmap, _, close = _make(impl, workers, chunksize)
    try:
        pmap(inc, range(200))
        t0 = time.perf_counter()
        out = pmap(inc, range(n))
        dt = time.perf_counter() - t0
        assert out[-1] == n
        return {"tasks_per_s": n / dt, "n": n}
    finally:
        close()


def map_rate(impl: str, n: int = 20000, workers: int = 2, chunksize: int | None = None,
             reps: int = 3) -> dict[str, list[float]]:
    pmap, _, close = _make(impl, workers, chunksize)
    try:
        pmap(inc, range(2000))
        rates = []
        for _ in range(reps):
            t0 = time.perf_counter()
            out = pmap(inc, range(n))
            rates.append(n / (time.perf_counter() - t0))
            assert out[-1] == n
        return {"rates": rates}
    finally:
        close()


def _busy_loops(k: int) -> list[subprocess.Popen[bytes]]:
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(k)]


def roundtrip(impl: str, n: int = 1000, workers: int = 2, busy: int = 0) -> dict[str, float]:
    _, one, close = _make(impl, workers)
    loops = _busy_loops(busy)
    try:
        for i in range(50):
            one(inc, i)
        lat = []
        for i in range(n):
            t0 = time.perf_counter()
            one(inc, i)
            lat.append(time.perf_counter() - t0)
        lat.sort()
        return {"p50": lat[n // 2], "p90": lat[n * 9 // 10], "p99": lat[n * 99 // 100]}
    finally:
        for p in loops:
            p.kill()
            p.wait()
        close()


def cpu_speedup(impl: str, k: int = 2_000_000, m: int = 16, workers: int = 2) -> dict[str, float]:
    times = {}
    for w in (1, workers):
        pmap, _, close = _make(impl, w)
        try:
            pmap(cpu, [1000] * w)
            t0 = time.perf_counter()
            pmap(cpu, [k] * m)
            times[w] = time.perf_counter() - t0
        finally:
            close()
    return {"t1": times[1], "tn": times[workers], "speedup": times[1] / times[workers]}


def start(impl: str, workers: int = 2) -> dict[str, float]:
    t0 = time.perf_counter()
    _, one, close = _make(impl, workers)
    try:
        one(inc, 1)
        return {"seconds": time.perf_counter() - t0}
    finally:
        close()
