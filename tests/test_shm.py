"""The shared-memory layer on its own: segments, arena allocator, ring of
variable-size frames, value cells, owner-recording locks."""

from __future__ import annotations

import collections
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import parago as pg
from parago._shm import layout as L
from parago._shm import lock, ptable, ring
from parago._shm import values as V
from parago._shm.arena import Arena

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def arena():
    a = Arena.create(size=256 << 20)
    epoch = ptable.init_slot(a, 0, os.getpid())
    a.p, a.tag = 0, ptable.tag_of(epoch, 0)
    ptable.set_state(a, 0, ptable.S_ALIVE)
    yield a
    a.close()
    a.unlink()


def test_a_closed_arena_refuses_alloc_and_free_as_an_ended_runtime():
    a = Arena.create(size=16 << 20)
    try:
        small, large = a.alloc(100, L.K_RAW), a.alloc(1 << 20, L.K_RAW)
        a.close()
        for use in (lambda: a.alloc(100, L.K_RAW), lambda: a.alloc(1 << 20, L.K_RAW),
                    lambda: a.free(small), lambda: a.free(large)):
            with pytest.raises(pg.NoRuntime, match="runtime that has ended"):
                use()
    finally:
        a.close()
        a.unlink()


def test_alloc_free_reuse_and_classes(arena):
    a = arena.alloc(10, L.K_RAW)
    b = arena.alloc(64, L.K_RAW)
    c = arena.alloc(65, L.K_RAW)
    assert a % 8 == b % 8 == 0 and len({a, b, c}) == 3
    assert arena.block_size(a) == 64 and arena.block_size(c) == 128
    assert arena.M[a >> 3] == L.K_RAW
    arena.free(b)
    assert arena.alloc(40, L.K_RAW) == b             # LIFO reuse of the cache
    big = arena.alloc(5 << 20, L.K_DATA)
    assert arena.block_size(big) >= 5 << 20
    arena.B[big:big + 8] = b"12345678"
    arena.free(big)
    assert arena.alloc(5 << 20, L.K_DATA) == big     # large blocks come back too


def test_iter_blocks_finds_every_kind(arena):
    chans = {arena.alloc(300, L.K_CHAN) for _ in range(50)}
    arena.alloc(100, L.K_DATA)
    big = arena.alloc(100000, L.K_CHAN)
    found = set(arena.iter_blocks(frozenset({L.K_CHAN})))
    assert found == chans | {big}


def test_cache_spills_to_global_list(arena):
    blocks = [arena.alloc(64, L.K_RAW) for _ in range(1000)]
    for b in blocks:
        arena.free(b)
    assert arena.M[L.H_FREE + 6] != 0                # half went to the shared list


def test_exhausted_arena_is_a_memory_error():
    a = Arena.create(size=2 << 20)
    try:
        with pytest.raises(MemoryError, match="cannot allocate"):
            for _ in range(100):
                a.alloc(200 << 10, L.K_DATA)
    finally:
        a.close()
        a.unlink()


values_strategy = st.one_of(
    st.none(), st.integers(), st.booleans(), st.text(max_size=200), st.binary(max_size=10000),
    st.lists(st.integers(), max_size=20), st.floats(allow_nan=False))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), values_strategy), max_size=120),
       st.integers(min_value=1, max_value=12))
def test_ring_matches_a_fifo_model(ops, cap):
    """Any interleaving of pushes and pops of values of any size keeps FIFO
    order and never runs out of room while count < cap. Pops go through
    pop_small first, as a channel's receive does: it hands back an int or
    None as itself and leaves any other frame for pop_raw."""
    a = Arena.create(size=64 << 20)
    try:
        ptable.init_slot(a, 0, os.getpid())
        size = ring.ring_bytes(cap)
        base = a.alloc(size + 64, L.K_RAW) + 64
        r = (base - 64) >> 3
        model = collections.deque()
        for push, v in ops:
            if push and len(model) < cap:
                kind, payload = V.encode(v)
                ring.push(a, a.M, r, base, size, len(model), cap, kind, payload)
                model.append(v)
            elif not push and model:
                want = model.popleft()
                got = ring.pop_small(a.M, r, base, size)
                small = want is None or (type(want) is int and -(2**63) <= want < 2**63)
                assert (got is not ring.NOT_SMALL) == small
                if not small:
                    got = V.decode_raw(a, ring.pop_raw(a, a.M, r, base, size))
                assert got == want and type(got) is type(want)
            assert 0 <= a.M[r + ring.USED] <= size
    finally:
        a.close()
        a.unlink()


def test_undo_refuses_a_record_outside_the_arena(arena):
    """Compiled, undo copies a record's words with no check per word: the
    whole record is checked first, so a bad record offset is an IndexError,
    never a write outside the arena."""
    from parago._shm import chan as C
    from parago._shm import undo
    M, n = arena.M, len(arena.M)
    for rw in (n - 2, n, -C.C_MUT_N - C.C_LOG - 40):
        for step in (undo.begin, undo.restore, undo.in_progress):
            with pytest.raises(IndexError):
                step(M, rw, C.LAYOUT)
    hw = C.create(arena, 4) >> 3
    undo.begin(M, hw, C.LAYOUT)          # a real record: logged as before
    assert undo.in_progress(M, hw, C.LAYOUT)
    undo.commit(M, hw, C.LAYOUT)
    assert not undo.in_progress(M, hw, C.LAYOUT)


@pytest.mark.parametrize("v", [None, 5, -(2**63), "x" * 300, b"y" * 100, bytearray(b"z"),
                               {"a": [1, 2]}, 2**100])
def test_cells_inline_and_spilled(arena, v):
    cell = arena.alloc(256, L.K_RAW) >> 3
    for cap in (112, 0):
        kind, payload = V.encode(v)
        V.put(arena, cell, kind, payload, cap)
        assert V.take(arena, cell) == v


def test_pickle5_out_of_band_buffers(arena):
    class Buf:
        def __init__(self, data):
            self.data = data

        def __reduce_ex__(self, proto):
            import pickle
            return (Buf, (pickle.PickleBuffer(self.data),))

        def __eq__(self, other):
            return bytes(self.data) == bytes(other.data)

    kind, payload = V.encode(Buf(bytearray(b"q" * 100000)))
    assert kind == V.VK_P5
    cell = arena.alloc(256, L.K_RAW) >> 3
    V.put(arena, cell, kind, payload, 112)
    assert V.take(arena, cell) == Buf(bytearray(b"q" * 100000))


def test_unpicklable_is_type_error():
    import threading
    with pytest.raises(TypeError, match="cannot copy a value of type 'lock'"):
        V.encode(threading.Lock())


def test_lock_records_owner_and_dead_owner_is_taken_over(arena):
    rec = arena.alloc(64, L.K_RAW)
    lb = rec + 8
    lock.acquire(arena, lb)
    assert arena.M[lb >> 3] == arena.tag
    lock.release(arena, lb)
    # Pretend P1 (a process that no longer exists) died holding the lock.
    epoch = ptable.init_slot(arena, 1, 999999999)
    arena.M[ptable.slot_w(arena, 1) + ptable.PS_PID] = 999999999
    dead = ptable.tag_of(epoch, 1)
    arena.M[lb >> 3] = dead
    repaired = []
    lock.register_repairer(L.K_RAW, lambda a, b, tag: repaired.append((b, tag)))
    try:
        lock.acquire(arena, lb)                      # notices the owner is dead
        assert arena.M[lb >> 3] == arena.tag
        assert repaired == [(rec, dead)]
        lock.release(arena, lb)
    finally:
        lock.REPAIRERS.pop(L.K_RAW, None)
