"""select over channels: Go's runtime/select.go (selectgo), over the K_CHAN
layout of _shm/chan.py and the waiting mechanism of wait.py.

Owns: the select algorithm. The public parago/select.py parses the cases
and checks them; it hands this module (index, channel handle, direction,
value) tuples.

    lock every channel in address order (each lock once);
    pass 1: try the cases in a random order; do the first that can proceed;
    none ready: return default, or
    pass 2: arm one wait group, link one sudog per case — in a random order,
            as Go's (so two sends on one channel are served either way) —
            and park; the first waker to claim the group fires exactly one
            case;
    pass 3: on waking, lock again and unlink every sudog.

Invariants:
  - Every channel's lock is taken in increasing address order and released
    in reverse (lock.py's ordering rule); the locks are held from pass 1
    through pass 2 and released by wait.unlock_all, which posts wake-ups.
  - A select on timer or deadline channels also sets a timer of its own P
    for the earliest deadline: the timer wakes it (RETRY) to look again.
  - Send values are encoded once, before any lock: a value that cannot be
    copied raises TypeError with nothing changed.
"""

from __future__ import annotations

import random
import time as _time
from typing import TYPE_CHECKING, Any, NoReturn

from .._errors import Panic
from .._shm import chan as C
from .._shm import lock as _lock
from .._shm import values as V
from .._shm import waiter as W
from . import chan as K
from . import wait
from .sched import NOVAL, runtime_of, this_proc

if TYPE_CHECKING:
    from .._shm.arena import Arena
    from .protocols import ChanRef, SelectOp, SelectResult
    from .sched import Processor

SEND = W.DIR_SEND
RECV = W.DIR_RECV
_shuffle = random.shuffle
_getrandbits = random.getrandbits


def block_forever(arena: Arena | None) -> NoReturn:
    """``select {}``: park, never to be readied (SEL-08)."""
    proc = runtime_of(arena, "select", "select")
    wait.park(proc, "select (no cases)")
    raise AssertionError("unreachable")


def select(ops: list[SelectOp], default: bool) -> SelectResult:
    """Run the select over ``ops`` [(index, chan, SEND|RECV, value)], all of
    one runtime's arena; returns (index, value, ok)."""
    arena = ops[0][1]._arena
    proc = this_proc()
    if proc is None or proc.arena is not arena or proc.current is None:
        runtime_of(arena, "Chan", "select")
    for op in ops:
        if op[1]._arena is not arena:
            runtime_of(op[1]._arena, "Chan")
    encs: dict[int, tuple[Any, ...]] = {}
    for i, _ch, d, v in ops:
        if d == SEND:
            encs[i] = (True, None, None) if K.is_imm(v) else (False, *V.encode(v))
    locks = sorted({op[1]._lb for op in ops})
    while True:
        result = _select_once(arena, proc, ops, encs, locks, default)
        if result is not None:
            return result


def _lock_all(arena: Arena, locks: list[int]) -> None:
    for lb in locks:
        _lock.acquire(arena, lb)


def _shuffled(ops: list[SelectOp]) -> list[SelectOp]:
    order = list(ops)
    if len(order) == 2:
        if _getrandbits(1):
            order.reverse()
    elif len(order) > 2:
        _shuffle(order)
    return order


def _select_once(arena: Arena, proc: Processor, ops: list[SelectOp],
                 encs: dict[int, tuple[Any, ...]], locks: list[int],
                 default: bool) -> SelectResult | None:
    """One pass of the algorithm; None when a timer woke the select to look
    again."""
    M = arena.M
    order = _shuffled(ops)
    _lock_all(arena, locks)
    locked = True
    try:
        done = _try_cases(arena, proc, order, encs, locks)
        if done is not None:
            locked = done[0]
            return done[1]
        if default:
            return -1, None, False
        gw, sudogs, when = _enqueue_all(arena, proc, order, encs)
    except BaseException:
        if locked:
            for op in ops:
                C.abort(M, op[1]._w)
        raise
    finally:
        if locked:
            wait.unlock_all(proc, locks)
    timer = wait.timer(proc, when / 1e9, K.retry_wait, (proc, gw)) if when else None
    wait.park(proc, "select")
    wait.cancel_timer(timer)
    return _finish(arena, proc, gw, sudogs, locks)


