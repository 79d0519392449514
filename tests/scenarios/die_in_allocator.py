"""A worker is killed inside the allocator, just before the k-th word an
operation writes, for each kind of operation that takes or gives pages
(these use parago's internals to stop exactly there). Each time the
operation must be rolled back as a whole — the allocator's state is exactly
what it was before — and the arena must stay consistent and usable:

  split     a large block cut from a free span (the rest stays free)
  chunk     a small-class chunk cut from a free span
  merge     a large block freed between two free spans
  release   freed pages given back to tmpfs, killed after the pages went
            but before the span's counters were updated: the free itself
            stays done, the counters stay an upper bound
  quickfree a 64 KiB block freed onto its quick list
  quickpop  a 64 KiB block taken back from its quick list
  flush     the quick lists merged into the spans when nothing else fits
"""

import json
import os
import pickle
import signal
import sys
import warnings

from _common import pg, start_remote, wait_for_crash
from arena_check import problems, state

from parago._core import sched
from parago._shm import layout as L
from parago._shm import lock, spans
from parago._shm.segment import Segment

MiB = 1 << 20
NOTE = 256 * 1024          # bytes of the block the worker leaves its notes in
COMPLETED = 1              # note word 1: the operation ran to its end


def die_at(k, op, arg, note):
    """On a worker: note the allocator's state, run ``op`` and SIGKILL this
    process just before its k-th logged write (for "release", the k-th after
    pages were given back)."""
    arena = sched.tls.proc.arena
    snap = pickle.dumps(state(arena))
    arena.B[note + 16:note + 16 + len(snap)] = snap
    arena.M[note >> 3] = len(snap)
    put, release = spans._put, Segment.release
    count = [0]
    armed = [op != "release"]

    def dying_put(M, w, v):
        if armed[0]:
            count[0] += 1
            if count[0] == k:
                os.kill(os.getpid(), signal.SIGKILL)
        put(M, w, v)

    def releasing(seg, offset, length):
        release(seg, offset, length)
        armed[0] = True

    spans._put, Segment.release = dying_put, releasing
    if op in ("merge", "release", "quickfree"):
        arena.free(arg)
    elif op == "flush":
        try:
            arena.alloc(arg, L.K_DATA)
        except MemoryError:
            pass
    else:
        arena.alloc(arg, L.K_DATA if arg > 32 * 1024 else L.K_RAW)
    arena.M[(note >> 3) + COMPLETED] = 1
    os.kill(os.getpid(), signal.SIGKILL)


def warm_up(arena):
    """Fill every small class's shared free list, so no allocation but the
    one under test (a goroutine starting, a crash report) cuts a new chunk."""
    for c in range(L.MIN_CLASS, L.MAX_SMALL_CLASS + 1):
        blocks = [arena.alloc(1 << c, L.K_RAW) for _ in range(600)]
        for b in blocks:
            arena.free(b)


QUICK = 64 * 1024


def empty_quick(arena):
    """Merge the quick list into the spans, so the operation under test is
    one commit (merging it block by block is one commit per block)."""
    lock.acquire(arena, L.H_ALLOC_LOCK << 3)
    try:
        spans._flush_quick(arena)
    finally:
        lock.release(arena, L.H_ALLOC_LOCK << 3)


def setup(arena, op):
    """Blocks around the operation; returns the worker's argument."""
    empty_quick(arena)
    if op == "quickfree":
        return arena.alloc(QUICK, L.K_DATA)
    if op == "quickpop":
        arena.free(arena.alloc(QUICK, L.K_DATA))
        return QUICK
    if op == "flush":
        # A request nothing can serve: the quick lists are merged into the
        # spans first, in case that makes room (it cannot: MemoryError).
        arena.free(arena.alloc(QUICK, L.K_DATA))
        return spans.room(arena)[1] + MiB
    if op in ("split", "chunk"):
        span = arena.alloc(8 * MiB, L.K_DATA)
        arena.alloc(64 * 1024, L.K_DATA)           # a guard: the span is not at the top
        arena.free(span)
        return 3 * MiB if op == "split" else 20_000
    size = 16 * MiB if op == "release" else MiB    # 48 MiB freed at once: over KEEP_PAGES
    a, b, c = (arena.alloc(size, L.K_DATA) for _ in range(3))
    arena.alloc(64 * 1024, L.K_DATA)
    arena.free(a)
    arena.free(c)
    return b


def fresh_chunk_class(arena):
    """Make sure the 32 KiB class has no free block anywhere, so "chunk"
    must cut a new chunk."""
    M = arena.M
    M[L.H_FREE + L.MAX_SMALL_CLASS] = 0           # forget them (leaked for this test)
    arena._cache[L.MAX_SMALL_CLASS].clear()


# op -> kill before every how many-th write (a chunk writes a word per page)
OPS = {"split": 1, "chunk": 3, "merge": 1, "release": 1, "quickfree": 1, "quickpop": 1,
       "flush": 1}


def main():
    arena = sched.tls.proc.arena
    warm_up(arena)
    note = arena.alloc(NOTE, L.K_RAW)
    inside = {}
    crashes = 0
    for op, step in OPS.items():
        k = 1
        while True:                                # until k is past the operation's writes
            arg = setup(arena, op)
            if op == "chunk":
                fresh_chunk_class(arena)
            arena.M[note >> 3] = arena.M[(note >> 3) + COMPLETED] = 0
            start_remote(die_at, k, op, arg, note)
            crashes += 1
            wait_for_crash(crashes)
            # Whoever takes the allocator lock next finds its holder dead and
            # rolls the operation back (the crash sweep has done it already).
            found = problems(arena)
            assert not found, (op, k, found)
            n = arena.M[note >> 3]
            before = pickle.loads(arena.B[note + 16:note + 16 + n])
            after = state(arena)
            completed = arena.M[(note >> 3) + COMPLETED]
            if completed:
                assert after != before, (op, k)
            elif op == "release":
                # The free was done: the block is part of one free span now.
                e = arena.M[(arena.pagemap >> 3) + (arg >> L.PAGE_SHIFT) - 4096]
                assert e & L.PM_TAG == L.PM_FREE and e >> 8 == 3 * 4096, (op, k)
                assert after[1] == before[1] - 4096, (op, k)
            else:
                assert after == before, (op, k)
            # ... and usable: every size, the rolled-back span included
            blocks = [arena.alloc(n, L.K_DATA) for n in (100, 20_000, 3 * MiB, 8 * MiB)]
            for b in blocks:
                arena.free(b)
            assert not problems(arena), (op, k)
            if completed:
                break
            inside[op] = inside.get(op, 0) + 1
            k += step
    return inside


if __name__ == "__main__":
    warnings.simplefilter("ignore", RuntimeWarning)
    inside = pg.run(main, procs=2, on_crash="continue")
    # Every kind was killed inside, before each of its writes.
    assert set(inside) == set(OPS) and min(inside.values()) >= 2, inside
    print(json.dumps({"ok": True, "killed_inside": inside}))
    sys.exit(0)
