"""Go's sync package across processes: Mutex, RWMutex, WaitGroup, Cond, Once, Pool.

Every object is a sync record in shared memory (_shm/syncrec.py) and pickles
as a handle to it, so goroutines in any process share it. Every blocking
call parks through the same wait records channels use (one waiting
mechanism); waits show in the goroutine dump as Go names them
("sync.Mutex.Lock", "sync.WaitGroup.Wait", ...).

Mutex follows Go's src/internal/sync/mutex.go: a state word (locked,
starving, waiter count) that the uncontended lock and unlock change with one
CAS; waiters queue FIFO; a woken waiter competes with newcomers and, losing,
goes back to the front; one that has waited more than 1 ms switches the mutex
to starvation mode, where unlock hands the lock straight to the head waiter.
"""

from __future__ import annotations

import time as _time
import uuid

from ._errors import Panic
from ._handle import ShmObject, current_arena
from ._shm import lock as _lock
from ._shm import syncrec as R
from ._shm import values as V
from ._shm import waiter as W

__all__ = ["Cond", "Mutex", "Once", "Pool", "RWMutex", "WaitGroup"]

_acquire = _lock.acquire
_release = _lock.release

LOCKED = 1
STARVING = 2
WAITER = 4                      # one waiter, in the state word's count
STARVATION_NS = 1_000_000       # Go's starvationThresholdNs

HANDOFF = 2                     # G_OK of a waiter that was handed the lock
RETRY = 1                       # G_OK of a waiter woken to compete again


class _Record(ShmObject):
    """A sync record of one type; subclasses set _TYPE."""

    __slots__ = ("_w", "_lb")
    _REFS_OFF = R.R_REFS * 8
    _TYPE = 0

    def __init__(self):
        arena = current_arena()
        self._attach(arena, R.create(arena, self._TYPE))

    def _attach(self, arena, b):
        super()._attach(arena, b)
        self._w = b >> 3
        self._lb = b + 8

    def __repr__(self):
        return f"<{type(self).__name__} at {self._b:#x}>"


def _park(proc, gw, reason):
    proc.park(reason)
    return proc.M[gw + W.G_OK]


# ---- Mutex --------------------------------------------------------------------

class Mutex(_Record):
    """Go's sync.Mutex, shared by every process.

        mu = pg.Mutex()
        with mu: ...                  # lock(); ...; unlock()
        mu.lock(); mu.unlock()
        mu.try_lock()                 # True if it locked, never blocks

    Not reentrant (MU-05) and not owned: any goroutine may unlock it
    (MU-04). Waiters queue in order; one that waits over 1 ms puts the
    mutex in starvation mode, where unlock hands it straight to the first
    waiter (MU-06..08). Unlocking an unlocked mutex raises
    Panic("sync: unlock of unlocked mutex") (MU-03).

    Make it inside a running runtime (it lives in the runtime's shared
    memory; elsewhere NoRuntime) and pass it to goroutines in any process:
    it pickles as a handle, so every copy is the same object."""

    __slots__ = ("_sb",)
    _TYPE = R.T_MUTEX

    def _attach(self, arena, b):
        super()._attach(arena, b)
        self._sb = b + R.R_X0 * 8          # the state word

    def lock(self) -> None:
        """Lock, waiting until it is free (wait reason "sync.Mutex.Lock").
        A lock that must wait needs a goroutine (NoRuntime otherwise)."""
        if not self._arena.mem.cas64(self._sb, 0, LOCKED):
            self._lock_slow()

    def try_lock(self) -> bool:
        """Lock if free and return True, else False at once (MU-02); it
        fails in starvation mode, as Go's does. It never waits, so it needs
        no goroutine."""
        mem = self._arena.mem
        s = mem.load64(self._sb)
        return not s & (LOCKED | STARVING) and mem.cas64(self._sb, s, s | LOCKED)

    def unlock(self) -> None:
        """Unlock; the first waiter, if any, gets it next. Raises
        Panic("sync: unlock of unlocked mutex") if it is not locked (MU-03)."""
        if not self._arena.mem.cas64(self._sb, LOCKED, 0):
            self._unlock_slow()

    def __enter__(self):
        self.lock()
        return self

    def __exit__(self, *exc):
        self.unlock()

    def locked(self) -> bool:
        """Is it locked now? (For diagnostics: racy by nature.)"""
        return bool(self._arena.mem.load64(self._sb) & LOCKED)

    def _lock_slow(self) -> None:
        proc = self._check()
        arena, mem, M = proc.arena, proc.mem, proc.M
        rw, lb, sb = self._w, self._lb, self._sb
        head, tail = rw + R.R_W0, rw + R.R_W0 + 1
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
                gw = proc.enqueue_self(head, tail, front)
                if not started:
                    started = _time.monotonic_ns()
                M[gw + W.G_WHY] = started
                R.commit(M, rw)
            finally:
                _release(arena, lb)
            if _park(proc, gw, "sync.Mutex.Lock") == HANDOFF:
                return
            front = True                    # lost the race: back to the front (MU-06)

    def _unlock_slow(self) -> None:
        proc = self._check()
        arena, mem, M = proc.arena, proc.mem, proc.M
        rw, lb, sb = self._w, self._lb, self._sb
        if not mem.load64(sb) & LOCKED:
            raise Panic("sync: unlock of unlocked mutex")
        _acquire(arena, lb)
        try:
            # Holding the record lock and the mutex, nobody else can change
            # the state word until we write it (waiters and starvation change
            # only under the record lock; lockers' CASes fail while LOCKED).
            s = mem.load64(sb)
            if not s & LOCKED:
                raise Panic("sync: unlock of unlocked mutex")
            if s < WAITER:
                mem.store64(sb, 0)
                return
            R.begin(M, rw)
            sw = W.dequeue_claim(arena, rw + R.R_W0, rw + R.R_W0 + 1, rw + R.R_PENDING)
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
            proc.finish_wait(gw, 0, ok)
            R.commit(M, rw)
        finally:
            _release(arena, lb)
        if proc.pending_wake:
            proc.flush_wakes()


