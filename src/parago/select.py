"""select: wait on several channel operations, as Go's runtime/select.go.

    pg.select(ch.recv, (out.send, v), None, pg.after(1).recv, default=False)
        -> (index, value, ok)

Algorithm (selectgo): lock every channel involved in address order; pass 1
tries the cases in a uniformly random order and does the first that can
proceed; with none ready, either return default or pass 2 links one sudog
per case into the channels' queues under one wait group and parks. The
first waker to claim the group fires exactly one case; on waking, pass 3
unlinks the other sudogs.
"""

from __future__ import annotations

import random
import time as _time

from ._core import sched as _sched
from ._core.sched import NOVAL
from ._errors import Panic
from ._shm import chan as C
from ._shm import lock as _lock
from ._shm import values as V
from ._shm import waiter as W
from .chan import (
    RETRY,
    TIMER,
    Chan,
    RecvOnlyChan,
    SendOnlyChan,
    _received,
    _retry_wait,
    _runtime_of,
    is_imm,
    recv_now,
    send_now,
)

__all__ = ["select"]

SEND = W.DIR_SEND
RECV = W.DIR_RECV
_RECV_FUNCS = (Chan.recv, Chan.recv_ok)
_shuffle = random.shuffle
_getrandbits = random.getrandbits


def _parse(cases):
    """[(index, chan, dir, value)] for the non-nil cases."""
    ops = []
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


def select(*cases, default: bool = False):
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
    proc = _sched.tls.proc
    if not ops:
        if default:
            return -1, None, False
        proc = _runtime_of(proc.arena if proc else None)
        proc.park("select (no cases)")      # never readied: blocks forever (SEL-08)
        raise AssertionError("unreachable")
    arena = ops[0][1]._arena
    proc = _runtime_of(arena)
    for op in ops:
        if op[1]._arena is not arena:
            _runtime_of(op[1]._arena)
    # Encode send values once, before any lock: a TypeError leaves no trace.
    encs = {}
    for i, _ch, d, v in ops:
        if d == SEND:
            encs[i] = (True, None, None) if is_imm(v) else (False, *V.encode(v))
    locks = sorted({op[1]._lb for op in ops})
    while True:
        result = _select_once(arena, proc, ops, encs, locks, default)
        if result is not None:
            return result


def _lock_all(arena, locks):
    for lb in locks:
        _lock.acquire(arena, lb)


def _unlock_all(arena, locks):
    for lb in reversed(locks):
        _lock.release(arena, lb)


def _select_once(arena, proc, ops, encs, locks, default):
    M = arena.M
    order = list(ops)
    if len(order) == 2:
        if _getrandbits(1):
            order.reverse()
    elif len(order) > 2:
        _shuffle(order)
    _lock_all(arena, locks)
    locked = True
    try:
        # Pass 1: the first ready case in random order.
        now_ns = None
        for i, ch, d, v in order:
            hw = ch._w
            if d == RECV:
                if ch._timer:
                    if now_ns is None:
                        now_ns = _time.monotonic_ns()
                    if ch._timer == TIMER:
                        fired = ch._timer_due(M, hw, now_ns)
                        if fired is not None:
                            return i, fired, True
                        continue
                    if 0 < M[hw + C.C_TWHEN] <= now_ns:
                        return i, None, False           # deadline passed: done
                st, val = recv_now(arena, proc, hw, ch._cap)
                if st:
                    _unlock_all(arena, locks)
                    locked = False
                    if proc.pending_wake:
                        proc.flush_wakes()
                    if proc.slicing:
                        proc.give_way()
                    if st == 1:
                        return i, V.decode_raw(arena, val), True
                    return i, val, st == 2
            else:
                if M[hw + C.C_CLOSED]:
                    raise Panic("send on closed channel")     # SEL-11
                imm, kind, payload = encs[i]
                if send_now(arena, proc, hw, ch._cap, v, imm, kind, payload):
                    _unlock_all(arena, locks)
                    locked = False
                    if proc.pending_wake:
                        proc.flush_wakes()
                    if proc.slicing:
                        proc.give_way()
                    return i, None, True
        if default:
            return -1, None, False
        # Pass 2: one sudog per case, all under one wait group.
        g = proc.current
        gw = proc.arm(g)
        gb = gw << 3
        sudogs = []
        when = 0
        for i, ch, d, v in ops:
            s = W.new_sudog(arena, gb, i, d)
            sw = s >> 3
            hw = ch._w
            M[sw + W.S_CHAN] = ch._b
            if d == SEND:
                imm, kind, payload = encs[i]
                if imm:
                    kind, payload = V.encode(v)
                V.put(arena, sw + W.V, kind, payload, W.V_INLINE)
                W.enqueue(arena, hw + C.C_SQH, hw + C.C_SQT, s)
            else:
                W.enqueue(arena, hw + C.C_RQH, hw + C.C_RQT, s)
                if ch._timer:
                    tw = M[hw + C.C_TWHEN]
                    if tw and (not when or tw < when):
                        when = tw
            sudogs.append((s, ch, d))
        proc.waiting[gb] = g
    except BaseException:
        if locked:
            for op in ops:
                C.abort(M, op[1]._w)
        raise
    finally:
        if locked:
            _unlock_all(arena, locks)
    timer = proc.timers.add(when / 1e9, _retry_wait, (proc, gw)) if when else None
    proc.park("select")
    if timer is not None:
        proc.timers.cancel(timer)
    fired = M[gw + W.G_FIRED]
    ok = M[gw + W.G_OK]
    # Pass 3: take every other sudog out of its queue.
    _lock_all(arena, locks)
    try:
        for s, ch, d in sudogs:
            hw = ch._w
            if d == SEND:
                W.unlink(M, hw + C.C_SQH, hw + C.C_SQT, s)
            else:
                W.unlink(M, hw + C.C_RQH, hw + C.C_RQT, s)
    finally:
        _unlock_all(arena, locks)
    fired_dir = 0
    for s, _ch, d in sudogs:
        case = M[(s >> 3) + W.S_CASE]
        if case == fired:
            fired_dir = d
        if d == SEND and not (case == fired and ok):
            V.discard(arena, (s >> 3) + W.V)    # never sent: drop the copy
        arena.free(s)
    if fired == RETRY:
        return None
    if fired_dir == SEND:
        if not ok:
            raise Panic("send on closed channel")
        return fired, None, True
    if ok:
        return fired, _received(arena, g, gw), True
    g.xval = NOVAL
    return fired, None, False
