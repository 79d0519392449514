"""WorkerPool: a concurrent.futures.Executor on goroutines and channels.

    callers (user threads, or goroutines        P0: the pool's process            P1..Pn
    on P0)                                     (a background thread when
                                                the pool runs alone)
    submit / map / imap ──► pending ─────────► dispatcher goroutine ──batch──► worker goroutine
                                                 │  (one per process)            (one per P,
    futures, map results ◄── completion ◄────────┴──────── results ◄─────────────  runs tasks)

Why each part exists:
- One worker goroutine per process runs the tasks (a task is CPU-bound code:
  it holds its process until it returns). Each worker has its own inbox
  channel holding at most two batches, so the dispatcher always knows which
  tasks a worker holds — which is what lets a worker's death fail exactly
  those tasks (WorkerCrashed) while the pool goes on with a replacement.
- Tasks travel in batches: with many small tasks queued, a batch carries up
  to 256 of them in one channel message and their results come back in one,
  so per-task overhead is a few microseconds (chunksize only sets a minimum
  batch size; every task still gets its own result or exception).
- map and imap pull their input lazily, at most WINDOW items ahead of the
  consumer, so an endless iterable runs in bounded memory (backpressure).
- Futures returned by submit() may be waited on from threads (the standard
  way) or from a goroutine on the pool's process, which then parks instead of
  blocking the scheduler.

A pool made inside pg.run uses that runtime (its dispatcher runs on P0, its
workers on P1..Pn-1, or on P0 when there is only one P). A pool made outside
starts its own runtime: P0 in a background thread of this process, plus one
worker process per worker; it shuts down with shutdown() or at exit.
"""

from __future__ import annotations

import concurrent.futures as cf
import itertools
import pickle
import threading
import time
import traceback
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Generic, NoReturn, ParamSpec, TypeAlias, TypeVar, cast

from ._core import sched as _sched
from ._errors import RemoteError, WorkerCrashed
from ._runtime import runtime as _rt
from ._runtime import spawn as _spawn
from ._shm import layout as L
from ._shm import values as V
from ._shm import waiter as W
from .chan import Chan, chan, offer, poll
from .select import select

if TYPE_CHECKING:
    from ._core.sched import G, Processor
    from ._runtime.runtime import Runtime

__all__ = ["WorkerPool"]

BATCH_MAX = 256
FN_KEYS_MAX = 1024          # functions the dispatcher names by key before starting over
RESET = 0                   # a batch table entry telling a worker to forget its functions
INFLIGHT = 2                # batches a worker holds: one running, one ready
WINDOW = 4096               # map/imap input read ahead of the consumer
_tags = itertools.count(1)
_standalone: weakref.WeakSet[WorkerPool] = weakref.WeakSet()

P = ParamSpec("P")
R = TypeVar("R")
# A task's failure on its way back: (pickled exception or None, type name, text, traceback)
_ExcRecord: TypeAlias = "tuple[bytes | None, str, str, str]"


class RemoteTraceback(Exception):
    """Carries the traceback text of a task that failed in another process
    (set as the __cause__ of its exception, as ProcessPoolExecutor does)."""

    def __init__(self, tb: str) -> None:
        super().__init__(tb)
        self.tb = tb

    def __str__(self) -> str:
        return self.tb


def _exc_record(e: BaseException) -> _ExcRecord:
    tb = "".join(traceback.format_exception(type(e), e, e.__traceback__))
    try:
        data = pickle.dumps(e, 5)
        pickle.loads(data)
    except Exception:  # noqa: BLE001 - cannot travel: send a stand-in
        data = None
    return data, type(e).__qualname__, str(e), tb


def _exc_from(rec: _ExcRecord) -> BaseException:
    data, type_name, message, tb = rec
    exc: BaseException = (pickle.loads(data) if data is not None
                          else RemoteError(type_name, message))
    exc.__cause__ = RemoteTraceback(f'\n"""\n{tb}"""')
    return exc


def _worker(tag: int, inbox: Chan[Any], results: Chan[Any], wid: int) -> None:
    """A pool worker: runs the batches its inbox brings until it is closed."""
    proc = _sched.tls.proc
    proc.M[(proc.current.gb >> 3) + W.G_TAG] = tag   # its tasks fail alone if it dies
    fns: dict[int, Callable[..., Any]] = {}
    for table, items in inbox:
        if RESET in table:
            fns.clear()
        for key, f in table.items():
            fns[key] = V.loads_function(f) if isinstance(f, bytes) else f
        out: list[tuple[int, bool, Any]] = []
        for tid, key, args, kwargs in items:
            try:
                out.append((tid, True, fns[key](*args, **kwargs)))
            except BaseException as e:  # noqa: BLE001 - a task's failure is its result
                out.append((tid, False, _exc_record(e)))
        try:
            results.send((wid, out))
        except TypeError:
            results.send((wid, [_checked(r) for r in out]))