def _mutex_fixup(arena, rw, dead_p):
    """After a crash: the waiter count must match the rebuilt queue."""
    n = W.queue_length(arena.M, rw + R.R_W0)
    sb = (rw + R.R_X0) << 3
    while True:
        st = arena.mem.load64(sb)
        if arena.mem.cas64(sb, st, (st & (LOCKED | STARVING)) | (n * WAITER)):
            return


R.FIXUPS[R.T_MUTEX] = _mutex_fixup


# ---- RWMutex ----------------------------------------------------------------------

# W words: 0,1 readers' queue; 2,3 writers' queue; 4 active readers;
# 5 writer holds it; 6 writers waiting
_RW_READERS, _RW_WRITER, _RW_WWAIT = 4, 5, 6


class RWMutex(_Record):
    """Go's sync.RWMutex, shared by every process: many readers or one writer.

        rw = pg.RWMutex()
        rw.rlock(); rw.runlock()      # read lock: many at once (RW-01)
        with rw: ...                  # write lock: lock(); ...; unlock()
        rw.try_lock(), rw.try_rlock() # never block (RW-09)
        with rw.rlocker(): ...        # a Locker doing rlock/runlock (RW-08)

    A waiting writer blocks new readers (RW-03), so a goroutine taking the
    read lock twice while a writer waits deadlocks (RW-04); a writer's
    unlock lets in the readers that queued meanwhile (RW-05). Raises
    Panic("sync: RUnlock of unlocked RWMutex") and Panic("sync: Unlock of
    unlocked RWMutex") for unlocks of what is not held (RW-06, RW-07).

    Make it inside a running runtime (it lives in the runtime's shared
    memory; elsewhere NoRuntime) and pass it to goroutines in any process:
    it pickles as a handle, so every copy is the same object."""

    __slots__ = ()
    _TYPE = R.T_RWMUTEX

    def rlock(self) -> None:
        """Read-lock, waiting while a writer holds or waits for it
        (wait reason "sync.RWMutex.RLock"). Call it from a goroutine."""
        self._enter(False, True)

    def try_rlock(self) -> bool:
        """Read-lock if no writer holds or waits for it (RW-09); never blocks."""
        return self._enter(False, False)

    def lock(self) -> None:
        """Write-lock, waiting for every reader and writer to leave
        (wait reason "sync.RWMutex.Lock"). Call it from a goroutine."""
        self._enter(True, True)

    def try_lock(self) -> bool:
        """Write-lock if nobody holds or waits for it (RW-09); never blocks."""
        return self._enter(True, False)

    def _enter(self, write: bool, block: bool) -> bool:
        """Take the lock for writing or reading; with ``block`` False, only if
        that needs no waiting. A waiter is woken already holding it."""
        proc = self._check()
        arena, M, rw = proc.arena, proc.M, self._w
        w0 = rw + R.R_W0
        _acquire(arena, self._lb)
        try:
            # A waiting writer keeps new readers out (RW-03) and writers queue.
            free = not M[w0 + _RW_WRITER] and not M[w0 + _RW_WWAIT]
            if write:
                free = free and not M[w0 + _RW_READERS]
            if not free and not block:
                return False
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
                gw = proc.enqueue_self(w0 + 2, w0 + 3)
            else:
                gw = proc.enqueue_self(w0, w0 + 1)
            R.commit(M, rw)
        finally:
            _release(arena, self._lb)
        _park(proc, gw, "sync.RWMutex.Lock" if write else "sync.RWMutex.RLock")
        return True

    def runlock(self) -> None:
        """Release a read lock; the last reader out lets a waiting writer
        in. Raises Panic("sync: RUnlock of unlocked RWMutex") if no reader
        holds it (RW-06)."""
        proc = self._check()
        arena, M, rw = proc.arena, proc.M, self._w
        _acquire(arena, self._lb)
        try:
            n = M[rw + R.R_W0 + _RW_READERS]
            if n <= 0:
                raise Panic("sync: RUnlock of unlocked RWMutex")
            R.begin(M, rw)
            M[rw + R.R_W0 + _RW_READERS] = n - 1
            if n == 1 and M[rw + R.R_W0 + _RW_WWAIT]:
                self._hand_to_writer(proc, M, rw)
            R.commit(M, rw)
        finally:
            _release(arena, self._lb)
        if proc.pending_wake:
            proc.flush_wakes()

    def unlock(self) -> None:
        """Release the write lock: the readers that queued meanwhile go
        first (RW-05), else the next writer. Raises Panic("sync: Unlock of
        unlocked RWMutex") if it is not write-locked (RW-07)."""
        proc = self._check()
        arena, M, rw = proc.arena, proc.M, self._w
        _acquire(arena, self._lb)
        try:
            if not M[rw + R.R_W0 + _RW_WRITER]:
                raise Panic("sync: Unlock of unlocked RWMutex")
            R.begin(M, rw)
            M[rw + R.R_W0 + _RW_WRITER] = 0
            # Readers that queued while the writer held it go first (RW-05).
            woke = 0
            while True:
                sw = W.dequeue_claim(arena, rw + R.R_W0, rw + R.R_W0 + 1, rw + R.R_PENDING)
                if not sw:
                    break
                M[rw + R.R_W0 + _RW_READERS] += 1
                proc.finish_wait(sw >> 3, 0, 1)
                woke += 1
            if not woke and M[rw + R.R_W0 + _RW_WWAIT]:
                self._hand_to_writer(proc, M, rw)
            R.commit(M, rw)
        finally:
            _release(arena, self._lb)
        if proc.pending_wake:
            proc.flush_wakes()

    def _hand_to_writer(self, proc, M, rw) -> None:
        sw = W.dequeue_claim(proc.arena, rw + R.R_W0 + 2, rw + R.R_W0 + 3, rw + R.R_PENDING)
        if sw:
            M[rw + R.R_W0 + _RW_WWAIT] -= 1
            M[rw + R.R_W0 + _RW_WRITER] = 1
            proc.finish_wait(sw >> 3, 0, 1)
        else:
            M[rw + R.R_W0 + _RW_WWAIT] = 0        # only dead writers were waiting

    def rlocker(self) -> _RLocker:
        """A Locker whose lock/unlock are rlock/runlock (RW-08)."""
        return _RLocker(self)

    def __enter__(self):
        self.lock()
        return self

    def __exit__(self, *exc):
        self.unlock()


