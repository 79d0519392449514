"""Go's context package, across processes.

A context is a small immutable Python object (its parent, a key/value, a
deadline) that travels by copy; what can change — whether it is cancelled,
why, which children and after-funcs hang off it — lives in a context record
in shared memory (_shm/ctxrec.py). Cancelling walks the records below, in
whatever process they were made, and closes their done channels before
cancel() returns (CTX-03); a child never affects its parent (CTX-04).

A done channel with a deadline reads as closed from the deadline on, in every
process, with nobody needing to fire a timer (chan.DEADLINE); err() then
reports DeadlineExceeded and cancels the subtree. A timer in the creating
process also cancels it eagerly, so after_func callbacks run on time.

Any object with done, err, value and deadline can be a parent, as in Go's
propagateCancel: one whose done() is the done channel of a context of this
module (found through value()) is linked to that context's record; one with
an after_func method is asked to cancel the child; any other is watched by a
goroutine on this P until either done channel is closed (CTX-16).

Causes. A record's error code and cause are one word (ctxrec ERR), so a
reader never sees one without the other (CTX-20). The cause object itself
stays in the process that cancelled; other processes decode a copy. Each
process finds the object it holds for a cause block by the block's random
token, never by its address (addresses are reused, within a run and from one
run to the next), and keeps it only while a handle of one of its records
holds it: cause() is the very object in the process that cancelled, one
shared copy in each other process, and nothing outlives the run.
"""

from __future__ import annotations

import pickle
import time as _time
from typing import TYPE_CHECKING, Any
from weakref import WeakValueDictionary

from ._core import chan as _kchan
from ._core import ctx as X
from ._core import sched as _sched
from ._core import wait as _wait
from ._errors import NoRuntime, Panic, RemoteError
from ._handle import _registry as _handle_registry
from ._handle import current_arena, misuse
from ._runtime import spawn as _spawn
from .chan import DEADLINE, Chan, timer_chan
from .select import select
from .sync import _Record

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._core.protocols import Arena, TimerEntry

__all__ = [
    "Canceled", "Context", "DeadlineExceeded", "after_func", "background", "cause", "todo",
    "with_cancel", "with_cancel_cause", "with_deadline", "with_deadline_cause", "with_timeout",
    "with_timeout_cause", "with_value", "without_cancel",
]


class Canceled(Exception):
    """The context was cancelled (``str(err) == "context canceled"``).

    ``ctx.err()`` returns an instance; it is not raised by parago, though
    being an Exception you may raise it. Compare with isinstance, never by
    identity: a copy in another process is another instance (CTX-08).
    Usable anywhere, with or without a runtime."""

    def __init__(self, msg: str = "context canceled") -> None:
        super().__init__(msg)


class DeadlineExceeded(TimeoutError):
    """The context's deadline passed (``str(err) == "context deadline exceeded"``).

    ``ctx.err()`` returns an instance; it is not raised by parago, though
    being an Exception (a TimeoutError, as Go's is a timeout error) you may
    raise it. Compare with isinstance, never by identity: a copy in another
    process is another instance (CTX-08). Usable anywhere."""

    def __init__(self, msg: str = "context deadline exceeded") -> None:
        super().__init__(msg)

    def timeout(self) -> bool:
        return True

    def temporary(self) -> bool:
        return True


# The sentinels err() returns, one per process (CTX-07, CTX-08), by code.
_CANCELED = Canceled()
_DEADLINE = DeadlineExceeded()
_ERRS = (None, _CANCELED, _DEADLINE)

# ctx.value(_CANCEL_KEY) is the nearest context of this module with a record
# (Go's &cancelCtxKey): how a foreign context that wraps one is linked to it.
_CANCEL_KEY = object()


def _dead_runtime(arena: Arena) -> NoRuntime:
    return misuse(arena, _sched.this_proc(), "context")


# ---- causes -------------------------------------------------------------------------

class _Cause:
    """A cause as this process knows it. Record handles hold it; _causes
    finds it by its block's token while any handle does."""

    __slots__ = ("__weakref__", "obj")

    def __init__(self, obj: BaseException) -> None:
        self.obj = obj


# (segment, token) -> _Cause
_causes: WeakValueDictionary[tuple[str, int], _Cause] = WeakValueDictionary()