def _try_cases(arena: Arena, proc: Processor, order: list[SelectOp],
               encs: dict[int, tuple[Any, ...]], locks: list[int]
               ) -> tuple[bool, SelectResult] | None:
    """Pass 1 (locks held): do the first case of ``order`` that can proceed.
    Returns None if none can, else (still locked, result)."""
    M = arena.M
    now_ns = None
    for i, ch, d, v in order:
        hw = ch._w
        if d == RECV:
            if ch._timer:
                if now_ns is None:
                    now_ns = _time.monotonic_ns()
                if ch._timer == K.TIMER:
                    fired = K.timer_due(M, hw, now_ns)
                    if fired is not None:
                        return True, (i, fired, True)
                    continue
                if 0 < M[hw + C.C_TWHEN] <= now_ns:
                    return True, (i, None, False)       # deadline passed: done
            st, val = K.recv_now(arena, proc, hw, ch._cap)
            if st:
                wait.unlock_all(proc, locks)
                if proc.slicing:
                    proc.give_way()
                if st == K.RAW:
                    return False, (i, V.decode_raw(arena, val), True)
                return False, (i, val, st == K.OBJECT)
        else:
            if M[hw + C.C_CLOSED]:
                raise Panic("send on closed channel")     # SEL-11
            imm, kind, payload = encs[i]
            if K.send_now(arena, proc, hw, ch._cap, v, imm, kind, payload):
                wait.unlock_all(proc, locks)
                if proc.slicing:
                    proc.give_way()
                return False, (i, None, True)
    return None


def _enqueue_all(arena: Arena, proc: Processor, order: list[SelectOp],
                 encs: dict[int, tuple[Any, ...]]
                 ) -> tuple[int, list[tuple[int, ChanRef, int]], int]:
    """Pass 2 (locks held): one sudog per case, in ``order`` (random), all
    under one wait group. Returns (group word, [(sudog, chan, dir)], the
    earliest timer deadline or 0)."""
    M = arena.M
    gw = wait.arm(proc)
    sudogs: list[tuple[int, ChanRef, int]] = []
    when = 0
    for i, ch, d, v in order:
        hw = ch._w
        if d == SEND:
            s = wait.add_case(proc, gw, i, d, hw + C.C_SQH, hw + C.C_SQT, ch._b)
            imm, kind, payload = encs[i]
            if imm:
                kind, payload = V.encode(v)
            V.put(arena, (s >> 3) + W.V, kind, payload, W.V_INLINE)
        else:
            s = wait.add_case(proc, gw, i, d, hw + C.C_RQH, hw + C.C_RQT, ch._b)
            if ch._timer:
                tw = M[hw + C.C_TWHEN]
                if tw and (not when or tw < when):
                    when = tw
        sudogs.append((s, ch, d))
    wait.publish(proc, gw)
    return gw, sudogs, when


def _finish(arena: Arena, proc: Processor, gw: int, sudogs: list[tuple[int, ChanRef, int]],
            locks: list[int]) -> SelectResult | None:
    """Pass 3, after waking: unlink every sudog; the case that fired decides
    the result (None: a timer asked to look again)."""
    M = arena.M
    g = proc.current
    fired = M[gw + W.G_FIRED]
    ok = M[gw + W.G_OK]
    _lock_all(arena, locks)
    try:
        for s, ch, d in sudogs:
            hw = ch._w
            if d == SEND:
                W.unlink(M, hw + C.C_SQH, hw + C.C_SQT, s)
            else:
                W.unlink(M, hw + C.C_RQH, hw + C.C_RQT, s)
    finally:
        wait.unlock_all(proc, locks)
    fired_dir = 0
    for s, _ch, d in sudogs:
        case = M[(s >> 3) + W.S_CASE]
        if case == fired:
            fired_dir = d
        if d == SEND and not (case == fired and ok):
            V.discard(arena, (s >> 3) + W.V)    # never sent: drop the copy
        arena.free(s)
    if fired == K.RETRY:
        return None
    if fired_dir == SEND:
        if not ok:
            raise Panic("send on closed channel")
        return fired, None, True
    if ok:
        return fired, K.received(arena, g, gw), True
    g.xval = NOVAL
    return fired, None, False


from .._accel import use_compiled  # noqa: E402

use_compiled(globals())