def _rwmutex_fixup(arena, rw, dead_p):
    arena.M[rw + R.R_W0 + _RW_WWAIT] = W.queue_length(arena.M, rw + R.R_W0 + 2)


R.FIXUPS[R.T_RWMUTEX] = _rwmutex_fixup


class _RLocker:
    """RWMutex.rlocker(): lock = rlock, unlock = runlock."""

    __slots__ = ("_rw",)

    def __init__(self, rw: RWMutex):
        self._rw = rw

    def lock(self):
        self._rw.rlock()

    def unlock(self):
        self._rw.runlock()

    def __enter__(self):
        self._rw.rlock()
        return self

    def __exit__(self, *exc):
        self._rw.runlock()

    def __reduce__(self):
        return _RLocker, (self._rw,)


# ---- WaitGroup ------------------------------------------------------------------------

# X0: the counter (atomic); W words: 0,1 waiters' queue; 2 number of waiters
_WG_WAITERS = 2


class WaitGroup(_Record):
    """Go's sync.WaitGroup, shared by every process: wait for goroutines
    to finish.

        wg = pg.WaitGroup()
        wg.add(1); pg.go(work, wg)    # work calls wg.done() at its end
        wg.go(work, x)                # Go 1.25's wg.Go: add, go, done
        wg.wait()                     # until the counter is zero

    Raises Panic("sync: negative WaitGroup counter") (WG-03) and Go's
    misuse panics where it detects them: an add from zero while a wait is
    pending, a reuse before the previous wait returned (WG-05, WG-06).

    Make it inside a running runtime (it lives in the runtime's shared
    memory; elsewhere NoRuntime) and pass it to goroutines in any process:
    it pickles as a handle, so every copy is the same object."""

    __slots__ = ("_cb",)
    _TYPE = R.T_WAITGROUP

    def _attach(self, arena, b):
        super()._attach(arena, b)
        self._cb = b + R.R_X0 * 8

    def add(self, delta: int = 1) -> None:
        """Add ``delta`` (may be negative) to the counter; at zero every
        waiter is released. Raises Panic("sync: negative WaitGroup
        counter") below zero."""
        proc = self._check()
        mem = proc.mem
        v = mem.add64(self._cb, delta)
        if v < 0:
            mem.add64(self._cb, -delta)
            raise Panic("sync: negative WaitGroup counter")
        M, rw = proc.M, self._w
        if delta > 0 and v == delta and M[rw + R.R_W0 + _WG_WAITERS]:
            raise Panic("sync: WaitGroup misuse: Add called concurrently with Wait")
        if v == 0 and delta != 0:
            self._release_waiters(proc)

    def done(self) -> None:
        """add(-1): one goroutine has finished (WG-04)."""
        self.add(-1)

    def _release_waiters(self, proc) -> None:
        arena, M, rw = proc.arena, proc.M, self._w
        _acquire(arena, self._lb)
        try:
            if proc.mem.load64(self._cb) != 0 or not M[rw + R.R_W0 + _WG_WAITERS]:
                return
            R.begin(M, rw)
            while True:
                sw = W.dequeue_claim(arena, rw + R.R_W0, rw + R.R_W0 + 1, rw + R.R_PENDING)
                if not sw:
                    break
                proc.finish_wait(sw >> 3, 0, 1)
            M[rw + R.R_W0 + _WG_WAITERS] = 0
            R.commit(M, rw)
        finally:
            _release(arena, self._lb)
        if proc.pending_wake:
            proc.flush_wakes()

    def wait(self) -> None:
        """Wait until the counter is zero (at once if it is; WG-01), with
        wait reason "sync.WaitGroup.Wait". Call it from a goroutine."""
        proc = self._check()
        mem = proc.mem
        if mem.load64(self._cb) == 0:
            return
        arena, M, rw = proc.arena, proc.M, self._w
        _acquire(arena, self._lb)
        try:
            if mem.load64(self._cb) == 0:
                return
            R.begin(M, rw)
            gw = proc.enqueue_self(rw + R.R_W0, rw + R.R_W0 + 1)
            M[rw + R.R_W0 + _WG_WAITERS] += 1
            R.commit(M, rw)
        finally:
            _release(arena, self._lb)
        _park(proc, gw, "sync.WaitGroup.Wait")
        if mem.load64(self._cb) != 0:
            raise Panic("sync: WaitGroup is reused before previous Wait has returned")

    def go(self, fn, *args, **kwargs) -> None:
        """add(1), run fn(*args, **kwargs) in a new goroutine, done() when it
        returns (Go 1.25's WaitGroup.Go, WG-07; an exception ends the program
        first, as a panic does). ``fn`` and its arguments are copied as
        pg.go copies them: TypeError, naming what cannot be copied."""
        from .runtime import go
        self.add(1)
        try:
            go(_wg_run, self, fn, args, kwargs)
        except BaseException:
            self.add(-1)
            raise

    def counter(self) -> int:
        """The counter now (for diagnostics; racy by nature)."""
        return self._arena.mem.load64(self._cb)


