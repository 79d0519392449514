"""Context records: the shared state of one cancelable context.

Owns: the X words of T_CONTEXT sync records (_shm/syncrec.py), the cause
blocks and after-func entries they point to. Walking a tree of records,
closing done channels and starting after-funcs is parago/context.py's job;
this module only changes records, each under its own lock.

    record X words:
      ERR        0 while live, then CAUSE | CODE for good (CODE 1: canceled,
                 2: deadline exceeded; CAUSE a cause block, 0 when the cause
                 is the error itself)
      DCAUSE     the cause block a deadline expiry records (0: none)
      CHILDREN   first child record; NEXT, PREV link the siblings
      NEXT PREV  this record's neighbours in its parent's list
      PARENT     the record whose list holds this one (0: none)
      AFTER      first after-func entry
      DONE       the done channel

    cause block       [K_DATA, REFS, TOKEN, NBYTES, pickled cause ...]
    after-func entry  [K_DATA, NEXT, ID, NBYTES, pickled function ...]

Invariants:
  - ERR changes once, from 0, under LOCK, in one store made after the cause
    block it names is complete: whoever reads the error (with or without the
    lock) reads its cause in the same word, never one without the other.
  - DCAUSE and DONE are set before the record is shared and never change.
  - A record's CHILDREN and AFTER lists, and the NEXT, PREV and PARENT words
    of the records in its CHILDREN list, change only under its LOCK. A
    cancelled record has empty lists and accepts no new entries.
  - References: the record holds one on its DONE channel and one on each
    cause block that its ERR or DCAUSE names; a parent's CHILDREN list holds
    one on each child (dropped by whoever takes the child off the list). The
    last reference frees the block.
  - Not repaired after a crash beyond the lock's takeover (syncrec's repair
    has nothing to undo for a context): a process dying inside one of these
    critical sections can leave a list half-changed, so records may leak and
    a cancel it was making may stop short of some children.
  - TOKEN (of a cause block) and ID (of an after-func entry) are drawn at
    random (63 bits) when the block is made: a process that keeps the cause
    object, or a stop function, finds its block by that number as well as by
    address, since addresses are reused once a block is freed.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from . import chan as C
from . import layout as L
from . import lock
from . import syncrec as R

if TYPE_CHECKING:
    from .arena import Arena

ERR = R.R_X0
DCAUSE = R.R_X0 + 1
CHILDREN = R.R_X0 + 2
NEXT = R.R_X0 + 3
PREV = R.R_X0 + 4
PARENT = R.R_X0 + 5
AFTER = R.R_X0 + 6
DONE = R.R_X0 + 7

CANCELED = 1
DEADLINE_EXCEEDED = 2
CODE_MASK = 7               # blocks are 8-aligned: the low bits of ERR hold the code

_C_REFS = C.C_REFS * 8


def new(arena: Arena, done_b: int, dcause_b: int) -> int:
    """A live record holding a reference on ``done_b`` and, if non-zero, on
    the cause block ``dcause_b`` (the caller keeps its own)."""
    b = R.create(arena, R.T_CONTEXT)
    arena.mem.add64(done_b + _C_REFS, 1)
    if dcause_b:
        _incref(arena, dcause_b)
    w = b >> 3
    arena.M[w + DONE] = done_b
    arena.M[w + DCAUSE] = dcause_b
    return b


def free(arena: Arena, b: int) -> None:
    """Free a record whose last reference is gone."""
    M = arena.M
    w = b >> 3
    decref_cause(arena, M[w + ERR] & ~CODE_MASK)
    decref_cause(arena, M[w + DCAUSE])
    e = M[w + AFTER]
    while e:
        nxt = M[(e >> 3) + 1]
        arena.free(e)
        e = nxt
    done = M[w + DONE]
    if arena.mem.add64(done + _C_REFS, -1) == 0:
        C.destroy(arena, done)
    arena.free(b)


def decref(arena: Arena, b: int) -> None:
    if arena.mem.add64(b + R.R_REFS * 8, -1) == 0:
        free(arena, b)


def err_word(arena: Arena, b: int) -> int:
    return arena.mem.load64(b + ERR * 8)


def expiry_word(arena: Arena, b: int) -> int:
    """The ERR word a deadline expiry of ``b`` stores."""
    return arena.M[(b >> 3) + DCAUSE] | DEADLINE_EXCEEDED


# ---- cause blocks ---------------------------------------------------------------

def new_cause(arena: Arena, data: bytes) -> tuple[int, int]:
    """(block, token) for a pickled cause; the caller holds the one reference."""
    token = random.getrandbits(63)
    blk = arena.alloc(32 + len(data), L.K_DATA)
    M = arena.M
    w = blk >> 3
    M[w + 1] = 1
    M[w + 2] = token
    M[w + 3] = len(data)
    arena.B[blk + 32:blk + 32 + len(data)] = data
    return blk, token


def cause_token(arena: Arena, blk: int) -> int:
    return arena.M[(blk >> 3) + 2]


def cause_data(arena: Arena, blk: int) -> bytes:
    n = arena.M[(blk >> 3) + 3]
    return arena.B[blk + 32:blk + 32 + n].tobytes()


def _incref(arena: Arena, blk: int) -> None:
    arena.mem.add64(blk + 8, 1)


def decref_cause(arena: Arena, blk: int) -> None:
    if blk and arena.mem.add64(blk + 8, -1) == 0:
        arena.free(blk)


# ---- cancelling and the child list ------------------------------------------------

def cancel(arena: Arena, b: int, word: int) -> tuple[int, list[int], list[bytes]] | None:
    """Store ERR = ``word`` if the record is live and empty its lists.
    Returns None if it was already cancelled, else (done channel, the
    children taken off the list — the caller now holds their list
    references —, the after-funcs' pickled functions)."""
    M = arena.M
    w = b >> 3
    lb = b + 8
    lock.acquire(arena, lb)
    try:
        if M[w + ERR]:
            return None
        if word & ~CODE_MASK:
            _incref(arena, word & ~CODE_MASK)
        arena.mem.store64(b + ERR * 8, word)
        children: list[int] = []
        ch = M[w + CHILDREN]
        while ch:
            children.append(ch)
            M[(ch >> 3) + PARENT] = 0
            ch = M[(ch >> 3) + NEXT]
        M[w + CHILDREN] = 0
        funcs: list[bytes] = []
        e = M[w + AFTER]
        while e:
            n = M[(e >> 3) + 3]
            funcs.append(arena.B[e + 32:e + 32 + n].tobytes())
            nxt = M[(e >> 3) + 1]
            arena.free(e)
            e = nxt
        M[w + AFTER] = 0
        return M[w + DONE], children, funcs
    finally:
        lock.release(arena, lb)


def link(arena: Arena, parent_b: int, child_b: int) -> int:
    """Put the child on the parent's list (taking a reference on it) and
    return 0, or return the parent's ERR word if it is already cancelled."""
    M = arena.M
    pw, cw = parent_b >> 3, child_b >> 3
    lock.acquire(arena, parent_b + 8)
    try:
        word = M[pw + ERR]
        if word:
            return word
        head = M[pw + CHILDREN]
        M[cw + NEXT] = head
        M[cw + PREV] = 0
        if head:
            M[(head >> 3) + PREV] = child_b
        M[pw + CHILDREN] = child_b
        M[cw + PARENT] = parent_b
        arena.mem.add64(child_b + R.R_REFS * 8, 1)
        return 0
    finally:
        lock.release(arena, parent_b + 8)


def unlink(arena: Arena, b: int) -> None:
    """Take the record off its parent's list, if it is still on one."""
    M = arena.M
    w = b >> 3
    p = M[w + PARENT]
    if not p:
        return
    lock.acquire(arena, p + 8)
    try:
        if M[w + PARENT] != p:
            return                      # the parent's cancel took it off first
        nxt, prv = M[w + NEXT], M[w + PREV]
        if prv:
            M[(prv >> 3) + NEXT] = nxt
        else:
            M[(p >> 3) + CHILDREN] = nxt
        if nxt:
            M[(nxt >> 3) + PREV] = prv
        M[w + PARENT] = 0
    finally:
        lock.release(arena, p + 8)
    decref(arena, b)                    # the list's reference


def count_children(arena: Arena, b: int) -> int:
    M = arena.M
    lock.acquire(arena, b + 8)
    try:
        n, ch = 0, M[(b >> 3) + CHILDREN]
        while ch:
            n, ch = n + 1, M[(ch >> 3) + NEXT]
        return n
    finally:
        lock.release(arena, b + 8)


# ---- after-funcs --------------------------------------------------------------------

def add_after(arena: Arena, b: int, data: bytes) -> tuple[int, int]:
    """Register a pickled function: (entry, id), or (0, 0) if the record is
    already cancelled (the caller runs the function itself)."""
    e = arena.alloc(32 + len(data), L.K_DATA)
    M = arena.M
    ident = random.getrandbits(63)
    M[(e >> 3) + 2] = ident
    M[(e >> 3) + 3] = len(data)
    arena.B[e + 32:e + 32 + len(data)] = data
    w = b >> 3
    lock.acquire(arena, b + 8)
    try:
        if not M[w + ERR]:
            M[(e >> 3) + 1] = M[w + AFTER]
            M[w + AFTER] = e
            return e, ident
    finally:
        lock.release(arena, b + 8)
    arena.free(e)
    return 0, 0


def remove_after(arena: Arena, b: int, entry: int, ident: int) -> bool:
    """Unregister an entry; False if it already ran (or was removed)."""
    M = arena.M
    lock.acquire(arena, b + 8)
    try:
        prev, e = 0, M[(b >> 3) + AFTER]
        while e and not (e == entry and M[(e >> 3) + 2] == ident):
            prev, e = e, M[(e >> 3) + 1]
        if not e:
            return False
        if prev:
            M[(prev >> 3) + 1] = M[(e >> 3) + 1]
        else:
            M[(b >> 3) + AFTER] = M[(e >> 3) + 1]
    finally:
        lock.release(arena, b + 8)
    arena.free(entry)
    return True


from .._accel import use_compiled  # noqa: E402

use_compiled(globals())
