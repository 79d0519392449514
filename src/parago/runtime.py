"""Goroutines and the runtime: run, go, gosched, goexit, gomaxprocs, stack.

``pg.run(main)`` starts N Ps (P0 is this process, P1..Pn-1 worker processes),
runs ``main`` as goroutine 1 here and tears everything down when it returns.
``pg.go(fn, *args)`` copies ``fn`` and its arguments (as a channel send would)
and queues the goroutine where any idle P can steal it. Scheduling is
cooperative: a goroutine yields its P only when it blocks on a parago object
or calls ``pg.gosched()``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from ._core import sched as _sched
from ._core.sched import GoExit
from ._errors import no_runtime, not_in_goroutine
from ._runtime import dump as _dump
from ._runtime import runtime as _rt
from ._runtime import spawn as _spawn
from ._runtime import stats as _stats

if TYPE_CHECKING:
    from ._core.sched import Processor
    from ._errors import WorkerCrashed

__all__ = ["go", "goexit", "gomaxprocs", "gosched", "num_cpu", "num_goroutine", "run", "stack",
           "stats"]

num_cpu = _rt.num_cpu

P = ParamSpec("P")
R = TypeVar("R")


def _proc() -> Processor:
    proc = _sched.this_proc()
    if proc is None:
        raise no_runtime("this call")
    return proc


def run(main: Callable[..., R], *args: Any, procs: int | None = None, on_crash: str = "raise",
        **kwargs: Any) -> R:
    """Run ``main(*args, **kwargs)`` as the main goroutine with ``procs`` Ps
    (default: PARAGO_MAXPROCS, else the usable cores) and return its result.

        pg.run(main)                       # every usable core
        pg.run(main, 1, 2, procs=4)        # main(1, 2) on 4 processes
        pg.run(main, procs=1)              # one process: concurrency only
        pg.run(main, on_crash="continue")  # replace a worker that dies

    P0 is this process (it runs main); P1..Pn-1 are worker processes,
    started fresh (forkserver or spawn). When main returns, every other
    goroutine is abandoned, the workers stop and the shared memory is
    released.

    Raises: whatever escapes main, unchanged; GoroutinePanic when an
    exception escapes another goroutine; Deadlock when every goroutine in
    every process is blocked with no timer pending; WorkerCrashed when a
    worker process dies (signal, os._exit, out of memory) under goroutines —
    with ``on_crash="continue"`` a replacement starts instead, a
    RuntimeWarning says what was lost and crashes() lists it. Goroutines
    working for a WorkerPool never end the run: their tasks fail alone.
    TypeError if main is not callable; ValueError for procs outside 1..256
    or another on_crash.

    Call it from plain code, not from a goroutine; it is not reentrant
    (RuntimeError), and one thread runs one runtime at a time."""
    # main's result comes back through the runtime untyped
    return _rt.run(main, args, kwargs, procs, on_crash)  # type: ignore[no-any-return]


def go(fn: Callable[P, object], *args: P.args, **kwargs: P.kwargs) -> None:
    """Start ``fn(*args, **kwargs)`` as a new goroutine on any P; returns None.

        pg.go(worker, jobs, results)
        pg.go(lambda: print("hi"))        # lambdas and closures travel by value

    ``fn`` and its arguments are copied now, in the caller (GO-01), exactly
    as a channel send would copy them: by reference where the receiving
    process can import them, by value (cloudpickle) for lambdas, closures
    and the script's own functions. The goroutine then runs on whichever P
    the runtime places it; started, it never moves.

    Raises TypeError, naming the argument, if ``fn`` or an argument cannot
    be copied (a lock, a socket, an open file); Panic("go of nil func
    value") for ``fn=None``.

    Call it from a goroutine of a running runtime (main or any other);
    elsewhere it raises NoRuntime."""
    proc = _sched.this_proc()
    if proc is None:
        raise no_runtime("pg.go")
    if proc.current is None:
        raise not_in_goroutine("pg.go")
    _spawn.go(proc, fn, args, kwargs)


def gosched() -> None:
    """Yield the P so other runnable goroutines run; the caller runs again
    after them, without blocking (RT-05). Scheduling is cooperative: a
    CPU-bound loop that others wait on calls this now and then.

    Call it from a goroutine; outside a runtime it raises NoRuntime."""
    _proc().gosched()


def goexit() -> None:
    """End the calling goroutine; its finally blocks run (RT-06). In main
    the other goroutines go on, and pg.run raises Deadlock("no goroutines
    (main called runtime.Goexit) - deadlock!") once they have all ended
    (RT-07).

    Call it from a goroutine; outside a runtime it raises NoRuntime."""
    _proc()
    raise GoExit()


def gomaxprocs(n: int | None = None) -> int:
    """The number of Ps; with ``n`` >= 1, set it and return the previous one.

        pg.gomaxprocs()       # how many Ps (processes) run goroutines
        pg.gomaxprocs(4)      # now 4; returns the previous count

    ``n`` < 1 only asks (RT-01). More Ps start worker processes; fewer Ps
    retire workers, each once the goroutines it already started have ended
    (started goroutines never move).

    Raises ValueError for more than 256 Ps. Call it from any goroutine, in
    any process; outside a runtime it raises NoRuntime."""
    return _rt.gomaxprocs(_proc(), n)


def num_goroutine() -> int:
    """Goroutines that exist now, in every process, started or not (RT-04):
    1 in a fresh program, as many as stack() lists.

    Call it from a goroutine; outside a runtime it raises NoRuntime."""
    return _rt.num_goroutine(_proc())


def crashes() -> list[WorkerCrashed]:
    """The WorkerCrashed of every worker process that died in this run so far,
    with ``pg.run(..., on_crash="continue")``; an empty list outside a
    runtime, and in another process than P0 (the list lives on P0)."""
    rt = _rt.current()
    return list(rt.crashes) if rt is not None else []


def stack() -> str:
    """A Go-style dump of every goroutine in every process, as a string:

        goroutine 7 [chan receive]: (P1, pid 4242)
          File "app.py", line 12, in worker
            v = ch.recv()

    Each goroutine's status is "running", "runnable" or its wait reason
    ("chan receive", "select", "sync.Mutex.Lock", "sleep", ...), with ", N
    minutes" after a minute's wait (RT-19, RT-20). A process busy in a
    goroutine that does not yield is listed as busy after a second. The
    same dump ends a Deadlock's message, and SIGQUIT prints it.

    Call it from any goroutine, in any process (it parks while the other
    processes answer); outside a runtime it raises NoRuntime."""
    return _dump.collect(_proc())


def stats() -> list[dict[str, Any]]:
    """Where goroutines ran: one dict per P (process) of this runtime, from
    any goroutine, without waiting for busy Ps.

    ``p`` and ``pid``; ``state`` ("starting", "alive", "exited" after
    gomaxprocs lowered it, "dead" after a crash); ``started``: goroutines
    it has started so far; ``runnable``: waiting for it to run them;
    ``blocked``: parked on a channel, lock, timer ...; ``queued``: placed on
    it and not started yet; ``cpu_s``: its process's CPU time in seconds.
    Counts of other Ps are as they last published them (each time they
    start a goroutine or look for work).

    Outside a runtime it raises NoRuntime."""
    return _stats.snapshot(_proc())
