"""Go's context package, across processes.

A context is a small immutable Python object (its parent, a key/value, a
deadline) that travels by copy; what can change — whether it is cancelled,
why, which children and after-funcs hang off it — lives in a sync record in
shared memory. Cancelling walks that record's children in whatever process
they were made, and closes their done channels, before cancel() returns
(CTX-03); a child never affects its parent (CTX-04).

A done channel with a deadline reads as closed from the deadline on, in every
process, with nobody needing to fire a timer (chan.DEADLINE); err() then
reports DeadlineExceeded and cancels the subtree. A timer in the creating
process also cancels it eagerly, so after_func callbacks run on time.
"""

from __future__ import annotations

import pickle
import time as _time

from ._core import sched as _sched
from ._errors import Panic
from ._handle import current_arena
from ._runtime import spawn as _spawn
from ._shm import chan as C
from ._shm import layout as L
from ._shm import lock as _lock
from ._shm import syncrec as R
from ._shm import values as V
from .chan import DEADLINE, Chan, _proc_of, chan_at, timer_chan
from .sync import _Record

__all__ = [
    "Canceled", "Context", "DeadlineExceeded", "after_func", "background", "cause", "todo",
    "with_cancel", "with_cancel_cause", "with_deadline", "with_timeout", "with_value",
]


class Canceled(Exception):
    """The context was cancelled (``str(err) == "context canceled"``)."""

    def __init__(self, msg: str = "context canceled"):
        super().__init__(msg)


class DeadlineExceeded(TimeoutError):
    """The context's deadline passed (``str(err) == "context deadline exceeded"``)."""

    def __init__(self, msg: str = "context deadline exceeded"):
        super().__init__(msg)

    def timeout(self) -> bool:
        return True

    def temporary(self) -> bool:
        return True


# The sentinels err() returns, one per process (CTX-07, CTX-08).
_CANCELED = Canceled()
_DEADLINE = DeadlineExceeded()
_ERRS = {1: _CANCELED, 2: _DEADLINE}

# record words (X region)
_ERR = R.R_X0
_CAUSE = R.R_X0 + 1        # data block: the pickled cause
_CHILDREN = R.R_X0 + 2     # first child record
_NEXT = R.R_X0 + 3         # siblings in the parent's list
_PREV = R.R_X0 + 4
_PARENT = R.R_X0 + 5       # record whose child list holds this one (0: none)
_AFTER = R.R_X0 + 6        # first after-func entry
_DONE = R.R_X0 + 7         # the done channel (this record holds a reference)

# A cause object this process passed to cancel, by record: cause() returns
# the very object here, a copy elsewhere.
_local_causes: dict = {}


class _Rec(_Record):
    """The shared state of one cancelable context."""

    __slots__ = ()
    _TYPE = R.T_CONTEXT

    @staticmethod
    def _free_block(arena, b):
        _free_record(arena, b)


def _free_record(arena, b: int) -> None:
    M = arena.M
    w = b >> 3
    for f in (_CAUSE,):
        if M[w + f]:
            arena.free(M[w + f])
    e = M[w + _AFTER]
    while e:
        nxt = M[(e >> 3) + 1]
        arena.free(e)
        e = nxt
    done = M[w + _DONE]
    if done and arena.mem.add64(done + C.C_REFS * 8, -1) == 0:
        C.destroy(arena, done)
    _local_causes.pop(b, None)
    arena.free(b)


def _decref(arena, b: int) -> None:
    if arena.mem.add64(b + R.R_REFS * 8, -1) == 0:
        _free_record(arena, b)


def _data_block(arena, data: bytes) -> int:
    blk = arena.alloc(16 + len(data), L.K_DATA)
    arena.M[(blk >> 3) + 1] = len(data)
    arena.B[blk + 16:blk + 16 + len(data)] = data
    return blk


def _data(arena, blk: int) -> bytes:
    n = arena.M[(blk >> 3) + 1]
    return arena.B[blk + 16:blk + 16 + n].tobytes()


