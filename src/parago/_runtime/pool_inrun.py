"""A WorkerPool made inside pg.run: its workers are goroutines on the runtime's processes.

Owns: the goroutines of such a pool — one dispatcher on P0, one worker per
P (P1..Pn-1, or P0 when there is only one P), each pinned to its P — their
task records (blocks of the runtime's arena), the channels between them, and
the way a goroutine on P0 waits for the pool (it parks; the scheduler runs on).

    submit/map (goroutines on P0) ──► engine (pool_engine) ──units──► inbox_i ──► worker i (P_i)
    dispatcher (P0) ◄──────── results: (wid, message) ◄───────────────────────────┘
        │ reads each worker's task record, completes futures, refills inboxes

Invariants:
  - The pool is used from goroutines of P0 only: every engine call runs on
    P0's thread, so the engine's lock is only ever held between two parks,
    never across one (nothing here waits while holding it), and P0 gives
    no other goroutine its turn while it is held (NoYieldLock: a channel
    operation that did not block gives way otherwise, and the goroutine it
    gives way to would find the lock taken by its own thread).
  - An inbox never holds more messages than the engine lets a worker have in
    flight, which is its capacity: sending to it never waits.
  - Worker goroutines carry the pool's tag, so when a worker's process dies
    the runtime calls the pool's crash listener instead of ending the run.
    The listener (in P0's scheduler, where nothing may wait) starts a
    goroutine that puts a note on the results channel: the dispatcher sees it
    after everything the dead worker sent (the channel keeps order), then the
    engine reads the record to the end, and a replacement worker starts on
    the replacement process.
  - Log records a task writes on another P are sent to the dispatcher and
    handed to P0's root-logger handlers; on P0 they reach them directly.
"""

from __future__ import annotations

import logging
import os
import pickle
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Protocol, cast

from .._core import sched
from .._shm import layout as L
from .._shm import taskslots as TS
from .._shm import waiter as W
from . import runtime as _rt
from . import spawn as _spawn
from .pool_engine import INFLIGHT, Engine, PoolFuture, PoolLock, Worker, log_in_parent
from .pool_runner import ForwardingHandler, Runner, Send, _record, portable
from .pool_tasks import UnitsMessage, WorkerMessage, function_bytes

if TYPE_CHECKING:
    from types import TracebackType

    from .._core.sched import G, Processor
    from .._errors import WorkerCrashed


class PoolChan(Protocol):
    """The channels between the dispatcher and the workers (the public
    Chan, made by the ``make_chan`` the pool is given)."""

    def send(self, v: Any) -> None: ...
    def recv(self) -> Any: ...
    def close(self) -> None: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[Any]: ...

_tags = iter(range(1, 1 << 62))


def inside_run() -> bool:
    """Is the caller a goroutine (so a pool made here lives in its runtime)?"""
    proc = sched.this_proc()
    return proc is not None and proc.current is not None


