"""Per-P load counters: how many goroutines each P holds, by function.

Owns: words PS_LOAD .. PS_LOAD_END of every P slot (ptable.py places them).

    slot word  PS_LOAD       goroutines assigned to the P: started and alive,
                             or queued on it (gqueue) and not yet started
               PS_FNTAB ..   FN_SLOTS entries of (function key, count): of the
                             assigned goroutines, how many run that function

The placement policy (_runtime/placement.py) reads these to start a
goroutine where it will get a core, and to decide whether an idle P may take
a goroutine queued on another one.

Invariants:
  - The counters are advisory: placement reads them without a lock and
    tolerates stale values; nothing that must be exact (deadlock proof, crash
    report, goroutine count) reads them. So a process dying between two
    updates can skew placement, never correctness.
  - Every update is an atomic add, by whoever moves a goroutine: the creator
    when it queues a goroutine on a P (+1), a thief when it takes one from
    another P's queue (-1 there, +1 here), the P itself when a goroutine
    ends (-1).
  - A table entry's key, once set (a CAS from 0), never changes for the
    life of the slot's incarnation (ptable.init_slot clears it). A key that
    finds the table full is not counted by function (placement then goes by
    PS_LOAD alone for it).
  - Key 0 means "no function" (main, runtime goroutines): counted in
    PS_LOAD only. UNCOUNTED marks a goroutine made while the runtime had a
    single P, where placement has no choice to make and nothing is counted
    (so its end uncounts nothing).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import ptable

if TYPE_CHECKING:
    from .arena import Arena, Mem

FN_SLOTS = 32
UNCOUNTED = -1
_TAB = ptable.PS_FNTAB


def _find(M: memoryview, s: int, key: int, insert: bool, mem: Mem) -> int:
    """Word index of ``key``'s count in slot ``s``'s table; 0 if absent (and
    not inserted), -1 if absent and the table is full."""
    i = key % FN_SLOTS
    for _ in range(FN_SLOTS):
        w = s + _TAB + 2 * i
        k = M[w]
        if k == key:
            return w + 1
        if k == 0:
            if not insert:
                return 0
            if mem.cas64(w << 3, 0, key) or M[w] == key:
                return w + 1
        i = (i + 1) % FN_SLOTS
    return -1


def add(arena: Arena, p: int, key: int, delta: int) -> None:
    """Count ``delta`` goroutines of function ``key`` in (or out of) P ``p``."""
    if key == UNCOUNTED:
        return
    mem = arena.mem
    s = ptable.slot_w(arena, p)
    mem.add64((s + ptable.PS_LOAD) << 3, delta)
    if key:
        w = _find(arena.M, s, key, delta > 0, mem)
        if w > 0:
            mem.add64(w << 3, delta)


def load(arena: Arena, p: int) -> int:
    return arena.M[ptable.slot_w(arena, p) + ptable.PS_LOAD]


def count(arena: Arena, p: int, key: int) -> int:
    """Goroutines of function ``key`` assigned to P ``p`` (its whole
    PS_LOAD when the key cannot be tracked there: the table is full)."""
    M = arena.M
    s = ptable.slot_w(arena, p)
    if key:
        w = _find(M, s, key, False, None)  # type: ignore[arg-type]  # not inserting: no mem
        if w >= 0:
            return M[w] if w else 0
    return M[s + ptable.PS_LOAD]


from .._accel import use_compiled  # noqa: E402

use_compiled(globals())