def _checked(r: tuple[int, bool, Any]) -> tuple[int, bool, Any]:
    """A task result that cannot be copied back becomes its TypeError."""
    tid, ok, value = r
    if ok:
        try:
            V.dumps(value)
        except Exception as e:  # noqa: BLE001
            err = TypeError(f"the result of a task cannot be copied back: {e}")
            return tid, False, _exc_record(err)
    return r


class _Signal:
    """A wake-up for whoever waits on pool results: a thread (Condition) or
    a goroutine on the pool's process (parked)."""

    __slots__ = ("_cond", "_flag", "_g")

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._flag = False
        self._g: G | None = None

    def wait(self, timeout: float | None) -> None:
        proc = _sched.tls.proc
        if proc is not None and proc.current is not None:
            if self._flag:
                self._flag = False
                return
            self._g = g = proc.current
            entry = proc.timers.add(time.monotonic() + timeout, self._timeout, g) \
                if timeout is not None else None
            try:
                proc.park("WorkerPool result")
            finally:
                self._g = None
                if entry is not None:
                    proc.timers.cancel(entry)
            self._flag = False
            return
        with self._cond:
            if not self._flag:
                self._cond.wait(timeout)
            self._flag = False

    def _timeout(self, g: G) -> None:
        if self._g is g:
            self._g = None
            _sched.tls.proc.ready(g)

    def notify(self) -> None:
        """Called on the pool's P0 thread."""
        g = self._g
        if g is not None:
            self._g = None
            _sched.tls.proc.ready(g)
            return
        with self._cond:
            self._flag = True
            self._cond.notify_all()


class PoolFuture(cf.Future[R]):
    """A Future whose result() and exception() park the calling goroutine
    (instead of blocking the scheduler's thread) when awaited on the pool's
    process."""

    def _await(self, timeout: float | None) -> None:
        proc = _sched.tls.proc
        if proc is None or proc.current is None or self.done():
            return
        sig = _Signal()
        self.add_done_callback(lambda _f: sig.notify())
        sig.wait(timeout)

    def result(self, timeout: float | None = None) -> R:
        self._await(timeout)
        return super().result(0 if _in_goroutine() else timeout)

    def exception(self, timeout: float | None = None) -> BaseException | None:
        self._await(timeout)
        return super().exception(0 if _in_goroutine() else timeout)


def _in_goroutine() -> bool:
    proc = _sched.tls.proc
    return proc is not None and proc.current is not None


class _Job(Generic[R]):
    """One map()/imap() call: reads its input lazily, collects its results."""

    def __init__(self, pool: WorkerPool, fn: Callable[..., R], items: Iterable[tuple[Any, ...]],
                 ordered: bool, timeout: float | None, chunksize: int) -> None:
        self.pool = pool
        self.fn = fn
        self.items = iter(items)
        self.ordered = ordered
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.chunksize = max(1, int(chunksize))
        self.results: dict[int, tuple[bool, Any]] = {}
        self.ready: deque[tuple[bool, Any]] = deque()
        self.next_in = 0
        self.next_out = 0
        self.exhausted = False
        self.signal = _Signal()
        self.top_up()

    def top_up(self) -> None:
        added = False
        while not self.exhausted and self.next_in - self.next_out < WINDOW:
            try:
                args = next(self.items)
            except StopIteration:
                self.exhausted = True
                break
            self.pool._enqueue(self.fn, args, {}, (self, self.next_in), self.chunksize)
            self.next_in += 1
            added = True
        if added:
            self.pool._kick()

    def put(self, idx: int, ok: bool, value: Any) -> None:
        """Store one result (the dispatcher notifies once per batch)."""
        if self.ordered:
            self.results[idx] = (ok, value)
        else:
            self.ready.append((ok, value))

    def __iter__(self) -> _Job[R]:
        return self

    def __next__(self) -> R:
        while True:
            self.top_up()
            if self.ordered:
                if self.next_out in self.results:
                    ok, value = self.results.pop(self.next_out)
                    self.next_out += 1
                    return self._give(ok, value)  # type: ignore[no-any-return]  # untyped
            elif self.ready:
                ok, value = self.ready.popleft()
                self.next_out += 1
                return self._give(ok, value)  # type: ignore[no-any-return]  # untyped
            if self.exhausted and self.next_out >= self.next_in:
                raise StopIteration
            if self.pool._broken is not None:
                raise self.pool._broken
            timeout = None
            if self.deadline is not None:
                timeout = self.deadline - time.monotonic()
                if timeout <= 0:
                    raise cf.TimeoutError()
            self.signal.wait(timeout)

    @staticmethod
    def _give(ok: bool, value: Any) -> Any:
        if ok:
            return value
        raise value


