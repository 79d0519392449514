"""The arena allocator (_shm/arena.py, _shm/spans.py): a failed allocation
changes nothing; large blocks take whole pages (at most 1.25x their size),
are reused by any size once freed, and give their pages back to tmpfs; a
process killed inside the allocator leaves it consistent.

Each test runs in a private mount namespace with its own small tmpfs on
/dev/shm (sandbox.private_shm): they fill it on purpose.
"""

from __future__ import annotations

import os
import pathlib
import random
import subprocess
import sys

import pytest
from arena_check import problems, state
from sandbox import private_shm

import parago as pg
from parago._core import sched
from parago._shm import layout as L
from parago._shm import ptable, spans
from parago._shm.arena import Arena

pytestmark = pytest.mark.timeout(120)

MiB = 1 << 20
SCENARIOS = pathlib.Path(__file__).resolve().parent / "scenarios"


def new_arena(size: int) -> Arena:
    a = Arena.create(size)
    epoch = ptable.init_slot(a, 0, os.getpid())
    a.p, a.tag = 0, ptable.tag_of(epoch, 0)
    ptable.set_state(a, 0, ptable.S_ALIVE)
    return a


def drop(a: Arena) -> None:
    a.close()
    a.unlink()


def shm_used() -> int:
    st = os.statvfs("/dev/shm")
    return (st.f_blocks - st.f_bfree) * st.f_frsize


# ---- failing cleanly ----------------------------------------------------------------------

@private_shm(size="256m")
def test_too_large_for_the_arena_changes_nothing():
    a = new_arena(64 * MiB)
    try:
        before, used = state(a), a.resident()
        for _ in range(20):                        # failures used to move the top each time
            with pytest.raises(MemoryError) as ei:
                a.alloc(100 * MiB, L.K_DATA)
        msg = str(ei.value)
        assert f"cannot allocate {100 * MiB} bytes" in msg
        assert "free of 64.0 MiB" in msg and "PARAGO_SHM_SIZE" in msg
        assert state(a) == before and a.resident() == used
        # still fully usable: nearly the whole arena at once, then any size
        big = a.alloc(60 * MiB, L.K_DATA)
        with pytest.raises(MemoryError):
            a.alloc(8 * MiB, L.K_DATA)
        a.free(big)
        blocks = [a.alloc(n, L.K_DATA) for n in (100, 5000, 40000, 3 * MiB, 50 * MiB)]
        for b in blocks:
            a.free(b)
        assert problems(a) == []
    finally:
        drop(a)


@private_shm(size="64m")
def test_full_dev_shm_changes_nothing():
    a = new_arena(64 << 30)                        # the default: far more than /dev/shm
    try:
        keep = a.alloc(16 * MiB, L.K_DATA)
        before, used, shm = state(a), a.resident(), shm_used()
        for _ in range(20):
            with pytest.raises(MemoryError, match="/dev/shm has only") as ei:
                a.alloc(100 * MiB, L.K_DATA)
        assert f"cannot allocate {100 * MiB} bytes" in str(ei.value)
        assert state(a) == before and a.resident() == used and shm_used() == shm
        more = a.alloc(30 * MiB, L.K_DATA)
        a.free(more)
        a.free(keep)
        assert problems(a) == []
    finally:
        drop(a)


def send_too_much():
    ch = pg.chan(1)
    with pytest.raises(MemoryError, match="PARAGO_SHM_SIZE"):
        ch.send(b"x" * (100 * MiB))
    # every kind of allocation still works, up to the arena's size
    for n in (1, 100, 1000, 10_000, 30_000, 100_000, 50 * MiB):
        v = b"y" * n
        ch.send(v)
        assert ch.recv() == v
    chans = [pg.chan(3) for _ in range(500)]
    for c in chans:
        c.send([1, 2, 3])
    assert problems(sched.tls.proc.arena) == []
    return sum(len(c.recv()) for c in chans)


@private_shm(size="256m")
def test_an_oversized_value_does_not_poison_the_arena():
    os.environ["PARAGO_SHM_SIZE"] = "64MiB"
    assert pg.run(send_too_much, procs=1) == 1500


# ---- bounds and reuse -------------------------------------------------------------------------

@private_shm(size="256m")
def test_large_blocks_occupy_at_most_1_25x_their_size():
    a = new_arena(1 << 30)
    try:
        for n in (32 * 1024 + 1, 33 * 1024, 40_000, 100_000, MiB + 1, 5 * MiB + 3, 32 * MiB):
            used = a.resident()
            b = a.alloc(n, L.K_DATA)
            a.B[b:b + n] = b"z" * n                 # touch every page
            assert n <= a.block_size(b) <= 1.25 * n
            assert a.resident() - used <= 1.25 * n
            a.free(b)
        assert problems(a) == []
    finally:
        drop(a)