class _StandIn:
    """What other processes get for a cause that cannot be copied: it loads
    as RemoteError(its type's name, its message)."""

    __slots__ = ("_args",)

    def __init__(self, obj: object) -> None:
        self._args = (type(obj).__qualname__, str(obj))

    def __reduce__(self) -> tuple[Any, ...]:
        return RemoteError, self._args


def _new_cause(arena: Arena, obj: BaseException) -> tuple[int, _Cause]:
    """A cause block for ``obj`` (the caller holds its reference) and its _Cause."""
    try:
        data = X.dumps(obj)
    except Exception:  # noqa: BLE001 - other processes get a stand-in
        data = X.dumps(_StandIn(obj))
    blk, token = X.new_cause(arena, data)
    box = _Cause(obj)
    _causes[(arena.seg.name, token)] = box
    return blk, box


def _load_cause(arena: Arena, blk: int) -> _Cause:
    key = (arena.seg.name, X.cause_token(arena, blk))
    box = _causes.get(key)
    if box is None:
        try:
            obj = pickle.loads(X.cause_data(arena, blk))
        except Exception as e:  # noqa: BLE001
            obj = RemoteError(type(e).__qualname__, f"the cause could not be copied here: {e}")
        box = _causes[key] = _Cause(obj)
    return box


# ---- this process's handle on a record -------------------------------------------------

class _Rec(_Record):
    """A handle on a context record, with what only this process knows of it:
    the cause it holds (``_cause``, once cancelled), the cause its deadline
    records (``_dcause``), its deadline timer and how to let go of a foreign
    parent (``_unhook``)."""

    __slots__ = ("_cause", "_dcause", "_timer", "_unhook")
    _cause: _Cause | None
    _dcause: _Cause | None
    _timer: TimerEntry | None
    _unhook: Callable[[], object] | None

    def __init__(self, arena: Arena, done_b: int, dcause_b: int) -> None:
        self._attach(arena, X.new(arena, done_b, dcause_b))

    def _attach(self, arena: Arena, b: int) -> None:
        super()._attach(arena, b)
        self._cause = self._dcause = self._timer = self._unhook = None

    @staticmethod
    def _free_block(arena: Arena, b: int) -> None:
        X.free(arena, b)


def _arena_of(rec: _Rec) -> Arena:
    proc = _sched.this_proc()
    if proc is None or proc.arena is not rec._arena:
        raise _dead_runtime(rec._arena)
    return rec._arena


def _local_rec(arena: Arena, b: int) -> _Rec | None:
    h = _handle_registry.get(b)
    return h if type(h) is _Rec and h._arena is arena else None


# ---- the contexts -----------------------------------------------------------------

def _embedded(ctx: Context) -> Any:
    return getattr(ctx, "_parent", None)


class Context:
    """Base of every context, and of your own.

    ``Context(parent)`` embeds ``parent`` as a Go struct embeds a Context: each
    method a subclass does not override is ``parent``'s. ``Context()`` alone
    is never cancelled and has no values and no deadline. Any object with
    ``done``, ``err``, ``value`` and ``deadline`` can be a parent; subclassing
    is only a convenience.

        class Traced(pg.context.Context):
            def value(self, key):
                return "traced" if key == "trace" else super().value(key)

        ctx, cancel = pg.context.with_cancel(Traced(pg.context.background()))

    Making one needs no runtime (it raises nothing); deriving cancelable
    children from it does (with_cancel and the others raise NoRuntime
    outside pg.run).
    """

    __slots__ = ("_parent",)
    _parent: Any        # a Context, or any object with its four methods (None: a root)

    def __init__(self, parent: Context | None = None) -> None:
        self._parent = parent

    def done(self) -> Chan[Any] | None:
        """A channel closed when the context is cancelled, or None if it never
        is (Go's nil channel: never ready in a select)."""
        p = _embedded(self)
        return p.done() if p is not None else None

    def err(self) -> BaseException | None:
        """None while live, then Canceled or DeadlineExceeded."""
        p = _embedded(self)
        return p.err() if p is not None else None

    def value(self, key: object) -> Any:
        """The value of the nearest with_value for ``key``, else None."""
        p = _embedded(self)
        return p.value(key) if p is not None else None

    def deadline(self) -> tuple[float | None, bool]:
        """(when, ok): ``when`` in time.time() seconds; (None, False) if none."""
        p = _embedded(self)
        return p.deadline() if p is not None else (None, False)

    def _name(self) -> str:
        p = _embedded(self)
        return _name(p) if p is not None else type(self).__name__

    def __repr__(self) -> str:
        return self._name()


