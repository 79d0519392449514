"""The arena: one shared segment per runtime holding every shared object.

Owns: the segment's mapping in this process, the header, the chunk map and
the block allocator (size classes, per-process caches, global free lists).

Layout (bytes):
    0            header (layout.H_*)                     4 KiB
    ptable       P slots (ptable.SLOT_WORDS words each)   MAXP slots
    chunkmap     one word per CHUNK of the whole segment
    heap0 ...    chunks, bump-allocated from H_TOP

Invariants:
  - The segment is sparse and large (virtual); pages are reserved with
    fallocate as the bump pointer moves, so exhausting /dev/shm raises
    MemoryError instead of SIGBUS.
  - A chunk is formatted once, when reserved: its chunk-map entry says whether
    it is cut into blocks of one small class (64 B .. 32 KiB) or is (part of)
    one large block of 2^k chunks. The map is what lets the crash repairer
    walk every block without trusting any free list.
  - Global free lists (one per class) are guarded by the allocator lock
    (H_ALLOC_LOCK). Push writes the block's link then the head; pop writes the
    head once; so a process dying inside either leaves a valid list (at worst
    one block leaked) and repair needs nothing beyond releasing the lock.
  - Per-process caches (Python lists) hold free small blocks; they are bounded
    and spill half back to the global list, so a producer in one process and a
    consumer in another reuse the same memory instead of growing the arena.
"""

from __future__ import annotations

import os

from .. import _native
from . import layout as L
from . import lock, ptable
from .segment import Segment, segment_name

DEFAULT_SIZE = 64 << 30
CACHE_LIMIT = 256
_PAGE = 4096


def _align(n: int, a: int) -> int:
    return (n + a - 1) & ~(a - 1)