@private_shm(size="256m")
def test_freed_large_blocks_merge_and_serve_any_size():
    a = new_arena(1 << 30)
    try:
        x, y, z = (a.alloc(4 * MiB, L.K_DATA) for _ in range(3))
        guard = a.alloc(64 * 1024, L.K_DATA)
        top = a.M[L.H_TOP]
        for b in (x, z, y):                         # y merges with both neighbours
            a.free(b)
        assert problems(a) == []
        free_spans = [(p, e >> 8) for p, e in spans.walk(a) if e & L.PM_TAG == L.PM_FREE]
        assert free_spans == [(x, 12 * MiB // L.PAGE)]
        # any sizes, large and small, come out of it: the heap does not grow
        parts = [a.alloc(n, L.K_DATA) for n in (3 * MiB, 5 * MiB, 100_000, 2 * MiB)]
        smalls = [a.alloc(1000, L.K_RAW) for _ in range(1000)]
        assert a.M[L.H_TOP] == top
        assert all(x <= b < x + 12 * MiB for b in parts + smalls)
        for b in parts:
            a.free(b)
        for b in smalls:
            a.free(b)
        a.free(guard)
        assert problems(a) == []
    finally:
        drop(a)


@private_shm(size="512m")
def test_random_allocations_keep_every_invariant():
    """Random mixes of sizes and frees: blocks never overlap, each is large
    enough and within bounds, and the span structure stays consistent."""
    a = new_arena(2 << 30)
    try:
        for seed in range(6):
            rng = random.Random(seed)
            live: dict = {}
            for step in range(400):
                if live and rng.random() < 0.45:
                    b = rng.choice(list(live))
                    assert a.M[b >> 3] == L.K_DATA
                    a.free(b)
                    del live[b]
                else:
                    n = rng.choice((rng.randrange(16, 40_000), rng.randrange(32_769, 600_000),
                                    rng.randrange(MiB, 12 * MiB)))
                    b = a.alloc(n, L.K_DATA)
                    assert b not in live and n <= a.block_size(b)
                    if n > 32 * 1024:
                        assert a.block_size(b) <= 1.25 * n
                    live[b] = n
                if step % 50 == 0:
                    assert problems(a) == [], (seed, step)
                    ranges = sorted((b, b + a.block_size(b)) for b in live)
                    assert all(e <= s for (_, e), (s, _) in zip(ranges, ranges[1:], strict=False))
            for b in live:
                a.free(b)
            assert problems(a) == []
            assert a.M[L.H_LARGE_USED] == a.M[L.H_QUICK_PAGES]      # only quick blocks left
    finally:
        drop(a)


# ---- pages go back to tmpfs ------------------------------------------------------------------

SIZES = (1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 129)


def grow_one_at_a_time():
    """Send values of growing sizes one at a time; /dev/shm use measured
    while each is in the channel and after it is taken out."""
    ch = pg.chan(1)
    base = shm_used()
    out = []
    for m in SIZES:
        v = b"g" * (m * MiB)
        ch.send(v)
        alive = shm_used()
        assert ch.recv() == v
        out.append((m, alive - base, shm_used() - base))
    return out


@private_shm(size="512m")
def test_growing_values_keep_dev_shm_within_twice_the_largest_alive():
    for m, alive, after in pg.run(grow_one_at_a_time, procs=1):
        assert alive <= 2 * m * MiB, (m, alive)
        assert after <= max(spans.KEEP_PAGES * L.PAGE, m * MiB) + MiB, (m, after)


def fill(ch, n, size):
    for i in range(n):
        ch.send(bytes([i]) * size)


def buffer_and_drain(n, size):
    from helpers import start_peer
    ch = pg.chan(n)
    start_peer("xproc", fill, ch, n, size)
    while len(ch) < n:                             # every value in shared memory at once
        pg.sleep(0.01)
    got = [ch.recv() for _ in range(n)]
    assert got == [bytes([i]) * size for i in range(n)]
    return shm_used()


@private_shm(size="256m")
def test_a_channel_of_large_values_fits_what_tmpfs_holds():
    # 12 x 16 MiB = 192 MiB in a 256 MiB tmpfs (power-of-two blocks, 32 MiB
    # each, fit 7).
    after = pg.run(buffer_and_drain, 12, 16 * MiB, procs=2)
    assert after <= spans.KEEP_PAGES * L.PAGE + 4 * MiB


# ---- crash safety ----------------------------------------------------------------------------

@private_shm(size="512m")
def test_a_process_killed_inside_the_allocator_leaves_it_consistent():
    p = subprocess.run([sys.executable, str(SCENARIOS / "die_in_allocator.py")],
                       capture_output=True, text=True, timeout=100)
    assert p.returncode == 0, p.stderr[-4000:]
    assert p.stdout.strip().splitlines()[-1].startswith('{"ok": true')
