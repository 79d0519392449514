"""A WorkerPool whose tasks run on a Dask cluster: ``WorkerPool(cluster=...)``.

Owns: the pool's ``distributed.Client`` (made here from an address, and then
closed here; or the caller's, which is left open), the tasks not yet handed
to Dask (``queue``: single submits and map/imap jobs, in submission order),
the count of Dask tasks in flight, and each job's results. ``distributed`` is
imported only when such a pool is made, so parago imports without it.

    submit/map ──► queue ──pump (≤ max_workers in flight)──► client.submit(_run_tasks)
    futures, jobs ◄── _finished (Dask's callback thread) ◄────────────┘

Invariants (``lock`` guards queue, inflight, shutting_down and every job's fields):
  - At most ``max_workers`` Dask tasks are in flight; the rest wait in
    ``queue``, where they can still be cancelled. A map/imap chunk (several
    items of one job, run one after the other) is one Dask task.
  - A task's function and arguments are pickled here (pool_tasks, as the local
    pool does), so what cannot be pickled fails only its own future; in the
    Dask worker each item's exception is caught and comes back as an error
    record, so futures get the original type with the remote traceback as
    ``__cause__``. A Dask task that fails as a whole (its worker was lost
    more often than Dask allows: KilledWorker) fails its items with
    WorkerCrashed naming the last Dask worker's address.
  - Every parago future ends: its Dask task's outcome completes it, or
    shutdown(cancel_futures=True) cancels it while queued.
  - Futures are completed and progress callbacks called outside the lock;
    Dask's futures are dropped as soon as their outcome is read.
  - A goroutine that waits (Future.result, map/imap) parks; the thread that
    wakes it asks its P's scheduler to ready it (call_soon_threadsafe).
"""

from __future__ import annotations

import concurrent.futures as cf
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

from .._core import sched
from .._errors import WorkerCrashed
from . import spawn as _spawn
from .pool_tasks import args_bytes, error_record, exception_from, function_bytes, load_unit_payload

if TYPE_CHECKING:
    from .._core.sched import G, Processor

TARGET_S = 0.1            # a map chunk holds about this much work once item times are known
CHUNK_MAX = 10_000        # items in one Dask task at most
WINDOW = 4096             # imap: items read ahead of the consumer
KEEPALIVE_S = 30.0        # a parked waiter's timer: it looks again this often


# ---- in the Dask worker ------------------------------------------------------------------

def _run_tasks(fn_bytes: bytes, payload: bytes, star: bool
               ) -> tuple[float, list[Any], dict[int, bytes]]:
    """Run the items of one Dask task: (seconds busy, results, {index: error record})."""
    t0 = time.perf_counter()
    fn, (items, kwargs) = load_unit_payload(fn_bytes, payload)
    kw = kwargs or {}
    values: list[Any] = []
    failures: dict[int, bytes] = {}
    for i, item in enumerate(items):
        try:
            values.append(fn(*item, **kw) if star else fn(item))
        except BaseException as e:  # noqa: BLE001 - that item fails, the others go on
            values.append(None)
            failures[i] = error_record(e)
    return time.perf_counter() - t0, values, failures


# ---- waking a waiting thread or goroutine ------------------------------------------------

class Wakeup:
    """Wakes whoever waits on ``lock`` for a pool's results: a thread waits on
    a Condition; a goroutine parks, and ``notify`` (from any thread) asks its
    P's scheduler to ready it."""

    def __init__(self, lock: threading.Lock) -> None:
        self.lock = lock
        self.cond = threading.Condition(lock)
        self.proc: Processor | None = None
        self.g: G | None = None

    def wait(self, timeout: float | None) -> None:
        """Wait (``lock`` held, released meanwhile) until notified, or
        ``timeout``; callers check their condition again (a wake-up may be
        spurious)."""
        proc = sched.this_proc()
        if proc is None or proc.current is None:
            self.cond.wait(timeout)
            return
        self.proc = proc
        self.g = g = proc.current
        # Always a timer: a P whose goroutines all wait with no timer counts
        # as deadlocked, and the wake-up comes from outside the runtime.
        wait = KEEPALIVE_S if timeout is None else min(timeout, KEEPALIVE_S)
        entry = proc.timers.add(time.monotonic() + wait, self._ready, g)
        self.lock.release()
        try:
            proc.park("WorkerPool result")
        finally:
            self.lock.acquire()
            self.g = None
            proc.timers.cancel(entry)

    def notify(self) -> None:
        """Wake the waiter (``lock`` held; any thread)."""
        self.cond.notify_all()
        if self.g is not None and self.proc is not None:
            self.proc.call_soon_threadsafe(self._ready, self.g)

    def _ready(self, g: G) -> None:
        # In the waiter's scheduler: a wake-up and a timeout may both come.
        if self.g is g and self.proc is not None:
            self.g = None
            self.proc.ready(g)


