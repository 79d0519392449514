"""The one waiting mechanism: how a goroutine waits on a shared object, and
how whoever ends its wait makes it run (Go's gopark/goready with sudogs).

Owns: the life of a wait, over the wait records of _shm/waiter.py and the
Processor's ``waiting`` map and ``pending_wake`` list. Channels, select,
the sync package, timer channels and contexts all wait through here.

    waiter (holds the object's lock)           waker (holds the object's lock)
    gw = start(proc, head, tail)  or           s = waiter.dequeue_claim(...)
         arm(proc) + add_case(...) per case    ready(proc, gw, case, ok, xval)
    unlock(proc, lb)                           unlock(proc, lb)   <- posts the
    park(proc, reason)                                               wake-ups

Invariants:
  - A goroutine parks only after its wait is published: its sudogs are
    linked in the objects' queues and ``proc.waiting`` maps its group to it.
  - A wait ends once: a waker claims the group (waiter.dequeue_claim or
    try_claim, under the lock of the queue it found the sudog in) and then
    calls ready(). A goroutine of the waker's own P is queued to run at
    once; one of another P is delivered to in shared memory and its group
    gathered in ``proc.pending_wake``.
  - Gathered wake-ups are posted (pushed on their Ps' inboxes, which wakes
    those Ps) by unlock() / unlock_all() right after the lock is released —
    the only way a kernel operation releases an object's lock after waking
    someone, so no call site can forget a wake-up (Go's unlockf). Pushing
    under the lock would make another process wait on our lock for nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._shm import atom, ptable
from .._shm import waiter as W
from . import preempt
from .sched import NOVAL, this_proc

if TYPE_CHECKING:
    from collections.abc import Callable

    from .._shm.arena import Arena
    from .protocols import TimerEntry
    from .sched import G as GType
    from .sched import Processor as ProcessorType

_WAITING = W.WAITING
_INBOX_OFF = W.INBOX_OFF


# ---- starting a wait (the caller holds the object's lock) ---------------------------

def start(proc: ProcessorType, head_w: int, tail_w: int, front: bool = False) -> int:
    """Start a plain wait of the running goroutine: arm its group and link
    it, as its own sudog, at the tail (or ``front``: the head) of the queue
    ``head_w``/``tail_w``. Returns the group's word index; the caller
    unlocks, then parks."""
    g = proc.current
    gb = g.gb
    gw = gb >> 3
    M = proc.Mv
    proc.ticket += 1
    M[gw + W.G_STATE] = (proc.ticket << 12) | _WAITING
    M[gw + W.G_OK] = 0
    g.xval = NOVAL
    if front:
        W.enqueue_front(proc.arena, head_w, tail_w, gb)
    else:
        W.link_tail(M, head_w, tail_w, gb)
    proc.waiting[gb] = g
    return gw


def arm(proc: ProcessorType) -> int:
    """Begin a wait on several objects (select): a fresh ticket for the
    running goroutine's group; returns its word index. Each case then gets a
    sudog (add_case), and publish() ends the set-up."""
    g = proc.current
    gw = g.gb >> 3
    proc.ticket += 1
    W.arm(proc.M, gw, proc.ticket)
    g.xval = NOVAL
    return gw


def add_case(proc: ProcessorType, gw: int, case: int, direction: int, head_w: int, tail_w: int,
             obj_b: int) -> int:
    """A sudog for case ``case`` of the wait ``gw``, linked in the queue
    ``head_w``/``tail_w`` of the object at ``obj_b`` (its lock held)."""
    s = W.new_sudog(proc.arena, gw << 3, case, direction)
    proc.M[(s >> 3) + W.S_CHAN] = obj_b
    W.enqueue(proc.arena, head_w, tail_w, s)
    return s


def publish(proc: ProcessorType, gw: int) -> None:
    """The wait armed with arm() can now be ended: map its group to the
    goroutine (before any lock it was linked under is released)."""
    proc.waiting[gw << 3] = proc.current


def cancel(proc: ProcessorType, gw: int, head_w: int, tail_w: int) -> None:
    """Take back a plain wait that will not be parked on (the caller holds
    the lock again: e.g. Cond.wait whose unlock of L raised)."""
    W.unlink(proc.M, head_w, tail_w, gw << 3)
    proc.waiting.pop(gw << 3, None)


def park(proc: ProcessorType, reason: str) -> None:
    proc.park(reason)


def sleep_until(proc: ProcessorType, when: float) -> None:
    """Park the running goroutine until ``when`` (monotonic seconds).

    The one wait that needs no wait record: only its own P's timer can end
    it, so there is nothing in shared memory to claim (a dump shows it as
    "sleep", the deadlock proof counts its timer)."""
    proc.sleep_until(when)


def gosched(proc: ProcessorType) -> None:
    proc.gosched()


def timer(proc: ProcessorType, when: float, fn: Callable[[Any], object], arg: Any) -> TimerEntry:
    """Call ``fn(arg)`` in ``proc``'s scheduler at ``when`` (monotonic
    seconds); returns the entry for cancel_timer."""
    return proc.timers.add(when, fn, arg)


def cancel_timer(entry: TimerEntry | None) -> None:
    """Stop a timer of this thread's P (a no-op elsewhere, or for None)."""
    proc = this_proc()
    if entry is not None and proc is not None:
        proc.timers.cancel(entry)


