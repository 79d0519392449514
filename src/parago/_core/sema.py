"""The sync package's algorithms — Mutex, RWMutex, WaitGroup, Cond — over the
sync records of _shm/syncrec.py and the waiting mechanism of wait.py.

Owns: what each record's words mean and the operations on them; the public
parago/sync.py holds the handles (fields ``_arena``, ``_w`` the record's word
index, ``_lb`` its lock, and ``_xb`` the byte address of its first X word)
and passes them here.

    Mutex (Go's src/internal/sync/mutex.go): X0 is the state word, LOCKED |
      STARVING | waiters * WAITER, changed by CAS; the uncontended lock and
      unlock are one CAS each. Waiters queue FIFO in W0/W1; a woken waiter
      competes with newcomers and, losing, goes back to the front; one that
      has waited over STARVATION_NS switches the mutex to starvation mode,
      where unlock hands it straight to the head waiter.
    RWMutex: W0/W1 readers' queue, W2/W3 writers' queue, W4 active readers,
      W5 a writer holds it, W6 writers waiting. A waiting writer keeps new
      readers out; readers that queued behind a writer go first after it.
    WaitGroup: X0 the counter (atomic), W0/W1 waiters' queue, W2 waiters.
    Cond: W0/W1 the waiters' queue.

Invariants:
  - W words change only under the record's lock, inside the undo log's
    begin/commit (syncrec.begin/commit); the X words only atomically.
  - The Mutex waiter count in X0 equals the waiters linked in W0/W1 whenever
    the record's lock is free (and after a crash repair: _mutex_fixup).
  - A waiter woken with HANDOFF holds the mutex already; one woken with
    RETRY competes for it again.
  - Every lock release that may have woken someone goes through
    wait.unlock (it posts the wake-ups).
"""

from __future__ import annotations

import time as _time
from typing import TYPE_CHECKING

from .._errors import Panic
from .._shm import lock as _lock
from .._shm import syncrec as R
from .._shm import waiter as W
from . import wait
from .sched import runtime_of, this_proc

if TYPE_CHECKING:
    from collections.abc import Callable

    from .._shm.arena import Arena
    from .protocols import SyncRef
    from .sched import Processor

_acquire = _lock.acquire
_release = _lock.release

LOCKED = 1
STARVING = 2
WAITER = 4                      # one waiter, in the state word's count
STARVATION_NS = 1_000_000       # Go's starvationThresholdNs
HANDOFF = 2                     # G_OK of a waiter that was handed the lock
RETRY = 1                       # G_OK of a waiter woken to compete again

T_MUTEX, T_RWMUTEX, T_WAITGROUP, T_COND = R.T_MUTEX, R.T_RWMUTEX, R.T_WAITGROUP, R.T_COND
REFS_OFF = R.R_REFS * 8
X_OFF = R.R_X0 * 8              # byte offset of a record's first X word
_W0 = R.R_W0

_RW_READERS, _RW_WRITER, _RW_WWAIT = 4, 5, 6
_WG_WAITERS = 2


def create(arena: Arena, type_: int) -> int:
    return R.create(arena, type_)


def _proc(h: SyncRef, op: str) -> Processor:
    proc = this_proc()
    if proc is None or proc.arena is not h._arena:
        runtime_of(h._arena, type(h).__name__)
    if proc.current is None:
        runtime_of(h._arena, type(h).__name__, op)
    return proc


def _park(proc: Processor, gw: int, reason: str) -> int:
    wait.park(proc, reason)
    return proc.M[gw + W.G_OK]


# ---- Mutex ---------------------------------------------------------------------------

def mutex_lock(h: SyncRef) -> None:
    if not h._arena.mem.cas64(h._xb, 0, LOCKED):
        _mutex_lock_slow(h)


def mutex_try_lock(h: SyncRef) -> bool:
    mem = h._arena.mem
    s = mem.load64(h._xb)
    return not s & (LOCKED | STARVING) and mem.cas64(h._xb, s, s | LOCKED)


def mutex_unlock(h: SyncRef) -> None:
    if not h._arena.mem.cas64(h._xb, LOCKED, 0):
        _mutex_unlock_slow(h)


