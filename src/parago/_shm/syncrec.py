"""Sync records: the shared state of Mutex, RWMutex, WaitGroup, Cond, Once,
atomics, Value and contexts.

Owns: K_SYNC blocks — their layout, undo log and crash repair. The
algorithms are in parago/sync.py, atomic.py and context.py; a context
record's X words are laid out and kept by ctxrec.py.

    record words:
      KIND LOCK REFS TYPE                    header (REFS atomic)
      OPSEQ PENDING W0 .. W7                 mutable words guarded by LOCK,
                                             copied to LOG by begin()
      LOG[10]                                their pre-image (undo.py)
      X0 .. X8                               type-specific words, each either
                                             atomic or single-store committed

Invariants:
  - The record is undo-logged (undo.py, layout LAYOUT): W words change only
    under LOCK, between begin() and commit(), exactly as a channel's header
    does: a process dying in between is undone from LOG, unless it had
    already delivered to the wait group named in PENDING, in which case it
    is rolled forward.
  - Wait queues of a record are pairs of W words (head, tail) listed in
    QUEUES[type]; after a crash they are relinked keeping only live waiters.
  - X words are never restored from the log: they are changed by atomic
    operations (a mutex's state word, an atomic's value) or by one store
    (a Value's data pointer), so they are consistent at every instant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import layout as L
from . import lock, undo
from . import waiter as W
from .chan import _group_keeper

if TYPE_CHECKING:
    from collections.abc import Callable

    from .arena import Arena

R_REFS = 2
R_TYPE = 3
R_OPSEQ = 4
R_PENDING = 5
R_W0 = 6
R_NW = 8
R_LOG = R_W0 + R_NW
R_X0 = R_LOG + 2 + R_NW
R_NX = 9
WORDS = R_X0 + R_NX
BYTES = WORDS * 8
LAYOUT = undo.Layout(R_OPSEQ, 2 + R_NW, R_LOG, R_OPSEQ, R_PENDING)

T_MUTEX = 1
T_RWMUTEX = 2
T_WAITGROUP = 3
T_COND = 4
T_ATOMIC = 5
T_VALUE = 6
T_CONTEXT = 7

# Small records (atomics, Value) are SMALL_BYTES long: KIND LOCK REFS TYPE
# then their own words; they have no log and no queues.
SMALL_TYPES = frozenset({T_ATOMIC, T_VALUE})
SMALL_BYTES = 64

# Which (head, tail) pairs of W words are wait queues, per type.
QUEUES = {
    T_MUTEX: ((0, 1),),
    T_RWMUTEX: ((0, 1), (2, 3)),
    T_WAITGROUP: ((0, 1),),
    T_COND: ((0, 1),),
    T_CONTEXT: (),
}

# type -> fn(arena, rw, dead_p) run after the queues were rebuilt
FIXUPS: dict[int, Callable[[Arena, int, int], None]] = {}


def create(arena: Arena, type_: int) -> int:
    b = arena.alloc(BYTES, L.K_SYNC)
    M = arena.M
    w = b >> 3
    for i in range(1, WORDS):
        M[w + i] = 0
    M[w + R_REFS] = 1
    M[w + R_TYPE] = type_
    M[w + R_OPSEQ] = 1
    return b


def create_small(arena: Arena, type_: int) -> int:
    b = arena.alloc(SMALL_BYTES, L.K_SYNC)
    M = arena.M
    w = b >> 3
    for i in range(1, SMALL_BYTES // 8):
        M[w + i] = 0
    M[w + R_REFS] = 1
    M[w + R_TYPE] = type_
    return b


def begin(M: memoryview, rw: int) -> None:
    undo.begin(M, rw, LAYOUT)


def commit(M: memoryview, rw: int) -> None:
    undo.commit(M, rw, LAYOUT)


def abort(M: memoryview, rw: int) -> None:
    """Undo an operation that raised between begin() and commit()."""
    undo.abort(M, rw, LAYOUT)


def _repair(arena: Arena, b: int, dead_tag: int) -> None:
    from . import ptable
    M = arena.M
    rw = b >> 3
    dead_p = ptable.p_of_tag(dead_tag)
    t = M[rw + R_TYPE]
    if t in SMALL_TYPES:
        return          # no queues, no log: its words are always consistent
    undo.settle(arena, rw, LAYOUT)
    keep = _group_keeper(arena, dead_p)
    for h, tl in QUEUES.get(t, ()):
        W.rebuild(arena, rw + R_W0 + h, rw + R_W0 + tl, keep)
    fix = FIXUPS.get(t)
    if fix is not None:
        fix(arena, rw, dead_p)


lock.register_repairer(L.K_SYNC, _repair)


from .._accel import use_compiled  # noqa: E402

use_compiled(globals())