def _wg_run(wg, fn, args, kwargs):
    fn(*args, **kwargs)
    wg.done()


def _wg_fixup(arena, rw, dead_p):
    arena.M[rw + R.R_W0 + _WG_WAITERS] = W.queue_length(arena.M, rw + R.R_W0)


R.FIXUPS[R.T_WAITGROUP] = _wg_fixup


# ---- Cond -----------------------------------------------------------------------------

class Cond(_Record):
    """Go's sync.Cond, shared by every process: goroutines wait for a
    condition guarded by a Locker ``L``.

        c = pg.Cond(pg.Mutex())
        with c.L:
            while not ready():
                c.wait()              # unlocks L, waits, relocks L
        c.signal()                    # wake the longest waiter (COND-02, 03)
        c.broadcast()                 # wake every current waiter (COND-04)

    ``L`` is any object with lock() and unlock() (a Mutex, an RWMutex's
    rlocker()); anything else raises TypeError. A signal with no waiter is
    lost (COND-05). wait() without holding L raises Panic("sync: unlock of
    unlocked mutex") (COND-07).

    Make it inside a running runtime (it lives in the runtime's shared
    memory; elsewhere NoRuntime) and pass it to goroutines in any process:
    it pickles as a handle, so every copy is the same object."""

    __slots__ = ("L",)
    _TYPE = R.T_COND

    def __init__(self, locker):
        if not (callable(getattr(locker, "lock", None))
                and callable(getattr(locker, "unlock", None))):
            raise TypeError("Cond needs a Locker (an object with lock() and unlock())")
        super().__init__()
        self.L = locker

    def _extra(self):
        return (self.L,)

    @classmethod
    def _from_block(cls, arena, b, extra):
        obj = super()._from_block(arena, b, extra)
        obj.L = extra[0]
        return obj

    def wait(self) -> None:
        """Unlock ``L`` and wait, as one step (no signal is lost between
        them), until signal() or broadcast() wakes this goroutine; then
        lock ``L`` again before returning (COND-01). Callers loop on their
        condition. Call it from a goroutine holding ``L``."""
        proc = self._check()
        arena, M, rw = proc.arena, proc.M, self._w
        _acquire(arena, self._lb)
        try:
            R.begin(M, rw)
            gw = proc.enqueue_self(rw + R.R_W0, rw + R.R_W0 + 1)
            R.commit(M, rw)
        finally:
            _release(arena, self._lb)
        try:
            self.L.unlock()                 # enqueued first: no signal is lost
        except BaseException:
            _acquire(arena, self._lb)
            try:
                W.unlink(M, rw + R.R_W0, rw + R.R_W0 + 1, gw << 3)
                proc.waiting.pop(gw << 3, None)
            finally:
                _release(arena, self._lb)
            raise
        _park(proc, gw, "sync.Cond.Wait")
        self.L.lock()

    def signal(self) -> None:
        """Wake the goroutine that has waited longest, if any (COND-02,
        COND-03). Holding ``L`` is allowed, not required."""
        self._wake(1)

    def broadcast(self) -> None:
        """Wake every goroutine waiting now; later waiters are not woken
        (COND-04). Holding ``L`` is allowed, not required."""
        self._wake(-1)

    def _wake(self, n: int) -> None:
        proc = self._check()
        arena, M, rw = proc.arena, proc.M, self._w
        _acquire(arena, self._lb)
        try:
            if not M[rw + R.R_W0]:
                return                      # no waiter: not remembered (COND-05)
            R.begin(M, rw)
            while n:
                sw = W.dequeue_claim(arena, rw + R.R_W0, rw + R.R_W0 + 1, rw + R.R_PENDING)
                if not sw:
                    break
                proc.finish_wait(sw >> 3, 0, 1)
                n -= 1
            R.commit(M, rw)
        finally:
            _release(arena, self._lb)
        if proc.pending_wake:
            proc.flush_wakes()