def mutex_locked(h: SyncRef) -> bool:
    return bool(h._arena.mem.load64(h._xb) & LOCKED)


def _mutex_lock_slow(h: SyncRef) -> None:
    proc = _proc(h, "sync.Mutex.lock")
    arena, mem, M = proc.arena, proc.mem, proc.M
    rw, lb, sb = h._w, h._lb, h._xb
    head, tail = rw + _W0, rw + _W0 + 1
    started = 0
    front = False
    while True:
        _acquire(arena, lb)
        try:
            s = mem.load64(sb)
            if not s & (LOCKED | STARVING):
                if mem.cas64(sb, s, s | LOCKED):
                    return
                continue
            if started and not s & STARVING and \
                    _time.monotonic_ns() - started > STARVATION_NS:
                # Waited too long: from now on, unlock hands over (MU-07).
                if not mem.cas64(sb, s, s | STARVING):
                    continue
                s |= STARVING
            if not mem.cas64(sb, s, s + WAITER):
                continue
            R.begin(M, rw)
            gw = wait.start(proc, head, tail, front)
            if not started:
                started = _time.monotonic_ns()
            M[gw + W.G_WHY] = started
            R.commit(M, rw)
        finally:
            _release(arena, lb)
        if _park(proc, gw, "sync.Mutex.Lock") == HANDOFF:
            return
        front = True                    # lost the race: back to the front (MU-06)


def _mutex_unlock_slow(h: SyncRef) -> None:
    arena = h._arena
    mem, M = arena.mem, arena.M
    if not mem.load64(h._xb) & LOCKED:
        raise Panic("sync: unlock of unlocked mutex")
    proc = this_proc()
    if proc is None or proc.arena is not arena:
        runtime_of(arena, "Mutex")
    rw, lb, sb = h._w, h._lb, h._xb
    _acquire(arena, lb)
    try:
        # Holding the record lock and the mutex, nobody else can change the
        # state word until we write it (waiters and starvation change only
        # under the record lock; lockers' CASes fail while LOCKED).
        s = mem.load64(sb)
        if not s & LOCKED:
            raise Panic("sync: unlock of unlocked mutex")
        if s < WAITER:
            mem.store64(sb, 0)
            return
        R.begin(M, rw)
        sw = W.dequeue_claim(arena, rw + _W0, rw + _W0 + 1, rw + R.R_PENDING)
        if not sw:
            mem.store64(sb, 0)          # every counted waiter was on a dead P
            R.commit(M, rw)
            return
        gw = sw >> 3
        if s & STARVING:
            new = s - WAITER            # still LOCKED: handed to the waiter
            if new < WAITER or _time.monotonic_ns() - M[gw + W.G_WHY] < STARVATION_NS:
                new &= ~STARVING        # starvation ends (MU-08)
            ok = HANDOFF
        else:
            new = (s & ~LOCKED) - WAITER
            ok = RETRY
        mem.store64(sb, new)
        wait.ready(proc, gw, 0, ok)
        R.commit(M, rw)
    finally:
        wait.unlock(proc, lb)


def _mutex_fixup(arena: Arena, rw: int, dead_p: int) -> None:
    """After a crash: the waiter count must match the rebuilt queue."""
    n = W.queue_length(arena.M, rw + _W0)
    sb = (rw + R.R_X0) << 3
    while True:
        st = arena.mem.load64(sb)
        if arena.mem.cas64(sb, st, (st & (LOCKED | STARVING)) | (n * WAITER)):
            return


R.FIXUPS[R.T_MUTEX] = _mutex_fixup


# ---- RWMutex ---------------------------------------------------------------------------