# An after-func entry: [K_DATA, next entry, nbytes, pickled fn].
def _new_entry(arena, data: bytes) -> int:
    e = arena.alloc(24 + len(data), L.K_DATA)
    arena.M[(e >> 3) + 1] = 0
    arena.M[(e >> 3) + 2] = len(data)
    arena.B[e + 24:e + 24 + len(data)] = data
    return e


def _entry_fn(arena, e: int) -> bytes:
    n = arena.M[(e >> 3) + 2]
    return arena.B[e + 24:e + 24 + n].tobytes()


# ---- the contexts -----------------------------------------------------------------

class Context:
    """Base of every context. ``done()`` is None for contexts that are never
    cancelled (Go's nil channel: never ready in select)."""

    __slots__ = ("_parent",)

    def done(self) -> Chan | None:
        return None

    def err(self) -> BaseException | None:
        return None

    def value(self, key):
        p = self._parent
        return p.value(key) if p is not None else None

    def deadline(self):
        """(when, ok): ``when`` in time.time() seconds."""
        p = self._parent
        return p.deadline() if p is not None else (None, False)

    def _cancel_rec(self) -> _Rec | None:
        """The nearest cancelable context's record (self or an ancestor)."""
        p = self._parent
        return p._cancel_rec() if p is not None else None

    def _name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return self._name()


class _Empty(Context):
    __slots__ = ("_label",)

    def __init__(self, label):
        self._parent = None
        self._label = label

    def _name(self):
        return f"context.{self._label}"

    def __reduce__(self):
        return (background, ()) if self._label == "Background" else (todo, ())


_BACKGROUND = _Empty("Background")
_TODO = _Empty("TODO")


def background() -> Context:
    """Never cancelled, no values, no deadline (CTX-01)."""
    return _BACKGROUND


def todo() -> Context:
    return _TODO


class _ValueCtx(Context):
    __slots__ = ("_key", "_val")

    def __init__(self, parent, key, val):
        self._parent, self._key, self._val = parent, key, val

    def value(self, key):
        if self._key == key and type(self._key) is type(key):
            return self._val
        return self._parent.value(key)

    def done(self):
        return self._parent.done()

    def err(self):
        return self._parent.err()

    def _name(self):
        return f"{self._parent._name()}.WithValue({self._key!r}, {self._val!r})"

    def __reduce__(self):
        return _ValueCtx, (self._parent, self._key, self._val)


class _CancelCtx(Context):
    __slots__ = ("_rec", "_done", "_when", "_label")

    def done(self) -> Chan:
        return self._done

    def err(self):
        arena = self._rec._arena
        code = arena.M[self._rec._w + _ERR]
        if code:
            return _ERRS[code]
        when, ok = self.deadline()
        if ok and _time.time() >= when:
            _cancel(arena, self._rec._b, 2, None)
            return _ERRS[arena.M[self._rec._w + _ERR]]
        return None

    def deadline(self):
        if self._when is not None:
            return self._when, True
        return self._parent.deadline()

    def _cancel_rec(self):
        return self._rec

    def _name(self):
        return f"{self._parent._name()}.{self._label}"

    def __reduce__(self):
        return _rebuild_cancel, (self._parent, self._rec, self._done, self._when, self._label)


def _rebuild_cancel(parent, rec, done, when, label):
    c = object.__new__(_CancelCtx)
    c._parent, c._rec, c._done, c._when, c._label = parent, rec, done, when, label
    return c


def _check_parent(parent):
    if parent is None:
        raise Panic("cannot create context from nil parent")
    if not isinstance(parent, Context):
        raise TypeError(f"parent must be a context, not {type(parent).__name__}")


