"""Channel operations: send, receive and close, and the timer and deadline
channels, over the K_CHAN layout of _shm/chan.py (Go's runtime/chan.go).

Owns: the algorithms. The channel's words and their invariants are
_shm/chan.py's; waiting and waking go through wait.py; the public Chan
(parago/chan.py) is a handle whose fields (``_arena``, ``_w`` the header's
word index, ``_lb`` its lock, ``_cap``, ``_timer``) these functions read.

    send: a waiting receiver gets the value directly, else the ring, else
          the sender parks until a receiver takes it or close() wakes it;
    recv: the ring (a blocked sender's value then joins its tail, CH-07),
          else a waiting sender, else closed and drained, else park;
    close: every waiter is delivered to, then woken.

Invariants:
  - Every change to a channel's words happens under its lock, between the
    undo log's begin() and commit() (_shm/undo.py), except where a comment
    says why not (the in-process handoff).
  - A value is encoded (pickled) before the lock is taken and decoded after
    it is released: user code (a __reduce__, a __setstate__) never runs
    under a channel's lock. One over values.SPILL_AHEAD bytes is also
    written to its own block before the lock (values.spill), so no copy of
    a large value holds the channel; the send then uses or frees that block.
    An int or None is the exception that proves it: it comes out of the
    ring decoded under the lock (ring.pop_small), which runs no user code.
  - send and receive park from their own small frames, the work before and
    after the park being in helpers (_send_or_wait, _recv_or_wait,
    _after_*_wait): the parking frame's C stack is kept aside for as long as
    the goroutine waits.
  - A goroutine about to block on a full (empty) buffered channel may first
    spin, lock-free, reading only the count, waiters and closed words, while
    its P's spin policy allows (_spin_until_ready); it then takes the lock
    and decides as if it had not spun.
  - Between goroutines of one P an immutable value (int, str, a tuple of
    them ...) is handed over as the object itself, never copied: nobody can
    observe the sharing.
"""

from __future__ import annotations

import time as _time
from typing import TYPE_CHECKING, Any

from .._errors import Panic, no_runtime
from .._shm import atom
from .._shm import chan as C
from .._shm import lock as _lock
from .._shm import ring as _ring
from .._shm import values as V
from .._shm import waiter as W
from .._shm.ring import NOT_SMALL
from . import handle, wait
from .sched import NOVAL, runtime_of, this_proc

if TYPE_CHECKING:
    from collections.abc import Callable

    from .._shm.arena import Arena
    from .protocols import ChanRef, TimerEntry
    from .sched import G as GType
    from .sched import Processor as ProcessorType

_acquire = _lock.acquire

C_CLOSED, C_COUNT, C_RING = C.C_CLOSED, C.C_COUNT, C.C_RING
C_RQH, C_RQT, C_SQH, C_SQT, C_PENDING = C.C_RQH, C.C_RQT, C.C_SQH, C.C_SQT, C.C_PENDING
C_RBASE, C_RSIZE = C.C_RBASE, C.C_RSIZE
G_P, G_OK, S_GROUP, S_CASE = W.G_P, W.G_OK, W.S_GROUP, W.S_CASE
VW = W.V
V_INLINE = W.V_INLINE

RETRY = -2            # G_FIRED of a wait ended so the goroutine looks again (timers)
PLAIN = 0             # a channel's kind (the handle's _timer): an ordinary channel
TIMER = 1             # a timer channel (pg.after, Timer.c, Ticker.c)
DEADLINE = 2          # a context's done channel, closed at its deadline

# status of recv_now
EMPTY, RAW, OBJECT, CLOSED = 0, 1, 2, 3


