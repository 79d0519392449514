"""Channels: Go's ``chan``, usable between goroutines in any processes.

A Chan is a small handle on a K_CHAN block of the runtime's arena
(_shm/chan.py holds the layout and invariants). Sending and receiving follow
Go's runtime/chan.go: a waiting partner is served directly, then the buffer,
then the goroutine parks on a wait record (_shm/waiter.py) until a partner
or close() wakes it.

Values are copied. Between goroutines of one process the copy is skipped for
values that cannot be observed to be shared (ints, strs, bytes, tuples of
them ...); everything else is pickled once in the sender (an unpicklable value
raises TypeError there, before the channel is touched) and unpickled in the
receiver, outside any lock.
"""

from __future__ import annotations

import time as _time
from types import GenericAlias

from ._core import sched as _sched
from ._core.sched import NOVAL
from ._errors import Panic, no_runtime, not_in_goroutine
from ._handle import ShmObject, current_arena
from ._handle import _registry as _handle_registry
from ._handle import misuse as _misuse
from ._shm import chan as C
from ._shm import lock as _lock
from ._shm import ring as _ring
from ._shm import values as V
from ._shm import waiter as W

__all__ = ["Chan", "chan"]

_acquire = _lock.acquire
_begin = C.begin
_commit = C.commit
_dequeue_claim = W.dequeue_claim
_deliver = W.deliver
_enqueue = W.enqueue
_encode = V.encode
_put = V.put
_take_raw = V.take_raw
_decode_raw = V.decode_raw
_IMM = V.IMMUTABLE_SCALARS
_immutable = V.immutable

C_CLOSED, C_COUNT, C_RING = C.C_CLOSED, C.C_COUNT, C.C_RING
C_RQH, C_RQT, C_SQH, C_SQT, C_PENDING = C.C_RQH, C.C_RQT, C.C_SQH, C.C_SQT, C.C_PENDING
C_RBASE, C_RSIZE = C.C_RBASE, C.C_RSIZE
C_MUT0, C_LOG, C_OPSEQ = C.C_MUT0, C.C_LOG, C.C_OPSEQ
C_LOG_END = C.C_LOG + C.C_MUT_N
G_P, G_OK, S_GROUP, S_CASE = W.G_P, W.G_OK, W.S_GROUP, W.S_CASE
S_NEXT, S_PREV, S_LINKED = W.S_NEXT, W.S_PREV, W.S_LINKED
VW = W.V
V_INLINE = W.V_INLINE
RETRY = -2            # G_FIRED of a wait ended so the goroutine looks again (timers)
TIMER = 1             # Chan._timer: a timer channel (pg.after, Timer.c, Ticker.c)
DEADLINE = 2          # Chan._timer: a context's done channel, closed at its deadline

class _Copy:
    """An encoded value handed to a receiver on the same P, decoded by it."""

    __slots__ = ("kind", "payload")

    def __init__(self, kind, payload):
        self.kind = kind
        self.payload = payload


def _received(arena, g, gw):
    """The value a woken receiver was given."""
    xv = g.xval
    if xv is NOVAL:
        return V.take(arena, gw + VW)
    g.xval = NOVAL
    if type(xv) is _Copy:
        return V.decode(xv.kind, xv.payload)
    return xv


def _proc_of(arena):
    """This process's P, checking ``arena`` is its runtime's (no goroutine
    needed: for operations that never park, usable from timer callbacks)."""
    proc = _sched.tls.proc
    if proc is None or proc.arena is not arena:
        _runtime_of(arena)
    return proc


def _runtime_of(arena):
    proc = _sched.tls.proc
    if proc is None or proc.arena is not arena:
        raise _misuse(arena, proc, "Chan")
    if proc.current is None:
        raise not_in_goroutine("a channel operation")
    return proc


def _unlink_head(M, head_w: int, tail_w: int, sw: int) -> None:
    """Take sudog ``sw`` (the head) out of its queue (lock held)."""
    n = M[sw + S_NEXT]
    M[head_w] = n
    if n:
        M[(n >> 3) + S_PREV] = 0
    else:
        M[tail_w] = 0
    M[sw + S_LINKED] = 0


