"""A standalone WorkerPool: worker processes, their pipes, and the thread that watches them.

Owns: the worker processes of a pool made outside pg.run, the parent's ends
of their pipes and task records, and the pool's thread, which delivers
results, notices deaths, enforces time limits and ends the pool.

    caller threads ── submit/map: pickle, queue, send a batch at once if a
                      worker has room (non-blocking write to its task pipe)
    pool thread    ── poll(): result pipes, process sentinels, task pipes with
                      unsent bytes, its own wake-up pipe; then, under the lock:
                      read every worker's record, handle deaths, time limits,
                      retirements, refill the workers, and finally complete
                      futures outside the lock
    worker i       ── task pipe in, message pipe out, task record (memfd)

Invariants (the engine's lock guards the links and ``processes``):
  - Only the pool thread reads the message pipes, waits on sentinels, and
    decides that a worker is dead; it reads a dead worker's pipe to the end
    before the engine reads its record, so nothing it sent is lost.
  - Writes to a task pipe never block (O_NONBLOCK): bytes that do not fit wait
    in the link's out buffer and the pool thread writes them when the pipe
    has room, so a caller never waits for a busy worker.
  - Before the pool thread sleeps it sets every record's SLEEPING flag and
    looks at every POS again (taskslots' wake-up rule), so a result is never
    left waiting for a timeout.
  - Workers start with the pool's start method (forkserver or spawn, never
    fork) and without re-running the caller's main module; they exit when
    their task pipe closes, or die with the pool's process.
  - The pool ends (its thread returns) only when nothing is queued or
    running and every worker has exited; interpreter exit shuts every pool
    down, and Ctrl-C there stops it at once.
"""

from __future__ import annotations

import os
import pickle
import select
import sys
import threading
import time
import weakref
from collections.abc import Callable
from multiprocessing import reduction
from multiprocessing.context import DefaultContext, ForkServerContext, SpawnContext
from multiprocessing.process import BaseProcess
from typing import Any, Protocol, TypeAlias, cast

from .._shm import taskslots as TS
from . import pool_runner
from .pool_engine import Engine, PoolFuture, PoolLock, Worker, root_level
from .pool_tasks import FRAME, UnitsMessage, function_bytes
from .runtime import _MainNotImported, _signal_name

# What starts a pool's workers (forkserver or spawn; see pool.py).
StartContext: TypeAlias = "ForkServerContext | SpawnContext | DefaultContext"
# The pool thread's poll set: fd -> (what it is, its worker; None for the wake-up pipe).
PollSet: TypeAlias = "tuple[select.poll, dict[int, tuple[str, Worker | None]]]"

_live: weakref.WeakSet[LocalEngine] = weakref.WeakSet()
_READ = 1 << 16
STARTUP_DEATHS = 3        # workers dying before they are ready, in a row: the pool is broken
STREAMING = 32            # tasks delivered in one round that mean results are streaming
STREAM_POLL_S = 0.0005    # then look again this soon instead of being woken per task


class _Detachable(Protocol):
    """What multiprocessing's DupFd gives the new process."""

    def detach(self) -> int: ...


class _Fd:
    """A file descriptor handed to a worker process as it starts (through
    multiprocessing's own fd passing, as its Connection objects are)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def __reduce__(self) -> tuple[Callable[[_Detachable], int], tuple[_Detachable]]:
        return _Fd._rebuild, (reduction.DupFd(self.fd),)

    @staticmethod
    def _rebuild(df: _Detachable) -> int:
        return df.detach()


class _Link:
    """The parent's ends of one worker: process, pipes, record mapping."""

    __slots__ = ("inbuf", "out", "out_r", "proc", "task_w")

    def __init__(self, proc: BaseProcess, task_w: int, out_r: int) -> None:
        self.proc = proc
        self.task_w = task_w
        self.out_r = out_r
        self.inbuf = bytearray()
        self.out = b""                # bytes not yet written to the task pipe


