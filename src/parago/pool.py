"""WorkerPool: a process pool that never hangs, and a drop-in ProcessPoolExecutor.

This module checks arguments and says what they mean; the machinery lives
below (_runtime/pool_engine.py: which task is where and what became of it;
pool_local.py: a standalone pool's processes; pool_inrun.py: a pool inside
pg.run, whose workers are goroutines; pool_runner.py: the worker's loop;
pool_dask.py: a pool whose tasks run on a Dask cluster, ``cluster=``).
docs/pool.md states what the pool guarantees, docs/cluster.md the cluster pool.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Any, ParamSpec, TypeAlias, TypeVar, cast

from ._runtime import pool_dask as _dask
from ._runtime import pool_engine as _eng
from ._runtime import pool_inrun as _inrun
from ._runtime import pool_local as _local
from ._runtime import runtime as _rt
from .chan import chan as _make_chan

__all__ = ["WorkerPool"]

P = ParamSpec("P")
R = TypeVar("R")
Progress: TypeAlias = Callable[[int, int | None], object]


class WorkerPool(cf.Executor):
    """A process pool: ``concurrent.futures.Executor`` (submit, map,
    shutdown, context manager) plus ``imap``. A worker that dies fails only
    the task it was running, with WorkerCrashed, and is replaced; a task
    that cannot be pickled, unpickled or run fails alone; no future is ever
    left pending.

    With ``cluster`` (a ``distributed.Client``, a Dask scheduler address such
    as ``"tcp://host:8786"``, or a Dask cluster object) the tasks run on that
    Dask cluster instead, at most ``workers`` at a time (default: the
    cluster's total threads); see docs/cluster.md.

    Use it from any thread, or from goroutines inside ``pg.run`` (a pool
    made there is used from goroutines of the process that made it; a
    goroutine waiting on it parks). Raises TypeError or ValueError for a
    bad argument (ValueError for the local-only options with ``cluster``),
    ImportError for ``cluster`` without the dask extra; a task's own
    exception is raised by its future's ``result()``; ``submit`` after
    ``shutdown`` raises RuntimeError."""

    _engine: _local.LocalEngine | _inrun.RunEngine | _dask.ClusterEngine

    def __init__(self, workers: int | None = None, *, max_workers: int | None = None,
                 initializer: Callable[..., object] | None = None, initargs: tuple[Any, ...] = (),
                 max_tasks_per_child: int | None = None,
                 mp_context: mp.context.BaseContext | None = None,
                 task_timeout: float | None = None, cluster: object = None) -> None:
        if workers is not None and max_workers is not None and workers != max_workers:
            raise TypeError("WorkerPool: give workers or max_workers (the same thing), not both")
        n = workers if workers is not None else max_workers
        if n is not None:
            if not isinstance(n, int) or isinstance(n, bool):
                raise TypeError(f"max_workers must be an int, not {type(n).__name__!r}")
            if n <= 0:
                raise ValueError("max_workers must be greater than 0")
        if initializer is not None and not callable(initializer):
            raise TypeError("initializer must be a callable")
        if max_tasks_per_child is not None:
            if not isinstance(max_tasks_per_child, int) or isinstance(max_tasks_per_child, bool):
                raise TypeError("max_tasks_per_child must be an integer")
            if max_tasks_per_child <= 0:
                raise ValueError("max_tasks_per_child must be >= 1")
        _check_task_timeout(task_timeout)
        if cluster is not None:
            for name, value in (("initializer", initializer),
                                ("max_tasks_per_child", max_tasks_per_child),
                                ("mp_context", mp_context), ("task_timeout", task_timeout)):
                if value is not None:
                    raise ValueError(
                        f"WorkerPool({name}=...) with cluster=: the tasks run in Dask's "
                        "worker processes, which the pool does not start, recycle or kill")
            self._engine = _dask.ClusterEngine(cluster, n)
        elif _inrun.inside_run():
            for name, value in (("task_timeout", task_timeout),
                                ("max_tasks_per_child", max_tasks_per_child),
                                ("mp_context", mp_context)):
                if value is not None:
                    raise ValueError(
                        f"WorkerPool({name}=...) inside pg.run: the pool's workers are "
                        "goroutines on the runtime's processes, which it cannot kill, "
                        "recycle or start another way; use a standalone pool (made "
                        "outside pg.run) for that")
            self._engine = _inrun.RunEngine(n, initializer, initargs, _make_chan)
        else:
            ctx = _context(mp_context)
            self._engine = _local.LocalEngine(n or _rt.num_cpu(), ctx, initializer, initargs,
                                              max_tasks_per_child, task_timeout)
        self._max_workers = self._engine.max_workers

    # ---- the Executor ------------------------------------------------------------------

    def submit(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> cf.Future[R]:
        """Run ``fn(*args, **kwargs)`` in a worker; returns its Future."""
        if not callable(fn):
            raise TypeError(f"submit: {type(fn).__name__!r} object is not callable")
        fut: cf.Future[R] = self._engine.submit(fn, args, kwargs)
        return fut

    def map(self, fn: Callable[..., R], *iterables: Iterable[Any], timeout: float | None = None,
            chunksize: int = 1, buffersize: int | None = None,
            task_timeout: float | None = None, progress: bool | Progress = False
            ) -> Iterator[R]:
        """``fn`` over the items of ``iterables`` (zipped), results in order.

        As Executor.map: every item is submitted now, whether or not the
        results are read (with ``buffersize``, Python 3.14's option, only that
        many run ahead of the consumer); ``timeout`` counts from this call."""
        if not isinstance(chunksize, int) or chunksize < 1:
            raise ValueError("chunksize must be >= 1.")
        if buffersize is not None:
            if not isinstance(buffersize, int) or isinstance(buffersize, bool):
                raise TypeError("buffersize must be an integer or None")
            if buffersize < 1:
                raise ValueError("buffersize must be None or > 0")
        _check_task_timeout(task_timeout)
        star = len(iterables) != 1
        source = zip(*iterables, strict=False) if star else iter(iterables[0])
        job = self._job(fn, star, True, timeout, task_timeout, chunksize, progress,
                        buffersize, source, eager=buffersize is None)
        return job.iterate()

    def imap(self, fn: Callable[[Any], R], iterable: Iterable[Any], ordered: bool = True,
             task_timeout: float | None = None, progress: bool | Progress = False
             ) -> Iterator[R]:
        """``fn`` over each item, read lazily (at most a few thousand ahead of
        the consumer): results in input order, or as they complete."""
        _check_task_timeout(task_timeout)
        job = self._job(fn, False, ordered, None, task_timeout, 1, progress, _eng.WINDOW,
                        iter(iterable), eager=False)
        return job.iterate()

    def _job(self, fn: Callable[..., Any], star: bool, ordered: bool, timeout: float | None,
             task_timeout: float | None, chunksize: int, progress: bool | Progress,
             window: int | None, source: Iterator[Any], eager: bool
             ) -> _eng.Job | _dask.Job:
        engine = self._engine
        engine.check_open()
        items = list(source) if eager else None
        report = _progress(progress, len(items) if items is not None else None)
        if isinstance(engine, _dask.ClusterEngine):
            if task_timeout is not None:
                raise ValueError("task_timeout on a cluster pool: Dask cannot stop a task "
                                 "that runs")
            return engine.job(fn, star, ordered, timeout, chunksize, report, window, items,
                              None if eager else source)
        job = _eng.Job(engine, fn, star, ordered, timeout, task_timeout, chunksize, report,
                       window or len(items or ()))
        if items is not None:
            engine.add_items(job, items)
        else:
            lazy: Any = job           # its source starts as None
            lazy.source = source
            job.top_up()
        return job

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """As Executor.shutdown; a cluster pool then closes the Dask client
        it made (a client it was given stays open)."""
        self._engine.shutdown(wait, cancel_futures)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is not None and issubclass(exc_type, KeyboardInterrupt):
            self._engine.interrupted()
        self.shutdown(wait=True)

    def __reduce__(self) -> tuple[Any, ...]:
        raise TypeError("a WorkerPool cannot be copied to another process")

    def __del__(self) -> None:
        # Dropped without shutdown: its tasks still finish, then it ends.
        engine = getattr(self, "_engine", None)
        if isinstance(engine, (_local.LocalEngine, _dask.ClusterEngine)) \
                and not engine.shutting_down:
            engine.shutdown(wait=False)

    # What ProcessPoolExecutor's users (and its own tests) look at.
    @property
    def _processes(self) -> dict[int, Any]:
        return dict(getattr(self._engine, "processes", {}))

    @property
    def _broken(self) -> BaseException | None:
        return self._engine.broken


def _check_task_timeout(t: object) -> None:
    if t is not None and (isinstance(t, bool) or not isinstance(t, (int, float)) or t <= 0):
        raise ValueError(f"task_timeout must be a positive number of seconds, not {t!r}")


def _context(mp_context: mp.context.BaseContext | None) -> _local.StartContext:
    """The start context for a standalone pool's workers: forkserver or spawn."""
    if mp_context is None:
        return cast("_local.StartContext", _rt._context())
    method = mp_context.get_start_method(allow_none=False) \
        if isinstance(mp_context, mp.context.BaseContext) else None
    if method not in ("spawn", "forkserver"):
        raise ValueError(f"WorkerPool: start method {method!r} is not supported: workers are "
                         "started with 'forkserver' or 'spawn' ('fork' after threads can "
                         "deadlock the child)")
    return cast("_local.StartContext", mp_context)    # its start method was checked


def _progress(progress: bool | Progress | None, total: int | None) -> Progress | None:
    """The (done, total) callback for ``progress``."""
    if progress is False or progress is None:
        return None
    if callable(progress):
        return progress
    if progress is not True:
        raise TypeError("progress must be True, False or a callable(done, total)")
    try:
        from tqdm.auto import tqdm
    except ImportError:
        raise ImportError("progress=True shows a tqdm bar, and tqdm is not installed "
                          "(pip install tqdm), or pass a callable(done, total)") from None
    bar = tqdm(total=total)

    def update(done: int, total: int | None) -> None:
        if total is not None and bar.total != total:
            bar.total = total
        bar.update(done - bar.n)
        if total is not None and done >= total:
            bar.close()
    return update
