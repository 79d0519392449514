"""A WorkerPool's bookkeeping: which task is where, and what became of it.

Owns: the tasks of one pool from submission to their future's completion —
the queue of tasks not yet sent, each worker's assigned tasks in order, the
map/imap jobs and their results — and the rules that decide each task's fate
when its worker dies. How workers are started and reached is a transport's
job (pool_local: processes and pipes; pool_inrun: goroutines and channels);
both drive this class.

    submit/map ──► pending (units, jobs) ──dispatch──► worker w: assigned units
                                                        │ seq numbers w.read_seq ..
    futures, jobs ◄── deliver ◄── w's task record (slots) ┘

Invariants (``lock`` guards every field below, and the workers' fields):
  - A task is in exactly one place: pending, or assigned to one worker (as
    part of a unit), or finished (its future or job slot has its outcome).
  - A worker's assigned units cover its task numbers read_seq .. next_seq-1
    in order; at most SLOTS of them, so its record never overwrites a result
    not yet read.
  - When a worker dies its record is read to the end first: every finished
    task keeps its result; the task it was running fails (WorkerCrashed, or
    TaskTimeout if the pool killed it for running too long); every task it
    had not started goes back to the front of pending, in order, and runs on
    another worker. A unit that killed its worker while being unpickled is
    split into single tasks first (so only the culprit fails).
  - Futures are completed, and progress callbacks called, outside the lock
    (they run user code, which may call back into the pool).
  - Nothing keeps a task's function, arguments or result once its outcome is
    delivered: units hold pickled bytes; a map chunk keeps its items only
    until it is known to have unpickled in a worker.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, cast, final

from .._errors import TaskTimeout, WorkerCrashed
from .._shm import taskslots as TS
from .pool_tasks import (
    UnitsMessage,
    WireUnit,
    WorkerMessage,
    args_bytes,
    exception_from,
    function_bytes,
    load_failure,
    result_from,
)

if TYPE_CHECKING:
    from types import TracebackType

BATCH_MAX = 16384         # tasks in one message to a worker
INFLIGHT = 3              # messages a worker holds: one running, the rest ready
BATCH_S = 0.01            # a message holds about this much work, once task times are known
WINDOW = 4096             # imap: items read ahead of the consumer

# What names a task's function: (module, qualified name).
FnKey: TypeAlias = "tuple[str | None, str]"
# A submitted call: (fn, args, kwargs).
Call: TypeAlias = "tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]"
# map()/imap()'s progress callback: (tasks done, total if known).
Progress: TypeAlias = "Callable[[int, int | None], object]"


class PoolLock(Protocol):
    """The engine's lock: a threading.Lock, or pool_inrun's NoYieldLock."""

    def acquire(self) -> bool: ...
    def release(self) -> None: ...
    def __enter__(self) -> bool: ...
    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None, /) -> None: ...


class Signal(Protocol):
    """Wakes whoever waits for a job's results (made by ``_new_signal``)."""

    def wait(self, lock: PoolLock | None, timeout: float | None) -> None:
        """Wait until notified (or ``timeout``), with ``lock`` released."""
    def notify(self) -> None: ...


class Failure:
    """A task's outcome that is an exception (in a job's results)."""

    __slots__ = ("exc",)

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


@final
class Unit:
    """Tasks that travel together and share a function: task ``first + k``
    of ``sink`` (a future when n == 1, else a Job) for k in offset..n-1."""

    __slots__ = ("call", "fn_bytes", "first", "fresh", "items", "key", "n", "offset",
                 "payload", "seq0", "sink", "split", "star", "timeout")

    def __init__(self, sink: PoolFuture | Job, first: int, n: int, fn_bytes: bytes | None,
                 payload: bytes | None, timeout: float | None, star: bool = True,
                 items: list[Any] | None = None, offset: int = 0,
                 key: FnKey | None = None) -> None:
        self.sink = sink
        self.key = key              # names its function (to learn how long its tasks take)
        self.star = star
        self.first = first
        self.n = n
        self.offset = offset
        self.fn_bytes = fn_bytes
        self.payload = payload
        self.timeout = timeout
        self.items = items          # the arguments, until known to unpickle (n > 1)
        self.seq0 = 0
        self.split = False          # replaced by single-task units: ignore its slots
        self.fresh = offset == 0    # never sent: its future is still PENDING
        self.call: Call | None = None   # a submit's (fn, args, kwargs) until it is sent

    def message(self) -> WireUnit:
        # A submit's bytes are set (_encode) before it is sent.
        return (self.seq0, self.n, self.offset, cast("bytes", self.fn_bytes),
                cast("bytes", self.payload), self.timeout is not None, self.star)