class Arena:
    """This process's view of the runtime's arena."""

    def __init__(self, seg: Segment):
        self.seg = seg
        self.mem = _native.Mem(seg.mm)
        self.B = memoryview(seg.mm)
        self.M = self.B.cast("q")
        self.tag = 0          # lock owner tag of this process (set on attach)
        self.p = -1           # this process's P index
        self._cache = [[] for _ in range(L.MAX_SMALL_CLASS + 1)]
        self.graveyard: list = []   # (free_fn, address) of blocks whose last handle died
        M = self.M
        self.size = M[L.H_SIZE]
        self.heap0 = M[L.H_HEAP0]
        self.ptable = M[L.H_PTABLE]
        self.chunkmap = M[L.H_CHUNKMAP]
        self._cmw = self.chunkmap >> 3

    # ---- lifecycle ---------------------------------------------------------

    @classmethod
    def create(cls, runtime_id: str, size: int = DEFAULT_SIZE) -> Arena:
        size = _align(size, L.CHUNK)
        seg = Segment(segment_name(runtime_id), size, create=True)
        try:
            ptable_b = L.H_WORDS * 8
            chunkmap_b = _align(ptable_b + L.MAXP * ptable.SLOT_WORDS * 8, _PAGE)
            nchunks = size // L.CHUNK
            heap0 = _align(chunkmap_b + nchunks * 8, L.CHUNK)
            seg.reserve(0, chunkmap_b + _PAGE)
            M = memoryview(seg.mm).cast("q")
            M[L.H_SIZE] = size
            M[L.H_TOP] = heap0
            M[L.H_HEAP0] = heap0
            M[L.H_CHUNKMAP] = chunkmap_b
            M[L.H_PTABLE] = ptable_b
            M[L.H_ALLOC_KIND] = L.K_ALLOC
            M[L.H_P0_PID] = os.getpid()
            M[L.H_VERSION] = L.VERSION
            M[L.H_MAGIC] = L.MAGIC
            M.release()
        except BaseException:
            seg.close()
            seg.unlink()
            raise
        return cls(seg)

    @classmethod
    def attach(cls, runtime_id: str) -> Arena:
        seg = Segment(segment_name(runtime_id), 0, create=False)
        a = cls(seg)
        if a.M[L.H_MAGIC] != L.MAGIC or a.M[L.H_VERSION] != L.VERSION:
            a.close()
            raise RuntimeError(f"{seg.path} is not a parago arena of this version")
        return a

    def close(self) -> None:
        """Drop this process's mapping (the segment stays until unlinked)."""
        if self.seg.mm is None:
            return
        self.M.release()
        self.B.release()
        self.mem.release()
        self.seg.close()

    def unlink(self) -> None:
        self.seg.unlink()

    # ---- allocation ----------------------------------------------------------

    def alloc(self, nbytes: int, kind: int) -> int:
        """A block of at least ``nbytes`` bytes; word 0 is set to ``kind``."""
        if nbytes <= 64:
            c = L.MIN_CLASS
        else:
            c = (nbytes - 1).bit_length()
        if c <= L.MAX_SMALL_CLASS:
            lst = self._cache[c]
            a = lst.pop() if lst else self._refill(c)
        else:
            a = self._alloc_large(c)
        self.M[a >> 3] = kind
        return a

    def free(self, a: int) -> None:
        M = self.M
        e = M[self._cmw + a // L.CHUNK]
        M[a >> 3] = L.K_FREE
        if e & 0xFF00 == L.CM_SMALL:
            lst = self._cache[e & 0xFF]
            lst.append(a)
            if len(lst) > CACHE_LIMIT:
                # Give back the coldest blocks; the recently freed stay hot here.
                n = len(lst) - CACHE_LIMIT // 2
                self._push_global(e & 0xFF, lst[:n])
                del lst[:n]
        else:
            self._push_global(16 + ((e >> 16).bit_length() - 1), [a])

    def block_size(self, a: int) -> int:
        e = self.M[self._cmw + a // L.CHUNK]
        if e & 0xFF00 == L.CM_SMALL:
            return 1 << (e & 0xFF)
        return (e >> 16) * L.CHUNK

    def _refill(self, c: int) -> int:
        got = self._pop_global(c, 32)
        if got:
            a = got.pop()
            self._cache[c].extend(got)
            return a
        base = self._bump(L.CHUNK)
        self.M[self._cmw + base // L.CHUNK] = L.CM_SMALL | c
        step = 1 << c
        blocks = list(range(base + L.CHUNK - step, base - 1, -step))
        a = blocks.pop()
        self._cache[c].extend(blocks)
        return a

    def _alloc_large(self, c: int) -> int:
        got = self._pop_global(c, 1)
        if got:
            return got[0]
        n = 1 << (c - 16)
        base = self._bump(n * L.CHUNK)
        M = self.M
        first = self._cmw + base // L.CHUNK
        for i in range(1, n):
            M[first + i] = L.CM_CONT
        M[first] = L.CM_LARGE | (n << 16)
        return base

    def _bump(self, nbytes: int) -> int:
        end = self.mem.add64(L.H_TOP << 3, nbytes)
        base = end - nbytes
        if end > self.size:
            raise MemoryError(
                f"parago arena exhausted ({self.size >> 20} MiB); set PARAGO_SHM_SIZE higher"
            )
        self.seg.reserve(base, nbytes)
        # Chunk-map words for the new chunks must have real pages too.
        lo = (self.chunkmap + (base // L.CHUNK) * 8) & ~(_PAGE - 1)
        hi = self.chunkmap + (end // L.CHUNK) * 8 + 8
        self.seg.reserve(lo, hi - lo)
        return base

    def _push_global(self, c: int, blocks: list[int]) -> None:
        M = self.M
        head = L.H_FREE + c
        lb = L.H_ALLOC_LOCK << 3
        lock.acquire(self, lb)
        try:
            for a in blocks:
                M[(a >> 3) + 1] = M[head]
                M[head] = a
        finally:
            lock.release(self, lb)

    def _pop_global(self, c: int, n: int) -> list[int]:
        M = self.M
        head = L.H_FREE + c
        if not M[head]:
            return []
        out = []
        lb = L.H_ALLOC_LOCK << 3
        lock.acquire(self, lb)
        try:
            a = M[head]
            while a and len(out) < n:
                out.append(a)
                a = M[(a >> 3) + 1]
            M[head] = a
        finally:
            lock.release(self, lb)
        return out

    # ---- deferred frees -------------------------------------------------------

    def bury(self) -> None:
        """Free the blocks whose last handle was collected. Finalisers only
        queue them here: GC can run a finaliser anywhere, even inside a
        critical section of the same thread, where taking a lock (the
        allocator's) would spin forever on ourselves. Called at safe points
        (the scheduler's poll, object creation), never under a lock."""
        g = self.graveyard
        while g:
            fn, b = g.pop()
            fn(self, b)

    # ---- walking (crash repair, leak checks) -------------------------------

    def iter_blocks(self, kinds: frozenset) -> list[int]:
        """Every allocated block whose kind is in ``kinds``."""
        M = self.M
        out = []
        top = min(M[L.H_TOP], self.size)
        c = self.heap0 // L.CHUNK
        end = top // L.CHUNK
        while c < end:
            e = M[self._cmw + c]
            base = c * L.CHUNK
            if e & 0xFF00 == L.CM_SMALL:
                step = (1 << (e & 0xFF)) >> 3
                w0 = base >> 3
                firsts = M[w0:w0 + L.CHUNK_WORDS:step].tolist()
                for i, k in enumerate(firsts):
                    if k in kinds:
                        out.append((w0 + i * step) << 3)
                c += 1
            elif e & 0xFF00 == L.CM_LARGE:
                if M[base >> 3] in kinds:
                    out.append(base)
                c += e >> 16
            else:
                c += 1
        return out

    # ---- shared counters -----------------------------------------------------

    def next_seq(self) -> int:
        return self.mem.add64(L.H_SEQ << 3, 1)


def _repair_allocator(arena, record_b, dead_tag):
    # Free-list pushes and pops are crash-safe by construction (see above).
    pass


lock.register_repairer(L.K_ALLOC, _repair_allocator)