class RunEngine(Engine):
    def __init__(self, workers: int | None, initializer: Callable[..., object] | None,
                 initargs: tuple[Any, ...], make_chan: Callable[[int], PoolChan]) -> None:
        proc = sched.this_proc()
        if proc.p != 0:
            raise RuntimeError("a WorkerPool must be created on P0 (in main or a goroutine "
                               "running in the process that called pg.run)")
        nprocs = proc.M[L.H_NPROCS]
        places = list(range(1, nprocs)) or [0]
        n = workers or len(places)
        super().__init__(n)
        self.lock = NoYieldLock(proc)
        self.proc = proc
        self.arena = proc.arena
        self.rt = cast("_rt.Runtime", _rt.current())     # a goroutine's: there is one
        self.make_chan = make_chan
        self.tag = next(_tags) + (os.getpid() << 20)
        self.init = None if initializer is None else (function_bytes(initializer), initargs)
        self.results = make_chan(1024)
        self.inboxes: dict[Worker, PoolChan] = {}
        self.places: dict[Worker, int] = {}
        self.addrs: dict[Worker, int] = {}
        self.by_gid: dict[int, Worker] = {}
        self.done = False
        self.done_signal = GoroutineSignal()
        self.rt.crash_listeners[self.tag] = self._on_crash
        with self.lock:
            for i in range(n):
                self._launch(places[i % len(places)])
        _spawn.go_local(proc, self._dispatcher)

    # ---- workers ------------------------------------------------------------------------------

    def _launch(self, p: int) -> Worker:
        addr = self.arena.alloc(TS.NBYTES + 8, L.K_RAW) + 8
        w = self.add_worker(TS.in_arena(self.arena, addr))
        inbox = self.make_chan(INFLIGHT)
        self.inboxes[w] = inbox
        self.places[w] = p
        self.addrs[w] = addr
        args = (self.tag, w.wid, inbox, self.results, addr, self.init)
        if p == 0:
            gid = _spawn.go_local(self.proc, worker_main, args)
        else:
            gid = _spawn.go_on(self.proc, p, worker_main, args, {})
        self.by_gid[gid] = w
        return w

    def _send(self, w: Worker, msg: UnitsMessage) -> bool:
        inbox = self.inboxes.get(w)
        if inbox is None:
            return False
        inbox.send(msg)                       # never waits: see the invariants
        return True

    def _kill(self, w: Worker) -> None:
        """A goroutine cannot be killed: a pool inside pg.run has no time
        limits, and breaking it only closes the inboxes."""
        self._retire(w)

    def _retire(self, w: Worker) -> None:
        inbox = self.inboxes.get(w)
        if inbox is not None and not w.retiring:
            w.retiring = True
            inbox.close()

    def check_open(self) -> None:
        super().check_open()
        if sched.this_proc() is not self.proc:
            raise RuntimeError("this WorkerPool was made inside pg.run: use it from "
                               "goroutines of the process that made it (P0)")

    def _start_workers(self, n: int) -> None:
        raise AssertionError("a pool inside pg.run starts its workers once")

    def workers_wanted(self) -> int:
        return 0

    def _new_signal(self) -> GoroutineSignal:
        return GoroutineSignal()

    def wait_for(self, fut: PoolFuture, timeout: float | None) -> float | None:
        """Park the calling goroutine until ``fut`` is done (or ``timeout``);
        returns the time left for Future.result's own wait."""
        proc = sched.this_proc()
        if proc is None or proc.current is None or fut.done():
            return timeout
        sig = GoroutineSignal()
        fut.add_done_callback(lambda _f: sig.notify())
        sig.wait(None, timeout)
        return 0

    def _wake(self) -> None:
        if not self.done:
            _spawn.go_local(self.proc, self.results.send, ((None, ("kick",)),))

    # ---- the dispatcher goroutine -------------------------------------------------------------

    def _on_crash(self, gid: int, err: WorkerCrashed) -> None:
        """Runtime crash listener (P0's scheduler): note it for the dispatcher."""
        _spawn.go_local(self.proc, self.results.send,
                        ((None, ("crash", gid, _rt._signal_name(err.exitcode))),))

    def _dispatcher(self) -> None:
        results = self.results
        while True:
            wid, msg = results.recv()
            with self.lock:
                self._handle(wid, msg)
                while len(results):
                    wid, msg = results.recv()
                    self._handle(wid, msg)
                for w in list(self.inboxes):
                    if not w.dead:
                        w.seen = self.collect(w)
                self.dispatch()
                if self.shutting_down and not self.busy():
                    for w in list(self.inboxes):
                        self._retire(w)
                    if not any(not w.dead for w in self.inboxes):
                        break
                for w in self.inboxes:
                    if not w.dead:
                        w.slots.set_sleeping()
                if any(not w.dead and w.slots.progress() != w.seen for w in self.inboxes):
                    self._wake()
            self.flush()
        self._end()

    def _handle(self, wid: int | None, msg: WorkerMessage | None) -> None:
        if msg is None:
            return                  # a worker's wake-up: the dispatcher reads its record
        if wid is None:
            if msg[0] == "crash":
                self._worker_died(msg[1], msg[2])
            return
        w = self._worker(wid)
        if w is None:
            return
        if msg[0] == "exit":
            self.on_death(w, "exited")
            self._forget(w)
        elif msg[0] == "log":
            self.calls.append((log_in_parent, (msg[1],)))
        else:
            self.on_message(w, msg)

    def _worker(self, wid: int) -> Worker | None:
        for w in self.inboxes:
            if w.wid == wid:
                return w
        return None

    def _worker_died(self, gid: int, how: str) -> None:
        w = self.by_gid.pop(gid, None)
        if w is None or w.dead:
            return
        p = self.places[w]
        self.on_death(w, how)
        self._forget(w)
        if self.broken is None and not self.shutting_down or self.busy():
            self._launch(p)
            self.dispatch()

    def _forget(self, w: Worker) -> None:
        w.dead = True
        if w in self.workers:
            self.workers.remove(w)
        self.inboxes.pop(w, None)
        self.places.pop(w, None)
        w.slots.close()
        self.arena.free(self.addrs.pop(w) - 8)

    def _end(self) -> None:
        with self.lock:
            self.rt.crash_listeners.pop(self.tag, None)
            self.done = True
        self.flush()
        self.done_signal.notify()

    # ---- ending --------------------------------------------------------------------------------

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        self.begin_shutdown(cancel_futures)
        if wait:
            while not self.done:
                self.done_signal.wait(None, None)

    def interrupted(self) -> None:
        """Ctrl-C inside pg.run ends the run itself, and its workers with it."""
        with self.lock:
            self.shutting_down = True
            self._fail_pending(_cancelled)
        self.flush()