class Worker:
    """The parent's view of one worker."""

    def __init__(self, wid: int, slots: TS.TaskSlots, max_tasks: int | None) -> None:
        self.wid = wid
        self.slots = slots
        self.ready = False
        self.dead = False
        self.retiring = False
        self.pid: int | None = None
        self.next_seq = 0           # number of its next task
        self.read_seq = 0           # tasks below this are delivered
        self.assigned: deque[Unit] = deque()
        self.inflight: deque[int] = deque()     # end task number of each message
        self.keys: deque[FnKey | None] = deque()   # and the key of its tasks' function
        self.sent: dict[int, bytes] = {}    # task number -> bytes that came in a message
        self.tasks_left = max_tasks
        # (task number, exception) when the pool kills it
        self.kill_reason: tuple[int, BaseException] | None = None
        self.seen = 0               # its POS word when last read
        # its initializer raised: the pool breaks when it exits
        self.init_error: BaseException | None = None
        self.busy_ns = 0            # its BUSY_NS and BUSY_TASKS words when last read
        self.busy_tasks = 0

    def idle(self) -> bool:
        return not self.assigned and not self.dead and not self.retiring

    def room(self, inflight: int = INFLIGHT) -> int:
        # A worker still starting takes messages too (its pipe holds them),
        # as ProcessPoolExecutor's call queue does.
        if self.dead or self.retiring or len(self.inflight) >= inflight:
            return 0
        n = min(BATCH_MAX, TS.SLOTS - (self.next_seq - self.read_seq))
        if self.tasks_left is not None:
            n = min(n, self.tasks_left)
        return max(n, 0)


class PoolFuture(cf.Future[Any]):
    """The Future of one submitted task. Waiting on it from a goroutine parks
    the goroutine; Ctrl-C while waiting stops the pool."""

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self._engine = engine

    def result(self, timeout: float | None = None) -> Any:
        try:
            return super().result(self._engine.wait_for(self, timeout))
        except KeyboardInterrupt as e:
            self._ctrl_c(e)
            raise

    def exception(self, timeout: float | None = None) -> BaseException | None:
        try:
            return super().exception(self._engine.wait_for(self, timeout))
        except KeyboardInterrupt as e:
            self._ctrl_c(e)
            raise

    def _ctrl_c(self, e: KeyboardInterrupt) -> None:
        # A task that raised KeyboardInterrupt is just a failed task; Ctrl-C
        # while waiting stops the pool.
        if not (self.done() and cf.Future.exception(self, 0) is e):
            self._engine.interrupted()