class ChanHandle(handle.ShmObject):
    """The fields of a channel handle, as the functions of this module read
    them: the public Chan (and its directional views) derive from it.
    Compiled, they are C fields (_c_chan.pxd)."""

    __slots__ = ("_base", "_cap", "_lb", "_timer", "_w")
    _base: ChanHandle | None      # the channel a directional view is of
    _REFS_OFF = C.C_REFS * 8

    def _init(self, arena: Arena, b: int, cap: int, timer: int) -> None:
        self._attach(arena, b)
        self._w = b >> 3
        self._lb = b + 8
        self._cap = cap
        self._timer = timer
        self._base = None

    def _owns_ref(self) -> bool:
        return self._base is None

    @staticmethod
    def _free_block(arena: Arena, b: int) -> None:
        C.destroy(arena, b)

    # The public Chan's operations, here so that a call reaches the kernel
    # with no Python frame in between.

    def send(self, v: object) -> None:
        """Send ``v`` (Go's ``c <- v``): blocks until a receiver takes it
        (unbuffered) or it is buffered. ``v`` is copied now, in the sender.

        Raises Panic("send on closed channel") if the channel is closed,
        also when it is closed while this send waits (CH-17, CH-18);
        TypeError if ``v`` cannot be copied, before the channel changes.
        Call it from a goroutine."""
        if self._timer:
            raise TypeError("send on a timer channel (it is receive-only)")
        send(self, v)

    def recv(self) -> Any:
        """Receive a value (Go's ``v := <-c``), blocking until one comes;
        once the channel is closed and drained, None at once (CH-14). Use
        recv_ok to tell a sent None from a closed channel. Call it from a
        goroutine.

        Typed ``-> T``: the None of a closed channel stands for Go's zero
        value and is not in the type (recv_ok's is: ``T | None``)."""
        return receive(self, False)

    def recv_ok(self) -> tuple[Any, bool]:
        """Receive (Go's ``v, ok := <-c``): ``(value, True)`` for a value
        sent, ``(None, False)`` once the channel is closed and drained
        (CH-15). Blocks until one or the other. Call it from a goroutine."""
        return receive(self, True)  # type: ignore[no-any-return]


class _Borrowed(ChanHandle):
    """A handle on a channel some block holds the reference of (a context
    record's done channel): it owns none, so its end drops none."""

    __slots__ = ()

    def _owns_ref(self) -> bool:
        return False


def borrowed(arena: Arena, b: int, kind: int) -> ChanHandle:
    h = _Borrowed.__new__(_Borrowed)
    h._arena, h._b, h._w, h._lb, h._cap, h._timer, h._base = arena, b, b >> 3, b + 8, 0, kind, None
    return h


class _Copy:
    """An encoded value handed to a receiver on the same P, decoded by it."""

    __slots__ = ("kind", "payload")

    def __init__(self, kind: int, payload: Any) -> None:
        self.kind = kind
        self.payload = payload


def is_imm(v: object) -> bool:
    """Can ``v`` be handed to a goroutine of this process without a copy?"""
    t = type(v)
    return t is int or t in V.IMMUTABLE_SCALARS or V.immutable(v)


def received(arena: Arena, g: GType, gw: int) -> Any:
    """The value a woken receiver (goroutine ``g``, group ``gw``) was given."""
    xv = g.xval
    if xv is NOVAL:
        return V.take(arena, gw + VW)
    g.xval = NOVAL
    if type(xv) is _Copy:
        return V.decode(xv.kind, xv.payload)
    return xv


def proc_for(arena: Arena) -> ProcessorType:
    """This thread's P, checking ``arena`` is its runtime's; no goroutine
    needed (for operations that never park, usable from timer callbacks)."""
    proc = this_proc()
    if proc is None or proc.arena is not arena:
        runtime_of(arena, "Chan")
    return proc


# ---- the steps that never block (the caller holds the channel's lock) ---------------

