# cython: boundscheck=False, wraparound=False
# (Compiled, this module indexes the arena without a check per word: every
# record it touches was checked whole by _check_span first; see below.)
"""Undo-logged records: how a record in shared memory stays consistent when
the process changing it dies half-way.

Owns: the undo log protocol of every logged record kind — channel headers
(chan.py), sync records (syncrec.py) and each P's goroutine queues
(gqueue.py). Each kind describes where its words are with a Layout; the
protocol is the same for all:

    record words  [... MUT0 .. MUT0+N-1 ...]   the mutable words, OPSEQ among
                  [... LOG  .. LOG+N-1  ...]   them (and PENDING, for kinds
                                                that wake waiters); LOG holds
                                                their pre-image
    begin(M, rw, lay)    LOG <- MUT             before the first write
    commit(M, rw, lay)   PENDING <- 0, OPSEQ += 1   after the last write

Invariants:
  - Every mutable word changes only under the record's lock (word 1), between
    begin() and commit(); an operation is in progress exactly when the
    logged OPSEQ equals OPSEQ (OPSEQ starts at 1, its log copy at 0).
  - PENDING (if the kind has one) names the wait group an operation in
    progress is delivering to. If its process dies in between, settle()
    rolls the record back to the log — unless that group was already
    DELIVERED (a waiter has seen the effect): then the words already hold the
    operation's result and it is rolled forward (committed as is). A kind
    may force rolling forward (a channel's close).
  - Words outside MUT are never restored: they are changed by single atomic
    stores that are consistent at every instant.
  - Order: the log is complete before the first write of a mutable word, and
    every write is done before commit's marks (atom.fence() at both points:
    compiled, the callers write the words with plain C stores, which the C
    compiler could otherwise move across the log copy or the OPSEQ bump; a
    process killed in between must leave the order the repair relies on).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import atom, ptable
from . import waiter as W

if TYPE_CHECKING:
    from .arena import Arena


class Layout:
    """Where a logged record kind keeps its words (word offsets in the record)."""

    __slots__ = ("log", "mut0", "n", "opseq", "pending")

    def __init__(self, mut0: int, n: int, log: int, opseq: int, pending: int = 0) -> None:
        assert mut0 <= opseq < mut0 + n and (not pending or mut0 <= pending < mut0 + n)
        self.mut0, self.n, self.log, self.opseq, self.pending = mut0, n, log, opseq, pending


def _check_span(M: memoryview, rw: int, lay: Layout) -> None:
    """Both the mutable words and their log lie inside ``M``. The compiled
    module indexes without a check per word (begin's copy runs twice per
    channel operation): begin, restore and in_progress check the whole
    record here first, and commit and settle only follow one of them on the
    same record."""
    lo, hi = rw + min(lay.mut0, lay.log), rw + max(lay.mut0, lay.log) + lay.n
    if lo < 0 or hi > len(M):
        raise IndexError(f"record at word {rw} is outside the arena")


def begin(M: memoryview, rw: int, lay: Layout) -> None:
    """Log the mutable words of the record at word ``rw`` before changing them."""
    _check_span(M, rw, lay)
    m, lg = rw + lay.mut0, rw + lay.log
    # Word by word, not a slice: compiled, this loop is a few C stores on the
    # typed view, where a slice copy builds and frees view objects.
    for i in range(lay.n):
        M[lg + i] = M[m + i]
    atom.fence()


def commit(M: memoryview, rw: int, lay: Layout) -> None:
    atom.fence()
    if lay.pending:
        M[rw + lay.pending] = 0
    M[rw + lay.opseq] += 1


def in_progress(M: memoryview, rw: int, lay: Layout) -> bool:
    _check_span(M, rw, lay)
    return M[rw + lay.log + (lay.opseq - lay.mut0)] == M[rw + lay.opseq]


def restore(M: memoryview, rw: int, lay: Layout) -> None:
    _check_span(M, rw, lay)
    m, lg = rw + lay.mut0, rw + lay.log
    for i in range(lay.n):
        M[m + i] = M[lg + i]


def abort(M: memoryview, rw: int, lay: Layout) -> None:
    """Undo an operation that raised between begin() and commit()."""
    if in_progress(M, rw, lay):
        restore(M, rw, lay)
        commit(M, rw, lay)


def settle(arena: Arena, rw: int, lay: Layout, forward: bool | int = False) -> None:
    """After the record's locker died (the caller took its lock over): finish
    the operation it had begun — forward if ``forward`` or if it had already
    delivered to the group named in PENDING, else back to the log."""
    M = arena.M
    if not in_progress(M, rw, lay):
        return
    pend = M[rw + lay.pending] if lay.pending else 0
    delivered = pend and W.state_code(M, pend >> 3) == W.DELIVERED
    if delivered:
        # The waiter may not have been told: have its P look.
        ptable.request_rescan(arena, M[(pend >> 3) + W.G_P])
    elif not forward:
        restore(M, rw, lay)
    commit(M, rw, lay)


from .._accel import use_compiled  # noqa: E402

use_compiled(globals())