class _Worker:
    __slots__ = ("wid", "p", "gid", "inbox", "inflight", "known")

    def __init__(self, wid: int, p: int) -> None:
        self.wid, self.p = wid, p
        self.gid = 0
        self.inbox: Chan[Any] = None  # type: ignore[assignment]  # set by _launch, before use
        self.inflight: deque[list[int]] = deque()      # batches sent: lists of tids
        self.known: set[int] = set()             # functions it has already been sent


class WorkerPool(cf.Executor):
    """A process pool that never hangs: ``concurrent.futures.Executor``
    (submit, map, shutdown, context manager) plus ``imap``. A worker that
    dies fails only the tasks it held, with WorkerCrashed, and is replaced.

    Use it alone, from any thread (it starts its own runtime), or inside
    pg.run from a goroutine of P0. A task's exception is raised by its
    future (or by map/imap at that item) with the worker's traceback as
    its cause; an argument or result that cannot be copied fails that
    task alone with TypeError."""

    def __init__(self, workers: int | None = None) -> None:
        if workers is not None and (not isinstance(workers, int) or workers < 1):
            raise ValueError("workers must be a positive int")
        # (tid, fn, args, kwargs, min batch)
        self._pending: deque[tuple[int, Callable[..., Any], tuple[Any, ...], dict[str, Any], int]] \
            = deque()
        # tid -> PoolFuture, or (job, index)
        self._sinks: dict[int, PoolFuture[Any] | tuple[_Job[Any], int]] = {}
        self._tids = itertools.count(1)
        self._tag = next(_tags)
        self._stopping = False
        self._kicked = False
        self._broken: BaseException | None = None
        self._workers: list[_Worker] = []
        self._by_gid: dict[int, _Worker] = {}
        self._ready = threading.Event()
        self._done = threading.Event()
        self._fn_keys: dict[int, tuple[Callable[..., Any], int]] = {}  # id(fn) -> (fn, key)
        self._key_seq = itertools.count(1)
        proc = _sched.tls.proc
        if proc is not None and proc.current is not None:
            # Inside pg.run: this runtime, the dispatcher pinned to this P.
            if proc.p != 0:
                raise RuntimeError("a WorkerPool must be created on P0 (in main or a goroutine "
                                   "running in the process that called pg.run)")
            self._thread = None
            nprocs = proc.M[L.H_NPROCS]
            places = list(range(1, nprocs)) or [0]
            self._start(proc, cast("Runtime", _rt.current()), [places[i % len(places)]
                                              for i in range(workers or len(places))])
            _spawn.go_local(proc, self._dispatch)
        else:
            n = workers or _rt.num_cpu()
            self._thread = threading.Thread(target=self._run_alone, args=(n,), daemon=True,
                                            name="parago-workerpool")
            self._thread.start()
            self._ready.wait()
            if self._broken is not None:
                raise self._broken
            _standalone.add(self)

    # ---- the runtime ------------------------------------------------------------------

    def _run_alone(self, n: int) -> None:
        def main() -> None:
            proc = _sched.tls.proc
            self._start(proc, cast("Runtime", _rt.current()), [1 + i for i in range(n)])
            self._ready.set()
            self._dispatch()
        try:
            _rt.run(main, procs=n + 1, on_crash="continue", detect_deadlock=False)
        except BaseException as e:  # noqa: BLE001 - the pool is broken: say why to every caller
            self._broken = RuntimeError(f"the WorkerPool's runtime ended: {e!r}")
            self._broken.__cause__ = e
            self._fail_everything(self._broken)
        finally:
            self._ready.set()
            self._done.set()

    def _start(self, proc: Processor, rt: Runtime, places: list[int]) -> None:
        self._proc = proc
        self._results = chan(1024)
        self._kick_ch = chan(1)
        rt.crash_listeners[self._tag] = self._on_crash
        for wid, p in enumerate(places):
            w = _Worker(wid, p)
            self._workers.append(w)
            self._launch(w)

    def _launch(self, w: _Worker) -> None:
        w.inbox = chan(INFLIGHT)
        w.inflight.clear()
        w.known.clear()
        proc = self._proc
        args = (self._tag, w.inbox, self._results, w.wid)
        if w.p == 0:
            w.gid = _spawn.go_local(proc, _worker, args)
        else:
            w.gid = _spawn.go_on(proc, w.p, _worker, args, {})
        self._by_gid[w.gid] = w

    # ---- submitting (any thread, or a goroutine on P0) -----------------------------------

    def _check_open(self) -> None:
        if self._broken is not None:
            raise self._broken
        if self._stopping:
            raise RuntimeError("cannot schedule new futures after shutdown")
        if self._thread is None and _sched.tls.proc is not self._proc:
            raise RuntimeError("this WorkerPool belongs to another process or runtime")

    def _enqueue(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
                 sink: PoolFuture[Any] | tuple[_Job[Any], int], min_batch: int = 1) -> None:
        tid = next(self._tids)
        self._sinks[tid] = sink
        self._pending.append((tid, fn, args, kwargs, min_batch))

    def _kick(self) -> None:
        """Make sure the dispatcher looks at the queue. One kick at a time is
        enough: it takes everything pending when it wakes."""
        if self._kicked:
            return
        self._kicked = True
        proc = self._proc
        if _sched.tls.proc is proc:
            offer(self._kick_ch, None)
        else:
            proc.call_soon_threadsafe(offer, self._kick_ch, None)

    def submit(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> cf.Future[R]:
        """Run fn(*args, **kwargs) in a worker; returns its Future."""
        if not callable(fn):
            raise TypeError(f"submit: {type(fn).__name__!r} object is not callable")
        self._check_open()
        fut: PoolFuture[R] = PoolFuture()
        self._enqueue(fn, args, kwargs, fut)
        self._kick()
        return fut

    def map(self, fn: Callable[..., R], *iterables: Iterable[Any], timeout: float | None = None,
            chunksize: int = 1) -> Iterator[R]:
        """Like Executor.map (results in order; ``timeout`` for the whole
        map), but reading the input lazily: bounded memory on any input."""
        self._check_open()
        return _Job(self, fn, zip(*iterables), True, timeout, chunksize)  # noqa: B905

    def imap(self, fn: Callable[[Any], R], iterable: Iterable[Any], ordered: bool = True,
             chunksize: int = 1) -> Iterator[R]:
        """fn over each item; results in input order, or as they complete."""
        self._check_open()
        return _Job(self, fn, ((x,) for x in iterable), ordered, None, chunksize)

    # ---- the dispatcher (a goroutine on P0) --------------------------------------------------

    def _dispatch(self) -> None:
        workers = self._workers
        while True:
            # Each worker gets a batch before any gets a second one.
            for level in range(INFLIGHT):
                for w in workers:
                    if self._pending and len(w.inflight) == level:
                        self._send_batch(w)
            busy = any(w.inflight for w in workers)
            if self._stopping and not self._pending and not busy:
                break
            i, v, ok = select(self._results.recv, self._kick_ch.recv)
            if i == 0:
                self._complete(v)
            else:
                self._kicked = False
        for w in workers:
            w.inbox.close()
        self._done.set()

    def _send_batch(self, w: _Worker) -> None:
        pending = self._pending
        idle = sum(1 for x in self._workers if not x.inflight) or 1
        size = max(pending[0][4], min(BATCH_MAX, len(pending) // (INFLIGHT * idle) or 1))
        table: dict[int, Any] = {}
        items: list[tuple[int, int, tuple[Any, ...], dict[str, Any]]] = []
        tids: list[int] = []
        while pending and len(items) < size:
            tid, fn, args, kwargs, _ = pending.popleft()
            sink = self._sinks.get(tid)
            if isinstance(sink, PoolFuture) and not sink.set_running_or_notify_cancel():
                del self._sinks[tid]        # cancelled while queued
                continue
            key = self._fn_key(fn)
            if not w.known and RESET not in table:
                table[RESET] = None
            if key not in w.known and key not in table:
                # Each function goes to a worker once: later batches name it.
                data = V.dumps_function(fn)
                table[key] = data if data is not None else fn
            items.append((tid, key, args, kwargs))
            tids.append(tid)
        if not items:
            return
        try:
            w.inbox.send((table, items))
        except TypeError:
            # Something in the batch cannot be copied: find it, fail only it,
            # and put the others back at the front of the queue.
            keep = []
            for (tid, key, args, kwargs) in items:
                try:
                    V.dumps((table.get(key), args, kwargs))
                    keep.append((tid, key, args, kwargs))
                except Exception as e:  # noqa: BLE001
                    self._finish(tid, False, TypeError(f"a task cannot be copied to a worker: {e}"))
            fns = {k: f for f, k in self._fn_keys.values()}
            for tid, key, args, kwargs in reversed(keep):
                self._pending.appendleft((tid, fns[key], args, kwargs, 1))
            return
        w.known.update(table)
        w.inflight.append(tids)

    def _fn_key(self, fn: Callable[..., Any]) -> int:
        """A small int naming ``fn`` to the workers (sent with its bytes the
        first time a worker meets it). The map keeps the function alive so
        its id is not reused; bounded: on overflow every worker starts over."""
        hit = self._fn_keys.get(id(fn))
        if hit is not None and hit[0] is fn:
            return hit[1]
        if len(self._fn_keys) >= FN_KEYS_MAX:
            self._fn_keys.clear()
            for w in self._workers:
                w.known.clear()
        key = next(self._key_seq)
        self._fn_keys[id(fn)] = (fn, key)
        return key

    def _complete(self, msg: tuple[int, list[tuple[int, bool, Any]]]) -> None:
        wid, out = msg
        w = self._workers[wid]
        if w.inflight:
            w.inflight.popleft()
        jobs = set()
        sinks = self._sinks
        for tid, ok, value in out:
            sink = sinks.pop(tid, None)
            if sink is None:
                continue
            if not ok:
                value = _exc_from(value)
            if type(sink) is tuple:
                job, idx = sink
                job.put(idx, ok, value)
                jobs.add(job)
            elif not sink.done():  # type: ignore[union-attr]  # not a tuple: a PoolFuture
                if ok:
                    sink.set_result(value)  # type: ignore[union-attr]
                else:
                    sink.set_exception(value)  # type: ignore[union-attr]
        for job in jobs:
            job.signal.notify()

    def _finish(self, tid: int, ok: bool, value: Any) -> None:
        sink = self._sinks.pop(tid, None)
        if sink is None:
            return
        if isinstance(sink, PoolFuture):
            if not sink.done():
                if ok:
                    sink.set_result(value)
                else:
                    sink.set_exception(value)
        else:
            job, idx = sink
            job.put(idx, ok, value)
            job.signal.notify()

    def _on_crash(self, gid: int, err: WorkerCrashed) -> None:
        """The runtime says worker goroutine ``gid`` died with its process
        (runs in P0's scheduler): fail what it held, start a replacement."""
        w = self._by_gid.pop(gid, None)
        if w is None:
            return
        while True:                         # results it sent before dying still count
            msg, ok, got = poll(self._results)
            if not got:
                break
            self._complete(msg)
        for tids in w.inflight:
            for tid in tids:
                self._finish(tid, False, WorkerCrashed(
                    f"{err}; the task was running there", proc=err.proc,
                    exitcode=err.exitcode, goroutines=err.goroutines))
        self._launch(w)
        offer(self._kick_ch, None)

    # ---- ending ---------------------------------------------------------------------------------

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if cancel_futures:
            for tid, *_ in list(self._pending):
                sink = self._sinks.get(tid)
                if isinstance(sink, PoolFuture):
                    sink.cancel()
        self._stopping = True
        if self._broken is None and not self._done.is_set():
            self._kick()
        if not wait:
            return
        if self._thread is not None:
            self._thread.join()
        else:
            while not self._done.is_set():       # a goroutine on P0: let the
                _sched.tls.proc.gosched()         # dispatcher finish

    def _fail_everything(self, err: BaseException) -> None:
        for tid in list(self._sinks):
            self._finish(tid, False, err)

    def __reduce__(self) -> NoReturn:
        raise TypeError("a WorkerPool cannot be copied to another process")


def _shutdown_at_exit() -> None:
    for pool in list(_standalone):
        pool.shutdown(wait=True)


threading._register_atexit(_shutdown_at_exit)  # type: ignore[attr-defined]  # private, no stub
