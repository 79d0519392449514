"""Parallelism versus concurrency, measured.

Parallelism: M CPU-bound goroutines with procs = 1 .. N — wall time and
speedup (ProcessPoolExecutor and loky with the same work beside it).
Concurrency: M goroutines that only wait on procs=1 — total time against the
one wait (beside asyncio tasks and gevent greenlets). Two kinds of wait:
``*_sleepers`` sleep, ``*_chan_waiters`` block on a channel main closes
(asyncio and gevent: an Event main sets).

The CPU kernels run a tiny warm-up batch first (so workers still starting
do not count), then time the batch ``repeat`` times and report the best."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from concurrent.futures import Executor

    import parago as pg


def cpu_work(k: int) -> int:
    s = 0
    for i in range(k):
        s += i * i % 7
    return s


def _cpu_goroutine(k: int, out: pg.Chan[int]) -> None:
    out.send(cpu_work(k))


def parago_cpu(m: int = 16, k: int = 2_000_000, procs: int = 1, repeat: int = 1
               ) -> dict[str, float]:
    import parago as pg

    def batch(out: pg.Chan[int], steps: int) -> float:
        t0 = time.perf_counter()
        for _ in range(m):
            pg.go(_cpu_goroutine, steps, out)
        for _ in range(m):
            out.recv()
        return time.perf_counter() - t0

    def main() -> float:
        out = pg.chan(m)
        batch(out, 1000)                  # every P up and running before timing
        return min(batch(out, k) for _ in range(repeat))
    return {"seconds": pg.run(main, procs=procs), "m": m, "k": k, "procs": procs}


def _pool_cpu(ex: Executor, m: int, k: int, procs: int, repeat: int) -> dict[str, float]:
    list(ex.map(cpu_work, [1000] * procs))       # workers are up before timing
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        list(ex.map(cpu_work, [k] * m))
        best = min(best, time.perf_counter() - t0)
    return {"seconds": best, "m": m, "k": k, "procs": procs}


def ppe_cpu(m: int = 16, k: int = 2_000_000, procs: int = 1, repeat: int = 1) -> dict[str, float]:
    from concurrent.futures import ProcessPoolExecutor
    with ProcessPoolExecutor(procs) as ex:
        return _pool_cpu(ex, m, k, procs, repeat)


def loky_cpu(m: int = 16, k: int = 2_000_000, procs: int = 1, repeat: int = 1) -> dict[str, float]:
    from loky import get_reusable_executor
    ex = get_reusable_executor(max_workers=procs)
    try:
        return _pool_cpu(ex, m, k, procs, repeat)
    finally:
        ex.shutdown(wait=True)


def _sleeper(s: float, done: pg.Chan[None]) -> None:
    import parago as pg
    pg.sleep(s)
    done.send(None)


def parago_sleepers(m: int = 10000, s: float = 0.5) -> dict[str, float]:
    import parago as pg

    def main() -> float:
        done = pg.chan(m)
        t0 = time.perf_counter()
        for _ in range(m):
            pg.go(_sleeper, s, done)
        for _ in range(m):
            done.recv()
        return time.perf_counter() - t0
    return {"seconds": pg.run(main, procs=1), "m": m, "wait": s}


def asyncio_sleepers(m: int = 10000, s: float = 0.5) -> dict[str, float]:
    import asyncio

    async def main() -> float:
        t0 = time.perf_counter()
        await asyncio.gather(*(asyncio.sleep(s) for _ in range(m)))
        return time.perf_counter() - t0
    return {"seconds": asyncio.run(main()), "m": m, "wait": s}


def gevent_sleepers(m: int = 10000, s: float = 0.5) -> dict[str, float]:
    import gevent
    t0 = time.perf_counter()
    gevent.joinall([gevent.spawn(gevent.sleep, s) for _ in range(m)])
    return {"seconds": time.perf_counter() - t0, "m": m, "wait": s}


def _gate_waiter(gate: pg.Chan[None], done: pg.Chan[None]) -> None:
    gate.recv()                      # parked until main closes the gate
    done.send(None)


def parago_chan_waiters(m: int = 10000, s: float = 0.5) -> dict[str, float]:
    import parago as pg

    def main() -> float:
        gate, done = pg.chan(), pg.chan(m)
        t0 = time.perf_counter()
        for _ in range(m):
            pg.go(_gate_waiter, gate, done)
        pg.sleep(s)
        gate.close()                 # wakes every receiver at once
        for _ in range(m):
            done.recv()
        return time.perf_counter() - t0
    return {"seconds": pg.run(main, procs=1), "m": m, "wait": s}


def asyncio_chan_waiters(m: int = 10000, s: float = 0.5) -> dict[str, float]:
    import asyncio

    async def main() -> float:
        gate = asyncio.Event()
        t0 = time.perf_counter()
        tasks = [asyncio.create_task(gate.wait()) for _ in range(m)]
        await asyncio.sleep(s)
        gate.set()
        await asyncio.gather(*tasks)
        return time.perf_counter() - t0
    return {"seconds": asyncio.run(main()), "m": m, "wait": s}


def gevent_chan_waiters(m: int = 10000, s: float = 0.5) -> dict[str, float]:
    import gevent
    from gevent.event import Event
    gate = Event()
    t0 = time.perf_counter()
    waiters = [gevent.spawn(gate.wait) for _ in range(m)]
    gevent.sleep(s)
    gate.set()
    gevent.joinall(waiters)
    return {"seconds": time.perf_counter() - t0, "m": m, "wait": s}
