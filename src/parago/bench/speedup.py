"""Parallelism versus concurrency, measured.

Parallelism: M CPU-bound goroutines with procs = 1 .. N — wall time and
speedup (ProcessPoolExecutor with the same work beside it). Concurrency: M
goroutines that only wait (pg.sleep) on procs=1 — total time against the one
wait (beside asyncio tasks and gevent greenlets)."""

from __future__ import annotations

import time


def cpu_work(k: int) -> int:
    s = 0
    for i in range(k):
        s += i * i % 7
    return s


def _cpu_goroutine(k, out):
    out.send(cpu_work(k))


def parago_cpu(m: int = 16, k: int = 2_000_000, procs: int = 1) -> dict:
    import parago as pg

    def main():
        out = pg.chan(m)
        t0 = time.perf_counter()
        for _ in range(m):
            pg.go(_cpu_goroutine, k, out)
        for _ in range(m):
            out.recv()
        return time.perf_counter() - t0
    return {"seconds": pg.run(main, procs=procs), "m": m, "k": k, "procs": procs}


def ppe_cpu(m: int = 16, k: int = 2_000_000, procs: int = 1) -> dict:
    from concurrent.futures import ProcessPoolExecutor
    with ProcessPoolExecutor(procs) as ex:
        list(ex.map(cpu_work, [1000] * procs))       # workers are up before timing
        t0 = time.perf_counter()
        list(ex.map(cpu_work, [k] * m))
        return {"seconds": time.perf_counter() - t0, "m": m, "k": k, "procs": procs}


def _sleeper(s, done):
    import parago as pg
    pg.sleep(s)
    done.send(None)


def parago_sleepers(m: int = 10000, s: float = 0.5) -> dict:
    import parago as pg

    def main():
        done = pg.chan(m)
        t0 = time.perf_counter()
        for _ in range(m):
            pg.go(_sleeper, s, done)
        for _ in range(m):
            done.recv()
        return time.perf_counter() - t0
    return {"seconds": pg.run(main, procs=1), "m": m, "wait": s}


def asyncio_sleepers(m: int = 10000, s: float = 0.5) -> dict:
    import asyncio

    async def main():
        t0 = time.perf_counter()
        await asyncio.gather(*(asyncio.sleep(s) for _ in range(m)))
        return time.perf_counter() - t0
    return {"seconds": asyncio.run(main()), "m": m, "wait": s}


def gevent_sleepers(m: int = 10000, s: float = 0.5) -> dict:
    import gevent
    t0 = time.perf_counter()
    gevent.joinall([gevent.spawn(gevent.sleep, s) for _ in range(m)])
    return {"seconds": time.perf_counter() - t0, "m": m, "wait": s}
