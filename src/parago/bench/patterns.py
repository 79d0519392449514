"""Go's canonical concurrency patterns, CPU-bound, as benchmark kernels.

Each ``parago_*`` kernel runs one pattern in ``pg.run(procs=...)`` exactly as
a Go programmer writes it — plain ``pg.go`` goroutines and channels, no hint
about placement — and returns the wall time of the whole run and where the
CPU work ran (``off_main``: the fraction of work units done outside main's
process). The ``ppe_*`` and ``mpq_*`` kernels do the same CPU work with
ProcessPoolExecutor or multiprocessing queues, for the comparison.

Patterns (docs/design.md, "Placement"):
  workers    workers started before any job exists, fed by main or by a
             feeder goroutine, through an unbuffered or a buffered channel
  jobs       the README example: main fills a buffered channel, then workers
  fanout     one goroutine per job, results on one channel
  pipeline   three equally costly stages of raw goroutines
  forkjoin   recursive fork-join: a tree of goroutines joined by WaitGroups
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, Any

import parago as pg

if TYPE_CHECKING:
    from collections.abc import Callable
    from multiprocessing.queues import Queue
    from typing import TypeAlias

    KernelFn: TypeAlias = Callable[..., dict[str, float]]   # a kernel: its figures by name

JOB_STEPS = 30_000        # one work unit: about 2 ms of Python on this machine


def burn(k: int) -> int:
    """One unit of CPU-bound work."""
    s = 0
    for i in range(k):
        s += i * i
    return s


def _result(t0: float, pids: list[int]) -> dict[str, float]:
    me = os.getpid()
    off = sum(1 for p in pids if p != me)
    return {"seconds": time.perf_counter() - t0, "off_main": off / max(1, len(pids)),
            "processes": len(set(pids))}


# ---- a. workers first ----------------------------------------------------------

def _worker(jobs: pg.Chan[int], results: pg.Chan[int], k: int) -> None:
    for _ in jobs:
        burn(k)
        results.send(os.getpid())


def _feed(jobs: pg.Chan[int], n: int) -> None:
    for i in range(n):
        jobs.send(i)
    jobs.close()


def _collect(results: pg.Chan[int], n: int, out: pg.Chan[list[int]]) -> None:
    out.send([results.recv() for _ in range(n)])


def _workers_main(w: int, feeder: str, cap: int, n: int, k: int) -> list[int]:
    jobs, results = pg.chan(cap), pg.chan(64)
    for _ in range(w):
        pg.go(_worker, jobs, results, k)
    if feeder == "go":
        pg.go(_feed, jobs, n)
        return [results.recv() for _ in range(n)]
    out: pg.Chan[list[int]] = pg.chan(1)
    pg.go(_collect, results, n, out)
    _feed(jobs, n)
    return out.recv()


def parago_workers(procs: int, w: int = 4, feeder: str = "go", cap: int = 0, n: int = 400,
                   k: int = JOB_STEPS) -> dict[str, float]:
    t0 = time.perf_counter()
    pids = pg.run(_workers_main, w, feeder, cap, n, k, procs=procs)
    return _result(t0, pids)


# ---- b. jobs first (the README example) ------------------------------------------

def _jobs_main(n: int, k: int) -> list[int]:
    jobs, results = pg.chan(n), pg.chan(n)
    for _ in range(pg.gomaxprocs()):
        pg.go(_worker, jobs, results, k)
    for i in range(n):
        jobs.send(i)
    jobs.close()
    return [results.recv() for _ in range(n)]


def parago_jobs(procs: int, n: int = 400, k: int = JOB_STEPS) -> dict[str, float]:
    t0 = time.perf_counter()
    return _result(t0, pg.run(_jobs_main, n, k, procs=procs))


# ---- c. fan-out / fan-in ---------------------------------------------------------

def _one_job(results: pg.Chan[int], k: int) -> None:
    burn(k)
    results.send(os.getpid())


def _fanout_main(n: int, k: int) -> list[int]:
    results = pg.chan()
    for _ in range(n):
        pg.go(_one_job, results, k)
    return [results.recv() for _ in range(n)]


def parago_fanout(procs: int, n: int = 400, k: int = JOB_STEPS) -> dict[str, float]:
    t0 = time.perf_counter()
    return _result(t0, pg.run(_fanout_main, n, k, procs=procs))


# ---- d. a pipeline of three stages -------------------------------------------------

def _stage(inbox: pg.Chan[list[int]], out: pg.Chan[list[int]], wg: pg.WaitGroup, k: int) -> None:
    for item in inbox:
        burn(k)
        out.send(item + [os.getpid()])
    wg.done()


def _closer(wg: pg.WaitGroup, ch: pg.Chan[list[int]]) -> None:
    wg.wait()
    ch.close()


def _source(out: pg.Chan[list[int]], n: int) -> None:
    for _ in range(n):
        out.send([])
    out.close()


def _pipeline_main(n: int, k: int, per_stage: int) -> list[int]:
    per_stage = per_stage or pg.gomaxprocs()
    src = pg.chan()
    pg.go(_source, src, n)
    inbox = src
    for _ in range(3):
        out, wg = pg.chan(), pg.WaitGroup()
        wg.add(per_stage)
        for _ in range(per_stage):
            pg.go(_stage, inbox, out, wg, k)
        pg.go(_closer, wg, out)
        inbox = out
    return [pid for item in inbox for pid in item]


def parago_pipeline(procs: int, n: int = 150, k: int = JOB_STEPS, per_stage: int = 0
                    ) -> dict[str, float]:
    t0 = time.perf_counter()
    return _result(t0, pg.run(_pipeline_main, n, k, per_stage, procs=procs))


# ---- e. recursive fork-join -----------------------------------------------------------

def _node(depth: int, k: int, wg: pg.WaitGroup, results: pg.Chan[int]) -> None:
    if depth == 0:
        burn(k)
        results.send(os.getpid())
    else:
        inner = pg.WaitGroup()
        inner.add(2)
        pg.go(_node, depth - 1, k, inner, results)
        pg.go(_node, depth - 1, k, inner, results)
        inner.wait()
    wg.done()


def _forkjoin_main(depth: int, k: int, leaves_per_job: int) -> list[int]:
    results = pg.chan(2 ** depth)
    wg = pg.WaitGroup()
    wg.add(1)
    pg.go(_node, depth, k * leaves_per_job, wg, results)
    wg.wait()
    return [results.recv() for _ in range(2 ** depth)]


def parago_forkjoin(procs: int, depth: int = 7, k: int = JOB_STEPS, leaves_per_job: int = 3
                    ) -> dict[str, float]:
    t0 = time.perf_counter()
    return _result(t0, pg.run(_forkjoin_main, depth, k, leaves_per_job, procs=procs))


# ---- the same work elsewhere -------------------------------------------------------------

def _burn_pid(k: int) -> int:
    burn(k)
    return os.getpid()


def ppe_jobs(procs: int, n: int = 400, k: int = JOB_STEPS) -> dict[str, float]:
    """n work units of k steps through ProcessPoolExecutor.map (chunksize 1)."""
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=procs) as ex:
        pids = list(ex.map(_burn_pid, [k] * n))
    return _result(t0, pids)


def _mp_stage(inq: Queue[list[int] | None], outq: Queue[list[int] | None], k: int) -> None:
    while True:
        item = inq.get()
        if item is None:
            outq.put(None)
            return
        burn(k)
        outq.put(item + [os.getpid()])


def mpq_pipeline(procs: int, n: int = 150, k: int = JOB_STEPS, per_stage: int = 0
                 ) -> dict[str, float]:
    """The three-stage pipeline as processes joined by multiprocessing queues
    (``per_stage`` processes per stage, default ``procs``)."""
    import multiprocessing as mp

    per_stage = per_stage or procs
    t0 = time.perf_counter()
    ctx = mp.get_context("forkserver")
    queues = [ctx.Queue() for _ in range(4)]
    workers = [ctx.Process(target=_mp_stage, args=(queues[s], queues[s + 1], k))
               for s in range(3) for _ in range(per_stage)]
    for w in workers:
        w.start()
    for _ in range(n):
        queues[0].put([])
    for _ in range(per_stage):
        queues[0].put(None)
    # Every process of a stage forwards one end marker after its last item,
    # so the last marker of a stage follows all of that stage's items.
    pids, ended = [], 0
    while ended < per_stage:
        item = queues[3].get()
        if item is None:
            ended += 1
            continue
        pids.extend(item)
    for w in workers:
        w.join()
    return _result(t0, pids)


# ---- one pattern, interleaved with its reference ---------------------------------------

# name -> (parago kernel, reference kernel, the reference's name, its kwargs)
PATTERNS: dict[str, tuple[KernelFn, KernelFn, str, tuple[str, ...]]] = {
    "workers": (parago_workers, ppe_jobs, "ProcessPoolExecutor", ("n", "k")),
    "jobs": (parago_jobs, ppe_jobs, "ProcessPoolExecutor", ("n", "k")),
    "fanout": (parago_fanout, ppe_jobs, "ProcessPoolExecutor", ("n", "k")),
    "pipeline": (parago_pipeline, mpq_pipeline, "multiprocessing queues", ("n", "k", "per_stage")),
    "forkjoin": (parago_forkjoin, ppe_jobs, "ProcessPoolExecutor", ()),
}


def reference_kwargs(pattern: str, params: dict[str, Any]) -> dict[str, Any]:
    """The reference's arguments for the same CPU work as ``params``."""
    if pattern == "forkjoin":
        depth = params.get("depth", 7)
        return {"n": 2 ** depth, "k": params.get("k", JOB_STEPS) * params.get("leaves_per_job", 3)}
    names = PATTERNS[pattern][3]
    return {k: v for k, v in params.items() if k in names}


def interleaved(pattern: str, procs: list[int], runs: int = 5, **params: Any) -> dict[str, Any]:
    """Run ``pattern`` and its reference on every ``procs``, ``runs`` times,
    the runs of all sides interleaved (round r runs every side once, in an
    order that rotates), so machine noise hits every side alike. Returns
    {"parago": {procs: [seconds...]}, "reference": {...}, "off_main":
    {procs: [fractions...]}, "reference_name": ...}."""
    ours, ref, ref_name, _ = PATTERNS[pattern]
    ref_kw = reference_kwargs(pattern, params)
    sides = [("parago", p) for p in procs] + [("reference", p) for p in procs]
    out: dict[str, Any] = {"parago": {p: [] for p in procs}, "reference": {p: [] for p in procs},
           "off_main": {p: [] for p in procs}, "reference_name": ref_name}
    ours(procs[-1], **params)                        # warm: forkserver, imports
    for r in range(runs):
        k = r % len(sides)
        for side, p in sides[k:] + sides[:k]:
            if side == "parago":
                res = ours(p, **params)
                out["off_main"][p].append(res["off_main"])
            else:
                res = ref(p, **ref_kw)
            out[side][p].append(res["seconds"])
    return out