def _new_cancel(parent, when: float | None, label: str) -> _CancelCtx:
    _check_parent(parent)
    arena = current_arena()
    pw, pok = parent.deadline()
    if pok and (when is None or pw <= when):
        when_eff, own = pw, None          # the parent's deadline is earlier (CTX-10)
    else:
        when_eff, own = when, when
    mono = 0
    if when_eff is not None:
        mono = _time.monotonic_ns() + max(1, int((when_eff - _time.time()) * 1e9))
    done = timer_chan(mono, 0, DEADLINE)
    rec = _Rec()
    M = arena.M
    arena.mem.add64(done._b + C.C_REFS * 8, 1)
    M[rec._w + _DONE] = done._b
    c = object.__new__(_CancelCtx)
    c._parent, c._rec, c._done, c._when, c._label = parent, rec, done.recv_only(), own, label
    prec = parent._cancel_rec()
    if prec is not None:
        _link(arena, prec._b, rec._b)
    if own is not None:
        proc = _proc_of(arena)
        proc.timers.add(mono / 1e9, _expire, c)
    return c


def _link(arena, parent_b: int, child_b: int) -> None:
    """Hang the child off the parent's list, or cancel it at once if the
    parent is already cancelled (CTX-05)."""
    M = arena.M
    pw, cw = parent_b >> 3, child_b >> 3
    _lock.acquire(arena, parent_b + 8)
    try:
        code = M[pw + _ERR]
        if not code:
            head = M[pw + _CHILDREN]
            M[cw + _NEXT] = head
            M[cw + _PREV] = 0
            if head:
                M[(head >> 3) + _PREV] = child_b
            M[pw + _CHILDREN] = child_b
            M[cw + _PARENT] = parent_b
            arena.mem.add64(child_b + R.R_REFS * 8, 1)     # the list's reference
            return
        cause_data = _data(arena, M[pw + _CAUSE]) if M[pw + _CAUSE] else None
    finally:
        _lock.release(arena, parent_b + 8)
    _cancel(arena, child_b, code, cause_data)


def _expire(c: _CancelCtx) -> None:
    """Timer callback: the deadline passed."""
    if c._rec._arena.seg.mm is not None:
        _cancel(c._rec._arena, c._rec._b, 2, None)


def _cancel(arena, b: int, code: int, cause_data: bytes | None, unlink: bool = True) -> bool:
    """Cancel record ``b`` and everything below it; False if it already was."""
    M = arena.M
    w = b >> 3
    _lock.acquire(arena, b + 8)
    try:
        if M[w + _ERR]:
            return False
        M[w + _ERR] = code
        if cause_data is not None:
            M[w + _CAUSE] = _data_block(arena, cause_data)
        children = []
        ch = M[w + _CHILDREN]
        while ch:
            children.append(ch)
            M[(ch >> 3) + _PARENT] = 0
            ch = M[(ch >> 3) + _NEXT]
        M[w + _CHILDREN] = 0
        funcs = []
        e = M[w + _AFTER]
        while e:
            funcs.append(_entry_fn(arena, e))
            nxt = M[(e >> 3) + 1]
            arena.free(e)
            e = nxt
        M[w + _AFTER] = 0
        done_b = M[w + _DONE]
    finally:
        _lock.release(arena, b + 8)
    _close_done(arena, done_b)
    for child in children:
        _cancel(arena, child, code, cause_data, unlink=False)
        _decref(arena, child)                             # the list's reference
    proc = _sched.tls.proc
    for data in funcs:
        _spawn.go(proc, pickle.loads(data), (), {})       # after_func: its own goroutine
    if unlink:
        _unlink_from_parent(arena, b)
    return True


def _close_done(arena, done_b: int) -> None:
    try:
        chan_at(arena, done_b, DEADLINE).close()
    except Panic:
        pass                                              # already closed


def _unlink_from_parent(arena, b: int) -> None:
    M = arena.M
    w = b >> 3
    p = M[w + _PARENT]
    if not p:
        return
    _lock.acquire(arena, p + 8)
    try:
        if M[w + _PARENT] != p:
            return                                        # the parent took us off itself
        nxt, prv = M[w + _NEXT], M[w + _PREV]
        if prv:
            M[(prv >> 3) + _NEXT] = nxt
        else:
            M[(p >> 3) + _CHILDREN] = nxt
        if nxt:
            M[(nxt >> 3) + _PREV] = prv
        M[w + _PARENT] = 0
    finally:
        _lock.release(arena, p + 8)
    _decref(arena, b)                                     # the list's reference (CTX-06)


