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

import uuid
from typing import TYPE_CHECKING, Any, Self

from ._core import sema as _k
from ._handle import ShmObject, current_arena
from ._runtime import spawn as _spawn

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._core.protocols import Arena
    from .atomic import Bool as _Bool

__all__ = ["Cond", "Mutex", "Once", "Pool", "RWMutex", "WaitGroup"]



class _Record(ShmObject):
    """A sync record of one type; subclasses set _TYPE."""

    __slots__ = ("_w", "_lb", "_xb")
    _REFS_OFF = _k.REFS_OFF
    _TYPE = 0

    def __init__(self) -> None:
        arena = current_arena()
        self._attach(arena, _k.create(arena, self._TYPE))

    def _attach(self, arena: Arena, b: int) -> None:
        super()._attach(arena, b)
        self._w = b >> 3
        self._lb = b + 8
        self._xb = b + _k.X_OFF          # its first X word: a mutex's state, a counter

    def __repr__(self) -> str:
        return f"<{type(self).__name__} at {self._b:#x}>"


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

    __slots__ = ()
    _TYPE = _k.T_MUTEX

    def lock(self) -> None:
        """Lock, waiting until it is free (wait reason "sync.Mutex.Lock").
        A lock that must wait needs a goroutine (NoRuntime otherwise)."""
        _k.mutex_lock(self)

    def try_lock(self) -> bool:
        """Lock if free and return True, else False at once (MU-02); it
        fails in starvation mode, as Go's does. It never waits, so it needs
        no goroutine."""
        return _k.mutex_try_lock(self)

    def unlock(self) -> None:
        """Unlock; the first waiter, if any, gets it next. Raises
        Panic("sync: unlock of unlocked mutex") if it is not locked (MU-03)."""
        _k.mutex_unlock(self)

    def __enter__(self) -> Self:
        _k.mutex_lock(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _k.mutex_unlock(self)

    def locked(self) -> bool:
        """Is it locked now? (For diagnostics: racy by nature.)"""
        return _k.mutex_locked(self)


# ---- RWMutex ----------------------------------------------------------------------

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
    _TYPE = _k.T_RWMUTEX

    def rlock(self) -> None:
        """Read-lock, waiting while a writer holds or waits for it
        (wait reason "sync.RWMutex.RLock"). Call it from a goroutine."""
        _k.rw_enter(self, False, True)

    def try_rlock(self) -> bool:
        """Read-lock if no writer holds or waits for it (RW-09); never blocks."""
        return _k.rw_enter(self, False, False)

    def lock(self) -> None:
        """Write-lock, waiting for every reader and writer to leave
        (wait reason "sync.RWMutex.Lock"). Call it from a goroutine."""
        _k.rw_enter(self, True, True)

    def try_lock(self) -> bool:
        """Write-lock if nobody holds or waits for it (RW-09); never blocks."""
        return _k.rw_enter(self, True, False)

    def runlock(self) -> None:
        """Release a read lock; the last reader out lets a waiting writer
        in. Raises Panic("sync: RUnlock of unlocked RWMutex") if no reader
        holds it (RW-06)."""
        _k.rw_runlock(self)

    def unlock(self) -> None:
        """Release the write lock: the readers that queued meanwhile go
        first (RW-05), else the next writer. Raises Panic("sync: Unlock of
        unlocked RWMutex") if it is not write-locked (RW-07)."""
        _k.rw_unlock(self)

    def rlocker(self) -> _RLocker:
        """A Locker whose lock/unlock are rlock/runlock (RW-08)."""
        return _RLocker(self)

    def __enter__(self) -> Self:
        _k.rw_enter(self, True, True)
        return self

    def __exit__(self, *exc: object) -> None:
        _k.rw_unlock(self)


class _RLocker:
    """RWMutex.rlocker(): lock = rlock, unlock = runlock."""

    __slots__ = ("_rw",)

    def __init__(self, rw: RWMutex) -> None:
        self._rw = rw

    def lock(self) -> None:
        self._rw.rlock()

    def unlock(self) -> None:
        self._rw.runlock()

    def __enter__(self) -> Self:
        self._rw.rlock()
        return self

    def __exit__(self, *exc: object) -> None:
        self._rw.runlock()

    def __reduce__(self) -> tuple[Any, ...]:
        return _RLocker, (self._rw,)


# ---- WaitGroup ------------------------------------------------------------------------

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

    __slots__ = ()
    _TYPE = _k.T_WAITGROUP

    def add(self, delta: int = 1) -> None:
        """Add ``delta`` (may be negative) to the counter; at zero every
        waiter is released. Raises Panic("sync: negative WaitGroup
        counter") below zero."""
        _k.wg_add(self, delta)

    def done(self) -> None:
        """add(-1): one goroutine has finished (WG-04)."""
        _k.wg_add(self, -1)

    def wait(self) -> None:
        """Wait until the counter is zero (at once if it is; WG-01), with
        wait reason "sync.WaitGroup.Wait". Call it from a goroutine."""
        _k.wg_wait(self)

    def go(self, fn: Callable[..., object], *args: Any, **kwargs: Any) -> None:
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
        return _k.wg_counter(self)


def _wg_run(wg: WaitGroup, fn: Callable[..., object], args: Any, kwargs: Any) -> None:
    fn(*args, **kwargs)
    wg.done()




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
    _TYPE = _k.T_COND

    def __init__(self, locker: Mutex | RWMutex | _RLocker) -> None:
        if not (callable(getattr(locker, "lock", None))
                and callable(getattr(locker, "unlock", None))):
            raise TypeError("Cond needs a Locker (an object with lock() and unlock())")
        super().__init__()
        self.L = locker

    def _extra(self) -> tuple[Any, ...]:
        return (self.L,)

    @classmethod
    def _from_block(cls, arena: Arena, b: int, extra: tuple[Any, ...]) -> Self:
        obj = super()._from_block(arena, b, extra)
        obj.L = extra[0]
        return obj

    def wait(self) -> None:
        """Unlock ``L`` and wait, as one step (no signal is lost between
        them), until signal() or broadcast() wakes this goroutine; then
        lock ``L`` again before returning (COND-01). Callers loop on their
        condition. Call it from a goroutine holding ``L``."""
        _k.cond_wait(self, self.L.unlock, self.L.lock)

    def signal(self) -> None:
        """Wake the goroutine that has waited longest, if any (COND-02,
        COND-03). Holding ``L`` is allowed, not required."""
        _k.cond_wake(self, 1)

    def broadcast(self) -> None:
        """Wake every goroutine waiting now; later waiters are not woken
        (COND-04). Holding ``L`` is allowed, not required."""
        _k.cond_wake(self, -1)


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

    def __init__(self) -> None:
        from .atomic import Bool
        self._m = Mutex()
        self._done = Bool()

    def do(self, fn: Callable[..., object]) -> None:
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

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild_once, (self._m, self._done)


def _rebuild_once(m: Mutex, done: _Bool) -> Once:
    o = object.__new__(Once)
    o._m, o._done = m, done
    return o


# ---- Pool -----------------------------------------------------------------------------

# Each process's free objects, by pool id. Strong references: a copy of a
# Pool reaching a worker inside one goroutine must find the objects a copy in
# an earlier goroutine put there. Bounded: Go's Pool may drop any item
# (POOL-03), and so do we beyond POOL_LIMIT per pool and process.
_pools: dict[str, list[Any]] = {}
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

    def __init__(self, new: Callable[[], Any] | None = None) -> None:
        if new is not None and not callable(new):
            raise TypeError("Pool(new): new must be callable")
        self.new = new
        self._id = uuid.uuid4().hex
        self._free = _pools.setdefault(self._id, [])

    def get(self) -> Any:
        """A free object of this process's, the last put first; else
        new() if set, else None (POOL-01)."""
        free = self._free
        if free:
            return free.pop()
        return self.new() if self.new is not None else None

    def put(self, x: object) -> None:
        """Offer ``x`` for reuse in this process; None is ignored (POOL-02)."""
        if x is not None and len(self._free) < POOL_LIMIT:   # Put(nil) is ignored (POOL-02)
            self._free.append(x)

    def __reduce__(self) -> tuple[Any, ...]:
        # new() travels as cached bytes when it is copied by value (a lambda
        # made in main, say): pools ride along with many goroutines.
        data = _spawn.dumps_function(self.new) if self.new is not None else None
        return _rebuild_pool, (None if data else self.new, data, self._id)


def _rebuild_pool(new: Callable[[], Any] | None, new_bytes: bytes | None, pool_id: str) -> Pool:
    p = object.__new__(Pool)
    p.new = _spawn.loads_function(new_bytes) if new_bytes else new
    p._id = pool_id
    p._free = _pools.setdefault(pool_id, [])
    return p

