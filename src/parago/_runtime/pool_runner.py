"""A WorkerPool worker: running the tasks it is sent, recording each in its slots.

Owns: the worker side of the pool — the loop that unpickles units and runs
their tasks against the worker's task record (_shm/taskslots), the handler
that forwards log records to the parent, and the body of a standalone pool's
worker process (``process_main``).

Invariants:
  - Before a unit is unpickled the record says so (LOADING at its first
    task); before each task runs, POS names it; its result (or error) is in
    its slot before POS moves on. So whatever kills the process, the parent
    knows which task was running and has every result that came before.
  - A task's arguments, function and result are dropped as soon as the task
    is recorded: nothing of a finished task stays alive in the worker (a
    function shared by several units of one message lives until its last).
  - Every exception a task raises, BaseException included (SystemExit,
    KeyboardInterrupt), is that task's result; so is an exception raised while
    pickling its result. The worker itself ignores SIGINT: Ctrl-C is the
    caller's, and the caller stops the workers.
  - A worker process exits when its task pipe closes (shutdown, retirement),
    running multiprocessing's exit handlers but not waiting for threads its
    tasks left behind, and at once when its parent dies (a thread waits on the
    parent's pidfd).
"""

from __future__ import annotations

import copy
import logging
import multiprocessing.util
import os
import pickle
import select
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TypeAlias

from .._shm import taskslots as TS
from .._shm import values as V
from .pool_tasks import FRAME, UnitsMessage, WireUnit, WorkerMessage, error_record

# How a worker sends its parent a message.
Send: TypeAlias = "Callable[[WorkerMessage], None]"


class Runner:
    """Runs the units of each message in order, recording them in ``slots``."""

    def __init__(self, slots: TS.TaskSlots, send: Send) -> None:
        self.slots = slots
        self.send = send

    def run(self, units: list[WireUnit]) -> None:
        t0 = time.monotonic_ns()
        fns: dict[bytes, Any] = {}
        last_use = {u[3]: i for i, u in enumerate(units)}
        end = 0
        ntasks = sum(u[1] - u[2] for u in units)
        for i in range(len(units)):
            seq0, n, offset, fn_bytes, payload, timed, star = units[i]
            units[i] = None  # type: ignore[call-overload]  # a started unit is dropped
            end = seq0 + n
            self.slots.load(seq0 + offset)
            try:
                fn = fns.get(fn_bytes)
                if fn is None:
                    fn = fns[fn_bytes] = pickle.loads(fn_bytes)
                items, kwargs = pickle.loads(payload)
            except BaseException as e:  # noqa: BLE001 - the unit's tasks fail, not the worker
                record = _record(e)
                for k in range(offset, n):
                    self._put_bytes(seq0 + k, TS.K_LOADFAIL, record)
                continue
            finally:
                del payload
                if last_use[fn_bytes] == i:
                    fns.pop(fn_bytes, None)
            self.slots.run(timed)
            self.slots.run_tasks(fn, items, kwargs, star, seq0, offset, n, timed, self._slow)
            fn = items = kwargs = None
        if units:
            self.slots.add_busy(time.monotonic_ns() - t0, ntasks)
            self.slots.idle(end)

    def _slow(self, seq: int, value: Any, raised: bool) -> None:
        """A result that needs pickling, or an exception (BaseException
        included: SystemExit and KeyboardInterrupt are results too)."""
        if not raised:
            try:
                self._put_bytes(seq, TS.K_VALUE, V.dumps(value))
                return
            except BaseException as e:  # noqa: BLE001 - failing to pickle is the task's error
                value = e
        self._put_bytes(seq, TS.K_ERROR, _record(value))

    def _put_bytes(self, seq: int, kind: int, data: bytes) -> None:
        if not self.slots.put_bytes(seq, kind, data):
            self.send(("bytes", seq, data))
            self.slots.put_sent(seq, kind)


def _record(e: BaseException) -> bytes:
    try:
        return error_record(e)
    except BaseException:  # noqa: BLE001 - a broken exception still fails its task
        return error_record(RuntimeError(f"{type(e).__qualname__} (its details could not be "
                                         "formatted)"))


