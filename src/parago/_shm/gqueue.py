"""Each P's queue of unstarted goroutines, in shared memory.

Owns: K_BLOB blocks (an unstarted goroutine: its id and its pickled
function and arguments) and the gqueue record in every P slot.

    gqueue record (ptable.PS_GQ): KIND LOCK HEAD TAIL LEN OPSEQ LOG[4]
    blob: KIND NEXT GID NBYTES CREATOR FNKEY QUEUED payload...

FNKEY names the goroutine's function for placement (loadtab.py; 0: none);
QUEUED is when the blob was queued (monotonic ns), so a thief can tell how
long it has waited.

A goroutine is copied into a blob when ``go`` is called and queued on the P
the placement policy chose (_runtime/placement.py): that P pops it from the
head when it has nothing else to run, and an idle P may take the head of
another P's queue when the policy allows it (the owner is busy in a long
CPU-bound goroutine, say). A started goroutine never moves (DESIGN 8).

Each P has a second queue, of goroutines pinned to it (a WorkerPool's worker
for that process): thieves never look there. The functions below take
``pinned`` to choose it.

Invariants:
  - HEAD/TAIL/LEN and the NEXT links of queued blobs change only under LOCK.
  - The record is undo-logged (undo.py, layout LAYOUT: HEAD TAIL LEN OPSEQ):
    a process dying inside a change is undone by the repairer, which then
    cuts the restored tail's NEXT link.
  - A blob is in at most one queue; whoever removes it owns it and must start
    it (or free it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import layout as L
from . import lock, ptable, undo

if TYPE_CHECKING:
    from .arena import Arena

Q_HEAD = 2
Q_TAIL = 3
Q_LEN = 4
Q_OPSEQ = 5
Q_LOG = 6
LAYOUT = undo.Layout(Q_HEAD, 4, Q_LOG, Q_OPSEQ)

B_NEXT = 1
B_GID = 2
B_NBYTES = 3
B_CREATOR = 4
B_FNKEY = 5
B_QUEUED = 6
B_HDR = 7 * 8

SLOT_WORDS, PS_GQ, PS_PINQ = ptable.SLOT_WORDS, ptable.PS_GQ, ptable.PS_PINQ


def record_w(arena: Arena, p: int, pinned: bool = False) -> int:
    return ptable.slot_w(arena, p) + (PS_PINQ if pinned else PS_GQ)


def init(arena: Arena, p: int) -> None:
    M = arena.M
    for pinned in (False, True):
        q = record_w(arena, p, pinned)
        if M[q] != L.K_GQ:
            for i in range(1, 10):
                M[q + i] = 0
            M[q + Q_OPSEQ] = 1              # its log copy is 0: nothing in progress
            M[q] = L.K_GQ


def make_blob(arena: Arena, gid: int, payload: bytes, creator: int, fnkey: int = 0,
              queued_ns: int = 0) -> int:
    n = len(payload)
    b = arena.alloc(B_HDR + n, L.K_BLOB)
    M = arena.M
    w = b >> 3
    M[w + B_NEXT] = 0
    M[w + B_GID] = gid
    M[w + B_NBYTES] = n
    M[w + B_CREATOR] = creator
    M[w + B_FNKEY] = fnkey
    M[w + B_QUEUED] = queued_ns
    arena.B[b + B_HDR:b + B_HDR + n] = payload
    return b


def read_blob(arena: Arena, b: int) -> tuple[int, int, bytes]:
    """(gid, function key, payload bytes) of a blob; frees it."""
    M = arena.M
    w = b >> 3
    gid, n, key = M[w + B_GID], M[w + B_NBYTES], M[w + B_FNKEY]
    payload = arena.B[b + B_HDR:b + B_HDR + n].tobytes()
    arena.free(b)
    return gid, key, payload


def head(arena: Arena, p: int) -> tuple[int, int, int]:
    """(blob, function key, queued ns) at the head of P ``p``'s queue, read
    without the lock: a hint for take_head, which checks it (0 if empty)."""
    M = arena.M
    b = M[record_w(arena, p) + Q_HEAD]
    if not b:
        return 0, 0, 0
    w = b >> 3
    return b, M[w + B_FNKEY], M[w + B_QUEUED]


def _begin(M: memoryview, q: int) -> None:
    undo.begin(M, q, LAYOUT)


def _commit(M: memoryview, q: int) -> None:
    undo.commit(M, q, LAYOUT)


def length(arena: Arena, p: int, pinned: bool = False) -> int:
    return arena.M[record_w(arena, p, pinned) + Q_LEN]


def queued_elsewhere(arena: Arena, me: int) -> bool:
    """Does a P other than ``me`` hold goroutines in its (stealable) queue?
    Read without the locks: a hint, as for head()."""
    M = arena.M
    q = ptable.slot_w(arena, 0) + PS_GQ + Q_LEN
    for p in range(M[L.H_NSLOTS]):
        if p != me and M[q]:
            return True
        q += SLOT_WORDS
    return False


def push(arena: Arena, p: int, blobs: list[int], pinned: bool = False) -> None:
    """Append blobs (in order) to P ``p``'s queue."""
    M = arena.M
    q = record_w(arena, p, pinned)
    lb = (q + L.LOCK_W) << 3
    lock.acquire(arena, lb)
    try:
        _begin(M, q)
        tail = M[q + Q_TAIL]
        for b in blobs:
            M[(b >> 3) + B_NEXT] = 0
            if tail:
                M[(tail >> 3) + B_NEXT] = b
            else:
                M[q + Q_HEAD] = b
            tail = b
        M[q + Q_TAIL] = tail
        M[q + Q_LEN] += len(blobs)
        _commit(M, q)
    finally:
        lock.release(arena, lb)


