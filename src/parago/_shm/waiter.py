"""Wait records: the one waiting mechanism (Go's sudog), in shared memory.

Owns: wait groups (one per started goroutine, for its whole life, reused for
each of its waits: so the groups of a P are also the list of its goroutines,
which is how a crash report names the goroutines a dead process took) and
sudogs (one per select case), their state machine, and the FIFO queues of
sudogs that channels and sync objects keep.

A goroutine that must block arms its group (a fresh ticket, state WAITING),
links one sudog per thing it waits on into those things' queues, and parks.
A waker, holding the lock of the thing, dequeues a sudog, *claims* its group
with one CAS (so a select fires exactly once), moves the value, marks the
group DELIVERED with the index of the case that fired, and then makes the
goroutine runnable: directly if it lives on the waker's P, else by pushing
the group on its P's inbox (ptable.inbox_push).

    group/sudog record (REC_WORDS words; a plain send or receive uses its
    group as its only sudog, so both share the sudog fields):
      G_STATE  ticket << 12 | (claimer + 1) << 4 | code
      G_P G_GID G_FIRED G_INBOX G_OK G_WHY G_TAG  (group fields)
      S_GROUP S_NEXT S_PREV S_CHAN S_CASE S_DIR S_LINKED      (sudog fields)
      V ... a value cell (values.py): what a sender sends, or what a
            receiver was given

Invariants:
  - Queue fields (S_NEXT, S_PREV, S_LINKED) and the head/tail words of a queue
    change only under the lock of the object owning the queue.
  - Claiming is the only way out of WAITING and happens under the lock of the
    object whose queue held the sudog; the claimer writes the value and
    DELIVERED before it releases that lock.
  - A group's owner re-arms it only after its previous wait ended, so a stale
    ticket can never be claimed: the CAS compares the whole state word.
  - A group in another P's inbox is never re-armed before that P popped it
    (the owner resumes only after the pop).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import atom, ptable
from . import layout as L

if TYPE_CHECKING:
    from collections.abc import Callable

    from .arena import Arena

REC_WORDS = 32
REC_BYTES = REC_WORDS * 8

G_STATE = 1
G_P = 2
G_GID = 3
G_FIRED = 4
G_INBOX = 5
G_OK = 6
G_WHY = 7
S_GROUP = 8
S_NEXT = 9
S_PREV = 10
S_CHAN = 11
S_CASE = 12
S_DIR = 13
S_LINKED = 14
G_TAG = 15       # who the goroutine works for (a WorkerPool's tag), 0: itself
V = 16
V_INLINE = (REC_WORDS - V - 2) * 8    # bytes of value data a record holds inline

INBOX_OFF = G_INBOX * 8

IDLE = 0
WAITING = 1
CLAIMED = 2
DELIVERED = 3
DEAD = 4          # its goroutine died with its process: never claimable again
NO_P = -1         # G_P of such a group: it belongs to no P any more
CODE_MASK = 0xF

DIR_SEND = 1
DIR_RECV = 2


def new_group(arena: Arena, p: int, gid: int) -> int:
    g = arena.alloc(REC_BYTES, L.K_GROUP)
    M = arena.M
    w = g >> 3
    M[w + G_STATE] = IDLE
    M[w + G_P] = p
    M[w + G_GID] = gid
    M[w + S_GROUP] = g
    M[w + S_LINKED] = 0
    M[w + G_TAG] = 0
    return g


def new_sudog(arena: Arena, group_b: int, case: int, dir_: int) -> int:
    s = arena.alloc(REC_BYTES, L.K_SUDOG)
    M = arena.M
    w = s >> 3
    M[w + S_GROUP] = group_b
    M[w + S_CASE] = case
    M[w + S_DIR] = dir_
    M[w + S_LINKED] = 0
    return s


def arm(M: memoryview, gw: int, ticket: int) -> int:
    """Start a new wait on group word ``gw``; returns its WAITING state word."""
    st = (ticket << 12) | WAITING
    M[gw + G_FIRED] = -1
    M[gw + G_OK] = 0
    M[gw + G_STATE] = st
    return st


def try_claim(arena: Arena, gw: int) -> bool:
    """Claim the group at word ``gw`` for the calling P; False if it is not
    waiting any more (another case of its select fired)."""
    st = arena.M[gw + G_STATE]
    if st & CODE_MASK != WAITING:
        return False
    return arena.mem.cas64((gw + G_STATE) << 3, st,
                           (st & ~0xFFF) | ((arena.p + 1) << 4) | CLAIMED)


def deliver(arena: Arena, gw: int, case: int, ok: int) -> None:
    """Finish a claim: the wait ends with case ``case`` having fired."""
    M = arena.M
    M[gw + G_FIRED] = case
    M[gw + G_OK] = ok
    st = M[gw + G_STATE]
    atom.store64(arena.mem, M, gw + G_STATE, (st & ~CODE_MASK) | DELIVERED)


def state_code(M: memoryview, gw: int) -> int:
    return M[gw + G_STATE] & CODE_MASK


def claimer_p(st: int) -> int:
    return ((st >> 4) & 0xFF) - 1


# ---- FIFO queues of sudogs (caller holds the owning object's lock) -----------

def enqueue(arena: Arena, head_w: int, tail_w: int, s: int) -> None:
    link_tail(arena.M, head_w, tail_w, s)


def link_tail(M: memoryview, head_w: int, tail_w: int, s: int) -> None:
    """Link sudog ``s`` at the tail of the queue ``head_w``/``tail_w``."""
    sw = s >> 3
    t = M[tail_w]
    M[sw + S_NEXT] = 0
    M[sw + S_PREV] = t
    M[sw + S_LINKED] = 1
    if t:
        M[(t >> 3) + S_NEXT] = s
    else:
        M[head_w] = s
    M[tail_w] = s


def enqueue_front(arena: Arena, head_w: int, tail_w: int, s: int) -> None:
    """Link ``s`` at the head (a woken mutex waiter that lost the race goes
    back to the front: MU-06)."""
    M = arena.M
    sw = s >> 3
    h = M[head_w]
    M[sw + S_PREV] = 0
    M[sw + S_NEXT] = h
    M[sw + S_LINKED] = 1
    if h:
        M[(h >> 3) + S_PREV] = s
    else:
        M[tail_w] = s
    M[head_w] = s


def unlink(M: memoryview, head_w: int, tail_w: int, s: int) -> None:
    sw = s >> 3
    if not M[sw + S_LINKED]:
        return
    n = M[sw + S_NEXT]
    p = M[sw + S_PREV]
    if p:
        M[(p >> 3) + S_NEXT] = n
    else:
        M[head_w] = n
    if n:
        M[(n >> 3) + S_PREV] = p
    else:
        M[tail_w] = p
    M[sw + S_LINKED] = 0


def dequeue_claim(arena: Arena, head_w: int, tail_w: int, pending_w: int) -> int:
    """Remove sudogs from the head until one whose group we can claim; return
    it (0 if the queue runs out). Sudogs of finished selects and of dead Ps
    are dropped on the way, as Go's dequeue skips completed selects.

    A plain wait (the group is its own only sudog) of a goroutine on this P
    is claimed with a plain write: the lock we hold is the only way to reach
    it, and nothing in another process can claim it meanwhile. Any other
    group is claimed with a CAS, after naming it in ``pending_w`` (the
    owner's PENDING word, read by its crash repairer)."""
    M = arena.M
    me = arena.p
    while True:
        s = M[head_w]
        if not s:
            return 0
        sw = s >> 3
        n = M[sw + S_NEXT]
        M[head_w] = n
        if n:
            M[(n >> 3) + S_PREV] = 0
        else:
            M[tail_w] = 0
        M[sw + S_LINKED] = 0
        g = M[sw + S_GROUP]
        gw = g >> 3
        st = M[gw + G_STATE]
        if st & CODE_MASK != WAITING:
            continue
        owner = M[gw + G_P]
        if owner == me:
            if g == s:
                M[gw + G_STATE] = st + (CLAIMED - WAITING)
                return s
        elif M[ptable.slot_w(arena, owner) + ptable.PS_STATE] == ptable.S_DEAD:
            continue
        M[pending_w] = g
        if atom.cas64(arena.mem, M, gw + G_STATE, st, (st & ~0xFFF) | ((me + 1) << 4) | CLAIMED):
            return s


def queue_length(M: memoryview, head_w: int) -> int:
    """Sudogs linked in the queue starting at ``head_w`` (lock held)."""
    n = 0
    s = M[head_w]
    while s:
        n += 1
        s = M[(s >> 3) + S_NEXT]
    return n


def rebuild(arena: Arena, head_w: int, tail_w: int, keep: Callable[[int], bool]) -> None:
    """After a crash: relink the queue from its head following S_NEXT, keeping
    only sudogs for which ``keep(sudog_w)`` is true; recompute S_PREV and the
    tail. Used by repairers, which hold the lock."""
    M = arena.M
    kept = []
    seen = set()
    s = M[head_w]
    while s and s not in seen:
        seen.add(s)
        sw = s >> 3
        nxt = M[sw + S_NEXT]
        if keep(sw):
            kept.append(s)
        else:
            M[sw + S_LINKED] = 0
        s = nxt
    prev = 0
    for s in kept:
        sw = s >> 3
        M[sw + S_PREV] = prev
        M[sw + S_LINKED] = 1
        if prev:
            M[(prev >> 3) + S_NEXT] = s
        prev = s
    if prev:
        M[(prev >> 3) + S_NEXT] = 0
    M[head_w] = kept[0] if kept else 0
    M[tail_w] = prev


from .._accel import use_compiled  # noqa: E402

use_compiled(globals())