def recv_now(arena: Arena, proc: ProcessorType, hw: int, cap: int) -> tuple[int, Any]:
    """Receive without blocking. Returns (status, value): RAW — ``value`` is a
    raw cell (decode it after unlocking), OBJECT — ``value`` is the object
    itself (handed over in this process, or an int or None), CLOSED — the
    channel is closed and drained, EMPTY — nothing ready. A sender this
    frees is readied (wait.ready): the caller's wait.unlock posts it."""
    M = proc.Mv
    cnt = M[hw + C_COUNT]
    if cnt:
        base, size = M[hw + C_RBASE], M[hw + C_RSIZE]
        C.begin(M, hw)
        # An int or None comes out decoded, as the object itself; any other
        # value raw, decoded by the caller after unlocking.
        st = OBJECT
        val = _ring.pop_small(M, hw + C_RING, base, size)
        if val is NOT_SMALL:
            st = RAW
            val = _ring.pop_raw(arena, M, hw + C_RING, base, size)
        cnt -= 1
        if M[hw + C_SQH]:
            # The buffer was full: the longest-waiting sender's value joins
            # the tail, so FIFO holds across buffer and queue (CH-07).
            s = W.dequeue_claim(arena, hw + C_SQH, hw + C_SQT, hw + C_PENDING)
            if s:
                sw = s >> 3
                _ring.push_raw(arena, M, hw + C_RING, base, size, cnt, cap,
                               V.take_raw_at(arena, M, sw + VW))
                cnt += 1
                wait.ready(proc, M[sw + S_GROUP] >> 3, M[sw + S_CASE], 1)
        M[hw + C_COUNT] = cnt
        C.commit(M, hw)
        return st, val
    s = M[hw + C_SQH]
    if s:
        sw = s >> 3
        if M[sw + S_GROUP] == s and M[sw + G_P] == proc.p:
            # A plain send of a goroutine on this P (the in-process handoff):
            # take the very object when it is immutable and ready the sender.
            # No undo log and no claim: if this process dies, the sender dies
            # with it, and a repair relinks the queue from its head anyway.
            W.unlink(M, hw + C_SQH, hw + C_SQT, s)
            sg = wait.take_local(proc, s)
            v = sg.sendval
            if v is NOVAL:
                st, v = RAW, V.take_raw_at(arena, M, sw + VW)
            else:
                st = OBJECT
                if M[sw + VW] & V.VK_SPILL:
                    V.discard(arena, sw + VW)
            M[sw + G_OK] = 1
            proc.ready(sg)
            return st, v
        C.begin(M, hw)
        s = W.dequeue_claim(arena, hw + C_SQH, hw + C_SQT, hw + C_PENDING)
        if s:
            sw = s >> 3
            raw = V.take_raw_at(arena, M, sw + VW)
            wait.ready(proc, M[sw + S_GROUP] >> 3, M[sw + S_CASE], 1)
            C.commit(M, hw)
            return RAW, raw
        C.commit(M, hw)
    if M[hw + C_CLOSED]:
        return CLOSED, None
    return EMPTY, None


def send_now(arena: Arena, proc: ProcessorType, hw: int, cap: int, v: object, imm: bool,
             kind: Any, payload: Any, spilled: tuple[int, int, Any] | None = None) -> bool:
    """Send without blocking; the caller holds the lock and has checked the
    channel is open; ``kind, payload`` is ``v`` encoded (None, None when
    ``imm``: encoded here if it must be); ``spilled``, if given, is the value
    already written to a block of its own (values.spill). Returns whether it
    sent; if it did, ``spilled`` was used or freed. A receiver it serves is
    readied (wait.ready): the caller's wait.unlock posts it."""
    M = proc.Mv
    s = M[hw + C_RQH]
    if s:
        sw = s >> 3
        if M[sw + S_GROUP] == s and M[sw + G_P] == proc.p:
            # A plain receive of a goroutine on this P: hand the value over
            # in process memory and ready it (no log, no claim: see recv_now).
            W.unlink(M, hw + C_RQH, hw + C_RQT, s)
            g = wait.take_local(proc, s)
            g.xval = v if imm else _Copy(kind, payload)
            if spilled is not None:
                V.discard_raw(arena, spilled)
            M[sw + G_OK] = 1
            proc.ready(g)
            return True
        C.begin(M, hw)
        s = W.dequeue_claim(arena, hw + C_RQH, hw + C_RQT, hw + C_PENDING)
        if s:
            gw = M[(s >> 3) + S_GROUP] >> 3
            if M[gw + G_P] == proc.p:
                xval = v if imm else _Copy(kind, payload)
                if spilled is not None:
                    V.discard_raw(arena, spilled)
            else:
                xval = NOVAL
                if spilled is not None:
                    V.put_raw_at(M, gw + VW, spilled)
                else:
                    if imm:
                        kind, payload = V.word_kind(v), v
                        if not kind:
                            kind, payload = V.encode(v)
                    V.put_at(arena, M, gw + VW, kind, payload, V_INLINE)
            wait.ready(proc, gw, M[(s >> 3) + S_CASE], 1, xval)
            C.commit(M, hw)
            return True
        C.commit(M, hw)
    cnt = M[hw + C_COUNT]
    if cnt < cap:
        if spilled is None and imm:
            # An int or None is its own payload: no pair made for it.
            kind, payload = V.word_kind(v), v
            if not kind:
                kind, payload = V.encode(v)
        r, base, size = hw + C_RING, M[hw + C_RBASE], M[hw + C_RSIZE]
        C.begin(M, hw)
        if spilled is not None:
            _ring.push_raw(arena, M, r, base, size, cnt, cap, spilled)
        else:
            _ring.push(arena, M, r, base, size, cnt, cap, kind, payload)
        M[hw + C_COUNT] = cnt + 1
        C.commit(M, hw)
        return True
    return False