class OnDone:
    """Sends ``None`` on a channel each time a pool future is done, from
    whichever thread completes it, until ``stop``: a goroutine waits for a
    future and for other cases in one select. The channel must have room
    for every note not yet received (a note is a goroutine this P's
    scheduler starts, which sends it). ``stop`` must be called before the
    waiting goroutine ends (a ``finally``; a runtime's end unwinds it): no
    note is posted after, so none reaches a runtime that has ended."""

    def __init__(self, ch: Any) -> None:
        self.proc = sched.this_proc()
        self.ch = ch
        self.lock = threading.Lock()
        self.live = True

    def __call__(self, _fut: object) -> None:
        with self.lock:
            if self.live:
                self.proc.call_soon_threadsafe(_spawn.go_local, self.proc, self.ch.send, (None,))

    def stop(self) -> None:
        with self.lock:
            self.live = False


class ClusterFuture(cf.Future):  # type: ignore[type-arg]
    """The Future of one task on the cluster; a goroutine waiting on it parks."""

    def result(self, timeout: float | None = None) -> Any:
        return super().result(_park_until_done(self, timeout))

    def exception(self, timeout: float | None = None) -> BaseException | None:
        return super().exception(_park_until_done(self, timeout))


def _park_until_done(fut: cf.Future[Any], timeout: float | None) -> float | None:
    """In a goroutine, park until ``fut`` is done (or ``timeout``); returns the
    time left for Future's own wait (which then does not block a P)."""
    proc = sched.this_proc()
    if proc is None or proc.current is None or fut.done():
        return timeout
    lock = threading.Lock()
    w = Wakeup(lock)

    def done(_f: object) -> None:
        with lock:
            w.notify()
    fut.add_done_callback(done)        # at once if it is done: before taking the lock
    deadline = None if timeout is None else time.monotonic() + timeout
    with lock:
        while not fut.done():
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                break
            w.wait(left)
    return 0


# ---- the engine --------------------------------------------------------------------------

class Failure:
    """An item's outcome that is an exception (in a job's results)."""

    __slots__ = ("exc",)

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class Call:
    """One submit, queued until there is room in flight."""

    __slots__ = ("fn", "fut", "name")

    def __init__(self, fut: ClusterFuture, fn: tuple[Any, ...], name: str) -> None:
        self.fut = fut
        self.fn = fn            # (fn, args, kwargs) until it is pickled
        self.name = name


def connect(cluster: object) -> tuple[Any, bool]:
    """(a distributed.Client, whether the pool made it) for ``cluster``: a
    Client, a scheduler address, or a Dask cluster object."""
    loaded = sys.modules.get("distributed")       # a Client means distributed is imported
    if loaded is not None and isinstance(cluster, loaded.Client):
        return cluster, False
    address = cluster if isinstance(cluster, str) else getattr(cluster, "scheduler_address", None)
    if not isinstance(address, str):
        raise TypeError("WorkerPool(cluster=...) takes a distributed.Client, a scheduler "
                        f"address such as 'tcp://host:8786' or a Dask cluster, not "
                        f"{type(cluster).__name__!r}")
    try:
        import distributed
    except ImportError:
        raise ImportError("WorkerPool(cluster=...) runs tasks on Dask, and distributed is "
                          "not installed: pip install 'parago[dask]'") from None
    return distributed.Client(address, set_as_default=False), True


def total_threads(client: Any) -> int:
    info = client.scheduler_info()
    return sum(int(w.get("nthreads", 0)) for w in info.get("workers", {}).values())