# ---- Once -----------------------------------------------------------------------------

class Once:
    """Go's sync.Once, shared by every process: run a function once.

        once = pg.Once()
        once.do(setup)                # setup() runs once, in one process
        once.done()                   # has it run?

    Concurrent callers wait until that one call returns (ONCE-02). An
    exception fn raises propagates to the caller whose call ran it and
    still counts as done (ONCE-03); fn calling do on the same Once
    deadlocks (ONCE-04).

    Make it inside a running runtime (it lives in the runtime's shared
    memory; elsewhere NoRuntime) and pass it to goroutines in any process:
    it pickles as a handle, so every copy is the same object."""

    __slots__ = ("_m", "_done")

    def __init__(self):
        from .atomic import Bool
        self._m = Mutex()
        self._done = Bool()

    def do(self, fn) -> None:
        """Call ``fn()`` if no do() of this Once has yet, in any process;
        otherwise wait until that call has returned (ONCE-01, ONCE-02).
        Call it from a goroutine."""
        if self._done.load():
            return
        # The slow path holds the mutex while fn runs, so no do() returns
        # before fn has (ONCE-02: a CAS-only version would be wrong).
        with self._m:
            if not self._done.load():
                try:
                    fn()
                finally:
                    self._done.store(True)

    def done(self) -> bool:
        """Has a do() of this Once run its function (or raised)?"""
        return self._done.load()

    def __reduce__(self):
        return _rebuild_once, (self._m, self._done)


