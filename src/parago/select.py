"""select: wait on several channel operations, as Go's select statement.

    pg.select(ch.recv, (out.send, v), None, pg.after(1).recv, default=False)
        -> (index, value, ok)

This module checks and parses the cases; the algorithm (Go's selectgo:
lock every channel, try the cases in a random order, else wait on all of
them at once) is the kernel's, in _core/select.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias

from ._core import sched as _sched
from ._core import select as _k
from .chan import Chan, RecvOnlyChan, SendOnlyChan

if TYPE_CHECKING:
    from ._core.protocols import SelectOp

__all__ = ["select"]

# A case: ch.recv (or ch.recv_ok), (ch.send, value), or None.
SelectCase: TypeAlias = "Callable[[], object] | tuple[Callable[[Any], object], object] | None"

SEND = _k.SEND
RECV = _k.RECV
_RECV_FUNCS = (Chan.recv, Chan.recv_ok)


def _parse(cases: tuple[SelectCase, ...]) -> list[SelectOp]:
    """[(index, chan, dir, value)] for the non-nil cases."""
    ops: list[SelectOp] = []
    for i, c in enumerate(cases):
        if c is None:
            continue
        if type(c) is tuple:
            if len(c) != 2:
                raise TypeError(f"select case {i}: a send case is (ch.send, value)")
            fn, v = c
            ch = getattr(fn, "__self__", None)
            func = getattr(fn, "__func__", None)
            if isinstance(ch, Chan) and func is Chan.send:
                if ch._timer:
                    raise TypeError(f"select case {i}: send on a timer channel")
                ops.append((i, ch, SEND, v))
                continue
            if isinstance(ch, RecvOnlyChan) and func is RecvOnlyChan.send:
                raise TypeError(f"select case {i}: send to receive-only channel")
            raise TypeError(f"select case {i}: a send case is (ch.send, value), got {fn!r}")
        ch = getattr(c, "__self__", None)
        func = getattr(c, "__func__", None)
        if isinstance(ch, Chan) and func in _RECV_FUNCS:
            ops.append((i, ch, RECV, None))
            continue
        if isinstance(ch, SendOnlyChan):
            raise TypeError(f"select case {i}: receive from send-only channel")
        raise TypeError(f"select case {i}: expected ch.recv, (ch.send, value) or None, got {c!r}")
    return ops


def select(*cases: SelectCase, default: bool = False) -> tuple[int, Any, bool]:
    """Go's select: wait until one of several channel operations can
    proceed, do it, and return ``(index, value, ok)``.

    The cases, in any number and order:

        ch.recv               receive (ch.recv_ok works too): value, ok are
                              what recv_ok gives — (v, True), or (None, False)
                              once ch is closed and drained
        (ch.send, v)          send v: value, ok are (None, True)
        None                  never ready (Go's nil channel): it switches a
                              case off and keeps the other indexes
        pg.after(s).recv      a timeout is a receive case

        i, v, ok = pg.select(jobs.recv, (out.send, x), pg.after(1.0).recv)
        i, v, ok = pg.select(ch.recv, default=True)  # (-1, None, False) if not ready
        pg.select()                                  # blocks forever (select {})

    Among ready cases one is chosen uniformly at random (SEL-02). With
    ``default=True`` and none ready it returns ``(-1, None, False)`` at once;
    otherwise it blocks until one is ready and does exactly that one
    (SEL-07).

    Raises Panic("send on closed channel") when a send case on a closed
    channel is chosen (it counts as ready, even with default=True; SEL-11);
    TypeError for a case of another form, a receive case on a send-only view,
    a send case on a receive-only view, or a value that cannot be copied.
    Call it from a goroutine; outside a runtime it raises NoRuntime."""
    ops = _parse(cases)
    if ops:
        return _k.select(ops, default)
    if default:
        return -1, None, False
    proc = _sched.this_proc()
    _k.block_forever(proc.arena if proc is not None else None)