def recv_now(arena, proc, hw: int, cap: int):
    """Receive without blocking; the caller holds the channel's lock.
    Returns (status, value): 1 — ``value`` is a raw cell (decode it after
    unlocking), 2 — ``value`` is the object itself, 3 — the channel is
    closed and drained, 0 — nothing ready. A sender this frees is made
    runnable (or, in another process, told) after the caller unlocks: it is
    left in ``proc.pending_wake``."""
    M = arena.M
    cnt = M[hw + C_COUNT]
    if cnt:
        base, size = M[hw + C_RBASE], M[hw + C_RSIZE]
        M[hw + C_LOG:hw + C_LOG_END] = M[hw + C_MUT0:hw + C_LOG]       # undo log
        raw = _ring.pop_raw(arena, hw + C_RING, base, size)
        cnt -= 1
        if M[hw + C_SQH]:
            # The buffer was full: the longest-waiting sender's value joins
            # the tail, so FIFO holds across buffer and queue (CH-07).
            s = _dequeue_claim(arena, hw + C_SQH, hw + C_SQT, hw + C_PENDING)
            if s:
                sw = s >> 3
                _ring.push_raw(arena, hw + C_RING, base, size, cnt, cap,
                               _take_raw(arena, sw + VW))
                cnt += 1
                proc.finish_wait(M[sw + S_GROUP] >> 3, M[sw + S_CASE], 1, NOVAL)
        M[hw + C_COUNT] = cnt
        M[hw + C_PENDING] = 0
        M[hw + C_OPSEQ] += 1
        return 1, raw
    s = M[hw + C_SQH]
    if s:
        sw = s >> 3
        if M[sw + S_GROUP] == s and M[sw + G_P] == proc.p:
            # A plain send of a goroutine on this P (the in-process handoff):
            # take the very object when it is immutable and ready the sender.
            # No undo log and no claim: if this process dies, the sender dies
            # with it, and a repair relinks the queue from its head anyway.
            _unlink_head(M, hw + C_SQH, hw + C_SQT, sw)
            sg = proc.waiting.pop(s)
            v = sg.sendval
            if v is NOVAL:
                st, v = 1, _take_raw(arena, sw + VW)
            else:
                st = 2
                if M[sw + VW] & V.VK_SPILL:
                    V.discard(arena, sw + VW)
            M[sw + G_OK] = 1
            proc.runq.append(sg)
            return st, v
        M[hw + C_LOG:hw + C_LOG_END] = M[hw + C_MUT0:hw + C_LOG]
        s = _dequeue_claim(arena, hw + C_SQH, hw + C_SQT, hw + C_PENDING)
        if s:
            sw = s >> 3
            gw = M[sw + S_GROUP] >> 3
            raw = _take_raw(arena, sw + VW)
            proc.finish_wait(gw, M[sw + S_CASE], 1, NOVAL)
            M[hw + C_PENDING] = 0
            M[hw + C_OPSEQ] += 1
            return 1, raw
        M[hw + C_PENDING] = 0
        M[hw + C_OPSEQ] += 1
    if M[hw + C_CLOSED]:
        return 3, None
    return 0, None


def send_now(arena, proc, hw: int, cap: int, v, imm: bool, kind, payload) -> bool:
    """Send without blocking; the caller holds the lock and has checked the
    channel is open. Returns whether it sent. A receiver it serves is made
    runnable (or, in another process, told) after the caller unlocks."""
    M = arena.M
    s = M[hw + C_RQH]
    if s:
        sw = s >> 3
        if M[sw + S_GROUP] == s and M[sw + G_P] == proc.p:
            # A plain receive of a goroutine on this P: hand the value over
            # in process memory and ready it (no log, no claim: see recv_now).
            _unlink_head(M, hw + C_RQH, hw + C_RQT, sw)
            g = proc.waiting.pop(s)
            g.xval = v if imm else _Copy(kind, payload)
            M[sw + G_OK] = 1
            proc.runq.append(g)
            return True
        M[hw + C_LOG:hw + C_LOG_END] = M[hw + C_MUT0:hw + C_LOG]
        s = _dequeue_claim(arena, hw + C_RQH, hw + C_RQT, hw + C_PENDING)
        if s:
            gw = M[(s >> 3) + S_GROUP] >> 3
            if M[gw + G_P] == proc.p:
                xval = v if imm else _Copy(kind, payload)
            else:
                xval = NOVAL
                if imm:
                    kind, payload = _encode(v)
                _put(arena, gw + VW, kind, payload, V_INLINE)
            proc.finish_wait(gw, M[(s >> 3) + S_CASE], 1, xval)
            M[hw + C_PENDING] = 0
            M[hw + C_OPSEQ] += 1
            return True
        M[hw + C_PENDING] = 0
        M[hw + C_OPSEQ] += 1
    cnt = M[hw + C_COUNT]
    if cnt < cap:
        if imm:
            kind, payload = _encode(v)
        M[hw + C_LOG:hw + C_LOG_END] = M[hw + C_MUT0:hw + C_LOG]
        _ring.push(arena, hw + C_RING, M[hw + C_RBASE], M[hw + C_RSIZE], cnt, cap,
                   kind, payload)
        M[hw + C_COUNT] = cnt + 1
        M[hw + C_OPSEQ] += 1
        return True
    return False