class ClusterEngine:
    """Hands a pool's tasks to a Dask cluster, ``max_workers`` at a time."""

    def __init__(self, cluster: object, max_workers: int | None) -> None:
        self.client, self.own_client = connect(cluster)
        self.max_workers = max_workers or max(1, total_threads(self.client))
        self.lock = threading.Lock()
        self.queue: deque[Call | Job] = deque()
        self.inflight = 0
        self.shutting_down = False
        self.closed = False            # the client is released
        self.broken: BaseException | None = None
        self.idle = Wakeup(self.lock)  # shutdown(wait=True) waits on it

    @property
    def address(self) -> str:
        return str(self.client.scheduler.address)

    def check_open(self) -> None:
        if self.shutting_down:
            raise RuntimeError("cannot schedule new futures after shutdown")

    # ---- submitting ----------------------------------------------------------------------

    def submit(self, fn: Callable[..., Any], args: tuple[Any, ...],
               kwargs: dict[str, Any]) -> ClusterFuture:
        fut = ClusterFuture()
        with self.lock:
            self.check_open()
            self.queue.append(Call(fut, (fn, args, kwargs), _name(fn)))
        self.pump()
        return fut

    def job(self, fn: Callable[..., Any], star: bool, ordered: bool, timeout: float | None,
            chunksize: int, progress: Callable[[int, int | None], object] | None,
            window: int | None, items: list[Any] | None, source: Iterator[Any] | None) -> Job:
        """A map/imap job: every item now (``items``), or read lazily from
        ``source``, at most ``window`` ahead of the consumer."""
        self.check_open()
        job = Job(self, fn, star, ordered, timeout, chunksize, progress,
                  window or (len(items) if items else None))
        if items is not None:
            with self.lock:
                job.add(items, last=True)
        else:
            job.source = source
            job.top_up()
        self.pump()
        return job

    def pump(self) -> None:
        """Hand queued work to Dask while there is room in flight (lock NOT held)."""
        while True:
            sends: list[tuple[str, bytes, bytes, bool, Any]] = []
            failed: list[tuple[ClusterFuture, BaseException]] = []
            with self.lock:
                while self.queue and self.inflight < self.max_workers and not self.closed:
                    head = self.queue[0]
                    if isinstance(head, Call):
                        self.queue.popleft()
                        if not head.fut.set_running_or_notify_cancel():
                            continue               # cancelled while queued
                        fn, args, kwargs = head.fn
                        head.fn = ()
                        try:
                            fn_bytes = function_bytes(fn)
                            payload = args_bytes([args], kwargs)
                        except BaseException as e:  # noqa: BLE001 - that task fails alone
                            failed.append((head.fut, e))
                            continue
                        sends.append((head.name, fn_bytes, payload, True, head.fut))
                    else:
                        chunk = head.carve(self.max_workers - self.inflight)
                        if chunk is None:
                            self.queue.popleft()
                            head.queued = False
                            continue
                        indices, payload = chunk
                        sends.append((head.name, head.fn_bytes, payload, head.star,
                                      (head, indices)))
                    self.inflight += 1
            for fut, exc in failed:
                fut.set_exception(exc)
            if not sends:
                return
            for name, fn_bytes, payload, star, sink in sends:
                self._send(name, fn_bytes, payload, star, sink)

    def _send(self, name: str, fn_bytes: bytes, payload: bytes, star: bool, sink: Any) -> None:
        try:
            dfut = self.client.submit(_run_tasks, fn_bytes, payload, star, pure=False,
                                      key=f"{name}-{uuid.uuid4().hex}")
        except BaseException as e:  # noqa: BLE001 - the client is gone: that work fails
            err = BrokenProcessPool(f"the Dask client could not submit the task: {e!r}")
            err.__cause__ = e
            self._finished(sink, None, err)
            return
        dfut.add_done_callback(lambda f: self._finished(sink, f, None))

    # ---- outcomes (Dask's callback thread) -------------------------------------------------

    def _finished(self, sink: Any, dfut: Any, err: BaseException | None) -> None:
        busy, values, failures = 0.0, [], {}
        if dfut is not None:
            try:
                busy, values, failures = dfut.result()
            except BaseException as e:  # noqa: BLE001 - the Dask task failed as a whole
                err = self._task_lost(e)
            dfut.release()
            dfut = None
        done_fut: ClusterFuture | None = None
        outcome: Any = None
        calls: list[tuple[Callable[..., object], tuple[Any, ...]]] = []
        with self.lock:
            self.inflight -= 1
            if isinstance(sink, ClusterFuture):
                done_fut = sink
                outcome = Failure(err) if err is not None else \
                    Failure(exception_from(failures[0])) if failures else values[0]
            else:
                job, indices = sink
                job.finished(indices, values, failures, err, busy, calls)
            if self.shutting_down and not self.busy():
                self.idle.notify()
        if done_fut is not None:
            if isinstance(outcome, Failure):
                done_fut.set_exception(outcome.exc)
            else:
                done_fut.set_result(outcome)
            done_fut = outcome = None
        for fn, args in calls:
            try:
                fn(*args)
            except Exception:  # noqa: BLE001 - a failing progress callback must not stop the pool
                import logging
                logging.getLogger("parago").exception("WorkerPool progress callback failed")
        self.pump()
        with self.lock:
            release = self.shutting_down and not self.busy() and not self.closed
        if release:
            self._release()

    def _task_lost(self, e: BaseException) -> BaseException:
        """What a Dask task's own failure means for its items."""
        import distributed
        if isinstance(e, distributed.scheduler.KilledWorker):
            last = getattr(e, "last_worker", None)
            where = getattr(last, "address", None) or "unknown"
            err: BaseException = WorkerCrashed(
                f"the Dask worker {where} was lost while running this task, and Dask gave "
                f"up on it after {getattr(e, 'allowed_failures', '?')} retries "
                "(distributed.scheduler.allowed-failures)")
        else:
            err = BrokenProcessPool(f"the Dask cluster could not run the task: "
                                    f"{type(e).__name__}: {e}")
        err.__cause__ = e
        return err

    # ---- ending ---------------------------------------------------------------------------

    def busy(self) -> bool:
        """Anything queued or in flight (lock held)?"""
        return self.inflight > 0 or bool(self.queue)

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        with self.lock:
            self.shutting_down = True
            if cancel_futures:
                while self.queue:
                    head = self.queue.popleft()
                    if isinstance(head, Call):
                        head.fut.cancel()
                    else:
                        head.cancel_rest()
                        head.queued = False
            if wait:
                while self.busy():
                    self.idle.wait(None)
            release = not self.busy() and not self.closed
        if release:
            self._release()

    def _release(self) -> None:
        """Close the client if the pool made it (once nothing is in flight)."""
        with self.lock:
            if self.closed:
                return
            self.closed = True
        if self.own_client:
            self.client.close()

    def interrupted(self) -> None:
        """Ctrl-C while the caller waited: what is queued is cancelled."""
        self.shutdown(wait=False, cancel_futures=True)