class LocalEngine(Engine):
    def __init__(self, max_workers: int, ctx: StartContext,
                 initializer: Callable[..., object] | None = None,
                 initargs: tuple[Any, ...] = (), max_tasks_per_child: int | None = None,
                 task_timeout: float | None = None) -> None:
        super().__init__(max_workers, max_tasks_per_child, task_timeout)
        self.ctx = ctx
        # The initializer travels by value if it must; its arguments go as
        # ProcessPoolExecutor sends them (pickled as the process starts, so a
        # multiprocessing Queue or Lock may be among them).
        self.init = None if initializer is None else (function_bytes(initializer), initargs)
        self.links: dict[Worker, _Link] = {}
        self.processes: dict[int, BaseProcess] = {}
        self.startup_deaths = 0
        self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._woken = False
        self._poll_key: tuple[tuple[Worker, bool], ...] | None = None
        self._poller: PollSet | None = None
        self.thread = threading.Thread(target=self._loop, name="parago-workerpool", daemon=True)
        self.thread.start()
        _live.add(self)

    # ---- starting workers (lock NOT held) -------------------------------------------------

    def _start_workers(self, n: int) -> None:
        for _ in range(n):
            self._start_one()

    def _start_one(self) -> None:
        task_r, task_w = os.pipe2(os.O_CLOEXEC)
        out_r, out_w = os.pipe2(os.O_CLOEXEC)
        memfd = TS.create_memfd()
        try:
            slots = TS.map_memfd(memfd)
            proc = self.ctx.Process(
                target=pool_runner.process_main, name="parago-pool-worker", daemon=False,
                args=(_Fd(task_r), _Fd(out_w), _Fd(memfd), os.getpid(),
                      root_level(), self.init))
            with _MainNotImported():
                proc.start()
        except BaseException:
            for fd in (task_w, out_r):
                os.close(fd)
            raise
        finally:
            for fd in (task_r, out_w, memfd):
                os.close(fd)
        os.set_blocking(task_w, False)
        os.set_blocking(out_r, False)
        with self.lock:
            self.starting -= 1
            w = self.add_worker(slots)
            self.links[w] = _Link(proc, task_w, out_r)
            w.pid = pid = cast("int", proc.pid)     # started: it has one
            self.processes[pid] = proc
            self.dispatch()
            self._wake()

    # ---- talking to workers (lock held) ---------------------------------------------------

    def _send(self, w: Worker, msg: UnitsMessage) -> bool:
        link = self.links.get(w)
        if link is None or link.task_w < 0:
            return False
        data = pickle.dumps(msg, 5)
        data = FRAME.pack(len(data)) + data
        if link.out:
            link.out += data
            return True
        try:
            n = os.write(link.task_w, data)
        except BlockingIOError:
            n = 0
        except OSError:
            return False                      # it died: its death requeues the batch
        if n < len(data):
            link.out = data[n:]
            self._wake()
        return True

    def _kill(self, w: Worker) -> None:
        link = self.links.get(w)
        if link is not None:
            try:
                link.proc.kill()
            except (OSError, ValueError, AttributeError):
                pass

    def _retire(self, w: Worker) -> None:
        link = self.links.get(w)
        if link is not None and link.task_w >= 0:
            os.close(link.task_w)
            link.task_w = -1
            link.out = b""

    def _wake(self) -> None:
        if not self._woken and threading.current_thread() is not self.thread:
            self._woken = True
            try:
                os.write(self._wake_w, b"x")
            except OSError:
                pass

    def _new_signal(self) -> _ThreadSignal:
        return _ThreadSignal()

    def wait_for(self, fut: PoolFuture, timeout: float | None) -> float | None:
        return timeout

    # ---- the pool thread ------------------------------------------------------------------

    def _loop(self) -> None:
        try:
            while self._step():
                pass
        except BaseException as e:  # noqa: BLE001 - never leave a future pending
            from concurrent.futures.process import BrokenProcessPool
            err = BrokenProcessPool(f"the WorkerPool's thread failed: {e!r}")
            err.__cause__ = e
            with self.lock:
                self.break_pool(err)
                self._fail_assigned(err)
            raise
        finally:
            self.flush()
            self._close()

    def _step(self) -> bool:
        """One round: service everything, then sleep until something happens."""
        with self.lock:
            delivered = self._service()
            if self._ended():
                return False
            timeout = self.check_timeouts(time.monotonic_ns()) if self.timed else None
            spawn = self.workers_wanted()
            poller, fds = self._poll_set()
            links = list(self.links)
            if delivered >= STREAMING:
                # Results are streaming in: look again shortly rather than
                # have every worker wake us after every task.
                timeout = STREAM_POLL_S if timeout is None else min(timeout, STREAM_POLL_S)
                asleep = True
            else:
                for w in links:
                    w.slots.set_sleeping()
                asleep = not any(w.slots.progress() != w.seen for w in links)
        self.flush()
        if spawn:
            try:
                self.start_workers(spawn)
            except BaseException:  # noqa: BLE001 - the pool is broken; its futures say why
                pass
            return True
        events = poller.poll(None if timeout is None else timeout * 1000 + 0.5) \
            if asleep else ()
        with self.lock:
            if delivered < STREAMING:
                for w in links:
                    if not w.dead:
                        w.slots.clear_sleeping()
            self._woken = False
            for fd, _ in events:
                what = fds.get(fd)
                if what is None:
                    continue
                kind, worker = what
                if kind == "wake":
                    _drain(self._wake_r)
                elif worker is None or worker.dead or worker not in self.links:
                    continue
                elif kind == "out":
                    self._read_messages(worker)
                elif kind == "task":
                    self._write_rest(worker)
                elif kind == "sentinel":
                    self._reap(worker)
        self.flush()
        return True

    def _service(self) -> int:
        """Deliver what every worker recorded, refill them; returns how many
        tasks were delivered."""
        delivered = 0
        for w in self.links:
            if not w.dead:
                before = w.read_seq
                w.seen = self.collect(w)
                delivered += w.read_seq - before
        if self.max_tasks_per_child is not None:
            self.retire_spent()
        if self.shutting_down and not self.busy():
            for w in list(self.links):
                if not w.retiring:
                    w.retiring = True
                    self._retire(w)
        self.dispatch()
        return delivered

    def _ended(self) -> bool:
        return (self.shutting_down or self.broken is not None) and not self.links \
            and not self.busy() and not self.starting

    def _poll_set(self) -> PollSet:
        key = tuple((w, bool(link.out) and link.task_w >= 0) for w, link in self.links.items())
        if key == self._poll_key and self._poller is not None:
            return self._poller
        poller = select.poll()
        fds: dict[int, tuple[str, Worker | None]] = {self._wake_r: ("wake", None)}
        poller.register(self._wake_r, select.POLLIN)
        for w, link in self.links.items():
            poller.register(link.out_r, select.POLLIN)
            fds[link.out_r] = ("out", w)
            s = link.proc.sentinel
            poller.register(s, select.POLLIN)
            fds[s] = ("sentinel", w)
            if link.out and link.task_w >= 0:
                poller.register(link.task_w, select.POLLOUT)
                fds[link.task_w] = ("task", w)
        self._poll_key = key
        self._poller = poller, fds
        return self._poller

    def _read_messages(self, w: Worker) -> bool:
        """Read what ``w`` sent; False once its pipe is closed."""
        link = self.links[w]
        open_ = True
        while True:
            try:
                chunk = os.read(link.out_r, _READ)
            except BlockingIOError:
                break
            if not chunk:
                open_ = False
                break
            link.inbuf += chunk
        buf = link.inbuf
        at = 0
        while len(buf) - at >= FRAME.size:
            n = FRAME.unpack_from(buf, at)[0]
            if len(buf) - at - FRAME.size < n:
                break
            if n:
                msg = pickle.loads(bytes(buf[at + FRAME.size:at + FRAME.size + n]))
                if msg[0] == "ready":
                    self.startup_deaths = 0
                self.on_message(w, msg)
            at += FRAME.size + n
        if at:
            del buf[:at]
        return open_

    def _write_rest(self, w: Worker) -> None:
        link = self.links[w]
        if not link.out or link.task_w < 0:
            return
        try:
            n = os.write(link.task_w, link.out)
        except BlockingIOError:
            return
        except OSError:
            link.out = b""
            return
        link.out = link.out[n:]

    def _reap(self, w: Worker) -> None:
        """``w``'s process ended: read it to the end, then let the engine decide."""
        link = self.links[w]
        while self._read_messages(w):
            if not _readable(link.out_r):
                break
        link.proc.join(1.0)
        code = link.proc.exitcode
        started = w.ready
        clean = code == 0 and (w.retiring or not w.assigned)
        self.on_death(w, _signal_name(code))
        del self.links[w]
        self.processes.pop(cast("int", link.proc.pid), None)     # started: it has one
        for fd in (link.task_w, link.out_r):
            if fd >= 0:
                os.close(fd)
        w.slots.close()
        if not started and not clean and self.broken is None:
            self.startup_deaths += 1
            if self.startup_deaths >= STARTUP_DEATHS:
                from concurrent.futures.process import BrokenProcessPool
                self.break_pool(BrokenProcessPool(
                    f"{STARTUP_DEATHS} worker processes in a row died before they were ready "
                    f"(the last {_signal_name(code)})"))

    def _close(self) -> None:
        with self.lock:
            for w in list(self.links):
                self._kill(w)
            for w, link in list(self.links.items()):
                link.proc.join(2.0)
                for fd in (link.task_w, link.out_r):
                    if fd >= 0:
                        os.close(fd)
                w.slots.close()
                self.links.pop(w)
            self.processes.clear()
        os.close(self._wake_r)
        os.close(self._wake_w)
        _live.discard(self)

    def interrupted(self) -> None:
        super().interrupted()
        if threading.current_thread() is not self.thread:
            self.thread.join(5.0)          # the killed workers reaped, their futures failed

    # ---- ending (any thread) --------------------------------------------------------------

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        self.begin_shutdown(cancel_futures)
        if wait and threading.current_thread() is not self.thread:
            try:
                self.thread.join()
            except KeyboardInterrupt:
                self.interrupted()
                self.thread.join(5.0)
                raise


class _ThreadSignal:
    """Wakes a thread waiting for a job's results (a Condition on the lock)."""

    __slots__ = ("_cond",)

    def __init__(self) -> None:
        self._cond: threading.Condition | None = None

    def wait(self, lock: PoolLock | None, timeout: float | None) -> None:
        if self._cond is None:
            # a standalone pool's lock is a threading.Lock
            self._cond = threading.Condition(cast("threading.Lock", lock))
        self._cond.wait(timeout)

    def notify(self) -> None:
        if self._cond is not None:
            self._cond.notify_all()


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 4096):
            pass
    except BlockingIOError:
        pass


def _readable(fd: int) -> bool:
    return bool(select.select([fd], [], [], 0)[0])


def _at_exit() -> None:
    """Interpreter exit: let every pool finish its work (as the stdlib does),
    unless the program is ending on Ctrl-C: then stop them at once."""
    interrupted = isinstance(getattr(sys, "last_value", None), KeyboardInterrupt)
    for engine in list(_live):
        if interrupted:
            engine.interrupted()
        engine.shutdown(wait=True)


threading._register_atexit(_at_exit)  # type: ignore[attr-defined]  # private, untyped
