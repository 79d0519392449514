"""A pool worker's task record: what it started, what it finished, and the results.

Owns: the layout of one worker's record in shared memory, and the rules by
which the worker writes it and its parent (the WorkerPool) reads it. The
record is what lets the parent fail exactly the task a dead worker was
running, rerun the tasks it never started, and keep every result it had
finished, without one message per task.

    header (int64 words)
      POS        worker: 2*s+1 while task s runs (or its unit loads),
                 2*s when every task before s is finished and none runs
      PHASE      worker: LOADING while the unit starting at the running task
                 is being unpickled, RUNNING once its tasks run
      SLEEPING   parent: 1 when it is about to sleep; the worker that finds
                 it set (and swaps it to 0) wakes the parent
      RING_R     parent: ring bytes consumed (monotonic)
      STARTED_NS worker: CLOCK_MONOTONIC ns at which the running task started
                 (only written for tasks with a time limit; written before
                 PHASE turns RUNNING, so the parent never times a task by
                 an earlier task's start)
      BUSY_NS    worker: ns spent running messages of tasks, in total
      BUSY_TASKS worker: the tasks those messages held (BUSY_NS / BUSY_TASKS:
                 how long a task takes)
    KINDS  one byte per slot   what the slot holds (K_*); 0 = an int in VALS
    VALS   int64 per slot      the int, the float's bits, or a ring position
    LENS   int64 per slot      the byte length of a ring entry
    RING   bytes               pickled results and error records

Task s (a per-worker sequence number, from 0) uses slot s % SLOTS.

Invariants:
  - One writer per word: the worker writes POS, PHASE, STARTED_NS, BUSY_*,
    the slots and the ring; the parent writes SLEEPING (to 1) and RING_R. The worker
    only ever swaps SLEEPING from 1 to 0.
  - A task's slot is written before POS passes it, and POS is stored with a
    sequentially consistent atomic: when the parent reads POS = p, every
    slot below p >> 1 is final, and its bytes (in the ring, or a message sent
    before the store) are there to read. Storing POS for the next task is
    what commits the previous one, and no user code runs in between, so a
    worker that dies inside a task leaves exactly that task unfinished.
  - The parent keeps at most SLOTS tasks assigned and unread per worker, so
    a slot is never rewritten before the parent has read it; it sets KINDS of
    the slots it read back to 0.
  - Ring entries are written in task order and never wrap: an entry that
    does not fit before the end starts at the ring's beginning. The worker
    writes only into [RING_R + RING - used ...) free space, so it never
    overwrites bytes the parent has not read; what does not fit travels in a
    message instead (K_MSG).
  - Lost wake-ups cannot happen: the worker stores POS then loads SLEEPING;
    the parent stores SLEEPING then loads POS; both with seq-cst atomics, so
    at least one of them sees the other's store.
"""

from __future__ import annotations

import mmap
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias, cast

from .. import _native

if TYPE_CHECKING:
    from .arena import Arena

SLOTS = 1 << 15
RING = 1 << 19

POS, PHASE, SLEEPING, RING_R, STARTED_NS, BUSY_NS, BUSY_TASKS = 0, 8, 16, 24, 32, 40, 48
HEADER = 64
KINDS = HEADER
VALS = KINDS + SLOTS
LENS = VALS + 8 * SLOTS
RING_AT = LENS + 8 * SLOTS
NBYTES = RING_AT + RING

MASK = SLOTS - 1
RUNNING, LOADING = 0, 1

# Slot kinds. Values that need no pickling live in the slot itself.
K_INT = 0
K_FLOAT = 1
K_NONE = 2
K_TRUE = 3
K_FALSE = 4
K_VALUE = 5          # a pickled result
K_ERROR = 6          # a pickled error record: the task raised
K_LOADFAIL = 7       # a pickled error record: the unit could not be loaded
K_MSG = 16           # | K_VALUE, K_ERROR or K_LOADFAIL: the bytes came in a message

_INLINE = RING // 4  # larger entries always travel in a message
_DONE, _VALUE, _RAISED, _WAKE = 0, 1, 2, 3     # what _native's run_tasks returns
_monotonic_ns = time.monotonic_ns


class Encoded:
    """A slot's content that is not a plain value: a kind and its bytes."""

    __slots__ = ("data", "kind")

    def __init__(self, kind: int, data: bytes) -> None:
        self.kind = kind
        self.data = data


# A task's result as read from its slot: the value itself, or its bytes.
SlotValue: TypeAlias = "int | float | None | Encoded"