class Engine:
    """Transport-independent core of a pool. Subclasses provide:
    ``_start_workers(n)``, ``_send(w, message) -> bool``, ``_kill(w)``,
    ``_retire(w)``, ``_new_signal()`` and ``wait_for(future, timeout)``,
    and call ``collect``, ``on_ready``, ``on_message`` and ``on_death``."""

    def __init__(self, max_workers: int, max_tasks_per_child: int | None = None,
                 task_timeout: float | None = None) -> None:
        self.lock: PoolLock = threading.Lock()
        self.max_workers = max_workers
        self.max_tasks_per_child = max_tasks_per_child
        self.task_timeout = task_timeout
        self.pending: deque[Unit | Job] = deque()   # Unit (a submit) or Job, in submission order
        self.npending = 0                    # tasks in pending
        self.workers: list[Worker] = []
        self.starting = 0                    # workers being started outside the lock
        self.shutting_down = False
        self.broken: BaseException | None = None
        self.stopped: BaseException | None = None    # why running tasks were stopped
        self.timed = False                   # some task has had a time limit
        # function key -> seconds a task takes (average)
        self.task_s: dict[FnKey | None, float] = {}
        self.idle_credit = 0                 # tasks finished, not yet matched by a submit
        self.replace = 0                     # workers that died with work left: replace them
        self.outbox: list[tuple[PoolFuture, Any]] = []   # (future, value or Failure) to complete
        # (fn, args) to call outside the lock
        self.calls: list[tuple[Callable[..., object], tuple[Any, ...]]] = []
        self._wid = 0

    # ---- submitting (any thread) ----------------------------------------------------------

    def check_open(self) -> None:
        if self.broken is not None:
            raise _copy(self.broken)
        if self.shutting_down:
            raise RuntimeError("cannot schedule new futures after shutdown")

    def submit(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
               task_timeout: float | None = None) -> PoolFuture:
        fut = PoolFuture(self)
        timeout = self.task_timeout if task_timeout is None else task_timeout
        if timeout is not None:
            self.timed = True
        unit = Unit(fut, 0, 1, None, None, timeout, key=fn_key(fn))
        unit.call = (fn, args, kwargs)
        del fn, args, kwargs
        with self.lock:
            self.check_open()
            self.pending.append(unit)
            self.npending += 1
            spawn = self.workers_for(1)
            self.dispatch()
        if spawn:
            self.start_workers(spawn)
        return fut

    def add_items(self, job: Job, items: list[Any]) -> None:
        """map(): every item of ``job`` at once (as Executor.map submits them)."""
        with self.lock:
            job.total = len(items)
            spawn = self.workers_for(len(items))
            job.extend(items)
        if spawn:
            self.start_workers(spawn)

    def add_job(self, job: Job, count: int) -> None:
        """``count`` more items of ``job`` are ready to be sent (lock held)."""
        if count <= 0:
            return
        if not job.queued:
            job.queued = True
            self.pending.append(job)
        self.npending += count
        self.dispatch()

    # ---- dispatching (lock held) ----------------------------------------------------------

    def dispatch(self) -> None:
        if not self.pending:
            return
        # While task times are unknown, or long, a worker holds one message
        # beyond the one it runs (tasks queued here can still be cancelled,
        # and go to whichever worker frees up first).
        t = self.task_s.get(self.pending[0].key)
        inflight = INFLIGHT if t is not None and t < BATCH_S else 2
        for level in range(inflight):
            for w in self.workers:
                if self.pending and len(w.inflight) == level:
                    room = w.room(inflight)
                    if room:
                        self._send_batch(w, room)
            if not self.pending:
                return

    def _batch_size(self, head: Unit | Job, room: int) -> int:
        # Once its function's task time is known, a message holds about
        # BATCH_S of work: thousands of tiny tasks (few messages, few
        # wake-ups), or one slow task (no worker waits behind another's
        # backlog). Before, one task. A map's chunksize is a floor.
        t = self.task_s.get(head.key)
        size = 1 if t is None else max(1, int(BATCH_S / t))
        if head.__class__ is Job:
            size = max(size, head.chunksize)
        return max(1, min(room, size))

    def _send_batch(self, w: Worker, room: int) -> None:
        pending = self.pending
        key = pending[0].key
        size = self._batch_size(pending[0], room)
        units: list[Unit] = []
        count = 0
        while pending and count < size:
            src = pending[0]
            if src.key != key:
                break                         # tasks of one function per message
            if type(src) is Unit:
                pending.popleft()
                self.npending -= src.n - src.offset
                if src.fresh:                 # a submit: its sink is its future
                    src.fresh = False
                    if not cast("PoolFuture", src.sink).set_running_or_notify_cancel():
                        src.call = None
                        continue                  # cancelled while queued
                    if not self._encode(src):
                        continue
                got = [src]
            else:
                got = src.carve(size - count)
                if not src.ready_count():
                    pending.popleft()
                    src.queued = False
            for u in got:
                n = u.n - u.offset
                u.seq0 = w.next_seq + count - u.offset
                units.append(u)
                count += n
        if not units:
            return
        w.next_seq += count
        if w.tasks_left is not None:
            w.tasks_left -= count
        w.assigned.extend(units)
        w.inflight.append(w.next_seq)
        w.keys.append(key)
        if not self._send(w, ("units", root_level(), [u.message() for u in units])):
            pass        # the worker is gone: its death requeues these units

    def _encode(self, u: Unit) -> bool:
        """Pickle a submitted call, now that it is sent (as ProcessPoolExecutor
        does); if it cannot be, its future fails with what pickling raised."""
        fn, args, kwargs = cast("Call", u.call)
        u.call = None
        try:
            u.fn_bytes = function_bytes(fn)
            u.payload = args_bytes([args], kwargs)
            return True
        except BaseException as e:  # noqa: BLE001 - that task fails, the pool goes on
            self.outbox.append((cast("PoolFuture", u.sink), Failure(e)))
            return False

    def workers_for(self, n: int) -> int:
        """``n`` tasks were just submitted: how many workers to start now
        (lock held; the caller starts them with start_workers once it has
        released it). As ProcessPoolExecutor: each task takes the place of a
        worker that went idle since (one credit per task finished), or
        starts one more, up to max_workers."""
        use = min(self.idle_credit, n)
        self.idle_credit -= use
        return self._reserve(n - use)

    def workers_wanted(self) -> int:
        """How many workers to start so that queued tasks make progress
        (lock held): when no live worker can take them (they died, or
        retired after max_tasks_per_child), start up to one per task."""
        want, self.replace = self.replace, 0
        if self.npending and not any(w.room() for w in self.workers):
            want = max(want, self.npending)
        return self._reserve(want)

    def _reserve(self, n: int) -> int:
        if self.broken is not None or self.stopped is not None or n <= 0:
            return 0
        live = sum(1 for w in self.workers if not w.dead and not w.retiring) + self.starting
        n = min(n, self.max_workers - live)
        if n <= 0:
            return 0
        self.starting += n
        return n

    def start_workers(self, n: int) -> None:
        """Start ``n`` workers (lock NOT held: starting a process is slow)."""
        try:
            self._start_workers(n)
        except BaseException as e:  # noqa: BLE001 - a pool that cannot start workers is broken
            with self.lock:
                self.starting -= n
                self.break_pool(BrokenProcessPool(f"a worker process could not be started: {e!r}"))
            self.flush()
            raise

    def add_worker(self, slots: TS.TaskSlots) -> Worker:
        """A transport registers a worker it started (lock held)."""
        w = Worker(self._wid, slots, self.max_tasks_per_child)
        self._wid += 1
        self.workers.append(w)
        return w

    # ---- results (lock held) --------------------------------------------------------------

    def on_ready(self, w: Worker, pid: int) -> None:
        w.ready = True
        w.pid = pid
        self.dispatch()

    def on_message(self, w: Worker, msg: WorkerMessage) -> None:
        kind = msg[0]
        if kind == "bytes":
            w.sent[msg[1]] = msg[2]
        elif kind == "log":
            self.calls.append((log_in_parent, (msg[1],)))
        elif kind == "ready":
            self.on_ready(w, msg[1])
        elif kind == "init_failed":
            exc = exception_from(msg[1])
            err = BrokenProcessPool(f"a worker's initializer raised {type(exc).__name__}: {exc}; "
                                    "the pool cannot start workers")
            err.__cause__ = exc
            w.init_error = err      # the pool breaks when it has exited (and flushed its logs)

    def collect(self, w: Worker) -> int:
        """Deliver every result ``w`` has recorded; returns its POS word."""
        pos = w.slots.progress()
        done = pos >> 1
        if done > w.read_seq:
            values, mixed = w.slots.read(w.read_seq, done, w.sent)
            self._deliver(w, w.read_seq, values, mixed)
            self.idle_credit += done - w.read_seq
            w.read_seq = done
            inflight = w.inflight
            key = None
            while inflight and inflight[0] <= done:
                inflight.popleft()
                key = w.keys.popleft()
            if key is not None:
                self._measure(w, key)
        return pos

    def _measure(self, w: Worker, key: FnKey | None) -> None:
        """Learn how long a task of ``key``'s function takes, from the time
        the worker spent on the messages it finished since last time."""
        busy, tasks = w.slots.busy()
        n = tasks - w.busy_tasks
        if n > 0 and busy > w.busy_ns:
            sample = (busy - w.busy_ns) / n / 1e9
            t = self.task_s.get(key)
            a = max(0.3, min(1.0, n / 64))
            if len(self.task_s) > 1024:
                self.task_s.clear()
            self.task_s[key] = sample if t is None else (1 - a) * t + a * sample
            w.busy_ns, w.busy_tasks = busy, tasks

    def _deliver(self, w: Worker, seq: int, values: list[TS.SlotValue], mixed: bool) -> None:
        assigned = w.assigned
        i = 0
        end = seq + len(values)
        while seq < end:
            u = assigned[0]
            stop = min(u.seq0 + u.n, end)
            if not u.split:
                first = u.first + (seq - u.seq0)
                part = values[i:i + stop - seq] if i or stop - seq < len(values) else values
                chunk = self._decode(u, part) if mixed else part
                if chunk is not None:
                    if u.items is not None:
                        u.items = None     # it unpickled: no split will be needed
                    self._put(u.sink, first, chunk, mixed)
            i += stop - seq
            seq = stop
            if seq == u.seq0 + u.n:
                assigned.popleft()

    def _decode(self, u: Unit, chunk: list[TS.SlotValue]) -> list[Any] | None:
        out = []
        v: Any                      # a slot's content, then the task's outcome
        for v in chunk:
            if type(v) is TS.Encoded:
                k = v.kind
                if k == TS.K_VALUE:
                    ok, v = result_from(v.data)
                    if not ok:
                        v = Failure(v)
                elif k == TS.K_ERROR:
                    v = Failure(exception_from(v.data))
                elif u.items is not None and u.n - u.offset > 1:
                    self._split(u, u.offset)      # K_LOADFAIL: find the culprit alone
                    return None
                else:
                    v = Failure(load_failure(v.data))
            out.append(v)
        return out

    def _put(self, sink: PoolFuture | Job, first: int, values: list[Any],
             may_fail: bool = True) -> None:
        if type(sink) is not Job:
            self.outbox.append((sink, values[0]))
        else:
            sink.put(first, values, may_fail)

    def _split(self, u: Unit, start: int) -> None:
        """Requeue tasks start.. of ``u`` one per unit, at the front: their
        unit could not be unpickled as a whole, so find the culprit alone."""
        u.split = True
        items = cast("list[Any]", u.items)      # only a unit known to hold them is split
        units = []
        for k in range(start, u.n):
            try:
                payload = args_bytes([items[k]], None)
            except BaseException as e:  # noqa: BLE001 - it pickled once; fail alone if not now
                self._put(u.sink, u.first + k, [Failure(e)])
                continue
            units.append(Unit(u.sink, u.first + k, 1, u.fn_bytes, payload, u.timeout, u.star,
                              key=u.key))
            units[-1].fresh = False
        self.pending.extendleft(reversed(units))
        self.npending += len(units)
        u.items = None

    # ---- a worker's death (lock held) -----------------------------------------------------

    def on_death(self, w: Worker, how: str) -> None:
        """``w`` is gone (``how``: "killed by signal SIGKILL", ...). Call after
        every message it sent has been handled."""
        if w.dead:
            return
        w.dead = True
        if w.init_error is not None:
            self.break_pool(w.init_error)
        pos = self.collect(w)
        running = pos >> 1 if pos & 1 else -1
        loading = running >= 0 and w.slots.phase() == TS.LOADING
        requeue = []
        for u in w.assigned:
            lo = max(u.seq0 + u.offset, w.read_seq)
            if u.split or lo >= u.seq0 + u.n:
                continue
            if u.seq0 <= running < u.seq0 + u.n:
                if loading and u.items is not None and u.n - u.offset > 1:
                    self._split(u, u.offset)
                    continue
                self._put(u.sink, u.first + running - u.seq0,
                          [Failure(self._death_error(w, how, running, loading))])
                lo = running + 1
            if lo < u.seq0 + u.n:
                u.items = None if lo > u.seq0 + u.offset else u.items
                requeue.append(Unit(u.sink, u.first, u.n, u.fn_bytes, u.payload, u.timeout,
                                    u.star, u.items, lo - u.seq0, u.key))
                requeue[-1].fresh = False
        w.assigned.clear()
        w.inflight.clear()
        w.keys.clear()
        w.sent.clear()
        err = self.broken or self.stopped
        if requeue and err is not None:
            for u in requeue:
                self._put(u.sink, u.first + u.offset,
                          [Failure(_copy(err)) for _ in range(u.n - u.offset)])
            requeue = []
        if requeue:
            self.pending.extendleft(reversed(requeue))
            self.npending += sum(u.n - u.offset for u in requeue)
        self.workers.remove(w)
        if not w.retiring and self.npending:
            self.replace += 1
        self.dispatch()

    def _death_error(self, w: Worker, how: str, seq: int, loading: bool) -> BaseException:
        if w.kill_reason is not None and w.kill_reason[0] == seq:
            return w.kill_reason[1]
        err = self.broken or self.stopped
        if err is not None:
            return _copy(err)
        what = "while its arguments were being unpickled" if loading else "while running this task"
        return WorkerCrashed(f"the pool's worker process (pid {w.pid}) {how} {what}",
                             exitcode=None)

    # ---- time limits (lock held) ----------------------------------------------------------

    def check_timeouts(self, now_ns: int) -> float | None:
        """Kill the workers whose running task is past its time limit; returns
        the seconds until the next limit, if any."""
        nearest: int | None = None
        for w in self.workers:
            if w.dead or not w.assigned:
                continue
            pos = w.slots.progress()
            if not pos & 1 or w.slots.phase() != TS.RUNNING or w.kill_reason is not None:
                continue
            seq = pos >> 1
            u = _unit_of(w, seq)
            if u is None or u.timeout is None:
                continue
            started = w.slots.started_ns()
            if w.slots.progress() != pos:
                continue                     # it moved on meanwhile
            left = started + int(u.timeout * 1e9) - now_ns
            if left <= 0:
                w.kill_reason = (seq, TaskTimeout(
                    f"the task ran longer than its task_timeout of {u.timeout} s; its worker "
                    f"process (pid {w.pid}) was killed and will be replaced"))
                self._kill(w)
            elif nearest is None or left < nearest:
                nearest = left
        return None if nearest is None else nearest / 1e9

    # ---- retiring workers (max_tasks_per_child; lock held) --------------------------------

    def retire_spent(self) -> None:
        for w in self.workers:
            if w.tasks_left == 0 and not w.assigned and not w.retiring and not w.dead:
                w.retiring = True
                self._retire(w)

    # ---- ending ---------------------------------------------------------------------------

    def break_pool(self, err: BaseException) -> None:
        """The pool cannot go on (a worker's initializer failed): every task
        not finished fails with ``err``, and so does every later submit."""
        if self.broken is not None:
            return
        self.broken = err
        self._fail_pending(lambda: _copy(err))
        for w in list(self.workers):
            if not w.dead:
                self._kill(w)

    def _fail_assigned(self, err: BaseException) -> None:
        """Every task sent to a worker and not delivered fails with ``err``."""
        for w in self.workers:
            for u in w.assigned:
                lo = max(u.seq0 + u.offset, w.read_seq)
                if not u.split and lo < u.seq0 + u.n:
                    self._put(u.sink, u.first + lo - u.seq0,
                              [Failure(err) for _ in range(u.seq0 + u.n - lo)])
            w.assigned.clear()

    def _fail_pending(self, make_error: Callable[[], BaseException]) -> None:
        while self.pending:
            src = self.pending.popleft()
            if type(src) is Job:
                src.cancel_rest(make_error)
            elif type(src.sink) is Job:       # a map's tasks requeued (a worker died) or split
                self._put(src.sink, src.first + src.offset,
                          [Failure(make_error()) for _ in range(src.n - src.offset)])
            elif not src.sink.cancel():
                self.outbox.append((src.sink, Failure(make_error())))
        self.npending = 0

    def cancel_pending(self) -> None:
        """shutdown(cancel_futures=True): what has not been sent is cancelled."""
        self._fail_pending(cf.CancelledError)

    def begin_shutdown(self, cancel_futures: bool) -> None:
        """shutdown()'s first step, the same for every engine: take no more
        work, cancel what is queued if asked, wake the loop that drives it."""
        with self.lock:
            self.shutting_down = True
            if cancel_futures:
                self.cancel_pending()
            self._wake()
        self.flush()

    def interrupted(self) -> None:
        """Ctrl-C while the caller waited on the pool: cancel what is queued,
        stop what runs (its futures fail), let nothing linger."""
        with self.lock:
            if self.stopped is None:
                self.stopped = BrokenProcessPool(
                    "the pool was stopped by KeyboardInterrupt while the task ran")
            self.shutting_down = True
            self._fail_pending(cf.CancelledError)
            for w in self.workers:
                if not w.dead:
                    self._kill(w)
            self._wake()
        self.flush()

    def flush(self) -> None:
        """Complete futures and make the calls queued under the lock (lock NOT held)."""
        outbox: list[tuple[PoolFuture, Any]] | None
        fut: PoolFuture | None
        while True:
            with self.lock:
                outbox, self.outbox = self.outbox, []
                calls, self.calls = self.calls, []
            if not outbox and not calls:
                return
            for fut, v in outbox:
                if fut.done():
                    continue
                if type(v) is Failure:
                    fut.set_exception(v.exc)
                else:
                    fut.set_result(v)
            outbox = fut = v = None
            for fn, args in calls:
                try:
                    fn(*args)
                except Exception:  # noqa: BLE001 - a failing callback must not stop the pool
                    logging.getLogger("parago").exception("WorkerPool callback failed")

    def busy(self) -> bool:
        """Anything queued or running (lock held)?"""
        return bool(self.pending) or any(w.assigned for w in self.workers)

    # ---- for subclasses -------------------------------------------------------------------

    def _wake(self) -> None:
        """Make the loop that drives this engine look again (lock held)."""

    def _start_workers(self, n: int) -> None:
        raise NotImplementedError

    def _send(self, w: Worker, msg: UnitsMessage) -> bool:
        """Send ``msg`` to ``w`` (lock held); False if it is gone."""
        raise NotImplementedError

    def _kill(self, w: Worker) -> None:
        raise NotImplementedError

    def _retire(self, w: Worker) -> None:
        raise NotImplementedError

    def _new_signal(self) -> Signal:
        raise NotImplementedError

    def wait_for(self, fut: PoolFuture, timeout: float | None) -> float | None:
        """Wait for ``fut`` as the caller can; returns the time left of
        ``timeout`` for Future.result's own wait."""
        raise NotImplementedError


