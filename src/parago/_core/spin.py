"""When an idle P spins on its inbox before it sleeps, and for how long.

Owns: one P's spin budget, its slot's PS_SPINNING flag and the runtime's
H_NSPINNING count, and this process's reading of the machine's load.

Spinning pays when a partner in another process answers within
microseconds: the futex sleep and wake-up it saves cost tens of them. It
hurts when the machine has no spare core: the spinning P then takes the core
its partner (or anyone) needs, and the answer comes later, not sooner
(measured before this policy: a cross-process hop took 74 µs with one
busy-loop process per core beside, against 28 µs for a pipe). So:

1. The budget adapts to whether spinning pays (as Go's mutex spins only
   while it is profitable): a spin that ends because work arrived doubles
   the budget, up to SPIN_MAX_NS; one that runs out halves it, to nothing
   below SPIN_MIN_NS. With no budget, every PROBE_EVERY-th idle spins
   SPIN_MIN_NS to find out whether spinning pays again.
2. At most max(1, usable cores // 2) Ps spin at once (H_NSPINNING), as Go
   limits its spinning Ms: the other idle Ps sleep at once.
3. No P spins while the machine is oversubscribed: more runnable tasks than
   usable cores (the running count of /proc/loadavg, read at most every
   LOAD_EVERY_NS per process).

Invariants:
  - A P is counted in H_NSPINNING while its PS_SPINNING word is 1: it sets
    the word after winning a place (the count was below the limit) and
    clears both before it sleeps or runs anything. A P that dies spinning is
    uncounted by the crash sweep (crash.py). The count is advisory: a death
    between the two stores of one step can leave it off by one, which only
    changes how many Ps may spin (it is never let below 0).
  - The budget is per P and read only by that P: no shared state but the
    count and the flag.
"""

from __future__ import annotations

import os
from time import monotonic_ns
from typing import TYPE_CHECKING

from .._shm import layout as L
from .._shm import ptable

if TYPE_CHECKING:
    from collections.abc import Callable

    from .._shm.arena import Arena

SPIN_MAX_NS = 200_000      # spin at most this long (200 µs)
SPIN_MIN_NS = 10_000       # a budget below this is no budget (10 µs)
PROBE_EVERY = 64           # with no budget, try a short spin every 64th idle
LOAD_EVERY_NS = 10_000_000

try:
    CORES = len(os.sched_getaffinity(0))
except AttributeError:      # pragma: no cover - Linux has it
    CORES = os.cpu_count() or 1
MAX_SPINNERS = max(1, CORES // 2)

_load = [0, False]          # [when read (ns), oversubscribed]


def oversubscribed(now: int) -> int:
    """More runnable tasks on the machine than usable cores (as of at most
    LOAD_EVERY_NS ago)? The spinning P itself counts as one."""
    if now - _load[0] >= LOAD_EVERY_NS:
        _load[0] = now
        try:
            with open("/proc/loadavg", "rb") as f:
                running = int(f.read().split()[3].split(b"/")[0])
            _load[1] = running > CORES
        except (OSError, ValueError, IndexError):
            _load[1] = False
    return _load[1]


class Spinner:
    """The spin budget of one P."""

    __slots__ = ("arena", "budget", "flag_b", "idles")

    def __init__(self, arena: Arena, p: int) -> None:
        self.arena = arena
        self.flag_b = (ptable.slot_w(arena, p) + ptable.PS_SPINNING) << 3
        self.budget = SPIN_MAX_NS
        self.idles = 0

    def spin(self, ready: Callable[[], object]) -> bool:
        """Spin while ``ready()`` is false, if spinning pays now; True if it
        became true (the caller has work), False if the P should sleep."""
        self.idles += 1
        budget = self.budget
        if not budget:
            if self.idles % PROBE_EVERY:
                return False
            budget = SPIN_MIN_NS
        now = monotonic_ns()
        if oversubscribed(now):
            return False
        mem = self.arena.mem
        count_b = L.H_NSPINNING << 3
        if mem.add64(count_b, 1) > MAX_SPINNERS:
            mem.add64(count_b, -1)
            return False
        mem.store64(self.flag_b, 1)
        try:
            end = now + budget
            while monotonic_ns() < end:
                if ready():
                    self.budget = min(SPIN_MAX_NS, max(SPIN_MIN_NS, self.budget * 2))
                    return True
            self.budget = self.budget // 2 if self.budget // 2 >= SPIN_MIN_NS else 0
            return False
        finally:
            mem.store64(self.flag_b, 0)
            mem.add64(count_b, -1)


def uncount_dead(arena: Arena, p: int) -> None:
    """After P ``p`` died: if it died spinning, uncount it (crash sweep)."""
    b = (ptable.slot_w(arena, p) + ptable.PS_SPINNING) << 3
    if arena.mem.swap64(b, 0) and arena.mem.add64(L.H_NSPINNING << 3, -1) < 0:
        arena.mem.add64(L.H_NSPINNING << 3, 1)
