"""Goroutines and the runtime: run, go, gosched, goexit, gomaxprocs, stack.

``pg.run(main)`` starts N Ps (P0 is this process, P1..Pn-1 worker processes),
runs ``main`` as goroutine 1 here and tears everything down when it returns.
``pg.go(fn, *args)`` copies ``fn`` and its arguments (as a channel send would)
and queues the goroutine where any idle P can steal it. Scheduling is
cooperative: a goroutine yields its P only when it blocks on a parago object
or calls ``pg.gosched()``.
"""

from __future__ import annotations

from ._core import sched as _sched
from ._core.sched import GoExit
from ._errors import no_runtime, not_in_goroutine
from ._runtime import dump as _dump
from ._runtime import panics as _panics
from ._runtime import runtime as _rt
from ._runtime import spawn as _spawn
from ._runtime import stats as _stats
from ._shm import layout as _L

__all__ = ["go", "goexit", "gomaxprocs", "gosched", "num_cpu", "num_goroutine", "run", "stack",
           "stats"]

num_cpu = _rt.num_cpu


def _proc():
    proc = _sched.tls.proc
    if proc is None:
        raise no_runtime("this call")
    return proc


def run(main, *args, procs: int | None = None, on_crash: str = "raise", **kwargs):
    """Run ``main(*args, **kwargs)`` as the main goroutine with ``procs`` Ps
    (default: PARAGO_MAXPROCS, else the usable cores) and return its result.

    An exception escaping main propagates unchanged; a panic in another
    goroutine raises GoroutinePanic, and a program whose every goroutine is
    blocked Deadlock. A worker process that dies (signal, os._exit, out of
    memory) takes its goroutines with it: with ``on_crash="raise"`` (the
    default) pg.run raises WorkerCrashed at once; with ``"continue"`` a
    replacement process starts, a RuntimeWarning says what was lost and the
    program carries on (crashes() lists them). Goroutines working for a
    WorkerPool never end the run: their tasks fail alone."""
    return _rt.run(main, args, kwargs, procs, on_crash)


def go(fn, *args, **kwargs) -> None:
    """Start ``fn(*args, **kwargs)`` as a new goroutine on any P. ``fn`` and its
    arguments are copied now (GO-01); an argument that cannot be copied raises
    TypeError here, naming it."""
    proc = _sched.tls.proc
    if proc is None:
        raise no_runtime("pg.go")
    if proc.current is None:
        raise not_in_goroutine("pg.go")
    _spawn.go(proc, fn, args, kwargs)


def gosched() -> None:
    """Yield the P so other runnable goroutines run (RT-05)."""
    _proc().gosched()


def goexit() -> None:
    """End the calling goroutine; its finally blocks run (RT-06)."""
    _proc()
    raise GoExit()


def gomaxprocs(n: int | None = None) -> int:
    """The number of Ps; with ``n`` >= 1, set it and return the previous one
    (RT-01; n < 1 only queries). More Ps start worker processes; fewer Ps
    retire workers, each once the goroutines it already started have ended
    (started goroutines never move)."""
    proc = _proc()
    cur = proc.M[_L.H_NPROCS]
    if n is None or n < 1 or n == cur:
        return cur
    if n > _L.MAXP:
        raise ValueError(f"gomaxprocs: at most {_L.MAXP} Ps")
    rt = _rt.current()
    if proc.p == 0 and rt is not None:
        return rt.set_procs(n)
    proc.mem.store64(_L.H_WANT_PROCS << 3, n)      # P0 starts or retires the workers
    _panics.raise_event(proc.arena, _L.EV_PROCS)
    return cur


def num_goroutine() -> int:
    """Goroutines that exist now, in every process, started or not (RT-04)."""
    return _proc().M[_L.H_NGOROUTINE]


def crashes() -> list:
    """The WorkerCrashed of every worker process that died in this run so far
    (read on P0)."""
    rt = _rt.current()
    return list(rt.crashes) if rt is not None else []


def stack() -> str:
    """A Go-style dump of every goroutine in every process."""
    return _dump.collect(_proc())


def stats() -> list[dict]:
    """Where goroutines ran: one dict per P (process) of this runtime, from
    any goroutine, without waiting for busy Ps.

    ``p`` and ``pid``; ``state`` ("starting", "alive", "exited" after
    gomaxprocs lowered it, "dead" after a crash); ``started``: goroutines
    it has started so far; ``runnable``: waiting for it to run them;
    ``blocked``: parked on a channel, lock, timer ...; ``queued``: placed on
    it and not started yet; ``cpu_s``: its process's CPU time in seconds.
    Counts of other Ps are as they last published them (each time they
    start a goroutine or look for work)."""
    return _stats.snapshot(_proc())