def fn_key(fn: Callable[..., object]) -> FnKey:
    """What names a task's function, to learn how long its tasks take."""
    return getattr(fn, "__module__", None), getattr(fn, "__qualname__", type(fn).__qualname__)


def _copy(err: BaseException) -> BaseException:
    """A fresh instance of the pool's own error, each time it is raised: the
    one the pool keeps never gets a traceback (whose frames would hold the
    pool, and whatever the caller's frames hold, in a reference cycle)."""
    new = type(err)(*err.args)
    new.__cause__ = err.__cause__
    return new


def _unit_of(w: Worker, seq: int) -> Unit | None:
    for u in w.assigned:
        if u.seq0 + u.offset <= seq < u.seq0 + u.n:
            return u
    return None


def root_level() -> int:
    """The caller's root-logger level: what a task's log records must reach."""
    return logging.getLogger().getEffectiveLevel()


def log_in_parent(record: logging.LogRecord) -> None:
    """Hand a task's log record to the caller's root-logger handlers."""
    root = logging.getLogger()
    if record.levelno >= root.getEffectiveLevel():
        root.handle(record)


# ---- map and imap -----------------------------------------------------------------------------

@final
class Job:
    """One map() or imap() call: its items (read lazily when ``source`` is
    an iterator), their results, and the iterator that yields them.

    Results sit in a list indexed from ``base`` with a byte per item in
    ``flags`` (READY once its outcome is there, TAKEN once yielded), filled and
    emptied by slices: per task the pool thread does no Python-level work."""

    def __init__(self, engine: Engine, fn: Callable[..., Any], star: bool, ordered: bool,
                 timeout: float | None, task_timeout: float | None, chunksize: int,
                 progress: Progress | None, window: int) -> None:
        self.engine = engine
        self.fn_bytes = function_bytes(fn)
        self.key = fn_key(fn)
        self.star = star
        self.ordered = ordered
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.task_timeout = engine.task_timeout if task_timeout is None else task_timeout
        if self.task_timeout is not None:
            engine.timed = True
        self.chunksize = chunksize
        self.progress = progress
        self.window = window
        self.items: list[Any] = []      # ready to send from items[cut]: arguments
        self.cut = 0
        self.first_ready = 0            # index of items[cut]
        self.submitted = 0              # items taken from the source
        self.source: Iterator[Any] | None = None
        self.total: int | None = None   # known once the source is exhausted
        self.queued = False             # in engine.pending
        self.closed = False
        self.base = 0                   # index of results[0]
        self.results: list[Any] = []    # outcomes (value, or Failure), None once yielded
        self.flags = bytearray()        # per item: 0, READY, TAKEN
        self.failed: set[int] = set()   # indices whose outcome is a Failure
        self.done_q: deque[tuple[int, int]] = deque()   # unordered: (first, n) in completion order
        self.next_out = 0               # ordered: next index to yield; else count yielded
        self.ndone = 0
        self.last_progress = 0.0
        self.signal = engine._new_signal()

    # ---- filling (lock held) --------------------------------------------------------------

    def extend(self, items: list[Any]) -> None:
        n = len(items)
        if self.cut > 4096 and self.cut * 2 > len(self.items):
            del self.items[:self.cut]
            self.cut = 0
        self.items += items
        self.submitted += n
        self.results += [None] * n
        self.flags += bytes(n)
        self.engine.add_job(self, n)

    def ready_count(self) -> int:
        return len(self.items) - self.cut

    def carve(self, k: int) -> list[Unit]:
        """Up to ``k`` items as units (lock held)."""
        k = min(k, len(self.items) - self.cut)
        if k <= 0:
            return []
        first = self.first_ready
        chunk = self.items[self.cut:self.cut + k]
        self.items[self.cut:self.cut + k] = [None] * k
        self.cut += k
        self.first_ready += k
        self.engine.npending -= k
        if self.cut == len(self.items):
            self.items.clear()
            self.cut = 0
        try:
            payload = args_bytes(chunk, None)
        except BaseException:  # noqa: BLE001 - find the items that cannot be pickled
            return self._carve_one_by_one(first, chunk)
        return [Unit(self, first, k, self.fn_bytes, payload, self.task_timeout, self.star,
                     chunk if k > 1 else None, key=self.key)]

    def _carve_one_by_one(self, first: int, chunk: list[Any]) -> list[Unit]:
        units = []
        for i, item in enumerate(chunk):
            try:
                payload = args_bytes([item], None)
            except BaseException as e:  # noqa: BLE001 - this item fails, as in the stdlib
                self.put(first + i, [Failure(e)])
                continue
            units.append(Unit(self, first + i, 1, self.fn_bytes, payload, self.task_timeout,
                              self.star, key=self.key))
        return units

    def cancel_rest(self, make_error: Callable[[], BaseException]) -> None:
        """Fail every item not yet sent (lock held)."""
        n = len(self.items) - self.cut
        if n:
            first = self.first_ready
            self.items.clear()
            self.cut = 0
            self.first_ready += n
            self.put(first, [Failure(make_error()) for _ in range(n)])
        self.queued = False

    # ---- results (lock held) --------------------------------------------------------------

    def put(self, first: int, values: list[Any], may_fail: bool = True) -> None:
        if self.closed:
            return
        n = len(values)
        a = first - self.base
        self.results[a:a + n] = values
        self.flags[a:a + n] = _READY * n
        if may_fail:
            self.failed.update(i for i, v in enumerate(values, first) if type(v) is Failure)
        if not self.ordered:
            self.done_q.append((first, n))
        self.ndone += n
        if self.progress is not None:
            now = time.monotonic()
            if now - self.last_progress >= 0.05 or self.ndone == self.total:
                self.last_progress = now
                self.engine.calls.append((self.progress, (self.ndone, self.total)))
        if not self.ordered or first <= self.next_out < first + n:
            self.signal.notify()

    # ---- the consumer's side --------------------------------------------------------------

    def _take(self) -> list[Any] | None:
        """Every result ready to be yielded now (in order), or None when all
        were yielded (lock held)."""
        results, flags, base = self.results, self.flags, self.base
        out: list[Any] = []
        if self.ordered:
            s = self.next_out - base
            e = flags.find(0, s)
            if e < 0:
                e = len(flags)
            if e > s:
                out = results[s:e]
                results[s:e] = [None] * (e - s)
                flags[s:e] = _TAKEN * (e - s)
                self.next_out += e - s
        else:
            q = self.done_q
            while q:
                first, n = q.popleft()
                a = first - base
                out += results[a:a + n]
                results[a:a + n] = [None] * n
                flags[a:a + n] = _TAKEN * n
            self.next_out += len(out)
        self._compact()
        if not out and self.total is not None and self.next_out >= self.total:
            return None
        return out

    def _compact(self) -> None:
        flags = self.flags
        k = len(flags) - len(flags.lstrip(_TAKEN)) if len(flags) > 4096 else 0
        if k > len(flags) // 2:
            del self.results[:k]
            del flags[:k]
            self.base += k

    def top_up(self) -> None:
        """Read more of a lazy source, keeping at most ``window`` items ahead
        of the consumer (caller's thread; the source runs outside the lock)."""
        if self.source is None:
            return
        want = self.next_out + self.window - self.submitted
        if want <= 0:
            return
        got = []
        for _ in range(want):
            try:
                got.append(next(self.source))
            except StopIteration:
                self.source = None
                break
        with self.engine.lock:
            if self.source is None:
                self.total = self.submitted + len(got)
                if self.progress is not None and self.ndone == self.total:
                    self.engine.calls.append((self.progress, (self.ndone, self.total)))
            spawn = 0
            if got and not self.closed:
                spawn = self.engine.workers_for(len(got))
                self.extend(got)
        if spawn:
            self.engine.start_workers(spawn)

    def iterate(self) -> Iterator[Any]:
        """The generator map()/imap() return."""
        engine = self.engine
        interrupted = False
        try:
            while True:
                self.top_up()
                with engine.lock:
                    while True:
                        batch = self._take()
                        if batch is None:
                            return
                        if batch or (self.source is not None
                                     and self.submitted - self.next_out < self.window):
                            break
                        timeout = None
                        if self.deadline is not None:
                            timeout = self.deadline - time.monotonic()
                            if timeout <= 0:
                                raise cf.TimeoutError()
                        try:
                            self.signal.wait(engine.lock, timeout)
                        except KeyboardInterrupt:
                            interrupted = True
                            raise
                engine.flush()
                failure = None
                if self.failed:
                    for j, v in enumerate(batch):
                        if type(v) is Failure:
                            failure, batch = v.exc, batch[:j]
                            break
                    v = None
                # Popped one by one, so nothing here keeps what was yielded.
                batch.append(_END)
                batch.reverse()
                yield from iter(batch.pop, _END)
                if failure is not None:
                    raise failure
        finally:
            self.close()
            if interrupted:
                engine.interrupted()

    def close(self) -> None:
        """The consumer is gone: items not yet sent are dropped (as the
        stdlib's map cancels its futures), results are not kept."""
        engine = self.engine
        with engine.lock:
            if self.closed:
                return
            self.closed = True
            n = len(self.items) - self.cut
            self.items.clear()
            self.cut = 0
            if self.queued:
                engine.npending -= n
            self.results = []
            self.flags = bytearray()
            self.source = None


_END = object()
_READY = b"\x01"
_TAKEN = b"\x02"
