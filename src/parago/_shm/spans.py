"""Page spans: the arena's heap handed out in whole pages.

Owns: the page map, the free spans and their lists (H_SPANS), the quick
list (H_QUICK, H_QUICK_PAGES, H_QUICK_N), the heap top (H_TOP), the counters
H_LARGE_USED and H_DIRTY, and the allocator's undo log (H_ALOG_N, H_ALOG).
Every field here is guarded by the allocator lock (H_ALLOC_LOCK): the
public functions take it, the private ones run under it.

The heap [heap0, top) is a sequence of spans of whole pages; each is a
small-class chunk (CHUNK_PAGES pages cut into blocks by arena.py), a large
block in use, or free. The page map has one word per page (layout.PM_*):

    first page of a span     PM_SMALL|class, PM_USED|npages or PM_FREE|npages
    last page, 2+ pages      PM_SMALL|class, 0 (used) or PM_FREE_END|first page
    other pages              PM_SMALL|class in a small chunk, else meaningless

A free span's first page holds [K_FREE, next, prev, dirty, full]: its links
on the list of its size's bucket (2^b .. 2^(b+1)-1 pages), how many of its
other pages may still be backed by tmpfs, and 1 if all of them are (then
dirty is exact, and a request served from the span needs no fallocate).

Invariants:
  - The first and last page words of every span are as above; nothing reads
    the other words of a large or free span, so splitting and merging write
    only first and last words.
  - Two free spans are never adjacent: a freed span merges with free
    neighbours at once (its left one found by the word before it, its right
    one by the word after it), so free memory is reused by any size.
  - H_DIRTY is the sum of the free spans' dirty counts, each an upper bound
    of the backed pages of its span beyond the first; ``full`` is set only
    when every page is backed, and cleared (committed) before any page of
    the span is given back. After a free, while H_DIRTY exceeds
    max(KEEP_PAGES, H_LARGE_USED), free spans are given back to tmpfs
    (MADV_REMOVE; dirty becomes 0): freed memory is kept for reuse only up
    to what is in use (or KEEP_PAGES), so /dev/shm holds at most about
    twice the large blocks alive.
  - The quick list: a freed large block of at most QUICK_LARGEST pages goes
    first, as it is (still PM_USED, kind K_FREE, linked through word 1), on
    the quick list, newest first; the oldest are merged into the spans while
    it holds more than QUICK_BLOCKS blocks or QUICK_PAGES pages. A request
    of exactly a listed block's size takes it back with a few writes and no
    system call, so values of one size streamed between processes reuse the
    same blocks. When the spans and the top cannot serve a request, the
    quick list is merged into the spans first, so its memory serves any
    size too.
  - A large block leaves here with word 0 K_FREE: until its owner writes
    its kind, a heap walk (crash repair) skips it.
  - Pages are backed (fallocate) before anything in them is written, and
    before the allocation that needs them changes any word: a full /dev/shm
    fails an allocation with nothing changed, never with a SIGBUS.
  - Crash safety: every write of an operation goes through the undo log
    (word index and old value appended, then the word written); the
    operation commits by emptying the log. A process killed inside one
    leaves the log for the next holder of the lock (lock.py's repairer for
    K_ALLOC), which restores the old values newest first. Pages are given
    back only after a commit, under the lock: no rollback can resurrect a
    span whose data was dropped, and no other process can be handed pages
    while they are being dropped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import layout as L
from . import lock

if TYPE_CHECKING:
    from .arena import Arena

_PAGE = L.PAGE
_SHIFT = L.PAGE_SHIFT
_LOCK_B = L.H_ALLOC_LOCK << 3
_SCAN = 16               # spans tried in the exact bucket before a larger one
KEEP_PAGES = (32 << 20) >> L.PAGE_SHIFT    # freed pages always worth keeping for reuse
QUICK_PAGES = (8 << 20) >> L.PAGE_SHIFT    # at most this much on the quick list
QUICK_BLOCKS = 16                          # ... in at most this many blocks
QUICK_LARGEST = (2 << 20) >> L.PAGE_SHIFT  # ... of at most this size each

# words of a free span's first page
_NEXT = 1
_PREV = 2
_DIRTY = 3
_FULL = 4


def _bucket(n: int) -> int:
    return min(n.bit_length() - 1, L.SPAN_BUCKETS - 1)


# ---- the undo log ------------------------------------------------------------------

def _put(M: memoryview, w: int, v: int) -> None:
    """Write word ``w`` so that the operation can be undone."""
    if M[w] == v:
        return
    n = M[L.H_ALOG_N]
    if n >= L.ALOG_MAX:
        raise AssertionError("allocator undo log overflow")
    e = L.H_ALOG + 2 * n
    M[e] = w
    M[e + 1] = M[w]
    M[L.H_ALOG_N] = n + 1
    M[w] = v


def _commit(M: memoryview) -> None:
    M[L.H_ALOG_N] = 0


def _undo(M: memoryview) -> None:
    """Restore every logged word, newest first; idempotent, so a process dying
    in here leaves the same work to the next one."""
    for i in range(M[L.H_ALOG_N] - 1, -1, -1):
        e = L.H_ALOG + 2 * i
        M[M[e]] = M[e + 1]
    M[L.H_ALOG_N] = 0


def _repair(arena: Arena, record_b: int, dead_tag: int) -> None:
    # A holder died inside an operation: roll it back. (Small-class free
    # list pushes and pops are single-store commits: nothing to do for them.)
    _undo(arena.M)


lock.register_repairer(L.K_ALLOC, _repair)


# ---- free spans ----------------------------------------------------------------------

def _link(M: memoryview, pmw: int, p: int, n: int, dirty: int, full: int) -> None:
    """Make pages [p, p+n) a free span and put it on its list."""
    _put(M, pmw + p, L.PM_FREE | (n << 8))
    if n > 1:
        _put(M, pmw + p + n - 1, L.PM_FREE_END | (p << 8))
    w = p << (_SHIFT - 3)
    head = L.H_SPANS + _bucket(n)
    first = M[head]
    _put(M, w, L.K_FREE)
    _put(M, w + _NEXT, first)
    _put(M, w + _PREV, 0)
    _put(M, w + _DIRTY, dirty)
    _put(M, w + _FULL, full)
    if first:
        _put(M, (first >> 3) + _PREV, p << _SHIFT)
    _put(M, head, p << _SHIFT)
    _put(M, L.H_DIRTY, M[L.H_DIRTY] + dirty)


def _unlink(M: memoryview, p: int, n: int) -> tuple[int, int]:
    """Take the free span at page ``p`` (``n`` pages) off its list; returns
    its dirty count and full flag."""
    w = p << (_SHIFT - 3)
    nxt, prv, dirty = M[w + _NEXT], M[w + _PREV], M[w + _DIRTY]
    if prv:
        _put(M, (prv >> 3) + _NEXT, nxt)
    else:
        _put(M, L.H_SPANS + _bucket(n), nxt)
    if nxt:
        _put(M, (nxt >> 3) + _PREV, prv)
    _put(M, L.H_DIRTY, M[L.H_DIRTY] - dirty)
    return dirty, M[w + _FULL]


def _resize(M: memoryview, pmw: int, p: int, n: int, new_n: int, dirty: int, full: int) -> None:
    """Make the free span at page ``p`` (``n`` pages) ``new_n`` pages long,
    keeping its first page: it stays on its list unless its bucket changes."""
    if _bucket(n) != _bucket(new_n):
        _unlink(M, p, n)
        _link(M, pmw, p, new_n, dirty, full)
        return
    w = p << (_SHIFT - 3)
    _put(M, pmw + p, L.PM_FREE | (new_n << 8))
    if new_n > 1:
        _put(M, pmw + p + new_n - 1, L.PM_FREE_END | (p << 8))
    _put(M, L.H_DIRTY, M[L.H_DIRTY] - M[w + _DIRTY] + dirty)
    _put(M, w + _DIRTY, dirty)
    _put(M, w + _FULL, full)


def _find(M: memoryview, pmw: int, n: int) -> int:
    """First page of a free span of at least ``n`` pages, or 0."""
    b = _bucket(n)
    a = M[L.H_SPANS + b]
    for _ in range(_SCAN):
        if not a:
            break
        if M[pmw + (a >> _SHIFT)] >> 8 >= n:
            return a >> _SHIFT
        a = M[(a >> 3) + _NEXT]
    for bb in range(b + 1, L.SPAN_BUCKETS):
        a = M[L.H_SPANS + bb]
        if a:
            return a >> _SHIFT
    return 0


def _free_before(M: memoryview, pmw: int, heap0_page: int, p: int) -> int:
    """First page of the free span ending just before page ``p``, or 0."""
    if p <= heap0_page:
        return 0
    e = M[pmw + p - 1]
    tag = e & L.PM_TAG
    if tag == L.PM_FREE_END:
        return e >> 8
    if tag == L.PM_FREE:             # a free span of one page
        return p - 1
    return 0


def _clear_chunk(arena: Arena, p: int) -> None:
    """Zero a reused free span's first CHUNK_PAGES pages before they become
    a small chunk, so no stale word looks like a block's kind. The span's
    own words (0.._FULL) go through the log: rolled back, it is a valid
    free span again; the rest was free memory nobody reads."""
    a = p << _SHIFT
    arena.B[a + 8 * (_FULL + 1):a + L.CHUNK] = bytes(L.CHUNK - 8 * (_FULL + 1))
    w = a >> 3
    for i in range(_FULL + 1):
        _put(arena.M, w + i, 0)


# ---- allocation ----------------------------------------------------------------------

def alloc(arena: Arena, n: int, small_class: int = 0) -> int:
    """Byte address of a span of ``n`` pages, now in use: a large block, or
    with ``small_class`` a chunk of that class. 0 if the arena has no room;
    MemoryError if /dev/shm has none. Either way nothing changed."""
    M = arena.M
    lock.acquire(arena, _LOCK_B)
    try:
        if not small_class:
            a = _take_quick(arena, n)
            if a:
                _commit(M)
                return a
        try:
            a = _alloc_span(arena, n, small_class)
        except MemoryError:
            if not M[L.H_QUICK_PAGES]:
                raise
            a = 0
        if not a and M[L.H_QUICK_PAGES]:
            _flush_quick(arena)             # their pages may serve any size
            a = _alloc_span(arena, n, small_class)
        return a
    except BaseException:
        _undo(M)
        raise
    finally:
        lock.release(arena, _LOCK_B)


def _alloc_span(arena: Arena, n: int, small_class: int) -> int:
    """alloc() from the spans and the top, committed (lock held). A block
    is the last pages of a free span, which keeps its first page (and so
    its place on its list), or it grows the heap from the free span at its
    end, if any."""
    M = arena.M
    pmw = arena.pagemap >> 3
    top = M[L.H_TOP] >> _SHIFT
    p = _find(M, pmw, n) or _free_before(M, pmw, arena.heap0 >> _SHIFT, top) or top
    have = M[pmw + p] >> 8 if p < top else 0
    q = p + have - n if have >= n else p
    new_top = max(top, q + n)
    if new_top > arena.size >> _SHIFT:
        return 0
    w = p << (_SHIFT - 3)
    full = have and M[w + _FULL]
    # Back every page this will write before writing any: the block (but
    # what a full span backs already), the page map of a new top.
    if new_top > top:
        lo = (arena.pagemap + top * 8) & ~(_PAGE - 1)
        arena.seg.reserve(lo, arena.pagemap + new_top * 8 - lo)
    try:
        if not full:
            arena.seg.reserve(q << _SHIFT, n << _SHIFT)
        elif new_top > top:
            arena.seg.reserve(top << _SHIFT, (new_top - top) << _SHIFT)
    except MemoryError:
        # Page map pages wholly above the top were never written: give
        # back what was just reserved there.
        hi = (arena.pagemap + new_top * 8 + _PAGE - 1) & ~(_PAGE - 1)
        arena.seg.release(arena.pagemap + top * 8, hi - arena.pagemap - top * 8)
        raise
    if have > n:
        _resize(M, pmw, p, have, have - n, min(M[w + _DIRTY], have - n - 1), full)
    elif have:
        _unlink(M, p, have)
    if new_top > top:
        _put(M, L.H_TOP, new_top << _SHIFT)
    if small_class:
        if have:
            _clear_chunk(arena, q)
        for i in range(n):
            _put(M, pmw + q + i, L.PM_SMALL | (small_class << 8))
    else:
        # Until its owner writes its kind, a walk must not take the block's
        # first word (stale data of the span) for one.
        _put(M, q << (_SHIFT - 3), L.K_FREE)
        _put(M, pmw + q, L.PM_USED | (n << 8))
        if n > 1:
            _put(M, pmw + q + n - 1, 0)
        _put(M, L.H_LARGE_USED, M[L.H_LARGE_USED] + n)
    _commit(M)
    return q << _SHIFT


def free(arena: Arena, a: int) -> None:
    """Give back the large block at byte address ``a``. One of up to
    QUICK_LARGEST pages goes on the quick list; a larger one merges with
    free neighbours, and pages beyond what is worth keeping leave /dev/shm."""
    M = arena.M
    pmw = arena.pagemap >> 3
    lock.acquire(arena, _LOCK_B)
    try:
        e = M[pmw + (a >> _SHIFT)]
        if e & L.PM_TAG != L.PM_USED:
            raise AssertionError(f"free of {a:#x}, which is not a large block in use")
        n = e >> 8
        if n <= QUICK_LARGEST:
            w = a >> 3
            _put(M, w, L.K_FREE)
            _put(M, w + _NEXT, M[L.H_QUICK])
            _put(M, L.H_QUICK, a)
            _put(M, L.H_QUICK_PAGES, M[L.H_QUICK_PAGES] + n)
            _put(M, L.H_QUICK_N, M[L.H_QUICK_N] + 1)
            _commit(M)
            if M[L.H_QUICK_N] <= QUICK_BLOCKS and M[L.H_QUICK_PAGES] <= QUICK_PAGES:
                return
            _flush_quick(arena, QUICK_BLOCKS, QUICK_PAGES)
            return
        first = _merge(arena, a >> _SHIFT)
        _commit(M)
        _trim(arena, first)
    except BaseException:
        _undo(M)
        raise
    finally:
        lock.release(arena, _LOCK_B)


def _merge(arena: Arena, p: int) -> int:
    """Make the large block at page ``p`` free, merged with free neighbours
    (logged, not committed); returns the first page of the merged span."""
    M = arena.M
    pmw = arena.pagemap >> 3
    n = M[pmw + p] >> 8
    end = p + n
    # Pages of the merged span, beyond its first, that may be backed: all of
    # this block's but a first page that stays first, and a right
    # neighbour's first page, which stops being first.
    dirty, full = n - 1, 1
    right = 0
    if end < M[L.H_TOP] >> _SHIFT and M[pmw + end] & L.PM_TAG == L.PM_FREE:
        right = M[pmw + end] >> 8
        d, f = _unlink(M, end, right)
        dirty, full = dirty + d + 1, f
    first = _free_before(M, pmw, arena.heap0 >> _SHIFT, p)
    if first:
        w = first << (_SHIFT - 3)
        _resize(M, pmw, first, p - first, end + right - first,
                M[w + _DIRTY] + dirty + 1, M[w + _FULL] & full)
    else:
        first = p
        _link(M, pmw, p, n + right, dirty, full)
    _put(M, L.H_LARGE_USED, M[L.H_LARGE_USED] - n)
    return first


def _take_quick(arena: Arena, n: int) -> int:
    """A block of exactly ``n`` pages off the quick list (logged), or 0."""
    M = arena.M
    pmw = arena.pagemap >> 3
    prev, a = 0, M[L.H_QUICK]
    want = L.PM_USED | (n << 8)
    while a:
        nxt = M[(a >> 3) + _NEXT]
        if M[pmw + (a >> _SHIFT)] == want:
            _put(M, (prev >> 3) + _NEXT if prev else L.H_QUICK, nxt)
            _put(M, L.H_QUICK_PAGES, M[L.H_QUICK_PAGES] - n)
            _put(M, L.H_QUICK_N, M[L.H_QUICK_N] - 1)
            return a
        prev, a = a, nxt
    return 0


def _flush_quick(arena: Arena, keep_blocks: int = 0, keep_pages: int = 0) -> None:
    """Merge the oldest blocks of the quick list into the free spans until
    it holds at most ``keep_blocks`` blocks and ``keep_pages`` pages (lock
    held, nothing in flight)."""
    M = arena.M
    pmw = arena.pagemap >> 3
    first = 0
    while M[L.H_QUICK_N] > keep_blocks or M[L.H_QUICK_PAGES] > keep_pages:
        prev, a = 0, M[L.H_QUICK]
        while M[(a >> 3) + _NEXT]:                 # the oldest is last
            prev, a = a, M[(a >> 3) + _NEXT]
        _put(M, (prev >> 3) + _NEXT if prev else L.H_QUICK, 0)
        _put(M, L.H_QUICK_PAGES, M[L.H_QUICK_PAGES] - (M[pmw + (a >> _SHIFT)] >> 8))
        _put(M, L.H_QUICK_N, M[L.H_QUICK_N] - 1)
        first = _merge(arena, a >> _SHIFT)
        _commit(M)
    if first:
        _trim(arena, first)


def _trim(arena: Arena, just_freed: int) -> None:
    """Give free pages back to tmpfs while more are kept than are in use
    (or KEEP_PAGES): the span just freed first, then others, largest
    buckets first. Lock held, no operation in flight."""
    M = arena.M
    budget = max(KEEP_PAGES, M[L.H_LARGE_USED])
    if M[L.H_DIRTY] <= budget:
        return
    _release(arena, just_freed)
    b = L.SPAN_BUCKETS - 1
    while M[L.H_DIRTY] > budget and b >= 0:
        a = M[L.H_SPANS + b]
        while a and M[L.H_DIRTY] > budget:
            if M[(a >> 3) + _DIRTY]:
                _release(arena, a >> _SHIFT)
            a = M[(a >> 3) + _NEXT]
        b -= 1


def _release(arena: Arena, p: int) -> None:
    """Drop the backed pages of the free span at page ``p`` but its first."""
    M = arena.M
    w = p << (_SHIFT - 3)
    dirty = M[w + _DIRTY]
    if not dirty:
        return
    n = M[(arena.pagemap >> 3) + p] >> 8
    if M[w + _FULL]:
        _put(M, w + _FULL, 0)           # committed before any page goes
        _commit(M)
    try:
        arena.seg.release((p + 1) << _SHIFT, (n - 1) << _SHIFT)
    except OSError:
        return                          # not tmpfs: the pages stay, reusable all the same
    _put(M, w + _DIRTY, 0)
    _put(M, L.H_DIRTY, M[L.H_DIRTY] - dirty)
    _commit(M)


# ---- walking and accounting ---------------------------------------------------------

def walk(arena: Arena) -> list[tuple[int, int]]:
    """(byte address, page map word) of every span's first page, in address
    order, read under the lock (spans split and merge)."""
    M = arena.M
    pmw = arena.pagemap >> 3
    out = []
    lock.acquire(arena, _LOCK_B)
    try:
        p = arena.heap0 >> _SHIFT
        top = M[L.H_TOP] >> _SHIFT
        while p < top:
            e = M[pmw + p]
            out.append((p << _SHIFT, e))
            tag = e & L.PM_TAG
            if tag == L.PM_SMALL:
                p += L.CHUNK_PAGES
            elif tag == L.PM_USED or tag == L.PM_FREE:
                p += max(1, e >> 8)
            else:
                p += 1
    finally:
        lock.release(arena, _LOCK_B)
    return out


def room(arena: Arena) -> tuple[int, int]:
    """(free bytes, largest free run in bytes) of the arena: free spans and
    the part above the top (small blocks free in caches are not counted)."""
    M = arena.M
    pmw = arena.pagemap >> 3
    lock.acquire(arena, _LOCK_B)
    try:
        top = M[L.H_TOP] >> _SHIFT
        above = (arena.size >> _SHIFT) - top
        tail = _free_before(M, pmw, arena.heap0 >> _SHIFT, top)
        total, largest = above, above + (top - tail if tail else 0)
        total += M[L.H_QUICK_PAGES]
        for b in range(L.SPAN_BUCKETS):
            a = M[L.H_SPANS + b]
            while a:
                n = M[pmw + (a >> _SHIFT)] >> 8
                total += n
                largest = max(largest, n)
                a = M[(a >> 3) + _NEXT]
    finally:
        lock.release(arena, _LOCK_B)
    return total << _SHIFT, largest << _SHIFT