# ---- log records go to the parent ------------------------------------------------------

class ForwardingHandler(logging.Handler):
    """Sends every record it handles to the parent, which hands it to its
    root logger's handlers (record.process stays this worker's pid)."""

    def __init__(self, send: Send) -> None:
        super().__init__()
        self._send = send

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._send(("log", portable(record)))
        except Exception:  # noqa: BLE001 - logging must never fail the task
            self.handleError(record)


def portable(record: logging.LogRecord) -> logging.LogRecord:
    """A copy of ``record`` that pickles: its message formatted, its
    traceback as text."""
    r = copy.copy(record)
    r.msg = record.getMessage()
    r.args = None
    if record.exc_info:
        if not r.exc_text:
            r.exc_text = logging.Formatter().formatException(record.exc_info)
        r.exc_info = None
    try:
        pickle.dumps(r, 5)
    except Exception:  # noqa: BLE001 - an extra attribute that cannot travel
        std = logging.makeLogRecord({}).__dict__
        for k in list(r.__dict__):
            if k not in std and k != "message":
                r.__dict__[k] = repr(r.__dict__[k])
    return r


def install_log_forwarding(send: Send, level: int) -> ForwardingHandler:
    root = logging.getLogger()
    root.setLevel(level)
    h = ForwardingHandler(send)
    root.addHandler(h)
    return h


# ---- a standalone pool's worker process -----------------------------------------------

class PipeLink:
    """The worker's ends of its two pipes: tasks in, messages out."""

    def __init__(self, task_fd: int, out_fd: int) -> None:
        self.task_fd = task_fd
        self.out_fd = out_fd
        self._lock = threading.Lock()

    def send(self, msg: WorkerMessage) -> None:
        data = pickle.dumps(msg, 5)
        self._write(FRAME.pack(len(data)) + data)

    def wake(self) -> None:
        self._write(FRAME.pack(0))

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        with self._lock:
            while view:
                view = view[os.write(self.out_fd, view):]

    def recv(self) -> UnitsMessage | None:
        """The next message from the parent, or None when the pipe closed."""
        head = self._read(FRAME.size)
        if head is None:
            return None
        body = self._read(FRAME.unpack(head)[0])
        return None if body is None else pickle.loads(body)

    def _read(self, n: int) -> bytearray | None:
        buf = bytearray(n)
        view = memoryview(buf)
        got = 0
        while got < n:
            k = os.readv(self.task_fd, [view[got:]])
            if k == 0:
                return None
            got += k
        return buf


def _exit_with_parent(parent_pid: int) -> None:
    try:
        fd = os.pidfd_open(parent_pid)
        select.select([fd], [], [])
    except OSError:
        return
    os._exit(3)


def process_main(task_fd: int, out_fd: int, slots_fd: int, parent_pid: int, log_level: int,
                 init: tuple[bytes, tuple[Any, ...]] | None) -> None:
    """The body of a standalone pool's worker process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True,
                     name="parago-pool-parent-watch").start()
    link = PipeLink(int(task_fd), int(out_fd))
    slots = TS.map_memfd(int(slots_fd), wake=link.wake)
    os.close(int(slots_fd))
    install_log_forwarding(link.send, log_level)
    code = 0
    try:
        if init is not None:
            try:
                initializer = pickle.loads(init[0])
                initializer(*init[1])
            except BaseException as e:  # noqa: BLE001 - reported; the pool is broken
                logging.getLogger("concurrent.futures").critical("Exception in initializer:",
                                                                 exc_info=True)
                link.send(("init_failed", _record(e)))
                code = 1
                return
            finally:
                initializer = init = None
        link.send(("ready", os.getpid()))
        runner = Runner(slots, link.send)
        root = logging.getLogger()
        while True:
            msg = link.recv()
            if msg is None:
                return
            _, level, units = msg
            msg = None
            if root.level != level:
                root.setLevel(level)
            runner.run(units)
            del units
    finally:
        try:
            # What a multiprocessing child does on its way out (a Queue the
            # tasks or the initializer used flushes here), without waiting for
            # threads the tasks left running.
            multiprocessing.util._exit_function()  # type: ignore[attr-defined]  # private, untyped
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)
