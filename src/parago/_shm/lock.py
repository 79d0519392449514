"""Spin locks in shared memory that record their owner.

Owns: every lock word in the arena (word 1 of each lockable record).

Invariants:
  - A lock word holds 0 (free) or the owner tag of the P holding it
    (ptable.tag_of). Critical sections are short and never park a goroutine
    or switch greenlets, so a goroutine never waits for a lock held by its
    own process's scheduler.
  - Lock ordering: a goroutine holding several locks (select) took them in
    increasing address order.
  - If the holder's process is dead, the first waiter to notice takes the lock
    over with one CAS (so exactly one repairer runs), repairs the record with
    the repairer registered for its kind (the record's word 0), and then
    holds the lock as if it had acquired it normally.
  - A waiter yields the CPU (sched_yield, which also releases the GIL) between
    bursts of spinning, so a holder on the same core or in another thread of
    the same process always makes progress.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from . import layout as L
from . import ptable

if TYPE_CHECKING:
    from collections.abc import Callable

    from .arena import Arena

# kind -> fn(arena, record_b, dead_tag): make the record consistent again.
REPAIRERS: dict[int, Callable[[Arena, int, int], None]] = {}

_yield = os.sched_yield


def register_repairer(kind: int, fn: Callable[[Arena, int, int], None]) -> None:
    REPAIRERS[kind] = fn


def acquire(arena: Arena, lock_b: int) -> None:
    """Take the lock at byte offset ``lock_b``."""
    if not arena.mem.cas64(lock_b, 0, arena.tag):
        _acquire_slow(arena, lock_b)


def release(arena: Arena, lock_b: int) -> None:
    arena.mem.store64(lock_b, 0)


def _acquire_slow(arena: Arena, lock_b: int) -> None:
    mem = arena.mem
    tag = arena.tag
    rounds = 0
    while True:
        for _ in range(32):
            if mem.load64(lock_b) == 0 and mem.cas64(lock_b, 0, tag):
                return
        _yield()
        rounds += 1
        if rounds & 63 == 0:
            owner = mem.load64(lock_b)
            if owner and owner != tag and not ptable.owner_alive(arena, owner):
                if mem.cas64(lock_b, owner, tag):
                    repair(arena, lock_b - 8, owner)
                    return


def repair(arena: Arena, record_b: int, dead_tag: int) -> None:
    """Run the repairer for the record whose lock we just took from a dead owner."""
    fn = REPAIRERS.get(arena.M[record_b >> 3])
    if fn is not None:
        fn(arena, record_b, dead_tag)


def take_over_if_dead(arena: Arena, record_b: int, dead_tag: int) -> bool:
    """Used by the crash sweep: if the record is locked by ``dead_tag``, take it,
    repair it and release it. Returns True if it was repaired."""
    lock_b = record_b + 8 * L.LOCK_W
    if arena.mem.cas64(lock_b, dead_tag, arena.tag):
        try:
            repair(arena, record_b, dead_tag)
        finally:
            release(arena, lock_b)
        return True
    return False


from .._accel import use_compiled  # noqa: E402

use_compiled(globals())