def _rebuild_once(m, done):
    o = object.__new__(Once)
    o._m, o._done = m, done
    return o


# ---- Pool -----------------------------------------------------------------------------

# Each process's free objects, by pool id. Strong references: a copy of a
# Pool reaching a worker inside one goroutine must find the objects a copy in
# an earlier goroutine put there. Bounded: Go's Pool may drop any item
# (POOL-03), and so do we beyond POOL_LIMIT per pool and process.
_pools: dict[str, list] = {}
POOL_LIMIT = 4096


class Pool:
    """Go's sync.Pool: a cache of objects that are expensive to make.

        pool = pg.Pool(new=make_buffer)
        buf = pool.get()              # a pooled object, else new() (or None)
        pool.put(buf)                 # offer it for reuse; put(None) is ignored

    Each process keeps its own free objects (they are never copied between
    processes): an object put is returned by a later get in the same
    process, last in first out (POOL-04). Anything may be dropped (POOL-03).
    Raises TypeError if ``new`` is not callable. A Pool needs no runtime:
    make and use it anywhere, pass it to goroutines in any process."""

    __slots__ = ("new", "_id", "_free")

    def __init__(self, new=None):
        if new is not None and not callable(new):
            raise TypeError("Pool(new): new must be callable")
        self.new = new
        self._id = uuid.uuid4().hex
        self._free = _pools.setdefault(self._id, [])

    def get(self):
        """A free object of this process's, the last put first; else
        new() if set, else None (POOL-01)."""
        free = self._free
        if free:
            return free.pop()
        return self.new() if self.new is not None else None

    def put(self, x) -> None:
        """Offer ``x`` for reuse in this process; None is ignored (POOL-02)."""
        if x is not None and len(self._free) < POOL_LIMIT:   # Put(nil) is ignored (POOL-02)
            self._free.append(x)

    def __reduce__(self):
        # new() travels as cached bytes when it is copied by value (a lambda
        # made in main, say): pools ride along with many goroutines.
        data = V.dumps_function(self.new) if self.new is not None else None
        return _rebuild_pool, (None if data else self.new, data, self._id)


def _rebuild_pool(new, new_bytes, pool_id):
    p = object.__new__(Pool)
    p.new = V.loads_function(new_bytes) if new_bytes else new
    p._id = pool_id
    p._free = _pools.setdefault(pool_id, [])
    return p