def _name(ctx: Context) -> str:
    """Go's contextName: a context's own description, else its type's name."""
    r = type(ctx).__repr__
    if isinstance(ctx, Context) and r is Context.__repr__:
        return ctx._name()
    return type(ctx).__name__ if r is object.__repr__ else repr(ctx)


class _Empty(Context):
    __slots__ = ("_label",)

    def __init__(self, label: str) -> None:
        self._parent = None
        self._label = label

    def _name(self) -> str:
        return f"context.{self._label}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (background, ()) if self._label == "Background" else (todo, ())


_BACKGROUND = _Empty("Background")
_TODO = _Empty("TODO")


def background() -> Context:
    """background() -> Context: never cancelled, no values, no deadline; the
    root of every tree of contexts (CTX-01); ``done()`` is None, which as a
    select case is never ready. Callable anywhere, with or without a
    runtime; raises nothing."""
    return _BACKGROUND


def todo() -> Context:
    """todo() -> Context: like background(), for code that has not chosen a
    context yet (CTX-01); ``done()`` is None. Callable anywhere, with or
    without a runtime; raises nothing."""
    return _TODO


class _ValueCtx(Context):
    __slots__ = ("_key", "_val")

    def __init__(self, parent: Context, key: object, val: object) -> None:
        self._parent, self._key, self._val = parent, key, val

    def value(self, key: object) -> Any:
        if type(key) is type(self._key) and key == self._key:
            return self._val
        return self._parent.value(key)

    def _name(self) -> str:
        return f"{_name(self._parent)}.WithValue({self._key!r}, {self._val!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return _ValueCtx, (self._parent, self._key, self._val)


class _WithoutCancelCtx(Context):
    __slots__ = ()

    def done(self) -> Chan[Any] | None:
        return None

    def err(self) -> BaseException | None:
        return None

    def deadline(self) -> tuple[float | None, bool]:
        return None, False

    def value(self, key: object) -> Any:
        return None if key is _CANCEL_KEY else self._parent.value(key)

    def _name(self) -> str:
        return f"{_name(self._parent)}.WithoutCancel"

    def __reduce__(self) -> tuple[Any, ...]:
        return _WithoutCancelCtx, (self._parent,)


class _CancelCtx(Context):
    """A context with a record: from with_cancel*, with_deadline*, with_timeout*.
    ``_mono`` is its deadline (own or an ancestor's) on the monotonic clock in
    ns, 0 if none; ``_when`` its own deadline in time.time() seconds, or None."""

    __slots__ = ("_done", "_label", "_mono", "_rec", "_when")
    _done: Chan[Any]
    _label: str
    _mono: int
    _rec: _Rec
    _when: float | None

    def done(self) -> Chan[Any]:
        return self._done

    def err(self) -> BaseException | None:
        rec = self._rec
        word = X.err_word(_arena_of(rec), rec._b)
        if word:
            return _ERRS[word & X.CODE_MASK]
        if self._mono and _time.monotonic_ns() >= self._mono:
            return _expire(self)
        return None

    def value(self, key: object) -> Any:
        if key is _CANCEL_KEY:
            return self
        return self._parent.value(key)

    def deadline(self) -> tuple[float | None, bool]:
        if self._when is not None:
            return self._when, True
        return self._parent.deadline()  # type: ignore[no-any-return]  # any parent: untyped

    def _name(self) -> str:
        return f"{_name(self._parent)}.{self._label}"

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild_cancel, (self._parent, self._rec, self._done, self._when, self._mono,
                                 self._label)


def _rebuild_cancel(parent: Context, rec: _Rec, done: Chan[Any], when: float | None, mono: int,
                    label: str) -> _CancelCtx:
    c = object.__new__(_CancelCtx)
    c._parent, c._rec, c._done, c._when, c._mono, c._label = parent, rec, done, when, mono, label
    return c


# ---- cancelling ------------------------------------------------------------------------