# ---- the operations --------------------------------------------------------------------

def _spin_until_ready(proc: ProcessorType, hw: int, cap: int) -> None:
    """A buffered channel would block this goroutine (full for a send, with
    ``cap`` its capacity; empty for a receive, ``cap`` 0): when nothing else
    on this P can run, spin a little first, read without the lock, while the
    P's spin policy allows it (spin.py: only while spinning pays, never on
    an oversubscribed machine). A partner in another process streaming
    through the channel frees a slot or fills one within microseconds, and
    parking costs a wake-up each time: most of a value's cost when the two
    sides keep pace. Spinning ends at once if the channel closes or another
    process wakes a goroutine of this P."""
    spinner = proc.spinner
    if spinner is None or proc.runq:
        return
    M, inbox_w = proc.M, proc.inbox_w
    if cap:
        spinner.spin(lambda: M[hw + C_COUNT] < cap or M[hw + C_RQH] or M[hw + C_CLOSED]
                     or M[inbox_w])
    else:
        spinner.spin(lambda: M[hw + C_COUNT] or M[hw + C_SQH] or M[hw + C_CLOSED]
                     or M[inbox_w])


def send(ch: ChanRef, v: object) -> None:
    """``ch.send(v)`` from a goroutine: see parago/chan.py for the contract."""
    arena = ch._arena
    proc = this_proc()
    if proc is None or proc.arena is not arena or proc.current is None:
        runtime_of(arena, "Chan", "a channel operation")
    if not _send_or_wait(arena, proc, ch, v):
        return
    # Parked from this small frame, not from _send_or_wait's: compiled, the
    # frame that calls park is copied off the C stack for as long as the
    # goroutine waits, and the typed view of the arena is over 200 bytes.
    g = proc.current
    wait.park(proc, "chan send")
    _after_send_wait(arena, proc, g)


def _send_or_wait(arena: Arena, proc: ProcessorType, ch: ChanRef, v: object) -> bool:
    """Send ``v`` now if that needs no waiting and return False; else start
    the wait (the value in the goroutine's group) and return True: the
    caller parks."""
    spilled = None
    if is_imm(v):
        imm = True
        kind = payload = None
        t = type(v)
        if (t is bytes or t is str) and len(v) > V.SPILL_AHEAD:  # type: ignore[arg-type]
            kind, payload = V.encode(v)
    else:
        imm = False
        kind, payload = V.encode(v)
    if kind is not None and V.sizeof_payload(kind, payload) > V.SPILL_AHEAD:
        spilled = V.spill(arena, kind, payload)      # the copy, before the lock
    M = proc.Mv
    hw = ch._w
    lb = ch._lb
    cap = ch._cap
    if cap and M[hw + C_COUNT] >= cap and proc.multi and not M[hw + C_RQH]:
        _spin_until_ready(proc, hw, cap)
    if not atom.cas64(proc.mem, M, lb >> 3, 0, proc.tag):
        _acquire(arena, lb)
    try:
        if M[hw + C_CLOSED]:
            raise Panic("send on closed channel")
        if send_now(arena, proc, hw, ch._cap, v, imm, kind, payload, spilled):
            spilled = None
            wait.unlock(proc, lb)
            lb = 0
            if proc.slicing:
                proc.give_way()
            return False
        # Park until a receiver takes the value (or close wakes us).
        gw = wait.start(proc, hw + C_SQH, hw + C_SQT)
        if spilled is not None:
            V.put_raw_at(M, gw + VW, spilled)
            spilled = None
        else:
            if imm:
                kind, payload = V.encode(v)
            V.put_at(arena, M, gw + VW, kind, payload, V_INLINE)  # type: ignore[arg-type]
        proc.current.sendval = v if imm else NOVAL
    except BaseException:
        if lb:          # e.g. MemoryError mid-operation: undo it (not once unlocked)
            C.abort(M, hw)
        if spilled is not None:     # not handed on: nobody else will free it
            V.discard_raw(arena, spilled)
        raise
    finally:
        if lb:
            wait.unlock(proc, lb)
    return True


