"""The P table: one slot per P (process) in the arena header region.

Owns: each P's slot — its liveness (state, pid, epoch), its idle futex,
its inbox of woken waits, and the counters the deadlock check reads.

Invariants:
  - A slot is written by its own P, except: INBOX (pushed by anyone with a
    CAS), WAKE (bumped by wakers), RESCAN/DUMP_REQ (set by others), STATE
    (set to S_DEAD by the process watcher in P0).
  - Idle protocol (an eventcount): the P reads WAKE, publishes what it sleeps
    with (NTIMERS, NG) and then SLEEPING = a new sleep number (non-zero), looks
    for work once more, then futex-waits on WAKE with the value it read. A
    waker makes its work visible first (inbox push, gqueue push), then, if
    SLEEPING is set, bumps WAKE and futex-wakes. With every access
    sequentially consistent, either the P sees the work or the waker sees
    SLEEPING set and the futex wait returns at once. No wakeup is lost.
  - SLEEPING numbers each sleep, so a reader that sees the same number
    before and after reading the other fields knows the P slept throughout
    and the fields are the ones it went to sleep with (the deadlock proof
    relies on it: a P can wake, add a timer and sleep again without telling
    anyone, so a plain flag read after NTIMERS can pair an old NTIMERS with
    a new sleep).
  - H_ACTIVITY is bumped *after* work is made visible to another P, and
    before the P that made it goes to sleep. The deadlock check reads it
    before and after looking at every slot: work made visible after the
    check looked at its target changes the counter before the second read,
    so the check can never miss work in flight (a bump *before* the push
    could: the checker may look at the target between bump and push, then
    see the pusher already asleep).
  - The inbox is a Treiber stack of wait-group addresses linked through the
    group's G_INBOX_NEXT word; only the slot's own P pops it (all at once, by
    swap), so there is no ABA. A group is pushed at most once per wait: the
    waker that delivered to it is the only one that pushes it.
  - A lock owner tag is ``epoch << 16 | (p + 1)``; a P replaced after a crash
    gets a new epoch, so locks held by the dead incarnation are recognised.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

from . import layout as L

if TYPE_CHECKING:
    from .arena import Arena

SLOT_WORDS = 128

# slot fields (word offsets inside a slot)
PS_STATE = 0
PS_PID = 1
PS_EPOCH = 2
PS_WAKE = 3          # futex word (its low 32 bits)
PS_SLEEPING = 4
PS_INBOX = 5
PS_NG = 6            # started goroutines alive on this P
PS_NBLOCKED = 7      # of them: parked on a parago object, no timer involved
PS_NTIMERS = 8       # pending timers on this P
PS_RESCAN = 9        # set by a repairer: look for deliveries you were not told about
PS_DUMP_REQ = 10     # P0 asks for a goroutine dump: the request number
PS_DUMP_DONE = 11    # the P answered request number ...
PS_DUMP_BLOB = 12    # ... in this data block
PS_EXIT_REASON = 13
PS_RETIRE = 14       # P0 asks this P to take no new goroutines and exit when idle
PS_GQ = 16           # the P's gqueue record (see gqueue.py), 16 words
PS_PINQ = 32         # its queue of goroutines pinned to it (never stolen), 16 words
PS_LOAD = 48         # goroutines assigned to the P (loadtab.py)
PS_STARTED = 50      # goroutines this P has started (runtime.stats)
PS_RUNNABLE = 51     # its run queue's length, as of its last look (runtime.stats)
PS_ALIVE_AT = 52     # when it became ALIVE (monotonic ns)
PS_IDLE_NS = 53      # time it has spent with nothing to run (runtime.stats)
PS_SLICE_AT = 54     # when its running goroutine was switched in (ns; 0: none runs)
PS_PREEMPT = 55      # 1: a preemption signal is on its way to it (_core/preempt.py)
PS_SPINNING = 56     # 1: it spins on its inbox, counted in H_NSPINNING (_core/spin.py)
PS_FNTAB = 64        # goroutines assigned by function (loadtab.py), 64 words

# slot states
S_FREE = 0
S_STARTING = 1
S_ALIVE = 2
S_DEAD = 3           # died unexpectedly; its structures are being repaired
S_EXITED = 4         # stopped by the runtime

P_MASK = 0xFFFF


def slot_w(arena: Arena, p: int) -> int:
    """Word index of P ``p``'s slot."""
    return (arena.ptable >> 3) + p * SLOT_WORDS


def tag_of(epoch: int, p: int) -> int:
    return (epoch << 16) | (p + 1)


def p_of_tag(tag: int) -> int:
    return (tag & P_MASK) - 1


def init_slot(arena: Arena, p: int, pid: int) -> int:
    """Claim slot ``p`` for a new incarnation; returns the new epoch."""
    M = arena.M
    s = slot_w(arena, p)
    epoch = M[s + PS_EPOCH] + 1
    M[s + PS_EPOCH] = epoch
    M[s + PS_PID] = pid
    for f in (PS_SLEEPING, PS_INBOX, PS_NG, PS_NBLOCKED, PS_NTIMERS, PS_RESCAN,
              PS_DUMP_REQ, PS_DUMP_DONE, PS_DUMP_BLOB, PS_EXIT_REASON, PS_RETIRE,
              PS_LOAD, PS_STARTED, PS_RUNNABLE, PS_ALIVE_AT, PS_IDLE_NS,
              PS_SLICE_AT, PS_PREEMPT, PS_SPINNING):
        M[s + f] = 0
    for w in range(s + PS_FNTAB, s + SLOT_WORDS):
        M[w] = 0
    arena.mem.store64((s + PS_STATE) << 3, S_STARTING)
    return epoch