def _cancel_tree(arena: Arena, b: int, word: int, box: _Cause | None, unlink: bool) -> bool:
    """Cancel record ``b`` and every record below it with ERR = ``word``
    (whose cause this process holds as ``box``, if it does); False if ``b``
    already was. ``unlink``: also take ``b`` off its parent's list (a cancel
    of ``b`` itself, not one coming from above)."""
    proc = _kchan.proc_for(arena)

    def visit(rb: int) -> None:
        h = _local_rec(arena, rb)
        if h is not None:
            if box is not None:
                h._cause = box
            if h._timer is not None:
                _wait.cancel_timer(h._timer)
                h._timer = None

    def start(data: bytes) -> None:
        _spawn.go(proc, pickle.loads(data), (), {})       # after_func: its own goroutine

    if not X.cancel_tree(arena, b, word, visit, start, unlink):   # CTX-06 when unlink
        return False
    if unlink:
        h = _local_rec(arena, b)
        if h is not None and h._unhook is not None:
            stop, h._unhook = h._unhook, None
            if proc.current is None:
                _spawn.go_local(proc, stop)               # a timer callback: no user code here
            else:
                stop()
    return True


def _is_err(why: BaseException | None, code: int) -> bool:
    """Is ``why`` the error of ``code`` itself (a cause no different from it)?"""
    err = _ERRS[code]
    return why is err or (type(why) is type(err) and why.args == err.args)  # type: ignore[union-attr]


def _cancel(rec: _Rec, code: int, why: BaseException | None, unlink: bool) -> bool:
    """Cancel ``rec`` from this process with error ``code`` and cause ``why``
    (None: the error itself)."""
    arena = _arena_of(rec)
    if X.err_word(arena, rec._b):
        return False
    if why is None or _is_err(why, code):
        return _cancel_tree(arena, rec._b, code, None, unlink)
    blk, box = _new_cause(arena, why)
    try:
        return _cancel_tree(arena, rec._b, blk | code, box, unlink)
    finally:
        X.decref_cause(arena, blk)                        # the records hold their own


def _expire(c: _CancelCtx) -> BaseException | None:
    """c's deadline has passed: cancel it, if nothing did yet, and return its err."""
    rec = c._rec
    arena = rec._arena
    if c._when is not None:
        _cancel_tree(arena, rec._b, X.expiry_word(arena, rec._b), rec._dcause, True)
    else:
        perr = c._parent.err()        # the deadline is an ancestor's: it expires first
        if not X.err_word(arena, rec._b):
            if perr is None:
                _cancel(rec, X.DEADLINE_EXCEEDED, None, unlink=False)
            else:
                _cancel_from_parent(c, perr)
    return _ERRS[X.err_word(arena, rec._b) & X.CODE_MASK]


def _on_deadline(rec: _Rec) -> None:
    """Timer callback in the creating process: the deadline passed."""
    arena = rec._arena
    rec._timer = None
    if arena.seg.mm is not None:
        _cancel_tree(arena, rec._b, X.expiry_word(arena, rec._b), rec._dcause, True)


def _cancel_from_parent(c: _CancelCtx, perr: BaseException | None = None) -> None:
    """Cancel ``c`` as its foreign parent is: with its err() and cause()."""
    parent = c._parent
    if perr is None:
        perr = parent.err()
    code = X.DEADLINE_EXCEEDED if isinstance(perr, DeadlineExceeded) else X.CANCELED
    _cancel(c._rec, code, cause(parent), unlink=False)


class _CancelFromParent:
    """What a parent's after_func method runs: cancel the child as the parent is."""

    __slots__ = ("_child",)

    def __init__(self, child: _CancelCtx) -> None:
        self._child = child

    def __call__(self) -> None:
        _cancel_from_parent(self._child)


def _watch(parent: Context, pdone: Chan[Any], c: _CancelCtx) -> None:
    """A foreign parent's watcher goroutine (Go's propagateCancel goroutine)."""
    if select(pdone.recv, c._done.recv)[0] == 0:
        _cancel_from_parent(c)


def _parent_cancel_ctx(parent: Context, arena: Arena) -> _CancelCtx | None:
    """The context of this module whose cancellation is ``parent``'s: itself,
    or the one a wrapper's value() names if the wrapper's done() is its done
    channel (Go's parentCancelCtx)."""
    if type(parent) is _CancelCtx:
        c = parent
    else:
        c = parent.value(_CANCEL_KEY)
        if type(c) is not _CancelCtx:
            return None
        d = parent.done()
        if d is None or not (d is c._done or d == c._done):
            return None
    if c._rec._arena is not arena:
        raise _dead_runtime(c._rec._arena)
    return c