def _after_send_wait(arena: Arena, proc: ProcessorType, g: GType) -> None:
    """A parked send's end: taken by a receiver, or a panic if closed."""
    g.sendval = NOVAL
    gw = g.gb >> 3
    if not proc.Mv[gw + G_OK]:
        V.discard(arena, gw + VW)
        raise Panic("send on closed channel")


def recv_ok(ch: ChanRef) -> tuple[Any, bool]:
    """``ch.recv_ok()`` from a goroutine: (value, True), or (None, False)
    once closed and drained."""
    return receive(ch, True)  # type: ignore[no-any-return]


def receive(ch: ChanRef, with_ok: bool) -> Any:
    """A receive from a goroutine: ``recv_ok``'s pair if ``with_ok``, else
    only the value (``recv``: None once closed and drained), with no pair
    made for it to drop."""
    arena = ch._arena
    proc = this_proc()
    if proc is None or proc.arena is not arena or proc.current is None:
        runtime_of(arena, "Chan", "a channel operation")
    if ch._timer:
        v, ok = recv_special(ch, proc, True)
        return (v, ok) if with_ok else v
    got = _recv_or_wait(arena, proc, ch, with_ok)
    if got is not PARKING:
        return got
    g = proc.current          # parked from this small frame: see send
    wait.park(proc, "chan receive")
    return _after_recv_wait(arena, proc, g, with_ok)


# What _recv_or_wait returns when the goroutine must park.
PARKING = object()


def _recv_or_wait(arena: Arena, proc: ProcessorType, ch: ChanRef, with_ok: bool) -> Any:
    """receive's result if it needs no waiting; else start the wait and
    return PARKING: the caller parks."""
    M = proc.Mv
    hw = ch._w
    lb = ch._lb
    if ch._cap and not M[hw + C_COUNT] and proc.multi and not M[hw + C_CLOSED]:
        _spin_until_ready(proc, hw, 0)
    if not atom.cas64(proc.mem, M, lb >> 3, 0, proc.tag):
        _acquire(arena, lb)
    try:
        st, val = recv_now(arena, proc, hw, ch._cap)
        if st:
            wait.unlock(proc, lb)
            lb = 0
            if proc.slicing:
                proc.give_way()
            if st == RAW:
                val = V.decode_raw(arena, val)
            elif st != OBJECT:
                return (None, False) if with_ok else None      # closed and drained
            return (val, True) if with_ok else val
        wait.start(proc, hw + C_RQH, hw + C_RQT)
    except BaseException:
        if lb:          # not once unlocked: decoding a received value may raise
            C.abort(M, hw)
        raise
    finally:
        if lb:
            wait.unlock(proc, lb)
    return PARKING


def _after_recv_wait(arena: Arena, proc: ProcessorType, g: GType, with_ok: bool) -> Any:
    """A parked receive's end: the value given, or closed."""
    gw = g.gb >> 3
    if proc.Mv[gw + G_OK]:
        val = received(arena, g, gw)
        return (val, True) if with_ok else val
    return (None, False) if with_ok else None


def close(ch: ChanRef) -> None:
    """``ch.close()``: deliver to every waiter (receivers get (None, False),
    senders will panic), then wake them. Callable without a goroutine."""
    arena = ch._arena
    proc = proc_for(arena)
    M = arena.M
    hw = ch._w
    lb = ch._lb
    woken = []
    _acquire(arena, lb)
    try:
        if M[hw + C_CLOSED]:
            raise Panic("close of closed channel")
        C.begin(M, hw)
        M[hw + C_CLOSED] = 1
        for head, tail in ((C_RQH, C_RQT), (C_SQH, C_SQT)):
            while True:
                s = W.dequeue_claim(arena, hw + head, hw + tail, hw + C_PENDING)
                if not s:
                    break
                gw = M[(s >> 3) + S_GROUP] >> 3
                W.deliver(arena, gw, M[(s >> 3) + S_CASE], 0)
                woken.append(gw)
        C.commit(M, hw)
    finally:
        _lock.release(arena, lb)
    for gw in woken:
        wait.wake(proc, gw)


