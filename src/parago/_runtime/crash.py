"""Repairing shared memory after a P dies (DESIGN decision 7).

Owns: the crash sweep run by P0's process watcher when a worker dies.

Invariants: the sweep only ever takes a lock from the dead P's tag (one CAS,
so it never races a live holder), and it leaves every lockable record free,
every wait group either waiting or delivered, and every live P told to look.
Order matters:
  1. Mark the P dead, so wakers stop handing values to its goroutines and
     lock waiters recognise its locks as orphaned.
  2. Take over and repair every record whose lock the dead P held (each
     kind's repairer undoes or finishes the operation in flight).
  3. Return to WAITING any wait group the dead P had claimed but not
     delivered to (a claim is only ever made under a lock, so step 2 has
     normally done this already; this is the safety net).
  4. Ask every live P to rescan its parked goroutines: a delivery the dead P
     finished but never announced (it died between delivering and pushing
     the inbox) is found that way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._core import spin
from .._shm import gqueue, lock, ptable
from .._shm import layout as L
from .._shm import waiter as W

if TYPE_CHECKING:
    from .._shm.arena import Arena

LOCKABLE = frozenset({L.K_CHAN, L.K_SYNC})


def sweep(arena: Arena, dead_p: int) -> list[tuple[int, int]]:
    """Repair after P ``dead_p`` died; returns (goroutine id, tag) of every
    goroutine it took with it."""
    M = arena.M
    s = ptable.slot_w(arena, dead_p)
    dead_tag = ptable.tag_of(M[s + ptable.PS_EPOCH], dead_p)
    ptable.set_state(arena, dead_p, ptable.S_DEAD)
    spin.uncount_dead(arena, dead_p)
    lock.take_over_if_dead(arena, L.H_ALLOC_KIND << 3, dead_tag)
    for p in range(M[L.H_NSLOTS]):
        for pinned in (False, True):
            lock.take_over_if_dead(arena, gqueue.record_w(arena, p, pinned) << 3, dead_tag)
    for b in arena.iter_blocks(LOCKABLE):
        lock.take_over_if_dead(arena, b, dead_tag)
    for b in arena.iter_blocks(frozenset({L.K_GROUP})):
        gw = b >> 3
        st = M[gw + W.G_STATE]
        if st & W.CODE_MASK == W.CLAIMED and W.claimer_p(st) == dead_p:
            arena.mem.cas64(b + W.G_STATE * 8, st, (st & ~0xFFF) | W.WAITING)
    # The dead P's wait groups list the goroutines it took. They are not freed:
    # sudogs of its parked goroutines may still sit in live queues. Marked
    # DEAD they can never be claimed, and detached from the slot (which a
    # replacement P reuses) they are never counted twice.
    lost = []
    for b in arena.iter_blocks(frozenset({L.K_GROUP})):
        gw = b >> 3
        if M[gw + W.G_P] == dead_p:
            lost.append((M[gw + W.G_GID], M[gw + W.G_TAG]))
            arena.mem.store64(b + W.G_STATE * 8, W.DEAD)
            M[gw + W.G_P] = W.NO_P
    if lost:
        arena.mem.add64(L.H_NGOROUTINE << 3, -len(lost))
    for p in range(M[L.H_NSLOTS]):
        if p != dead_p and ptable.state(arena, p) == ptable.S_ALIVE:
            ptable.request_rescan(arena, p)
    return sorted(lost)
