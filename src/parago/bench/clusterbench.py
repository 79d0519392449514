"""Kernels for perf/cluster.py and the bench's cluster section (``--cluster
ADDRESS``): the pool's work on a Dask cluster through ``WorkerPool(cluster=)``,
beside the same work through the Dask client directly (``client.map`` then
``client.gather``, Dask's own way) and on this machine's WorkerPool.

- tiny: ``x + 1`` over ``n`` items, each side's ``map`` as it comes (the
  pool chunks items by itself; Dask makes one task per item); tasks/s.
- cpu: ``m`` CPU-bound tasks (``cpu(k)``), one per item on every side; seconds.

``impl``: "cluster" (WorkerPool(cluster=address)), "dask" (the client
directly) or "local" (WorkerPool() here, one worker per usable core). Every
side connects and warms up before the timed part.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .poolbench import cpu, inc

MapFn = Callable[[Callable[[int], int], list[int]], list[int]]


def _make(impl: str, address: str) -> tuple[MapFn, Callable[[], object]]:
    """(map(fn, items) -> list, close) for one side."""
    import parago as pg
    if impl == "local":
        pool = pg.WorkerPool()
        return (lambda f, items: list(pool.map(f, items)), pool.shutdown)
    from distributed import Client
    client = Client(address, set_as_default=False)
    if impl == "cluster":
        cpool = pg.WorkerPool(cluster=client)

        def close() -> None:
            cpool.shutdown()
            client.close()
        return (lambda f, items: list(cpool.map(f, items)), close)
    if impl == "dask":
        return (lambda f, items: client.gather(client.map(f, items, pure=False)),
                client.close)
    raise ValueError(impl)


def tiny(impl: str, address: str, n: int = 5000) -> dict[str, Any]:
    pmap, close = _make(impl, address)
    try:
        pmap(inc, list(range(100)))
        t0 = time.perf_counter()
        out = pmap(inc, list(range(n)))
        dt = time.perf_counter() - t0
        assert out[-1] == n
        return {"tasks_per_s": n / dt, "seconds": dt, "n": n}
    finally:
        close()


def cpu_bound(impl: str, address: str, k: int = 2_000_000, m: int = 16) -> dict[str, Any]:
    pmap, close = _make(impl, address)
    try:
        pmap(cpu, [1000] * 4)
        t0 = time.perf_counter()
        out = pmap(cpu, [k] * m)
        dt = time.perf_counter() - t0
        assert len(out) == m
        return {"seconds": dt, "m": m, "k": k}
    finally:
        close()


# ---- the bench's section (python -m parago bench --cluster ADDRESS) ---------------------

SIDES = (("WorkerPool(cluster=)", "cluster"), ("Dask client directly", "dask"),
         ("WorkerPool (this machine)", "local"))


def section(quick: bool, address: str) -> Any:
    """The pool's two kernels on the cluster at ``address``, beside the Dask
    client used directly and this machine's WorkerPool, runs interleaved."""
    from . import suite
    n = suite._size(quick, 5000, 2000, 200)
    k = suite._size(quick, 2_000_000, 1_000_000, 20_000)
    s = suite.Section("cluster", f"The pool on the Dask cluster {address}: tiny tasks (x + 1 "
                      f"over {n:,} items, tasks/s) and 16 CPU-bound tasks (seconds), beside "
                      "the Dask client directly and this machine's WorkerPool (ratio >1: "
                      "parago's cluster pool faster)",
                      ["work", "pool", "figure", "cluster pool vs"], _table,
                      {"address": address, "n": n, "k": k}, suite.rounds(quick), labels=2)
    for _, impl in SIDES:
        s.add(f"tiny_{impl}", "clusterbench:tiny", impl=impl, address=address, n=n)
        s.add(f"cpu_{impl}", "clusterbench:cpu_bound", impl=impl, address=address, k=k)
    return s


def _table(s: Any, r: Any) -> None:
    from . import report
    from .stats import paired_ratio
    from .suite import _ratio
    ours = s.sample(r, "tiny_cluster", "tasks_per_s")
    for name, impl in SIDES:
        rate = s.sample(r, f"tiny_{impl}", "tasks_per_s")
        vs = paired_ratio(rate, ours)
        s.row(["tiny tasks", name, s.cell(rate, lambda v: report.fmt_rate(v, "/s")),
               _ratio(vs)], work="tiny", impl=impl, tasks_per_s=rate, vs=vs)
    ours = s.sample(r, "cpu_cluster", "seconds")
    for name, impl in SIDES:
        t = s.sample(r, f"cpu_{impl}", "seconds")
        vs = paired_ratio(ours, t)
        s.row(["CPU-bound", name, s.cell(t, lambda v: f"{v:.2f} s"), _ratio(vs)],
              work="cpu", impl=impl, seconds=t, vs=vs)