def length(ch: ChanRef) -> int:
    """Values buffered now (CH-11)."""
    return ch._arena.M[ch._w + C_COUNT]


def try_send(ch: ChanRef, v: object) -> bool:
    """Send ``v`` if that needs no waiting; False otherwise. Usable from this
    P's scheduler (timer and crash callbacks), not only from goroutines.
    Panics if the channel is closed."""
    arena = ch._arena
    proc = proc_for(arena)
    imm = is_imm(v)
    kind, payload = (None, None) if imm else V.encode(v)
    _acquire(arena, ch._lb)
    try:
        if arena.M[ch._w + C_CLOSED]:
            raise Panic("send on closed channel")
        sent = send_now(arena, proc, ch._w, ch._cap, v, imm, kind, payload)
    finally:
        wait.unlock(proc, ch._lb)
    return sent


def try_recv(ch: ChanRef) -> tuple[Any, bool, bool]:
    """Receive if that needs no waiting: (value, ok, True), or (None, False,
    False) when nothing is ready. Usable from this P's scheduler too."""
    arena = ch._arena
    proc = proc_for(arena)
    _acquire(arena, ch._lb)
    try:
        st, val = recv_now(arena, proc, ch._w, ch._cap)
    finally:
        wait.unlock(proc, ch._lb)
    if st == RAW:
        return V.decode_raw(arena, val), True, True
    if st == OBJECT:
        return val, True, True
    return None, False, st == CLOSED


# ---- timer and deadline channels -----------------------------------------------------------

def create_timer(arena: Arena, when_ns: int, period_ns: int = 0, kind: int = TIMER) -> int:
    """A new timer channel's block: as a TIMER it delivers the fire time at
    ``when_ns`` (monotonic) and then every ``period_ns`` if non-zero; as a
    DEADLINE it reads as closed from ``when_ns`` on (0: no deadline)."""
    b = C.create(arena, 0, C.F_TIMER if kind == TIMER else C.F_DEADLINE)
    M = arena.M
    M[(b >> 3) + C.C_TWHEN] = max(1, when_ns) if kind == TIMER or when_ns else 0
    M[(b >> 3) + C.C_TPERIOD] = period_ns
    return b


def timer_arena() -> Arena:
    """The running runtime's arena, for a new timer."""
    proc = this_proc()
    if proc is None:
        raise no_runtime("a timer")
    return proc.arena