def _name(fn: Callable[..., Any]) -> str:
    """The task's name on the Dask dashboard: its function's."""
    name = getattr(fn, "__qualname__", None) or type(fn).__qualname__
    return str(name).replace("<", "").replace(">", "").replace("-", "_") or "task"


# ---- map and imap ------------------------------------------------------------------------

class Job:
    """One map() or imap() call: its items (read lazily from ``source``), the
    chunks handed to Dask, their results, and the iterator that yields them
    (fields guarded by the engine's lock)."""

    def __init__(self, engine: ClusterEngine, fn: Callable[..., Any], star: bool, ordered: bool,
                 timeout: float | None, chunksize: int,
                 progress: Callable[[int, int | None], object] | None,
                 window: int | None) -> None:
        self.engine = engine
        self.fn_bytes = function_bytes(fn)
        self.name = _name(fn)
        self.star = star
        self.ordered = ordered
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.chunksize = chunksize
        self.progress = progress
        self.window = window or WINDOW
        self.source: Iterator[Any] | None = None
        self.items: deque[Any] = deque()        # read, not yet sent
        self.first_ready = 0                    # index of items[0]
        self.read = 0                           # items taken from the source
        self.total: int | None = None           # known once the source is exhausted
        self.item_s: float | None = None        # seconds one item takes (measured)
        self.queued = False
        self.closed = False
        self.results: dict[int, Any] = {}       # index -> value or Failure, until yielded
        self.done_q: deque[int] = deque()       # unordered: indices in completion order
        self.next_out = 0                       # ordered: next index; else count yielded
        self.ndone = 0
        self.last_progress = 0.0
        self.signal = Wakeup(engine.lock)

    # ---- filling (lock held) ------------------------------------------------------------

    def add(self, items: list[Any], last: bool) -> None:
        self.items.extend(items)
        self.read += len(items)
        if last:
            self.total = self.read
        if self.items and not self.queued and not self.closed:
            self.queued = True
            self.engine.queue.append(self)

    def carve(self, room: int) -> tuple[list[int], bytes] | None:
        """The next chunk to send: (the indices of its items, payload), or None
        when no item is ready. Its size: ``chunksize``, or about TARGET_S of
        work once an item's time is known, spread over ``room`` free slots."""
        n = len(self.items)
        if n == 0 or self.closed:
            return None
        size = self.chunksize
        if self.item_s is not None:
            size = max(size, min(CHUNK_MAX, int(TARGET_S / max(self.item_s, 1e-7))))
            size = min(size, max(self.chunksize, -(-n // max(room, 1))))
        first = self.first_ready
        chunk = [self.items.popleft() for _ in range(min(size, n))]
        self.first_ready += len(chunk)
        indices = list(range(first, first + len(chunk)))
        try:
            return indices, args_bytes(chunk, None)
        except BaseException:  # noqa: BLE001 - find the items that cannot be pickled
            pass
        good: list[Any] = []
        for i, item in zip(list(indices), chunk, strict=True):
            try:
                args_bytes([item], None)
                good.append(item)
            except BaseException as e:  # noqa: BLE001 - this item fails, as in the stdlib
                indices.remove(i)
                self._put(i, Failure(e))
        if not good:
            self.signal.notify()
            return self.carve(room)
        return indices, args_bytes(good, None)

    def cancel_rest(self) -> None:
        """Fail every item not yet sent (shutdown(cancel_futures=True); lock held)."""
        while self.items:
            self.items.popleft()
            self._put(self.first_ready, Failure(cf.CancelledError()))
            self.first_ready += 1
        self.signal.notify()

    # ---- results (lock held) ------------------------------------------------------------

    def finished(self, indices: list[int], values: list[Any], failures: dict[int, bytes],
                 err: BaseException | None, busy: float,
                 calls: list[tuple[Callable[..., object], tuple[Any, ...]]]) -> None:
        if err is None and indices:
            t = busy / len(indices)
            self.item_s = t if self.item_s is None else 0.5 * (self.item_s + t)
        for k, i in enumerate(indices):
            if err is not None:
                outcome: Any = Failure(err)
            elif k in failures:
                outcome = Failure(exception_from(failures[k]))
            else:
                outcome = values[k]
            self._put(i, outcome)
        if self.progress is not None:
            now = time.monotonic()
            if now - self.last_progress >= 0.05 or self.ndone == self.total:
                self.last_progress = now
                calls.append((self.progress, (self.ndone, self.total)))
        self.signal.notify()

    def _put(self, index: int, outcome: Any) -> None:
        self.ndone += 1
        if self.closed:
            return
        self.results[index] = outcome
        if not self.ordered:
            self.done_q.append(index)

    # ---- the consumer's side ------------------------------------------------------------

    def top_up(self) -> None:
        """Read more of a lazy source, at most ``window`` items ahead of the
        consumer (the source runs outside the lock)."""
        if self.source is None:
            return
        want = self.next_out + self.window - self.read
        if want <= 0:
            return
        got: list[Any] = []
        last = False
        for _ in range(want):
            try:
                got.append(next(self.source))
            except StopIteration:
                self.source = None
                last = True
                break
        with self.engine.lock:
            if not self.closed:
                self.add(got, last)
        self.engine.pump()

    def _take(self) -> list[Any] | None:
        """Every outcome ready to be yielded now, in order; None once all were
        (lock held)."""
        out: list[Any] = []
        results = self.results
        if self.ordered:
            while self.next_out in results:
                out.append(results.pop(self.next_out))
                self.next_out += 1
        else:
            while self.done_q:
                out.append(results.pop(self.done_q.popleft()))
            self.next_out += len(out)
        if not out and self.total is not None and self.next_out >= self.total:
            return None
        return out

    def iterate(self) -> Iterator[Any]:
        """The generator map()/imap() return."""
        engine = self.engine
        try:
            while True:
                self.top_up()
                with engine.lock:
                    while True:
                        batch = self._take()
                        if batch is None:
                            return
                        if batch or (self.source is not None
                                     and self.read - self.next_out < self.window):
                            break
                        timeout = None
                        if self.deadline is not None:
                            timeout = self.deadline - time.monotonic()
                            if timeout <= 0:
                                raise cf.TimeoutError()
                        self.signal.wait(timeout)
                for v in batch:
                    if type(v) is Failure:
                        raise v.exc
                    yield v
                batch = v = None
        finally:
            self.close()

    def close(self) -> None:
        """The consumer is gone: items not yet sent are dropped (as the
        stdlib's map cancels its futures), results are not kept."""
        with self.engine.lock:
            self.closed = True
            self.items.clear()
            self.results.clear()
            self.source = None