def take(arena: Arena, p: int, half: bool, pinned: bool = False) -> list[int]:
    """Remove blobs from the head of P ``p``'s queue: one, or (``half``) half
    of them rounded up, as a thief does."""
    M = arena.M
    q = record_w(arena, p, pinned)
    if not M[q + Q_LEN]:
        return []
    lb = (q + L.LOCK_W) << 3
    lock.acquire(arena, lb)
    try:
        n = M[q + Q_LEN]
        if not n:
            return []
        k = (n + 1) // 2 if half else 1
        _begin(M, q)
        out = []
        b = M[q + Q_HEAD]
        for _i in range(k):
            out.append(b)
            b = M[(b >> 3) + B_NEXT]
        M[q + Q_HEAD] = b
        if not b:
            M[q + Q_TAIL] = 0
        M[q + Q_LEN] = n - k
        _commit(M, q)
        return out
    finally:
        lock.release(arena, lb)


def take_head(arena: Arena, p: int, b: int) -> bool:
    """Remove blob ``b`` from P ``p``'s queue if it is still at its head."""
    M = arena.M
    q = record_w(arena, p)
    if M[q + Q_HEAD] != b:
        return False
    lb = (q + L.LOCK_W) << 3
    lock.acquire(arena, lb)
    try:
        if M[q + Q_HEAD] != b:
            return False
        _begin(M, q)
        nxt = M[(b >> 3) + B_NEXT]
        M[q + Q_HEAD] = nxt
        if not nxt:
            M[q + Q_TAIL] = 0
        M[q + Q_LEN] -= 1
        _commit(M, q)
        return True
    finally:
        lock.release(arena, lb)


def take_all(arena: Arena, p: int, pinned: bool = False) -> list[int]:
    """Empty P ``p``'s queue (a retiring P hands its goroutines on)."""
    out: list[int] = []
    while True:
        got = take(arena, p, True, pinned)
        if not got:
            return out
        out.extend(got)


def _repair(arena: Arena, record_b: int, dead_tag: int) -> None:
    M = arena.M
    q = record_b >> 3
    if undo.in_progress(M, q, LAYOUT):
        undo.settle(arena, q, LAYOUT)
        tail = M[q + Q_TAIL]
        if tail:
            M[(tail >> 3) + B_NEXT] = 0


lock.register_repairer(L.K_GQ, _repair)


from .._accel import use_compiled  # noqa: E402

use_compiled(globals())
