"""Where a goroutine starts, and so where it runs for life (DESIGN decision 8).

Owns: the placement policy — which P a new goroutine is queued on, and when
an idle P may take a goroutine queued on another P — and the function keys
it counts goroutines by.

A started goroutine cannot move between processes (its stack is Python
frames in one interpreter), and scheduling is cooperative, so the P that
starts a goroutine is where it gets, or waits for, a core until it ends.
Go gets parallelism by migrating and preempting goroutines; parago gets it
by placing them as if for good:

1. Spread each function's goroutines evenly. ``go`` queues the goroutine on
   the P holding the fewest goroutines of the same function (started or
   queued), then the fewest goroutines in all, ties going round from the
   creator's next P. Workers started before any job exists, the goroutines
   of each pipeline stage, a fan-out and the leaves of a fork-join tree so
   land on every P — although most of them park at once, which is what
   made "start it wherever a P is idle" put them all on main's process.
   Counting by function keeps goroutines that are parked for good (monitors,
   a leaked waiter) from pushing new work off the P they sit on.
2. A P starts what is queued on it when it has nothing runnable. It may take
   the head of another P's queue only when that P cannot start it soon:
   - that P has spent STEAL_BUSY_NS of CPU time in one goroutine's time
     slice (it is busy in CPU-bound work; CPU time, so that a P the OS has
     not scheduled is not mistaken for a busy one; one slice, so that a P
     switching among short goroutines, which starts its queue every few
     switches, is not either) and the thief holds fewer goroutines of that
     function
     than it does — so a fan-out or a fork-join rebalances dynamically,
     while workers a busy main has just queued stay where they will be
     needed once main starts feeding them;
   - or the goroutine has waited STEAL_PATIENCE_NS since its P came up: that
     P is stopped (a debugger), starved of CPU, or busy with goroutines that
     never run out; whoever is idle starts it, so nothing waits forever.
   A thief takes one goroutine at a time: it starts it at once, so it never
   holds work it is not running.
3. An idle P sleeps with a short timeout while other Ps hold queued work
   that may become takeable, and checks again.

The rejected designs and the figures that decided are in docs/design.md
("Placement").

Invariants:
  - Only unpinned queues are ever taken from; a pinned goroutine (a
    WorkerPool's or a pipeline stage's worker) runs on its own P.
  - The load counters move with the goroutine (loadtab.py): +1 on the P it
    is queued on, -1/+1 when a thief takes it, -1 when it ends.
  - Placement reads the counters without locks: they are advisory, and a
    stale read costs balance, never correctness.
"""

from __future__ import annotations

import zlib
from time import clock_gettime_ns, monotonic_ns
from typing import TYPE_CHECKING, Any

from .._shm import gqueue, loadtab, ptable
from .._shm import layout as L

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from .._core.sched import Processor
    from .._shm.arena import Arena

STEAL_BUSY_NS = 1_000_000         # 1 ms of CPU with runnable goroutines: the P is busy
STEAL_PATIENCE_NS = 1_000_000_000  # queued 1 s on a running P: whoever is idle starts it
STARTING_PATIENCE_NS = 2_000_000_000  # a P still starting gets this long
RECHECK_S = 0.001                 # an idle P looks again this often while work is queued


# ---- function keys ----------------------------------------------------------------

_keys: dict[object, int] = {}     # a code object, or a class's name -> its key


def fn_key(fn: Callable[..., Any]) -> int:
    """A key naming ``fn``'s code, the same in every process (Python's own
    hash of a string differs between processes)."""
    code = getattr(fn, "__code__", None)
    if code is None:
        inner = getattr(fn, "func", None)           # functools.partial
        if inner is not None and inner is not fn:
            return fn_key(inner)
        cls = fn if isinstance(fn, type) else type(fn)
        ident = f"{cls.__module__}.{cls.__qualname__}"
        lookup = ident
    else:
        lookup = code
        key = _keys.get(code)
        if key is not None:
            return key
        ident = f"{code.co_filename}:{code.co_firstlineno}:{code.co_qualname}"
    key = _keys.get(lookup)
    if key is None:
        if len(_keys) > 4096:                       # code made at run time (exec): forget
            _keys.clear()
        key = (zlib.crc32(ident.encode()) << 20 | len(ident)) or 1
        _keys[lookup] = key
    return key


# ---- where a new goroutine goes -----------------------------------------------------

def _eligible(M: memoryview, arena: Arena, p: int) -> bool:
    s = ptable.slot_w(arena, p)
    return (M[s + ptable.PS_STATE] in (ptable.S_ALIVE, ptable.S_STARTING)
            and not M[s + ptable.PS_RETIRE])


def choose(arena: Arena, me: int, key: int) -> int:
    """The P a new goroutine of function ``key``, created on P ``me``, is
    queued on (rule 1)."""
    M = arena.M
    n = M[L.H_NPROCS]
    if n < 2:
        return 0
    best, best_score = 0, None
    for i in range(1, n + 1):
        p = (me + i) % n
        if not _eligible(M, arena, p):
            continue
        score = (loadtab.count(arena, p, key), loadtab.load(arena, p))
        if best_score is None or score < best_score:
            best, best_score = p, score
    return best


