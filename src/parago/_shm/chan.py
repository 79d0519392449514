"""A channel's shared state: header, ring, wait queues, undo log, repair.

Owns: K_CHAN blocks. The algorithms that block goroutines live in
parago/chan.py and parago/select.py; this module knows only the memory.

    header words (then the ring, RSIZE bytes, at RBASE):
      KIND LOCK CAP RBASE RSIZE REFS GEN FLAGS         fixed at creation (REFS atomic)
      CLOSED COUNT RHEAD RTAIL RUSED                   \
      RQH RQT SQH SQT                                   | mutable, guarded by LOCK,
      OPSEQ PENDING TWHEN TPERIOD (spare)              /  copied to LOG by begin()
      LOG[14]

Invariants (Go's runtime/chan.go, plus what a crash needs):
  - Every mutable word changes only under LOCK.
  - COUNT > 0 implies RQ holds no waiting receiver; SQ holds waiting senders
    only when COUNT == CAP (for CAP 0: always "full"). Sudogs of selects that
    already fired may linger in either queue; dequeue_claim drops them.
  - The header is an undo-logged record (undo.py, layout LAYOUT): a mutating
    operation calls begin() before its first write and commit() after its
    last; a process dying in between is rolled back, or forward if it had
    already delivered to the group in PENDING. A close is always rolled
    forward.
  - Two operations skip the log, and say why where they do it: linking
    one's own sudog (a repair drops a dead P's sudogs), and the in-process
    handoff to a plain wait of a goroutine of this P (the waiter dies with
    this process; a repair relinks the queue from its head anyway).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import layout as L
from . import lock, ptable, ring, undo
from . import waiter as W

if TYPE_CHECKING:
    from collections.abc import Callable

    from .arena import Arena

C_CAP = 2
C_RBASE = 3
C_RSIZE = 4
C_REFS = 5
C_GEN = 6
C_FLAGS = 7
C_CLOSED = 8
C_COUNT = 9
C_RING = 10          # ring.HEAD/TAIL/USED at C_RING + 0/1/2
C_RQH = 13
C_RQT = 14
C_SQH = 15
C_SQT = 16
C_OPSEQ = 17
C_PENDING = 18
C_TWHEN = 19
C_TPERIOD = 20
C_TSPARE = 21        # reserved (logged with the timer words)
C_MUT0 = C_CLOSED
C_MUT_N = 14
C_LOG = 22
HDR_WORDS = 40
HDR_BYTES = HDR_WORDS * 8

F_TIMER = 1
F_DEADLINE = 2

LAYOUT = undo.Layout(C_MUT0, C_MUT_N, C_LOG, C_OPSEQ, C_PENDING)

_ZEROS = memoryview(bytes(HDR_BYTES)).cast("q")


def create(arena: Arena, cap: int, flags: int = 0) -> int:
    rsize = ring.ring_bytes(cap) if cap else 0
    b = arena.alloc(HDR_BYTES + rsize, L.K_CHAN)
    M = arena.M
    w = b >> 3
    M[w + 1:w + HDR_WORDS] = _ZEROS[1:HDR_WORDS]
    M[w + C_CAP] = cap
    M[w + C_RBASE] = b + HDR_BYTES
    M[w + C_RSIZE] = rsize
    M[w + C_REFS] = 1
    M[w + C_GEN] = arena.next_seq()
    M[w + C_FLAGS] = flags
    M[w + C_OPSEQ] = 1
    return b


def begin(M: memoryview, hw: int) -> None:
    undo.begin(M, hw, LAYOUT)


def commit(M: memoryview, hw: int) -> None:
    undo.commit(M, hw, LAYOUT)


def abort(M: memoryview, hw: int) -> None:
    """Undo an operation that raised between begin() and commit()."""
    undo.abort(M, hw, LAYOUT)


def destroy(arena: Arena, b: int) -> None:
    """Free a channel nobody references, and the values its ring still holds."""
    M = arena.M
    hw = b >> 3
    base, size = M[hw + C_RBASE], M[hw + C_RSIZE]
    for _ in range(M[hw + C_COUNT]):
        ring.drop_head(arena, M, hw + C_RING, base, size, discard=True)
    arena.free(b)


# ---- repair ------------------------------------------------------------------

def _group_keeper(arena: Arena, dead_p: int) -> Callable[[int], bool]:
    """keep(sudog_w) for waiter.rebuild: keep sudogs of waiting groups of live
    Ps; a claim the dead P made but never delivered is undone."""
    M = arena.M

    def keep(sw: int) -> bool:
        gw = M[sw + W.S_GROUP] >> 3
        owner = M[gw + W.G_P]
        if owner == dead_p or ptable.state(arena, owner) == ptable.S_DEAD:
            return False
        st = M[gw + W.G_STATE]
        code = st & W.CODE_MASK
        if code == W.CLAIMED and not ptable.owner_alive_p(arena, W.claimer_p(st)):
            M[gw + W.G_STATE] = (st & ~0xFFF) | W.WAITING
            return True
        return code == W.WAITING

    return keep


def repair(arena: Arena, b: int, dead_tag: int) -> None:
    """Bring a channel whose lock holder died back to a consistent state.
    Called with the lock taken over by the caller."""
    M = arena.M
    hw = b >> 3
    dead_p = ptable.p_of_tag(dead_tag)
    closing = M[hw + C_CLOSED] and not M[hw + C_LOG + (C_CLOSED - C_MUT0)]
    undo.settle(arena, hw, LAYOUT, forward=closing)
    keep = _group_keeper(arena, dead_p)
    W.rebuild(arena, hw + C_RQH, hw + C_RQT, keep)
    W.rebuild(arena, hw + C_SQH, hw + C_SQT, keep)
    if M[hw + C_CLOSED]:
        # Finish a close the dead process began: every waiter learns of it.
        for head, tail in ((C_RQH, C_RQT), (C_SQH, C_SQT)):
            while True:
                s = W.dequeue_claim(arena, hw + head, hw + tail, hw + C_PENDING)
                if not s:
                    break
                gw = M[(s >> 3) + W.S_GROUP] >> 3
                W.deliver(arena, gw, M[(s >> 3) + W.S_CASE], 0)
                ptable.request_rescan(arena, M[gw + W.G_P])
        commit(M, hw)


lock.register_repairer(L.K_CHAN, repair)


from .._accel import use_compiled  # noqa: E402

use_compiled(globals())