# ---- ending a wait (the caller holds the lock of the object it was found in) ---------

def ready(proc: ProcessorType, gw: int, case: int, ok: int, xval: Any = NOVAL) -> None:
    """End the claimed wait ``gw``: case ``case`` fired with result ``ok``
    (and, for a goroutine of this P, the value ``xval`` handed over in
    process memory). It runs soon: at once on this P, or once unlock()
    posts it to its own P."""
    M = proc.Mv
    if M[gw + W.G_P] == proc.p:
        g = proc.waiting.pop(gw << 3, None)
        M[gw + W.G_FIRED] = case
        M[gw + W.G_OK] = ok
        if g is not None:
            g.xval = xval
            proc.ready(g)
    else:
        W.deliver(proc.arena, gw, case, ok)
        proc.pending_wake.append(gw)


def take_local(proc: ProcessorType, s: int) -> GType:
    """The goroutine of this P whose plain wait is the sudog ``s`` at a
    queue's head (already unlinked by the caller): its wait ends without a
    claim, since the lock held is the only way to reach it. The caller hands
    it its value and readies it (proc.ready)."""
    return proc.waiting.pop(s)


def wake(proc: ProcessorType, gw: int, xval: Any = NOVAL) -> None:
    """Make the owner of group ``gw``, delivered to already, runnable (no
    lock held: a close delivers to every waiter, then wakes them)."""
    p = proc.M[gw + W.G_P]
    if p == proc.p:
        g = proc.waiting.pop(gw << 3, None)
        if g is not None:
            g.xval = xval
            proc.ready(g)
    else:
        _push(proc.arena, p, gw)


# ---- releasing the lock and posting the wake-ups ------------------------------------------

def unlock(proc: ProcessorType, lock_b: int) -> None:
    """Release the lock at ``lock_b``, then post every wake-up gathered
    under it."""
    atom.store64(proc.mem, proc.Mv, lock_b >> 3, 0)
    if proc.pending_wake:
        post(proc)


def unlock_all(proc: ProcessorType, locks: list[int]) -> None:
    """Release the locks ``locks`` (taken in increasing order), then post."""
    mem = proc.mem
    for lb in reversed(locks):
        mem.store64(lb, 0)
    if proc.pending_wake:
        post(proc)


def post(proc: ProcessorType) -> None:
    """Push every group ready() delivered to another P on that P's inbox."""
    arena, M = proc.arena, proc.M
    for gw in proc.pending_wake:
        _push(arena, M[gw + W.G_P], gw)
    proc.pending_wake.clear()


def _push(arena: Arena, p: int, gw: int) -> None:
    ptable.inbox_push(arena, p, gw << 3, _INBOX_OFF)
    preempt.nudge(arena, p)


from .._accel import use_compiled  # noqa: E402

use_compiled(globals())