def _propagate(arena: Arena, parent: Context, pc: _CancelCtx | None, c: _CancelCtx) -> None:
    """Arrange for ``c`` to be cancelled with its parent (CTX-03, CTX-05, CTX-16)."""
    if pc is not None:
        word = X.link(arena, pc._rec._b, c._rec._b)
        if word:
            _cancel_tree(arena, c._rec._b, word, pc._rec._cause, False)
        return
    pdone = parent.done()
    if pdone is None:
        return                                            # never cancelled
    if select(pdone.recv, default=True)[0] == 0:
        _cancel_from_parent(c)
        return
    hook = getattr(parent, "after_func", None)
    if callable(hook):
        c._rec._unhook = hook(_CancelFromParent(c))
        return
    _spawn.go_local(_kchan.proc_for(arena), _watch, (parent, pdone, c))


def _check_parent(parent: Context) -> None:
    if parent is None:
        raise Panic("cannot create context from nil parent")
    for m in ("done", "err", "value", "deadline"):
        if not callable(getattr(parent, m, None)):
            raise TypeError(f"a parent context needs done, err, value and deadline methods; "
                            f"{type(parent).__name__} has no {m}()")


_FAR = 1e9          # seconds: a deadline further away than this (even inf) never comes


def _new_cancel(parent: Context, when: float | None, dcause: BaseException | None) -> _CancelCtx:
    _check_parent(parent)
    if when is not None and when != when:
        raise ValueError("a deadline cannot be NaN")
    arena = current_arena()
    pc = _parent_cancel_ctx(parent, arena)
    own = None
    mono = 0
    if when is not None:
        pw, pok = parent.deadline()
        if not (pok and pw is not None and pw < when):    # else the parent's comes first (CTX-10)
            own = when
            mono = max(1, _time.monotonic_ns() + int(min(when - _time.time(), _FAR) * 1e9))
    if own is None and pc is not None:
        mono = pc._mono                                   # an ancestor's deadline is ours too
    done = timer_chan(mono, 0, DEADLINE)
    dblk, dbox = _new_cause(arena, dcause) if own is not None and dcause is not None else (0, None)
    try:
        rec = _Rec(arena, done._b, dblk)
    finally:
        X.decref_cause(arena, dblk)                       # the record holds its own
    rec._dcause = dbox
    c = object.__new__(_CancelCtx)
    c._parent, c._rec, c._done, c._when, c._mono = parent, rec, done.recv_only(), own, mono
    c._label = "WithCancel" if own is None else f"WithDeadline({own:.6f})"
    _propagate(arena, parent, pc, c)
    if own is not None:
        if mono <= _time.monotonic_ns():
            # Expired at birth (CTX-09, CTX-19), after the parent had its say.
            _cancel_tree(arena, rec._b, X.expiry_word(arena, rec._b), dbox, True)
        elif not X.err_word(arena, rec._b):
            rec._timer = _wait.timer(_kchan.proc_for(arena), mono / 1e9, _on_deadline, rec)
    return c


# ---- the constructors ------------------------------------------------------------------

class _CancelFunc:
    """cancel(): cancel the context (err() Canceled) and everything derived
    from it, before returning; idempotent; callable from any goroutine in
    any process (CTX-06). Go's CancelFunc."""

    __slots__ = ("_rec",)

    def __init__(self, rec: _Rec) -> None:
        self._rec = rec

    def __call__(self) -> None:
        _cancel(self._rec, X.CANCELED, None, unlink=True)

    def __repr__(self) -> str:
        return f"<CancelFunc of {self._rec!r}>"


class _CancelCauseFunc(_CancelFunc):
    """cancel(cause=None): like CancelFunc, and cause(ctx) reports ``cause``
    (``Canceled`` if None). The first cancellation wins (CTX-17, CTX-18).
    Go's CancelCauseFunc."""

    __slots__ = ()

    def __call__(self, cause: BaseException | None = None) -> None:
        _cancel(self._rec, X.CANCELED, cause, unlink=True)

    def __repr__(self) -> str:
        return f"<CancelCauseFunc of {self._rec!r}>"


