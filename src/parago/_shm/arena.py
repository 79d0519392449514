"""The arena: one shared segment per runtime holding every shared object.

Owns: the segment's mapping in this process, the header's geometry words,
and the block allocator's front: size classes, per-process caches and the
small classes' global free lists. Whole pages (large blocks, and the chunks
small classes are cut from) come from spans.py.

Layout (bytes):
    0            header (layout.H_*; words 0..7 the segment's identity)  4 KiB
    ptable       P slots (ptable.SLOT_WORDS words each)   MAXP slots
    pagemap      one word per PAGE of the whole segment (spans.py)
    heap0 ...    spans of pages, up to H_TOP

Invariants:
  - The segment is sparse and large (virtual, PARAGO_SHM_SIZE); a page is
    backed with fallocate before it is first written, so exhausting /dev/shm
    raises MemoryError instead of SIGBUS, and a failed allocation changes
    nothing.
  - A request of up to 32 KiB (MAX_SMALL_CLASS) takes a block of its power
    of two class, cut from a 64 KiB chunk that stays that class's; a larger
    one takes whole pages, so it occupies less than 1.125x its size, and
    gives them back (merged with free neighbours, its pages returned to
    tmpfs) when freed.
  - Small-class global free lists (one per class) are guarded by the
    allocator lock (H_ALLOC_LOCK). Push writes the block's link then the
    head; pop writes the head once; so a process dying inside either leaves
    a valid list (at worst one block leaked). Span operations undo-log their
    writes (spans.py); the lock's repairer rolls an interrupted one back.
  - Per-process caches (Python lists) hold free small blocks; they are bounded
    and spill half back to the global list, so a producer in one process and a
    consumer in another reuse the same memory instead of growing the arena.
  - Once this process closes the arena, its M, B and mem are _Ended: any use
    of an object of the ended runtime raises NoRuntime, not a memoryview
    error, and the closed arena keeps no memory alive. Mv, the same words
    as a typed view for alloc and free once compiled (Arena is then an
    extension type, _c_arena.pxd), is None from then on, and both check it
    first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn, cast

from .. import _native
from .._errors import runtime_ended
from . import layout as L
from . import lock, ptable, spans
from .segment import Segment, fmt_bytes, runtime_id_of, segment_name, shm_free

if TYPE_CHECKING:
    from collections.abc import Callable
    from mmap import mmap

    from .._native import Mem as Mem

DEFAULT_SIZE = 64 << 30
MIN_SIZE = 1 << 20
CACHE_LIMIT = 256
_PAGE = L.PAGE
_LOCK_B = L.H_ALLOC_LOCK << 3
# layout's constants under names of this module: compiled, a global is read
# without an attribute lookup on layout
_PAGE_SHIFT, _MIN_CLASS, _MAX_SMALL_CLASS = L.PAGE_SHIFT, L.MIN_CLASS, L.MAX_SMALL_CLASS
_PM_TAG, _PM_SMALL, _K_FREE = L.PM_TAG, L.PM_SMALL, L.K_FREE


def _align(n: int, a: int) -> int:
    return (n + a - 1) & ~(a - 1)


class _Ended:
    """The memory of an arena this process has closed: every use says the
    runtime has ended (one wording, from _errors)."""

    __slots__ = ()

    def _ended(self, *args: object) -> NoReturn:
        raise runtime_ended()

    __getitem__ = __setitem__ = __len__ = _ended

    def __getattr__(self, name: str) -> NoReturn:
        raise runtime_ended()


# Typed as Any: it stands in for the memoryviews and the Mem of a closed arena.
_ENDED: Any = _Ended()


class Arena:
    """This process's view of the runtime's arena."""

    def __init__(self, seg: Segment) -> None:
        self.seg = seg
        mm = cast("mmap", seg.mm)       # an open segment's mapping
        self.mem = _native.Mem(mm)
        self.B = memoryview(mm)
        self.M = self.B.cast("q")
        # The words again, for alloc and free: a typed view once compiled
        # (_c_arena.pxd), so the hottest calls skip the buffer protocol.
        self.Mv: memoryview | None = self.M
        self.tag = 0          # lock owner tag of this process (set on attach)
        self.p = -1           # this process's P index
        self._cache: list[list[int]] = [[] for _ in range(L.MAX_SMALL_CLASS + 1)]
        # (free_fn, address) of blocks whose last handle died
        self.graveyard: list[tuple[Callable[[Arena, int], None], int]] = []
        M = self.M
        self.size = M[L.H_SIZE]
        self.heap0 = M[L.H_HEAP0]
        self.ptable = M[L.H_PTABLE]
        self.pagemap = M[L.H_PAGEMAP]
        self._pmw = self.pagemap >> 3

    @property
    def runtime_id(self) -> str:
        return runtime_id_of(self.seg.name)

    # ---- lifecycle ---------------------------------------------------------

    @classmethod
    def create(cls, size: int = DEFAULT_SIZE) -> Arena:
        """A new arena of ``size`` bytes of address space, in a new segment."""
        size = _align(max(size, MIN_SIZE), L.CHUNK)
        ptable_b = L.H_WORDS * 8
        pagemap_b = _align(ptable_b + L.MAXP * ptable.SLOT_WORDS * 8, _PAGE)
        heap0 = _align(pagemap_b + (size // _PAGE) * 8, L.CHUNK)
        size = max(size, heap0 + L.CHUNK)
        seg = Segment.create(size)
        try:
            seg.reserve(0, pagemap_b)
            M = memoryview(cast("mmap", seg.mm)).cast("q")
            M[L.H_SIZE] = size
            M[L.H_TOP] = heap0
            M[L.H_HEAP0] = heap0
            M[L.H_PAGEMAP] = pagemap_b
            M[L.H_PTABLE] = ptable_b
            M[L.H_ALLOC_KIND] = L.K_ALLOC
            M.release()
            return cls(seg)
        except BaseException:
            seg.close()
            seg.unlink()
            raise

    @classmethod
    def attach(cls, runtime_id: str) -> Arena:
        return cls(Segment.attach(segment_name(runtime_id)))

    def close(self) -> None:
        """Drop this process's mapping (the segment stays until unlinked)."""
        if self.seg.mm is None:
            return
        self.Mv = None             # its export of M first, or M cannot be released
        self.M.release()
        self.B.release()
        self.mem.release()
        self.M = self.B = self.mem = _ENDED
        for lst in self._cache:
            lst.clear()
        self.graveyard.clear()
        self.seg.close()

    def unlink(self) -> None:
        self.seg.unlink()

    # ---- allocation ----------------------------------------------------------

    def alloc(self, nbytes: int, kind: int) -> int:
        """A block of at least ``nbytes`` bytes; word 0 is set to ``kind``.
        MemoryError if there is no room (nothing is changed then)."""
        M = self.Mv
        if M is None:
            raise runtime_ended()
        if nbytes <= 64:
            c = _MIN_CLASS
        else:
            c = (nbytes - 1).bit_length()
        if c <= _MAX_SMALL_CLASS:
            lst = self._cache[c]
            a = lst.pop() if lst else self._refill(c, nbytes)
        else:
            a = self._pages((nbytes + _PAGE - 1) >> _PAGE_SHIFT, 0, nbytes)
        M[a >> 3] = kind
        return a

    def free(self, a: int) -> None:
        M = self.Mv
        if M is None:
            raise runtime_ended()
        e = M[self._pmw + (a >> _PAGE_SHIFT)]
        if e & _PM_TAG == _PM_SMALL:
            M[a >> 3] = _K_FREE
            c = e >> 8
            lst = self._cache[c]
            lst.append(a)
            if len(lst) > CACHE_LIMIT:
                # Give back the coldest blocks; the recently freed stay hot here.
                n = len(lst) - CACHE_LIMIT // 2
                self._push_global(c, lst[:n])
                del lst[:n]
        else:
            spans.free(self, a)

    def block_size(self, a: int) -> int:
        e = self.M[self._pmw + (a >> L.PAGE_SHIFT)]
        if e & L.PM_TAG == L.PM_SMALL:
            return 1 << (e >> 8)
        return (e >> 8) << L.PAGE_SHIFT

    def _refill(self, c: int, nbytes: int) -> int:
        got = self._pop_global(c, 32)
        if got:
            a = got.pop()
            self._cache[c].extend(got)
            return a
        base = self._pages(L.CHUNK_PAGES, c, nbytes)
        step = 1 << c
        blocks = list(range(base + L.CHUNK - step, base - 1, -step))
        a = blocks.pop()
        self._cache[c].extend(blocks)
        return a

    def _pages(self, n: int, small_class: int, nbytes: int) -> int:
        try:
            a = spans.alloc(self, n, small_class)
        except MemoryError:
            raise MemoryError(self._no_room(nbytes, True)) from None
        if not a:
            raise MemoryError(self._no_room(nbytes, False))
        return a

    def _no_room(self, nbytes: int, shm_full: bool) -> str:
        free, largest = spans.room(self)
        arena = (f"the arena has {fmt_bytes(free)} free of {fmt_bytes(self.size)} "
                 f"(largest free run {fmt_bytes(largest)})")
        if shm_full:
            return (f"cannot allocate {nbytes} bytes of shared memory: /dev/shm has only "
                    f"{fmt_bytes(shm_free())} free ({arena}); free some of /dev/shm or "
                    "make it larger (PARAGO_SHM_SIZE, the arena's size, cannot help)")
        return (f"cannot allocate {nbytes} bytes of shared memory: {arena}; set "
                f"PARAGO_SHM_SIZE higher (e.g. PARAGO_SHM_SIZE=64G)")

    def _push_global(self, c: int, blocks: list[int]) -> None:
        M = self.M
        head = L.H_FREE + c
        lock.acquire(self, _LOCK_B)
        try:
            for a in blocks:
                M[(a >> 3) + 1] = M[head]
                M[head] = a
        finally:
            lock.release(self, _LOCK_B)

    def _pop_global(self, c: int, n: int) -> list[int]:
        M = self.M
        head = L.H_FREE + c
        if not M[head]:
            return []
        out: list[int] = []
        lock.acquire(self, _LOCK_B)
        try:
            a = M[head]
            while a and len(out) < n:
                out.append(a)
                a = M[(a >> 3) + 1]
            M[head] = a
        finally:
            lock.release(self, _LOCK_B)
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

    def iter_blocks(self, kinds: frozenset[int]) -> list[int]:
        """Every allocated block whose kind is in ``kinds``."""
        M = self.M
        out: list[int] = []
        for base, e in spans.walk(self):
            tag = e & L.PM_TAG
            if tag == L.PM_SMALL:
                step = (1 << (e >> 8)) >> 3
                w0 = base >> 3
                firsts = M[w0:w0 + L.CHUNK_WORDS:step].tolist()
                for i, k in enumerate(firsts):
                    if k in kinds:
                        out.append((w0 + i * step) << 3)
            elif tag == L.PM_USED and M[base >> 3] in kinds:
                out.append(base)
        return out

    def resident(self) -> int:
        """Bytes of /dev/shm the arena holds now."""
        return self.seg.resident()

    # ---- shared counters -----------------------------------------------------

    def next_seq(self) -> int:
        return self.mem.add64(L.H_SEQ << 3, 1)


from .._accel import use_compiled  # noqa: E402

use_compiled(globals())
