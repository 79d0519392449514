"""Channels: Go's ``chan``, usable between goroutines in any processes.

A Chan is a small handle on a channel in the runtime's shared memory; the
algorithms are the kernel's (_core/chan.py, after Go's runtime/chan.go): a
waiting partner is served directly, then the buffer, then the goroutine
parks until a partner or close() wakes it.

Values are copied. Between goroutines of one process the copy is skipped for
values that cannot be observed to be shared (ints, strs, bytes, tuples of
them ...); everything else is pickled once in the sender (an unpicklable value
raises TypeError there, before the channel is touched) and unpickled in the
receiver, outside any lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Generic, Never, NoReturn, Self, TypeVar

from ._core import chan as _k
from ._handle import _registry as _handle_registry
from ._handle import current_arena

if TYPE_CHECKING:
    from ._core.protocols import Arena

__all__ = ["Chan", "chan"]

TIMER = _k.TIMER          # a timer channel (pg.after, Timer.c, Ticker.c)
DEADLINE = _k.DEADLINE    # a context's done channel, closed at its deadline

_recv_ok = _k.recv_ok

T = TypeVar("T")
_V = TypeVar("_V", bound="Chan[Any]")


class Chan(_k.ChanHandle, Generic[T]):
    """A channel between goroutines in any processes: Go's ``chan T``.

        ch = pg.chan()          # unbuffered; pg.chan(n): n values of buffer
        ch.send(v)              # c <- v
        v = ch.recv()           # v := <-c   (None once closed and drained)
        v, ok = ch.recv_ok()    # v, ok := <-c
        for v in ch: ...        # for v := range c
        ch.close()              # close(c)
        len(ch), ch.cap         # len(c), cap(c)
        ch.recv_only(), ch.send_only()      # <-chan T, chan<- T
        pg.select(ch.recv, (ch.send, v))    # as select cases

    Make one with ``pg.chan(cap)``; ``pg.Chan[int]`` annotates (the type of
    the values: ``send(v: T)``, ``recv() -> T``). A channel
    lives in the runtime's shared memory; the object is a handle that
    pickles as such, so pass it to ``pg.go`` or send it on another channel
    and every process uses the same channel. Values are copied (pickled)
    from sender to receiver.

    Raises Panic("send on closed channel") and Panic("close of closed
    channel"); TypeError for a value that cannot be copied (in the sender)
    and for operations a view forbids. Use it from goroutines of the
    runtime that made it: elsewhere, or after that runtime ended, it raises
    NoRuntime."""

    __slots__ = ()

    def __init__(self, cap: int = 0) -> None:
        if type(cap) is not int and not hasattr(cap, "__index__"):
            raise TypeError(f"channel capacity must be an int, not {type(cap).__name__}")
        cap = int(cap)
        if cap < 0 or cap > (1 << 31):
            raise ValueError("makechan: size out of range")
        arena = current_arena()
        self._init(arena, _k.create(arena, cap), cap, _k.PLAIN)

    # ---- as a handle (_core/handle.py; its fields are _core/chan.py's) ---------

    def _extra(self) -> tuple[int, int, int]:
        return self._cap, self._timer, _VIEW_CODE[type(self)]

    @classmethod
    def _from_block(cls, arena: Arena, b: int, extra: tuple[Any, ...]) -> Chan[Any]:
        cap, timer, view_code = extra
        ch: Chan[Any] = Chan.__new__(Chan)
        ch._init(arena, b, cap, timer)
        return ch._adopt_as(cls, extra)

    def _adopt_as(self, cls: type[Self], extra: tuple[Any, ...]) -> Self:
        return self if cls is Chan else _view(cls, self)

    # ---- the operations ----------------------------------------------------------

    # send, recv and recv_ok are the kernel's (ChanHandle's, compiled): no
    # Python frame between the caller and the channel. Their types:
    if TYPE_CHECKING:
        def send(self, v: T) -> None: ...  # type: ignore[override]  # typed narrower
        def recv(self) -> T: ...
        def recv_ok(self) -> tuple[T | None, bool]: ...

    def __iter__(self) -> Iterator[T]:
        """``for v in ch``: receive until closed and drained (CH-23)."""
        recv_ok = _recv_ok
        while True:
            v, ok = recv_ok(self)
            if not ok:
                return
            yield v

    def close(self) -> None:
        """Close (Go's ``close(c)``): no more values will be sent. Never
        blocks; receivers drain what is buffered, then get (None, False);
        every blocked receiver wakes with (None, False) and every blocked
        sender raises Panic (CH-16, CH-18), in every process.

        Raises Panic("close of closed channel") the second time (CH-19),
        TypeError on a receive-only view or a timer channel."""
        if self._timer == TIMER:
            raise TypeError("close of a timer channel (it is receive-only)")
        _k.close(self)

    def __len__(self) -> int:
        """Values buffered now (CH-11); 0 for an unbuffered channel."""
        return _k.length(self)

    @property
    def cap(self) -> int:
        """The buffer's capacity (CH-11): 0 for an unbuffered channel."""
        return self._cap

    def send_only(self) -> SendOnlyChan[T]:
        """This channel as a send-only view (Go's ``chan<- T``): send,
        close, len and cap; receiving from it raises TypeError (CH-22)."""
        return _view(SendOnlyChan, self)

    def recv_only(self) -> RecvOnlyChan[T]:
        """This channel as a receive-only view (Go's ``<-chan T``): recv,
        recv_ok, iteration, len and cap; send and close on it raise
        TypeError (CH-20, CH-22)."""
        return _view(RecvOnlyChan, self)

    def __repr__(self) -> str:
        kind = type(self).__name__
        return f"<{kind} cap={self._cap} at {self._b:#x}>"


class SendOnlyChan(Chan[T]):
    """A send-only view of a channel (Go's ``chan<- T``), from
    ``ch.send_only()``: send, close, len, cap. Receiving from it, ranging
    over it or converting it to receive-only raises TypeError (CH-22). Like
    its channel, it pickles as a handle and works from goroutines of its
    runtime (NoRuntime elsewhere)."""

    __slots__ = ()

    def recv(self) -> NoReturn:
        raise TypeError("receive from send-only channel")

    def recv_ok(self) -> NoReturn:
        raise TypeError("receive from send-only channel")

    def __iter__(self) -> NoReturn:
        raise TypeError("range over send-only channel")

    def recv_only(self) -> NoReturn:
        raise TypeError("cannot convert a send-only channel to receive-only")


class RecvOnlyChan(Chan[T]):
    """A receive-only view of a channel (Go's ``<-chan T``), from
    ``ch.recv_only()``: recv, recv_ok, iteration, len, cap. Sending on it,
    closing it or converting it to send-only raises TypeError (CH-20,
    CH-22). pg.pipeline's functions return these. Like its channel, it pickles as a
    handle and works from goroutines of its runtime (NoRuntime elsewhere)."""

    __slots__ = ()

    # ``v: Never``: a type checker rejects any send on a receive-only view,
    # as Go's compiler does; at run time it raises TypeError.
    def send(self, v: Never) -> NoReturn:  # type: ignore[override]
        raise TypeError("send to receive-only channel")

    def close(self) -> NoReturn:
        raise TypeError("close of receive-only channel")

    def send_only(self) -> NoReturn:
        raise TypeError("cannot convert a receive-only channel to send-only")


_VIEW_CODE: dict[type[Chan[Any]], int] = {Chan: 0, SendOnlyChan: 1, RecvOnlyChan: 2}


def _view(cls: type[_V], ch: Chan[Any]) -> _V:
    base = ch if ch._base is None else ch._base
    v = cls.__new__(cls)
    v._arena, v._b, v._w, v._lb = base._arena, base._b, base._w, base._lb
    v._cap, v._timer, v._base = base._cap, base._timer, base
    return v


def chan(cap: int = 0) -> Chan[Any]:
    """Make a channel with buffer capacity ``cap`` (Go's ``make(chan T, cap)``).

        pg.chan()       # unbuffered: a send waits for a receiver (CH-02)
        pg.chan(100)    # buffered: a send waits only when 100 are queued

    Raises ValueError("makechan: size out of range") for a negative (or
    over 2**31) capacity, TypeError for one that is not an int. Call it
    from a goroutine of a running runtime (it lives in the runtime's shared
    memory); elsewhere it raises NoRuntime."""
    return Chan(cap)


# ---- for the rest of the public layer (time, context, the pool) ----------------------

def chan_at(arena: Arena, b: int, kind: int = 0, cap: int = 0) -> Chan[Any]:
    """A handle on the channel at ``b`` known only by address (the caller
    keeps the block alive): this process's existing handle, or a new one
    holding its own reference."""
    h = _handle_registry.get(b)
    if isinstance(h, Chan) and h._arena is arena:
        return h
    _k.add_ref(arena, b)
    ch: Chan[Any] = Chan.__new__(Chan)
    ch._init(arena, b, cap, kind)
    return ch


def timer_chan(when_ns: int, period_ns: int = 0, kind: int = TIMER) -> Chan[Any]:
    """A receive-only channel that, as a TIMER, delivers the fire time at
    ``when_ns`` (monotonic) and then every ``period_ns`` if non-zero; as a
    DEADLINE, reads as closed from ``when_ns`` on (0: no deadline)."""
    arena = _k.timer_arena()
    ch: Chan[Any] = Chan.__new__(Chan)
    ch._init(arena, _k.create_timer(arena, when_ns, period_ns, kind), 0, kind)
    return ch if kind == DEADLINE else _view(RecvOnlyChan, ch)


offer = _k.try_send
poll = _k.try_recv
nudge_waiters = _k.nudge_waiters
set_timer = _k.set_timer
