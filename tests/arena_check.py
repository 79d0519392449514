"""Checks of the arena allocator's invariants (_shm/arena.py, _shm/spans.py),
read while nothing allocates: used by the allocator tests and the scenario
that kills a process inside the allocator."""

from __future__ import annotations

from parago._shm import layout as L
from parago._shm import spans


def problems(arena) -> list[str]:
    """Every broken invariant found (empty: consistent)."""
    M = arena.M
    pmw = arena.pagemap >> 3
    top = M[L.H_TOP] >> L.PAGE_SHIFT
    out = []
    if M[L.H_ALOG_N]:
        out.append(f"undo log holds {M[L.H_ALOG_N]} entries")
    if M[L.H_ALLOC_LOCK]:
        out.append("allocator lock held")
    free_spans: dict = {}
    used = dirty = 0
    prev_free = False
    p = arena.heap0 >> L.PAGE_SHIFT
    while p < top:
        e = M[pmw + p]
        tag, n = e & L.PM_TAG, e >> 8
        if tag == L.PM_SMALL:
            words = set(M[pmw + p:pmw + p + L.CHUNK_PAGES].tolist())
            if words != {e}:
                out.append(f"small chunk at page {p} has page words {sorted(words)}")
            n, prev_free = L.CHUNK_PAGES, False
        elif tag == L.PM_USED:
            if n > 1 and M[pmw + p + n - 1] != 0:
                out.append(f"used span at page {p} ends with word {M[pmw + p + n - 1]:#x}")
            used += n
            prev_free = False
        elif tag == L.PM_FREE:
            if prev_free:
                out.append(f"free span at page {p} follows another free span")
            if n > 1 and M[pmw + p + n - 1] != L.PM_FREE_END | (p << 8):
                out.append(f"free span at page {p} has no end mark")
            w = p << (L.PAGE_SHIFT - 3)
            if M[w] != L.K_FREE or not 0 <= M[w + 3] <= n - 1 or M[w + 4] not in (0, 1) \
                    or M[w + 4] and M[w + 3] != n - 1:
                out.append(f"free span at page {p}: kind {M[w]}, dirty {M[w + 3]}, "
                           f"full {M[w + 4]}")
            dirty += M[w + 3]
            free_spans[p] = n
            prev_free = True
        else:
            out.append(f"page {p} starts no span (word {e:#x})")
            return out
        if n < 1 or p + n > top:
            out.append(f"span at page {p} of {n} pages runs past the top")
            return out
        p += n
    listed: dict = {}
    for b in range(L.SPAN_BUCKETS):
        a, prv = M[L.H_SPANS + b], 0
        while a:
            q = a >> L.PAGE_SHIFT
            if q not in free_spans or q in listed or M[(a >> 3) + 2] != prv:
                out.append(f"free list {b} is broken at page {q}")
                break
            if spans._bucket(free_spans[q]) != b:
                out.append(f"free span at page {q} is on list {b}")
            listed[q] = b
            prv, a = a, M[(a >> 3) + 1]
    if set(listed) != set(free_spans):
        out.append(f"free spans not on a list: {sorted(set(free_spans) - set(listed))}")
    quick = blocks = 0
    a = M[L.H_QUICK]
    while a:
        e = M[pmw + (a >> L.PAGE_SHIFT)]
        if e & L.PM_TAG != L.PM_USED or M[a >> 3] != L.K_FREE or blocks > 1 << 20:
            out.append(f"the quick list holds {a:#x}, not a free large block")
            break
        quick += e >> 8
        blocks += 1
        a = M[(a >> 3) + 1]
    if (M[L.H_QUICK_PAGES], M[L.H_QUICK_N]) != (quick, blocks):
        out.append(f"H_QUICK_PAGES, H_QUICK_N = {M[L.H_QUICK_PAGES]}, {M[L.H_QUICK_N]} but "
                   f"the quick list holds {blocks} blocks of {quick} pages")
    if M[L.H_LARGE_USED] != used:
        out.append(f"H_LARGE_USED {M[L.H_LARGE_USED]} != {used} pages in use")
    if M[L.H_DIRTY] != dirty:
        out.append(f"H_DIRTY {M[L.H_DIRTY]} != {dirty}, the sum of the free spans'")
    return out


def state(arena) -> tuple:
    """Everything the span allocator holds, to compare before and after."""
    M = arena.M
    return (M[L.H_TOP], M[L.H_LARGE_USED], M[L.H_DIRTY],
            tuple(M[L.H_SPANS:L.H_SPANS + L.SPAN_BUCKETS]), tuple(spans.walk(arena)),
            M[L.H_QUICK], M[L.H_QUICK_PAGES], M[L.H_QUICK_N])