def _cancelled() -> BaseException:
    import concurrent.futures as cf
    return cf.CancelledError()


class NoYieldLock:
    """The engine's lock inside pg.run: a threading.Lock during which P0's
    running goroutine does not give way (as Go's acquirem keeps a goroutine
    from being preempted while it holds a runtime lock)."""

    def __init__(self, proc: Processor) -> None:
        self._lock = threading.Lock()
        self._proc = proc
        self._slicing = False

    def acquire(self) -> bool:
        self._lock.acquire()
        proc = self._proc
        self._slicing, proc.slicing = proc.slicing, False
        return True

    def release(self) -> None:
        self._proc.slicing = self._slicing
        self._lock.release()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None, /) -> None:
        self.release()


class GoroutineSignal:
    """Wakes a goroutine of this P that waits for a pool (it parks), or a
    thread (it polls, rarely: threads do not normally wait on such a pool)."""

    __slots__ = ("_fired", "_g")

    def __init__(self) -> None:
        self._g: G | None = None
        self._fired = False

    def wait(self, lock: PoolLock | None, timeout: float | None) -> None:
        """Wait until notified (or ``timeout``), with ``lock`` released."""
        if self._fired:
            self._fired = False
            return
        proc = sched.this_proc()
        if lock is not None:
            lock.release()
        try:
            if proc is None or proc.current is None:
                time.sleep(0.001 if timeout is None else min(timeout, 0.001))
                return
            self._g = g = proc.current
            entry = None if timeout is None else \
                proc.timers.add(time.monotonic() + timeout, self._expire, g)
            try:
                proc.park("WorkerPool result")
            finally:
                self._g = None
                if entry is not None:
                    proc.timers.cancel(entry)
            self._fired = False
        finally:
            if lock is not None:
                lock.acquire()

    def _expire(self, g: G) -> None:
        if self._g is g:
            self._g = None
            sched.this_proc().ready(g)

    def notify(self) -> None:
        g = self._g
        if g is not None:
            self._g = None
            sched.this_proc().ready(g)
        else:
            self._fired = True


# ---- a worker goroutine (runs on its P, any process) -----------------------------------------

_senders: dict[int, Send] = {}     # goroutine id -> its pool's send, for the log handler
_handler: list[_GoroutineForwarding] = []


class _GoroutineForwarding(ForwardingHandler):
    """One per worker process: forwards the records of pool tasks only (the
    goroutine that runs them has a sender registered)."""

    def emit(self, record: logging.LogRecord) -> None:
        proc = sched.this_proc()
        g = proc.current if proc is not None else None
        send = _senders.get(g.id) if g is not None else None
        if send is not None:
            try:
                send(("log", portable(record)))
            except Exception:  # noqa: BLE001 - logging must never fail the task
                self.handleError(record)


def worker_main(tag: int, wid: int, inbox: PoolChan, results: PoolChan, addr: int,
                init: tuple[bytes, tuple[Any, ...]] | None) -> None:
    proc = sched.this_proc()
    g = proc.current
    proc.M[(g.gb >> 3) + W.G_TAG] = tag       # its death is the pool's, not the program's

    def send(msg: WorkerMessage) -> None:
        results.send((wid, msg))

    slots = TS.in_arena(proc.arena, addr, wake=lambda: results.send((wid, None)))
    on_p0 = proc.p == 0
    if not on_p0:
        _senders[g.id] = send
        if not _handler:
            _handler.append(_GoroutineForwarding(send))
            logging.getLogger().addHandler(_handler[0])
    try:
        if init is not None:
            try:
                pickle.loads(init[0])(*init[1])
            except BaseException as e:  # noqa: BLE001 - reported; the pool is broken
                send(("init_failed", _record(e)))
                return
        send(("ready", os.getpid()))
        runner = Runner(slots, send)
        root = logging.getLogger()
        for msg in inbox:
            _, level, units = msg
            msg = None
            if not on_p0 and root.level != level:
                root.setLevel(level)
            runner.run(units)
            units = None
    finally:
        _senders.pop(g.id, None)
        slots.close()
        send(("exit",))