def timer_due(M: memoryview, hw: int, now_ns: int) -> float | None:
    """Under the lock: the fire time if the timer is due (consuming it),
    else None."""
    when = M[hw + C.C_TWHEN]
    if not when or when > now_ns:
        return None
    C.begin(M, hw)
    period = M[hw + C.C_TPERIOD]
    if period:
        # A slow receiver misses ticks; it never queues them (TM-15).
        M[hw + C.C_TWHEN] = when + ((now_ns - when) // period + 1) * period
    else:
        M[hw + C.C_TWHEN] = 0
    C.commit(M, hw)
    return _time.time() - (now_ns - when) / 1e9


def recv_special(ch: ChanRef, proc: ProcessorType, block: bool) -> tuple[Any, bool]:
    """Receive from a timer channel (gets the fire time) or a deadline
    channel (reads as closed once its deadline passes, or when closed).
    A parked receiver is woken by a timer of its own P at the deadline,
    or by nudge_waiters after a reset, and looks again."""
    arena = ch._arena
    M = arena.M
    hw = ch._w
    lb = ch._lb
    kind = ch._timer
    while True:
        _acquire(arena, lb)
        try:
            now = _time.monotonic_ns()
            if kind == TIMER:
                fired = timer_due(M, hw, now)
                if fired is not None:
                    return fired, True
            elif M[hw + C_CLOSED] or 0 < M[hw + C.C_TWHEN] <= now:
                return None, False
            if not block:
                return None, False
            when = M[hw + C.C_TWHEN]
            gw = wait.start(proc, hw + C_RQH, hw + C_RQT)
        finally:
            wait.unlock(proc, lb)
        entry = wait.timer(proc, when / 1e9, retry_wait, (proc, gw)) if when else None
        wait.park(proc, "chan receive")
        wait.cancel_timer(entry)
        if M[gw + W.G_FIRED] != RETRY:
            return None, False          # a deadline channel was closed
        _acquire(arena, lb)
        W.unlink(M, hw + C_RQH, hw + C_RQT, gw << 3)
        _lock.release(arena, lb)


def retry_wait(arg: tuple[ProcessorType, int]) -> None:
    """Timer callback: wake a goroutine parked on a timer channel so it looks
    again (the timer is due, or was reset)."""
    proc, gw = arg
    arena = proc.arena
    if W.try_claim(arena, gw):
        W.deliver(arena, gw, RETRY, 0)
        wait.wake(proc, gw)


def set_timer(ch: ChanRef, when_ns: int, period_ns: int | None = None) -> bool:
    """Set a timer channel's deadline (0: stopped) and period; True if it was
    active (its value not yet taken, TM-09). Its parked receivers look again."""
    arena = ch._arena
    M, hw = arena.M, ch._w
    _acquire(arena, ch._lb)
    try:
        C.begin(M, hw)
        was = M[hw + C.C_TWHEN] != 0
        M[hw + C.C_TWHEN] = when_ns
        if period_ns is not None:
            M[hw + C.C_TPERIOD] = period_ns
        C.commit(M, hw)
    finally:
        _lock.release(arena, ch._lb)
    nudge_waiters(ch)
    return was


def nudge_waiters(ch: ChanRef) -> None:
    """Wake every goroutine parked on a timer channel so it re-reads the
    timer (after a reset or stop). Called with no lock held."""
    arena = ch._arena
    proc = proc_for(arena)
    M = arena.M
    hw = ch._w
    woken = []
    _acquire(arena, ch._lb)
    try:
        s = M[hw + C_RQH]
        while s:
            gw = M[(s >> 3) + S_GROUP] >> 3
            if W.try_claim(arena, gw):
                W.deliver(arena, gw, RETRY, 0)
                woken.append(gw)
            s = M[(s >> 3) + W.S_NEXT]
    finally:
        _lock.release(arena, ch._lb)
    for gw in woken:
        wait.wake(proc, gw)


def take_if_due(ch: ChanRef, now_ns: int) -> tuple[bool, int]:
    """If the timer channel's deadline has passed, clear it: this caller (in
    whichever process) is the one that fires it (after_func). Returns
    (due, the deadline as it was)."""
    arena = ch._arena
    M, hw = arena.M, ch._w
    _acquire(arena, ch._lb)
    try:
        when = M[hw + C.C_TWHEN]
        due = 0 < when <= now_ns
        if due:
            C.begin(M, hw)
            M[hw + C.C_TWHEN] = 0
            C.commit(M, hw)
    finally:
        _lock.release(arena, ch._lb)
    return due, when


def arm_func(ch: ChanRef, when_ns: int, on_due: Callable[[], object],
             keep: Callable[[TimerEntry | None], object]) -> None:
    """Set a timer of this P that, at ``when_ns``, calls ``on_due()`` (in the
    scheduler) if this process takes the channel's deadline (take_if_due),
    and sets itself again if the deadline moved later (Timer.reset).
    ``keep(entry)`` is given each timer entry made (for cancel_timer)."""
    proc = proc_for(ch._arena)
    keep(wait.timer(proc, when_ns / 1e9, _fire, (ch, on_due, keep)))


def _fire(arg: tuple[ChanRef, Callable[[], object], Callable[[TimerEntry | None], object]]
          ) -> None:
    ch, on_due, keep = arg
    keep(None)
    if ch._arena.seg.mm is None:
        return
    now = _time.monotonic_ns()
    due, when = take_if_due(ch, now)
    if due:
        on_due()
    elif when > now:
        arm_func(ch, when, on_due, keep)


cancel_timer = wait.cancel_timer


def deadline_of(ch: ChanRef) -> int:
    """A deadline channel's deadline (monotonic ns; 0: none)."""
    return ch._arena.M[ch._w + C.C_TWHEN]


def refs_offset() -> int:
    """Byte offset of a channel block's reference count (for handles)."""
    return C.C_REFS * 8


def create(arena: Arena, cap: int) -> int:
    return C.create(arena, cap)


def destroy(arena: Arena, b: int) -> None:
    C.destroy(arena, b)


def add_ref(arena: Arena, b: int) -> None:
    """One more reference on the channel at ``b`` (a new handle holds it)."""
    arena.mem.add64(b + C.C_REFS * 8, 1)


from .._accel import use_compiled  # noqa: E402

use_compiled(globals())