def rw_enter(h: SyncRef, write: bool, block: bool) -> bool:
    """Take the lock for writing or reading; with ``block`` False, only if
    that needs no waiting. A waiter is woken already holding it."""
    proc = this_proc()
    if proc is None or proc.arena is not h._arena:
        runtime_of(h._arena, "RWMutex")
    arena, M, rw = proc.arena, proc.M, h._w
    w0 = rw + _W0
    _acquire(arena, h._lb)
    try:
        # A waiting writer keeps new readers out (RW-03) and writers queue.
        free = not M[w0 + _RW_WRITER] and not M[w0 + _RW_WWAIT]
        if write:
            free = free and not M[w0 + _RW_READERS]
        if not free and not block:
            return False
        if not free and proc.current is None:
            runtime_of(arena, "RWMutex", "sync.RWMutex.lock")
        R.begin(M, rw)
        if free:
            if write:
                M[w0 + _RW_WRITER] = 1
            else:
                M[w0 + _RW_READERS] += 1
            R.commit(M, rw)
            return True
        if write:
            M[w0 + _RW_WWAIT] += 1
            gw = wait.start(proc, w0 + 2, w0 + 3)
        else:
            gw = wait.start(proc, w0, w0 + 1)
        R.commit(M, rw)
    finally:
        _release(arena, h._lb)
    _park(proc, gw, "sync.RWMutex.Lock" if write else "sync.RWMutex.RLock")
    return True


def rw_runlock(h: SyncRef) -> None:
    proc = this_proc()
    if proc is None or proc.arena is not h._arena:
        runtime_of(h._arena, "RWMutex")
    arena, M, rw = proc.arena, proc.M, h._w
    _acquire(arena, h._lb)
    try:
        n = M[rw + _W0 + _RW_READERS]
        if n <= 0:
            raise Panic("sync: RUnlock of unlocked RWMutex")
        R.begin(M, rw)
        M[rw + _W0 + _RW_READERS] = n - 1
        if n == 1 and M[rw + _W0 + _RW_WWAIT]:
            _hand_to_writer(proc, M, rw)
        R.commit(M, rw)
    finally:
        wait.unlock(proc, h._lb)


def rw_unlock(h: SyncRef) -> None:
    proc = this_proc()
    if proc is None or proc.arena is not h._arena:
        runtime_of(h._arena, "RWMutex")
    arena, M, rw = proc.arena, proc.M, h._w
    _acquire(arena, h._lb)
    try:
        if not M[rw + _W0 + _RW_WRITER]:
            raise Panic("sync: Unlock of unlocked RWMutex")
        R.begin(M, rw)
        M[rw + _W0 + _RW_WRITER] = 0
        # Readers that queued while the writer held it go first (RW-05).
        woke = 0
        while True:
            sw = W.dequeue_claim(arena, rw + _W0, rw + _W0 + 1, rw + R.R_PENDING)
            if not sw:
                break
            M[rw + _W0 + _RW_READERS] += 1
            wait.ready(proc, sw >> 3, 0, 1)
            woke += 1
        if not woke and M[rw + _W0 + _RW_WWAIT]:
            _hand_to_writer(proc, M, rw)
        R.commit(M, rw)
    finally:
        wait.unlock(proc, h._lb)


def _hand_to_writer(proc: Processor, M: memoryview, rw: int) -> None:
    sw = W.dequeue_claim(proc.arena, rw + _W0 + 2, rw + _W0 + 3, rw + R.R_PENDING)
    if sw:
        M[rw + _W0 + _RW_WWAIT] -= 1
        M[rw + _W0 + _RW_WRITER] = 1
        wait.ready(proc, sw >> 3, 0, 1)
    else:
        M[rw + _W0 + _RW_WWAIT] = 0        # only dead writers were waiting


def _rwmutex_fixup(arena: Arena, rw: int, dead_p: int) -> None:
    arena.M[rw + _W0 + _RW_WWAIT] = W.queue_length(arena.M, rw + _W0 + 2)


R.FIXUPS[R.T_RWMUTEX] = _rwmutex_fixup


# ---- WaitGroup ---------------------------------------------------------------------------

def wg_add(h: SyncRef, delta: int) -> None:
    proc = this_proc()
    if proc is None or proc.arena is not h._arena:
        runtime_of(h._arena, "WaitGroup")
    mem = proc.mem
    v = mem.add64(h._xb, delta)
    if v < 0:
        mem.add64(h._xb, -delta)
        raise Panic("sync: negative WaitGroup counter")
    M, rw = proc.M, h._w
    if delta > 0 and v == delta and M[rw + _W0 + _WG_WAITERS]:
        raise Panic("sync: WaitGroup misuse: Add called concurrently with Wait")
    if v == 0 and delta != 0:
        _wg_release(h, proc)