def with_cancel(parent: Context) -> tuple[Context, _CancelFunc]:
    """with_cancel(parent) -> (ctx, cancel).

    ``ctx`` is done when ``cancel()`` is called or ``parent`` is done,
    whichever comes first; then ``ctx.err()`` is Canceled (or the parent's
    error) (CTX-02..06). ``parent`` is any context: one of this module's, or
    any object with done, err, value and deadline (CTX-16). Call inside
    pg.run, from any goroutine in any process; ``ctx`` and ``cancel`` can be
    sent to other processes.

    Raises pg.Panic("cannot create context from nil parent") for a None
    parent, TypeError for a parent that is not a context, pg.NoRuntime
    outside pg.run or for a parent of an ended run.
    """
    ctx = _new_cancel(parent, None, None)
    return ctx, _CancelFunc(ctx._rec)


def with_cancel_cause(parent: Context) -> tuple[Context, _CancelCauseFunc]:
    """with_cancel_cause(parent) -> (ctx, cancel(cause=None)).

    Like with_cancel; ``cause(ctx)`` then returns the cause given to cancel,
    the very object in the process that cancelled and a copy elsewhere
    (CTX-17, CTX-18).

        ctx, cancel = pg.context.with_cancel_cause(pg.context.background())
        cancel(ValueError("bad input"))
        ctx.err()                  # Canceled
        pg.context.cause(ctx)      # ValueError('bad input')

    Call inside pg.run; raises what with_cancel raises.
    """
    ctx = _new_cancel(parent, None, None)
    return ctx, _CancelCauseFunc(ctx._rec)


def with_deadline(parent: Context, when: float) -> tuple[Context, _CancelFunc]:
    """with_deadline(parent, when) -> (ctx, cancel).

    Like with_cancel, and done at ``when`` (time.time() seconds), with err()
    DeadlineExceeded; a ``when`` already past gives a context expired at
    birth (CTX-09). If the parent's deadline is earlier this is
    with_cancel(parent) (CTX-10). cancel() before the deadline gives Canceled
    (CTX-11).

        ctx, cancel = pg.context.with_deadline(parent, time.time() + 5)

    Call inside pg.run; raises what with_cancel raises, and TypeError or
    ValueError for a ``when`` that float() cannot read.
    """
    return with_deadline_cause(parent, when, None)


def with_deadline_cause(parent: Context, when: float, cause: BaseException | None
                        ) -> tuple[Context, _CancelFunc]:
    """with_deadline_cause(parent, when, cause) -> (ctx, cancel).

    Like with_deadline; when the deadline passes, ``cause(ctx)`` is
    ``cause`` (err() is still DeadlineExceeded). cancel() records no cause:
    Canceled, Canceled (CTX-19, Go 1.21). Call inside pg.run; raises what
    with_deadline raises.
    """
    ctx = _new_cancel(parent, float(when), cause)
    return ctx, _CancelFunc(ctx._rec)


def with_timeout(parent: Context, s: float) -> tuple[Context, _CancelFunc]:
    """with_timeout(parent, s) -> (ctx, cancel): with_deadline(parent,
    time.time() + s). ``s <= 0`` gives a context expired at birth (CTX-09).

        ctx, cancel = pg.context.with_timeout(pg.context.background(), 2.0)
        pg.select(ctx.done().recv, results.recv)   # whichever comes first

    Call inside pg.run, from any goroutine; raises what with_deadline
    raises."""
    return with_deadline_cause(parent, _time.time() + float(s), None)


def with_timeout_cause(parent: Context, s: float, cause: BaseException | None
                       ) -> tuple[Context, _CancelFunc]:
    """with_timeout_cause(parent, s, cause) -> (ctx, cancel):
    with_deadline_cause(parent, time.time() + s, cause) (CTX-19, Go 1.21):
    when the timeout passes, err() is DeadlineExceeded and cause(ctx) is
    ``cause``. Call inside pg.run, from any goroutine; raises what
    with_deadline raises."""
    return with_deadline_cause(parent, _time.time() + float(s), cause)


def with_value(parent: Context, key: object, val: object) -> Context:
    """with_value(parent, key, val) -> Context: a child carrying key -> val.

    Lookups go innermost first; keys match by type and == (CTX-12). The key
    and value travel with the context (copied to other processes). Raises
    pg.Panic("nil key") for a None key, pg.Panic("key is not comparable")
    for an unhashable one (CTX-13). Callable anywhere.
    """
    _check_parent(parent)
    if key is None:
        raise Panic("nil key")
    try:
        hash(key)
    except TypeError:
        raise Panic("key is not comparable") from None
    return _ValueCtx(parent, key, val)