class TaskSlots:
    """One worker's record, at byte ``base`` of a shared buffer."""

    def __init__(self, buf: memoryview | mmap.mmap, mem: _native.Mem, base: int = 0,
                 wake: Callable[[], object] | None = None) -> None:
        self.mem = mem
        self.base = base
        view = memoryview(buf)[base:base + NBYTES]
        self.kinds = view[KINDS:VALS]
        self.vals = view[VALS:LENS].cast("q")
        self.fvals = view[VALS:LENS].cast("d")
        self.lens = view[LENS:RING_AT].cast("q")
        self.ring = view[RING_AT:NBYTES]
        self._pos = base + POS
        self._sleeping = base + SLEEPING
        self._ring_r = base + RING_R
        self._started = base + STARTED_NS
        self._busy = base + BUSY_NS
        self._vals_at = base + VALS
        self._phase = view[PHASE:PHASE + 8].cast("q")
        self._wake = wake          # worker side: tells a sleeping parent
        self._wpos = 0             # worker side: ring bytes written
        self._view = view
        self._mapping: mmap.mmap | None = None    # the mmap this record owns (a memfd's), if any

    def close(self) -> None:
        """Stop using the record (and unmap it if it has its own mapping)."""
        for v in (self.kinds, self.vals, self.fvals, self.lens, self.ring, self._phase,
                  self._view):
            v.release()
        if self._mapping is not None:
            self.mem.release()
            self._mapping.close()
            self._mapping = None

    # ---- the worker's side -----------------------------------------------------------

    def load(self, seq: int) -> None:
        """The unit whose first task to run is ``seq`` is being unpickled."""
        self._phase[0] = LOADING
        self._commit(2 * seq + 1)

    def run(self, timed: bool) -> None:
        """The loaded unit's tasks run now. A timed unit's start is stamped
        first: the parent reads STARTED_NS once PHASE says RUNNING, and
        until the first task's own stamp the word holds an earlier task's
        start (0 in a new worker), which would read as long past its limit."""
        if timed:
            self.mem.store64(self._started, _monotonic_ns())
        self._phase[0] = RUNNING

    def run_tasks(self, fn: Callable[..., object], items: list[Any],
                  kwargs: dict[str, Any] | None, star: bool, seq0: int, offset: int, n: int,
                  timed: bool, slow: Callable[[int, Any, bool], None]) -> None:
        """Run tasks offset..n-1 of a unit — task seq0+k is
        ``fn(*items[k], **kwargs)`` (``fn(items[k])`` if not ``star``) —
        recording each: POS names it before it runs (which commits the one
        before), and its result goes in its slot. Results that need pickling,
        and exceptions, go to ``slow(seq, value, raised)``, which must store
        them (put_bytes / put_sent). A task's arguments and result are
        dropped once it is recorded.

        The loop is _native's run_tasks (this is its specification):

            for k in range(offset, n):
                if timed: STARTED_NS = now
                POS = 2 * (seq0 + k) + 1                 # seq-cst
                if SLEEPING: return to wake the parent, then resume at k
                a, items[k] = items[k], None
                r = fn(*a, **kwargs) if star else fn(a)  # exception: to slow()
                if r is an int of 64 bits: VALS[slot] = r  (KINDS stays 0)
                else: handled here (None, float, bool) or by slow()
        """
        run = self.mem.run_tasks
        started = self._started if timed else -1
        kinds = self.kinds
        k = offset
        while True:
            k, status, value = run(fn, items, kwargs, star, k, n, seq0, self._pos,
                                   self._sleeping, self._vals_at, MASK, started)
            if status == _DONE:
                return
            if status == _WAKE:
                self._wake_parent()
                continue
            seq = seq0 + k
            k += 1
            if status == _RAISED:
                slow(seq, value, True)
            elif value is None:
                kinds[seq & MASK] = K_NONE
            elif type(value) is float:
                self.fvals[seq & MASK] = value
                kinds[seq & MASK] = K_FLOAT
            elif type(value) is bool:
                kinds[seq & MASK] = K_TRUE if value else K_FALSE
            else:
                slow(seq, value, False)
            value = None

    def idle(self, seq: int) -> None:
        """Every task before ``seq`` is finished; none runs."""
        self._commit(2 * seq)

    def add_busy(self, ns: int, tasks: int) -> None:
        mem = self.mem
        mem.store64(self._busy, mem.load64(self._busy) + ns)
        mem.store64(self._busy + 8, mem.load64(self._busy + 8) + tasks)

    def start(self, seq: int) -> None:
        """Task ``seq`` starts (commits the one before): for callers that
        record tasks one by one."""
        self._commit(2 * seq + 1)

    def _commit(self, pos: int) -> None:
        mem = self.mem
        mem.store64(self._pos, pos)
        if mem.load64(self._sleeping):
            self._wake_parent()

    def _wake_parent(self) -> None:
        if self.mem.swap64(self._sleeping, 0):
            # only a worker's side wakes the parent, and it is made with ``wake``
            cast("Callable[[], object]", self._wake)()

    def put_bytes(self, seq: int, kind: int, data: bytes) -> bool:
        """Store pickled bytes for task ``seq`` in the ring; False if they do
        not fit (send them in a message, then call put_sent)."""
        n = len(data)
        if n > _INLINE:
            return False
        wpos = self._wpos
        at = wpos % RING
        if at + n > RING:
            wpos += RING - at            # never wrap an entry: skip to the start
            at = 0
        if wpos + n - self.mem.load64(self._ring_r) > RING:
            return False
        self.ring[at:at + n] = data
        s = seq % SLOTS
        self.vals[s] = wpos
        self.lens[s] = n
        self.kinds[s] = kind
        self._wpos = wpos + n
        return True

    def put_sent(self, seq: int, kind: int) -> None:
        """Task ``seq``'s bytes were sent in a message (before this call)."""
        self.kinds[seq % SLOTS] = kind | K_MSG

    # ---- the parent's side ------------------------------------------------------------

    def progress(self) -> int:
        return self.mem.load64(self._pos)

    def phase(self) -> int:
        return self._phase[0]

    def started_ns(self) -> int:
        return self.mem.load64(self._started)

    def busy(self) -> tuple[int, int]:
        """(BUSY_NS, BUSY_TASKS)"""
        return self.mem.load64(self._busy), self.mem.load64(self._busy + 8)

    def set_sleeping(self) -> None:
        self.mem.store64(self._sleeping, 1)

    def clear_sleeping(self) -> None:
        self.mem.store64(self._sleeping, 0)

    def read(self, a: int, b: int, sent: dict[int, bytes]) -> tuple[list[SlotValue], bool]:
        """The results of tasks a..b-1 (all committed): plain values, or
        Encoded for pickled ones (then the flag returned is True). ``sent``
        maps task numbers to the bytes that came in messages (popped here)."""
        out: list[SlotValue] = []
        mixed = False
        while a < b:
            s = a % SLOTS
            e = min(b - a, SLOTS - s) + s
            kinds = self.kinds[s:e]
            if not any(kinds):
                out += self.vals[s:e].tolist()     # the common case: all ints
            else:
                out += self._read_mixed(a, s, e, sent)
                self.kinds[s:e] = bytes(e - s)
                mixed = True
            a += e - s
        return out, mixed

    def _read_mixed(self, a: int, s: int, e: int, sent: dict[int, bytes]) -> list[SlotValue]:
        kinds, vals, lens, ring = self.kinds, self.vals, self.lens, self.ring
        out: list[SlotValue] = []
        consumed = -1
        for i in range(s, e):
            k = kinds[i]
            if k == K_INT:
                out.append(vals[i])
            elif k == K_NONE:
                out.append(None)
            elif k == K_FLOAT:
                out.append(self.fvals[i])
            elif k == K_TRUE:
                out.append(True)
            elif k == K_FALSE:
                out.append(False)
            elif k & K_MSG:
                out.append(Encoded(k & ~K_MSG, sent.pop(a + i - s)))
            else:
                at, n = vals[i], lens[i]
                out.append(Encoded(k, bytes(ring[at % RING:at % RING + n])))
                consumed = max(consumed, at + n)
        if consumed >= 0:
            self.mem.store64(self._ring_r, consumed)
        return out


# ---- a record of its own, in a memfd (a standalone pool's worker process) -----------

def create_memfd() -> int:
    """A new anonymous shared file sized for one record (no name in /dev/shm,
    so nothing can leak: it lives while a process maps it or holds its fd)."""
    fd = os.memfd_create("parago-pool-worker", os.MFD_CLOEXEC)
    try:
        os.ftruncate(fd, NBYTES)
    except BaseException:
        os.close(fd)
        raise
    return fd


def map_memfd(fd: int, wake: Callable[[], object] | None = None) -> TaskSlots:
    """The record in memfd ``fd`` (the fd may be closed afterwards)."""
    mm = mmap.mmap(fd, NBYTES)
    slots = TaskSlots(mm, _native.Mem(mm), 0, wake)
    slots._mapping = mm
    return slots


def in_arena(arena: Arena, base: int, wake: Callable[[], object] | None = None) -> TaskSlots:
    """A record at byte ``base`` of a runtime's arena (a block of NBYTES)."""
    return TaskSlots(arena.B, arena.mem, base, wake)