# ---- taking another P's queued goroutine ---------------------------------------------

class _Seen:
    """The slice a thief saw a victim P run, and that P's CPU clock then."""

    __slots__ = ("cpu_ns", "since", "slice_at")

    def __init__(self, slice_at: int, cpu_ns: int, since: int) -> None:
        self.slice_at, self.cpu_ns, self.since = slice_at, cpu_ns, since


_seen: dict[tuple[str, int], _Seen] = {}   # (arena's segment name, victim P) -> _Seen


def _cpu_ns(pid: int) -> int:
    """CPU time of process ``pid`` (Linux: a process CPU clock of another
    process reads as clock id MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED))."""
    try:
        return clock_gettime_ns(((~pid) << 3) | 2)
    except OSError:
        return 0


def _busy(arena: Arena, victim: int, s: int, now: int) -> bool:
    """Has P ``victim`` spent STEAL_BUSY_NS of CPU time in one goroutine (the
    same time slice, PS_SLICE_AT)? CPU time, not wall time: a P the OS has
    not scheduled (a loaded machine) is not busy, it will start its queue
    as soon as it runs, and placement is for life. A P in its scheduler
    (loading a goroutine, say) is not busy either."""
    M = arena.M
    slice_at = M[s + ptable.PS_SLICE_AT]
    if not slice_at:
        return False
    k = (arena.seg.name, victim)
    seen = _seen.get(k)
    if seen is None or seen.slice_at != slice_at:
        if len(_seen) > 4 * L.MAXP:
            _seen.clear()
        _seen[k] = _Seen(slice_at, _cpu_ns(M[s + ptable.PS_PID]), now)
        return False
    if now - seen.since < STEAL_BUSY_NS:
        return False                             # too soon to tell
    return _cpu_ns(M[s + ptable.PS_PID]) - seen.cpu_ns >= STEAL_BUSY_NS


def _takeable(arena: Arena, me: int, victim: int, now: int) -> tuple[int, int]:
    """(blob, key) at the head of ``victim``'s queue if P ``me`` may take it
    now (rule 2); (0, 0) if not."""
    b, key, queued_ns = gqueue.head(arena, victim)
    if not b:
        return 0, 0
    M = arena.M
    s = ptable.slot_w(arena, victim)
    st = M[s + ptable.PS_STATE]
    # How long it has waited on a running P: a goroutine queued on a P that
    # was still starting has waited only since that P came up.
    waited = now - max(queued_ns, M[s + ptable.PS_ALIVE_AT])
    if st == ptable.S_ALIVE and not M[s + ptable.PS_RETIRE]:
        if waited >= STEAL_PATIENCE_NS:
            return b, key
        if (loadtab.count(arena, me, key) < loadtab.count(arena, victim, key)
                and _busy(arena, victim, s, now)):
            return b, key
        return 0, 0
    if st == ptable.S_STARTING:
        return (b, key) if now - queued_ns >= STARTING_PATIENCE_NS else (0, 0)
    return b, key                    # retiring, dead or gone: anyone may start it


def _victims(arena: Arena, me: int) -> Iterator[int]:
    M = arena.M
    n = M[L.H_NSLOTS]
    for i in range(1, n):
        v = (me + i) % n
        if gqueue.length(arena, v):
            yield v


def takeable(proc: Processor) -> bool:
    """May P ``proc`` take a goroutine queued on another P right now?"""
    if not gqueue.queued_elsewhere(proc.arena, proc.p):
        return False
    now = monotonic_ns()
    return any(_takeable(proc.arena, proc.p, v, now)[0] for v in _victims(proc.arena, proc.p))


def take(proc: Processor) -> int:
    """Take one goroutine queued on another P, if rule 2 allows; its blob or 0."""
    arena, me = proc.arena, proc.p
    if not gqueue.queued_elsewhere(arena, me):
        return 0
    now = monotonic_ns()
    for v in _victims(arena, me):
        b, key = _takeable(arena, me, v, now)
        if b and gqueue.take_head(arena, v, b):
            loadtab.add(arena, v, key, -1)
            loadtab.add(arena, me, key, 1)
            return b
    return 0


def queued_elsewhere(proc: Processor) -> bool:
    """Do other Ps hold queued goroutines (that may become takeable)?"""
    return gqueue.queued_elsewhere(proc.arena, proc.p)


def move_all(arena: Arena, src: int, dst: int) -> int:
    """Move every unstarted goroutine of P ``src`` (a retiring P) to ``dst``."""
    blobs = gqueue.take_all(arena, src) + gqueue.take_all(arena, src, True)
    M = arena.M
    for b in blobs:
        key = M[(b >> 3) + gqueue.B_FNKEY]
        loadtab.add(arena, src, key, -1)
        loadtab.add(arena, dst, key, 1)
    if blobs:
        gqueue.push(arena, dst, blobs)
    return len(blobs)