def begin_sleep(arena: Arena, p: int, sleep_no: int, ntimers: int, ng: int) -> None:
    """P ``p`` goes to sleep (its ``sleep_no``-th sleep, > 0) with ``ntimers``
    pending timers and ``ng`` live goroutines."""
    M = arena.M
    s = slot_w(arena, p)
    M[s + PS_NTIMERS] = ntimers
    M[s + PS_NG] = ng
    arena.mem.store64((s + PS_SLEEPING) << 3, sleep_no)


def end_sleep(arena: Arena, p: int) -> None:
    arena.mem.store64((slot_w(arena, p) + PS_SLEEPING) << 3, 0)


def others_awake(arena: Arena, me: int) -> bool:
    """Is a live P other than ``me`` awake? Then no deadlock can be proved
    now (hooks.prove_deadlock would find that P awake): an idle P skips the
    proof, which costs more than the rest of its way to sleep."""
    M = arena.M
    s = slot_w(arena, 0)
    for p in range(M[L.H_NSLOTS]):
        if p != me and M[s + PS_STATE] == S_ALIVE and not M[s + PS_SLEEPING]:
            return True
        s += SLOT_WORDS
    return False


def set_state(arena: Arena, p: int, state: int) -> None:
    if state == S_ALIVE:
        arena.M[slot_w(arena, p) + PS_ALIVE_AT] = time.monotonic_ns()
    arena.mem.store64((slot_w(arena, p) + PS_STATE) << 3, state)


def state(arena: Arena, p: int) -> int:
    return arena.mem.load64((slot_w(arena, p) + PS_STATE) << 3)


def owner_alive(arena: Arena, tag: int) -> bool:
    """Is the holder of a lock tagged ``tag`` still a live process?"""
    p = p_of_tag(tag)
    if not 0 <= p < L.MAXP:
        return False
    M = arena.M
    s = slot_w(arena, p)
    if M[s + PS_EPOCH] != tag >> 16 or M[s + PS_STATE] == S_DEAD:
        return False
    return pid_alive(M[s + PS_PID])


def pid_alive(pid: int) -> bool:
    """Is process ``pid`` running? A killed process stays a zombie until its
    parent reaps it, and signal 0 still reaches a zombie: look at its state."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
        return stat[stat.rindex(b")") + 2:stat.rindex(b")") + 3] not in (b"Z", b"X")
    except (OSError, ValueError):
        return False


def owner_alive_p(arena: Arena, p: int) -> bool:
    """Is P ``p`` a live process (by its slot and its pid)?"""
    if not 0 <= p < L.MAXP:
        return False
    return owner_alive(arena, tag_of(arena.M[slot_w(arena, p) + PS_EPOCH], p))


def request_rescan(arena: Arena, p: int) -> None:
    """Tell P ``p`` that a wait of one of its goroutines may have ended
    without an inbox entry (a repairer finished someone else's delivery)."""
    if 0 <= p < L.MAXP:
        arena.mem.store64((slot_w(arena, p) + PS_RESCAN) << 3, 1)
        bump_activity(arena)
        wake(arena, p)


# ---- waking an idle P --------------------------------------------------------

def wake(arena: Arena, p: int) -> None:
    """Make P ``p`` look at its inbox and queues if it is asleep."""
    b = (slot_w(arena, p) + PS_SLEEPING) << 3
    mem = arena.mem
    if mem.load64(b):
        wb = b - (PS_SLEEPING - PS_WAKE) * 8
        mem.add32(wb, 1)
        mem.futex_wake(wb, 1)


def wake_all(arena: Arena, nprocs: int) -> None:
    mem = arena.mem
    for p in range(nprocs):
        wb = (slot_w(arena, p) + PS_WAKE) << 3
        mem.add32(wb, 1)
        mem.futex_wake(wb, 1 << 30)


def bump_activity(arena: Arena) -> None:
    arena.mem.add64(L.H_ACTIVITY << 3, 1)


# ---- the inbox ---------------------------------------------------------------

def inbox_push(arena: Arena, p: int, group_b: int, next_off: int) -> None:
    """Push wait group ``group_b`` on P ``p``'s inbox and wake ``p``.
    ``next_off`` is the byte offset of the group's inbox link field."""
    mem = arena.mem
    head_b = (slot_w(arena, p) + PS_INBOX) << 3
    link_b = group_b + next_off
    while True:
        h = mem.load64(head_b)
        mem.store64(link_b, h)
        if mem.cas64(head_b, h, group_b):
            break
    mem.add64(L.H_ACTIVITY << 3, 1)
    wake(arena, p)


def inbox_take(arena: Arena, p: int, next_off: int) -> list[int]:
    """Pop every group in P ``p``'s inbox, oldest first."""
    mem = arena.mem
    h = mem.swap64((slot_w(arena, p) + PS_INBOX) << 3, 0)
    out = []
    M = arena.M
    nw = next_off >> 3
    while h:
        out.append(h)
        h = M[(h >> 3) + nw]
    out.reverse()
    return out


from .._accel import use_compiled  # noqa: E402

use_compiled(globals())