def is_imm(v) -> bool:
    t = type(v)
    return t is int or t in _IMM or _immutable(v)


class Chan(ShmObject):
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

    Make one with ``pg.chan(cap)``; ``pg.Chan[int]`` annotates. A channel
    lives in the runtime's shared memory; the object is a handle that
    pickles as such, so pass it to ``pg.go`` or send it on another channel
    and every process uses the same channel. Values are copied (pickled)
    from sender to receiver.

    Raises Panic("send on closed channel") and Panic("close of closed
    channel"); TypeError for a value that cannot be copied (in the sender)
    and for operations a view forbids. Use it from goroutines of the
    runtime that made it: elsewhere, or after that runtime ended, it raises
    NoRuntime."""

    __slots__ = ("_base", "_cap", "_lb", "_timer", "_w")
    __class_getitem__ = classmethod(GenericAlias)
    _REFS_OFF = C.C_REFS * 8

    def __init__(self, cap: int = 0):
        if type(cap) is not int and not hasattr(cap, "__index__"):
            raise TypeError(f"channel capacity must be an int, not {type(cap).__name__}")
        cap = int(cap)
        if cap < 0 or cap > (1 << 31):
            raise ValueError("makechan: size out of range")
        arena = current_arena()
        self._init(arena, C.create(arena, cap), cap, False)

    def _init(self, arena, b, cap, timer):
        self._attach(arena, b)
        self._w = b >> 3
        self._lb = b + 8
        self._cap = cap
        self._timer = timer
        self._base = None

    # ---- as a handle (_handle.ShmObject) -------------------------------------

    def _owns_ref(self) -> bool:
        return self._base is None

    def _extra(self) -> tuple:
        return self._cap, self._timer, _VIEW_CODE[type(self)]

    @classmethod
    def _from_block(cls, arena, b, extra):
        cap, timer, view_code = extra
        ch = object.__new__(Chan)
        ch._init(arena, b, cap, timer)
        return ch._adopt_as(cls, extra)

    def _adopt_as(self, cls, extra):
        return self if cls is Chan else _view(cls, self)

    @staticmethod
    def _free_block(arena, b) -> None:
        C.destroy(arena, b)

    # ---- sending -------------------------------------------------------------

    def send(self, v) -> None:
        """Send ``v`` (Go's ``c <- v``): blocks until a receiver takes it
        (unbuffered) or it is buffered. ``v`` is copied now, in the sender.

        Raises Panic("send on closed channel") if the channel is closed,
        also when it is closed while this send waits (CH-17, CH-18);
        TypeError if ``v`` cannot be copied, before the channel changes.
        Call it from a goroutine."""
        arena = self._arena
        proc = _sched.tls.proc
        if proc is None or proc.arena is not arena or proc.current is None:
            _runtime_of(arena)
        if self._timer:
            raise TypeError("send on a timer channel (it is receive-only)")
        t = type(v)
        if t is int or t in _IMM or _immutable(v):
            imm = True
            kind = payload = None
        else:
            imm = False
            kind, payload = _encode(v)
        M = arena.M
        hw = self._w
        lb = self._lb
        mem = arena.mem
        if not mem.cas64(lb, 0, arena.tag):
            _acquire(arena, lb)
        try:
            if M[hw + C_CLOSED]:
                raise Panic("send on closed channel")
            if send_now(arena, proc, hw, self._cap, v, imm, kind, payload):
                mem.store64(lb, 0)
                lb = 0
                if proc.pending_wake:
                    proc.flush_wakes()
                if proc.slicing:
                    proc.give_way()
                return
            # Park until a receiver takes the value (or close wakes us).
            if imm:
                kind, payload = _encode(v)
            gw = proc.enqueue_self(hw + C_SQH, hw + C_SQT)
            _put(arena, gw + VW, kind, payload, V_INLINE)
            g = proc.current
            g.sendval = v if imm else NOVAL
        except BaseException:
            if lb:          # e.g. MemoryError mid-operation: undo it (not once unlocked)
                C.abort(M, hw)
            raise
        finally:
            if lb:
                mem.store64(lb, 0)
        proc.park("chan send")
        g.sendval = NOVAL
        if not M[gw + G_OK]:
            V.discard(arena, gw + VW)
            raise Panic("send on closed channel")

    # ---- receiving -----------------------------------------------------------

    def recv(self):
        """Receive a value (Go's ``v := <-c``), blocking until one comes;
        once the channel is closed and drained, None at once (CH-14). Use
        recv_ok to tell a sent None from a closed channel. Call it from a
        goroutine."""
        return self.recv_ok()[0]

    def recv_ok(self):
        """Receive (Go's ``v, ok := <-c``): ``(value, True)`` for a value
        sent, ``(None, False)`` once the channel is closed and drained
        (CH-15). Blocks until one or the other. Call it from a goroutine."""
        arena = self._arena
        proc = _sched.tls.proc
        if proc is None or proc.arena is not arena or proc.current is None:
            _runtime_of(arena)
        if self._timer:
            return self._recv_special(proc, True)
        M = arena.M
        hw = self._w
        lb = self._lb
        mem = arena.mem
        if not mem.cas64(lb, 0, arena.tag):
            _acquire(arena, lb)
        try:
            st, val = recv_now(arena, proc, hw, self._cap)
            if st:
                mem.store64(lb, 0)
                lb = 0
                if proc.pending_wake:
                    proc.flush_wakes()
                if proc.slicing:
                    proc.give_way()
                if st == 1:
                    return _decode_raw(arena, val), True
                return val, st == 2
            gw = proc.enqueue_self(hw + C_RQH, hw + C_RQT)
            g = proc.current
        except BaseException:
            if lb:          # not once unlocked: decoding a received value may raise
                C.abort(M, hw)
            raise
        finally:
            if lb:
                mem.store64(lb, 0)
        proc.park("chan receive")
        if M[gw + G_OK]:
            return _received(arena, g, gw), True
        return None, False

    def __iter__(self):
        """``for v in ch``: receive until closed and drained (CH-23)."""
        recv_ok = self.recv_ok
        while True:
            v, ok = recv_ok()
            if not ok:
                return
            yield v

    # ---- timer channels (pg.after, pg.tick, Timer.c, Ticker.c) ------------------

    def _timer_due(self, M, hw, now_ns):
        """Under the lock: the fire time if the timer is due (consuming it),
        else None."""
        when = M[hw + C.C_TWHEN]
        if not when or when > now_ns:
            return None
        _begin(M, hw)
        period = M[hw + C.C_TPERIOD]
        if period:
            # A slow receiver misses ticks; it never queues them (TM-15).
            M[hw + C.C_TWHEN] = when + ((now_ns - when) // period + 1) * period
        else:
            M[hw + C.C_TWHEN] = 0
        _commit(M, hw)
        return _time.time() - (now_ns - when) / 1e9

    def _recv_special(self, proc, block: bool):
        """Receive from a timer channel (gets the fire time) or a deadline
        channel (reads as closed once its deadline passes, or when closed).
        A parked receiver is woken by a timer of its own P at the deadline,
        or by nudge_waiters after a reset, and looks again."""
        arena = self._arena
        M = arena.M
        hw = self._w
        lb = self._lb
        kind = self._timer
        while True:
            _acquire(arena, lb)
            try:
                now = _time.monotonic_ns()
                if kind == TIMER:
                    fired = self._timer_due(M, hw, now)
                    if fired is not None:
                        return fired, True
                elif M[hw + C_CLOSED] or 0 < M[hw + C.C_TWHEN] <= now:
                    return None, False
                if not block:
                    return None, False
                when = M[hw + C.C_TWHEN]
                gw = proc.enqueue_self(hw + C_RQH, hw + C_RQT)
            finally:
                _lock.release(arena, lb)
            entry = proc.timers.add(when / 1e9, _retry_wait, (proc, gw)) if when else None
            proc.park("chan receive")
            if entry is not None:
                proc.timers.cancel(entry)
            if M[gw + W.G_FIRED] != RETRY:
                return None, False          # a deadline channel was closed
            _acquire(arena, lb)
            W.unlink(M, hw + C_RQH, hw + C_RQT, gw << 3)
            _lock.release(arena, lb)

    # ---- closing -------------------------------------------------------------

    def close(self) -> None:
        """Close (Go's ``close(c)``): no more values will be sent. Never
        blocks; receivers drain what is buffered, then get (None, False);
        every blocked receiver wakes with (None, False) and every blocked
        sender raises Panic (CH-16, CH-18), in every process.

        Raises Panic("close of closed channel") the second time (CH-19),
        TypeError on a receive-only view or a timer channel."""
        arena = self._arena
        proc = _proc_of(arena)
        if self._timer == TIMER:
            raise TypeError("close of a timer channel (it is receive-only)")
        M = arena.M
        hw = self._w
        lb = self._lb
        woken = []
        _acquire(arena, lb)
        try:
            if M[hw + C_CLOSED]:
                raise Panic("close of closed channel")
            _begin(M, hw)
            M[hw + C_CLOSED] = 1
            for head, tail in ((C_RQH, C_RQT), (C_SQH, C_SQT)):
                while True:
                    s = _dequeue_claim(arena, hw + head, hw + tail, hw + C_PENDING)
                    if not s:
                        break
                    gw = M[(s >> 3) + S_GROUP] >> 3
                    _deliver(arena, gw, M[(s >> 3) + S_CASE], 0)
                    woken.append(gw)
            _commit(M, hw)
        finally:
            _lock.release(arena, lb)
        for gw in woken:
            proc.wake(gw)

    # ---- the rest of the contract -----------------------------------------------

    def __len__(self) -> int:
        """Values buffered now (CH-11); 0 for an unbuffered channel."""
        return self._arena.M[self._w + C_COUNT]

    @property
    def cap(self) -> int:
        """The buffer's capacity (CH-11): 0 for an unbuffered channel."""
        return self._cap

    def send_only(self) -> SendOnlyChan:
        """This channel as a send-only view (Go's ``chan<- T``): send,
        close, len and cap; receiving from it raises TypeError (CH-22)."""
        return _view(SendOnlyChan, self)

    def recv_only(self) -> RecvOnlyChan:
        """This channel as a receive-only view (Go's ``<-chan T``): recv,
        recv_ok, iteration, len and cap; send and close on it raise
        TypeError (CH-20, CH-22)."""
        return _view(RecvOnlyChan, self)

    def __repr__(self) -> str:
        kind = type(self).__name__
        return f"<{kind} cap={self._cap} at {self._b:#x}>"

class SendOnlyChan(Chan):
    """A send-only view of a channel (Go's ``chan<- T``), from
    ``ch.send_only()``: send, close, len, cap. Receiving from it, ranging
    over it or converting it to receive-only raises TypeError (CH-22). Like
    its channel, it pickles as a handle and works from goroutines of its
    runtime (NoRuntime elsewhere)."""

    __slots__ = ()

    def recv(self):
        raise TypeError("receive from send-only channel")

    def recv_ok(self):
        raise TypeError("receive from send-only channel")

    def __iter__(self):
        raise TypeError("range over send-only channel")

    def recv_only(self):
        raise TypeError("cannot convert a send-only channel to receive-only")


class RecvOnlyChan(Chan):
    """A receive-only view of a channel (Go's ``<-chan T``), from
    ``ch.recv_only()``: recv, recv_ok, iteration, len, cap. Sending on it,
    closing it or converting it to send-only raises TypeError (CH-20,
    CH-22). pg.pipeline's functions return these. Like its channel, it pickles as a
    handle and works from goroutines of its runtime (NoRuntime elsewhere)."""

    __slots__ = ()

    def send(self, v):
        raise TypeError("send to receive-only channel")

    def close(self):
        raise TypeError("close of receive-only channel")

    def send_only(self):
        raise TypeError("cannot convert a receive-only channel to send-only")


_VIEW_CODE = {Chan: 0, SendOnlyChan: 1, RecvOnlyChan: 2}
_VIEW_TYPE = {0: Chan, 1: SendOnlyChan, 2: RecvOnlyChan}


def _view(cls, ch: Chan):
    base = ch if ch._base is None else ch._base
    v = object.__new__(cls)
    v._arena, v._b, v._w, v._lb = base._arena, base._b, base._w, base._lb
    v._cap, v._timer, v._base = base._cap, base._timer, base
    return v


def _retry_wait(arg):
    """Timer callback: wake a goroutine parked on a timer channel so it looks
    again (the timer is due, or was reset)."""
    proc, gw = arg
    arena = proc.arena
    if W.try_claim(arena, gw):
        _deliver(arena, gw, RETRY, 0)
        proc.wake(gw)


def chan_at(arena, b: int, kind: int = 0, cap: int = 0) -> Chan:
    """A handle on the channel at ``b`` known only by address (the caller
    keeps the block alive): this process's existing handle, or a new one
    holding its own reference."""
    ch = _handle_registry.get(b)
    if ch is not None and ch._arena is arena:
        return ch
    arena.mem.add64(b + C.C_REFS * 8, 1)
    ch = object.__new__(Chan)
    ch._init(arena, b, cap, kind)
    return ch


def offer(ch: Chan, v) -> bool:
    """Send ``v`` if that needs no waiting; False otherwise. Usable from this
    P's scheduler (timer and crash callbacks), not only from goroutines.
    Panics if the channel is closed."""
    arena = ch._arena
    proc = _proc_of(arena)
    imm = is_imm(v)
    kind, payload = (None, None) if imm else _encode(v)
    _acquire(arena, ch._lb)
    try:
        if arena.M[ch._w + C_CLOSED]:
            raise Panic("send on closed channel")
        sent = send_now(arena, proc, ch._w, ch._cap, v, imm, kind, payload)
    finally:
        _lock.release(arena, ch._lb)
    if proc.pending_wake:
        proc.flush_wakes()
    return sent


def poll(ch: Chan):
    """Receive if that needs no waiting: (value, ok, True), or (None, False,
    False) when nothing is ready. Usable from this P's scheduler too."""
    arena = ch._arena
    proc = _proc_of(arena)
    _acquire(arena, ch._lb)
    try:
        st, val = recv_now(arena, proc, ch._w, ch._cap)
    finally:
        _lock.release(arena, ch._lb)
    if proc.pending_wake:
        proc.flush_wakes()
    if st == 1:
        return _decode_raw(arena, val), True, True
    if st == 2:
        return val, True, True
    return None, False, st == 3


def chan(cap: int = 0) -> Chan:
    """Make a channel with buffer capacity ``cap`` (Go's ``make(chan T, cap)``).

        pg.chan()       # unbuffered: a send waits for a receiver (CH-02)
        pg.chan(100)    # buffered: a send waits only when 100 are queued

    Raises ValueError("makechan: size out of range") for a negative (or
    over 2**31) capacity, TypeError for one that is not an int. Call it
    from a goroutine of a running runtime (it lives in the runtime's shared
    memory); elsewhere it raises NoRuntime."""
    return Chan(cap)


def timer_chan(when_ns: int, period_ns: int = 0, kind: int = 1) -> Chan:
    """A receive-only channel that, as a TIMER, delivers the fire time at
    ``when_ns`` (monotonic) and then every ``period_ns`` if non-zero; as a
    DEADLINE, reads as closed from ``when_ns`` on (0: no deadline)."""
    proc = _sched.tls.proc
    if proc is None:
        raise no_runtime("a timer")
    arena = proc.arena
    b = C.create(arena, 0, C.F_TIMER if kind == TIMER else C.F_DEADLINE)
    M = arena.M
    M[(b >> 3) + C.C_TWHEN] = max(1, when_ns) if kind == TIMER or when_ns else 0
    M[(b >> 3) + C.C_TPERIOD] = period_ns
    ch = object.__new__(Chan)
    ch._init(arena, b, 0, kind)
    return ch if kind == DEADLINE else _view(RecvOnlyChan, ch)


def nudge_waiters(ch: Chan) -> None:
    """Wake every goroutine parked on a timer channel so it re-reads the
    timer (after Timer.reset / stop). Called with no lock held."""
    arena = ch._arena
    proc = _proc_of(arena)
    M = arena.M
    hw = ch._w
    woken = []
    _acquire(arena, ch._lb)
    try:
        s = M[hw + C_RQH]
        while s:
            gw = M[(s >> 3) + S_GROUP] >> 3
            if W.try_claim(arena, gw):
                _deliver(arena, gw, RETRY, 0)
                woken.append(gw)
            s = M[(s >> 3) + W.S_NEXT]
    finally:
        _lock.release(arena, ch._lb)
    for gw in woken:
        proc.wake(gw)