def _wg_release(h: SyncRef, proc: Processor) -> None:
    arena, M, rw = proc.arena, proc.M, h._w
    _acquire(arena, h._lb)
    try:
        if proc.mem.load64(h._xb) != 0 or not M[rw + _W0 + _WG_WAITERS]:
            return
        R.begin(M, rw)
        while True:
            sw = W.dequeue_claim(arena, rw + _W0, rw + _W0 + 1, rw + R.R_PENDING)
            if not sw:
                break
            wait.ready(proc, sw >> 3, 0, 1)
        M[rw + _W0 + _WG_WAITERS] = 0
        R.commit(M, rw)
    finally:
        wait.unlock(proc, h._lb)


def wg_wait(h: SyncRef) -> None:
    proc = this_proc()
    if proc is None or proc.arena is not h._arena:
        runtime_of(h._arena, "WaitGroup")
    mem = proc.mem
    if mem.load64(h._xb) == 0:
        return
    if proc.current is None:
        runtime_of(h._arena, "WaitGroup", "sync.WaitGroup.wait")
    arena, M, rw = proc.arena, proc.M, h._w
    _acquire(arena, h._lb)
    try:
        if mem.load64(h._xb) == 0:
            return
        R.begin(M, rw)
        gw = wait.start(proc, rw + _W0, rw + _W0 + 1)
        M[rw + _W0 + _WG_WAITERS] += 1
        R.commit(M, rw)
    finally:
        _release(arena, h._lb)
    _park(proc, gw, "sync.WaitGroup.Wait")
    if mem.load64(h._xb) != 0:
        raise Panic("sync: WaitGroup is reused before previous Wait has returned")


def wg_counter(h: SyncRef) -> int:
    return h._arena.mem.load64(h._xb)


def _wg_fixup(arena: Arena, rw: int, dead_p: int) -> None:
    arena.M[rw + _W0 + _WG_WAITERS] = W.queue_length(arena.M, rw + _W0)


R.FIXUPS[R.T_WAITGROUP] = _wg_fixup


# ---- Cond ---------------------------------------------------------------------------------

def cond_wait(h: SyncRef, unlock_l: Callable[[], object], lock_l: Callable[[], object]) -> None:
    """Wait on the Cond: enqueue, then ``unlock_l()`` (so no signal between
    the two is lost), park, then ``lock_l()``."""
    proc = _proc(h, "sync.Cond.wait")
    arena, M, rw = proc.arena, proc.M, h._w
    _acquire(arena, h._lb)
    try:
        R.begin(M, rw)
        gw = wait.start(proc, rw + _W0, rw + _W0 + 1)
        R.commit(M, rw)
    finally:
        _release(arena, h._lb)
    try:
        unlock_l()                      # enqueued first: no signal is lost
    except BaseException:
        _acquire(arena, h._lb)
        try:
            wait.cancel(proc, gw, rw + _W0, rw + _W0 + 1)
        finally:
            _release(arena, h._lb)
        raise
    _park(proc, gw, "sync.Cond.Wait")
    lock_l()


def cond_wake(h: SyncRef, n: int) -> None:
    """Wake ``n`` waiters, longest first (-1: all of them)."""
    proc = this_proc()
    if proc is None or proc.arena is not h._arena:
        runtime_of(h._arena, "Cond")
    arena, M, rw = proc.arena, proc.M, h._w
    _acquire(arena, h._lb)
    try:
        if not M[rw + _W0]:
            return                      # no waiter: not remembered (COND-05)
        R.begin(M, rw)
        while n:
            sw = W.dequeue_claim(arena, rw + _W0, rw + _W0 + 1, rw + R.R_PENDING)
            if not sw:
                break
            wait.ready(proc, sw >> 3, 0, 1)
            n -= 1
        R.commit(M, rw)
    finally:
        wait.unlock(proc, h._lb)


from .._accel import use_compiled  # noqa: E402

use_compiled(globals())