def without_cancel(parent: Context) -> Context:
    """without_cancel(parent) -> Context (Go 1.21's WithoutCancel).

    Has ``parent``'s values but is never cancelled: done() None, err() None,
    deadline() (None, False), cause() None, even after the parent is
    cancelled or its deadline passes (CTX-21). Contexts derived from it are
    not cancelled by ``parent`` either. Raises pg.Panic("cannot create
    context from nil parent") for None. Callable anywhere.
    """
    _check_parent(parent)
    return _WithoutCancelCtx(parent)


def cause(ctx: Context) -> BaseException | None:
    """cause(ctx): why ``ctx`` was cancelled.

    None while it is live; then the cause given to a with_cancel_cause
    cancel or recorded by a with_deadline_cause / with_timeout_cause expiry,
    else ctx.err() (CTX-17..20). The first cancellation's cause wins, also
    for children. In the process that cancelled it is the very object given;
    in another process a copy (the same one on every call there). For a
    context of another kind, ctx.err(). Raises pg.NoRuntime for a context
    of an ended run.
    """
    c = ctx.value(_CANCEL_KEY)
    if type(c) is not _CancelCtx:
        return ctx.err()
    rec = c._rec
    arena = _arena_of(rec)
    if rec._cause is not None:
        return rec._cause.obj
    word = X.err_word(arena, rec._b)
    if not word:
        if c.err() is None:
            return None
        word = X.err_word(arena, rec._b)
    blk = word & ~X.CODE_MASK
    if not blk:
        return _ERRS[word & X.CODE_MASK]
    box = rec._cause = _load_cause(arena, blk)
    return box.obj


# ---- after_func -----------------------------------------------------------------------

class _StopResult:
    """The stop() of an after_func that can no longer be stopped (False), or
    that nothing would ever run (True the first time only)."""

    __slots__ = ("_first",)

    def __init__(self, first: bool) -> None:
        self._first = first

    def __call__(self) -> bool:
        r, self._first = self._first, False
        return r


class _AfterFuncStop:
    """stop() of an after_func registered on a record."""

    __slots__ = ("_entry", "_id", "_rec")

    def __init__(self, rec: _Rec, entry: int, ident: int) -> None:
        self._rec, self._entry, self._id = rec, entry, ident

    def __call__(self) -> bool:
        rec = self._rec
        return X.remove_after(_arena_of(rec), rec._b, self._entry, self._id)


class _StopAndCancel:
    """stop() of an after_func on a foreign context, registered on a child of it."""

    __slots__ = ("_cancel", "_stop")

    def __init__(self, stop: Callable[[], bool], cancel: Callable[[], None]) -> None:
        self._stop, self._cancel = stop, cancel

    def __call__(self) -> bool:
        stopped = self._stop()
        self._cancel()
        return stopped


def after_func(ctx: Context, fn: Callable[[], object]) -> Callable[[], bool]:
    """after_func(ctx, fn) -> stop.

    Run ``fn()`` in its own goroutine once ``ctx`` is done — at once if it
    already is (CTX-22); cancel() does not wait for it (CTX-24). ``fn`` is
    copied like a go() argument and may run in any process. ``stop()``
    returns True if it prevented ``fn`` from running, False if ``fn`` had
    started or stop was already called; it does not wait for ``fn`` (CTX-23).
    ``ctx`` may be any context (CTX-16). Call inside pg.run; raises TypeError
    if ``fn`` is not callable.
    """
    if not callable(fn):
        raise TypeError("after_func needs a callable")
    arena = current_arena()
    c = _parent_cancel_ctx(ctx, arena)
    if c is None:
        if ctx.done() is None:
            return _StopResult(True)                      # never cancelled: fn never runs
        inner, cancel = with_cancel(ctx)
        return _StopAndCancel(after_func(inner, fn), cancel)
    rec = c._rec
    entry = ident = 0
    if c.err() is None:
        entry, ident = X.add_after(arena, rec._b, X.dumps(fn))
    if not entry:
        _spawn.go(_kchan.proc_for(arena), fn, (), {})
        return _StopResult(False)
    return _AfterFuncStop(rec, entry, ident)