# ---- the constructors ------------------------------------------------------------------

def _canceller(ctx: _CancelCtx, with_cause: bool):
    rec = ctx._rec

    def cancel(cause: BaseException | None = None) -> None:
        data = V.dumps(cause) if with_cause and cause is not None else None
        if _cancel(rec._arena, rec._b, 1, data) and data is not None:
            _local_causes[rec._b] = cause

    if not with_cause:
        def cancel_func() -> None:        # Go's CancelFunc takes no cause
            _cancel(rec._arena, rec._b, 1, None)
        cancel_func.__qualname__ = "CancelFunc"
        return cancel_func
    cancel.__qualname__ = "CancelCauseFunc"
    return cancel


def with_cancel(parent: Context):
    """(ctx, cancel): ctx is done when cancel() is called or parent is done."""
    ctx = _new_cancel(parent, None, "WithCancel")
    return ctx, _canceller(ctx, False)


def with_cancel_cause(parent: Context):
    """(ctx, cancel(cause)): like with_cancel; cause(ctx) reports why (CTX-17)."""
    ctx = _new_cancel(parent, None, "WithCancel")
    return ctx, _canceller(ctx, True)


def with_deadline(parent: Context, when: float):
    """(ctx, cancel): also done at ``when`` (time.time() seconds) (CTX-09)."""
    ctx = _new_cancel(parent, float(when), f"WithDeadline({when:.6f})")
    return ctx, _canceller(ctx, False)


def with_timeout(parent: Context, s: float):
    return with_deadline(parent, _time.time() + float(s))


def with_value(parent: Context, key, val) -> Context:
    """A child carrying key -> val; lookups go innermost first (CTX-12)."""
    _check_parent(parent)
    if key is None:
        raise Panic("nil key")
    try:
        hash(key)
    except TypeError:
        raise Panic("key is not comparable") from None
    return _ValueCtx(parent, key, val)


def cause(ctx: Context) -> BaseException | None:
    """Why ctx was cancelled: the cause given to its cancel, or its err()
    (CTX-17, CTX-18: the first cancellation's cause wins)."""
    err = ctx.err()
    if err is None:
        return None
    rec = ctx._cancel_rec()
    if rec is None:
        return err
    mine = _local_causes.get(rec._b)
    if mine is not None:
        return mine
    blk = rec._arena.M[rec._w + _CAUSE]
    return pickle.loads(_data(rec._arena, blk)) if blk else err


def after_func(ctx: Context, fn):
    """Run fn() in its own goroutine once ctx is done (at once if it already
    is). Returns stop(): True if it prevented fn from running (CTX-22/23)."""
    if not callable(fn):
        raise TypeError("after_func needs a callable")
    rec = ctx._cancel_rec()
    if rec is None:
        return lambda: True               # never cancelled: fn never runs
    arena = rec._arena
    if ctx.err() is not None:
        _spawn.go(_proc_of(arena), fn, (), {})
        return lambda: False
    entry = _new_entry(arena, V.dumps(fn))
    M = arena.M
    _lock.acquire(arena, rec._lb)
    try:
        already = M[rec._w + _ERR]
        if not already:
            # entry: [K_DATA, next, nbytes, payload] — the link sits in word 1
            M[(entry >> 3) + 1] = M[rec._w + _AFTER]
            M[rec._w + _AFTER] = entry
    finally:
        _lock.release(arena, rec._lb)
    if already:
        arena.free(entry)
        _spawn.go(_proc_of(arena), fn, (), {})
        return lambda: False

    def stop() -> bool:
        _lock.acquire(arena, rec._lb)
        try:
            prev, e = 0, M[rec._w + _AFTER]
            while e and e != entry:
                prev, e = e, M[(e >> 3) + 1]
            if not e:
                return False              # already started (or stopped)
            if prev:
                M[(prev >> 3) + 1] = M[(e >> 3) + 1]
            else:
                M[rec._w + _AFTER] = M[(e >> 3) + 1]
        finally:
            _lock.release(arena, rec._lb)
        arena.free(entry)
        return True

    return stop
