"""Atomic cells: the words behind pg.atomic's integers and booleans, and the
boxed value behind atomic.Value, in small sync records (_shm/syncrec.py).

Owns: the record words of T_ATOMIC and T_VALUE records and the operations on
them; parago/atomic.py holds the handles (``_arena``; ``_vb``, the byte
address of an atomic's value word; ``_w``/``_lb``, a Value record's word
index and lock) and passes them here.

    T_ATOMIC:  [KIND LOCK REFS TYPE VALUE ...]  VALUE changed by atomic
               instructions only (lock-free, sequentially consistent: MM-11)
    T_VALUE:   [KIND LOCK REFS TYPE DATA TYPENAME ...]  DATA a data block
               holding the current value as one inline value cell, TYPENAME
               a data block naming its type; both change under LOCK, DATA by
               one store (the commit)

Invariants:
  - An atomic's word is never read or written other than atomically, so it
    is never torn (AT-04).
  - A Value's DATA block is complete before the store that publishes it, and
    freed only by whoever replaced it: a reader (under LOCK) copies a whole
    value, never a half-written one (AT-12).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._shm import layout as L
from .._shm import lock as _lock
from .._shm import syncrec as R
from .._shm import values as V

if TYPE_CHECKING:
    from .._shm.arena import Arena
    from .protocols import AtomicRef, ValueRef

REFS_OFF = R.R_REFS * 8
VALUE_OFF = 4 * 8           # byte offset of an atomic's value word
_DATA = 4                   # word of a Value record: its data block
_TYPENAME = 5               # word of a Value record: the block naming its type


def create_atomic(arena: Arena) -> int:
    return R.create_small(arena, R.T_ATOMIC)


def create_value(arena: Arena) -> int:
    return R.create_small(arena, R.T_VALUE)


# ---- integers and booleans ---------------------------------------------------------------

def load64(h: AtomicRef) -> int:
    return h._arena.mem.load64(h._vb)


def store64(h: AtomicRef, v: int) -> None:
    h._arena.mem.store64(h._vb, v)


def add64(h: AtomicRef, d: int) -> int:
    return h._arena.mem.add64(h._vb, d)


def swap64(h: AtomicRef, v: int) -> int:
    return h._arena.mem.swap64(h._vb, v)


def cas64(h: AtomicRef, old: int, new: int) -> bool:
    return h._arena.mem.cas64(h._vb, old, new)


def load32(h: AtomicRef) -> int:
    return h._arena.mem.load32(h._vb)


def store32(h: AtomicRef, v: int) -> None:
    h._arena.mem.store32(h._vb, v)


def add32(h: AtomicRef, d: int) -> int:
    return h._arena.mem.add32(h._vb, d)


def swap32(h: AtomicRef, v: int) -> int:
    return h._arena.mem.swap32(h._vb, v)


def cas32(h: AtomicRef, old: int, new: int) -> bool:
    return h._arena.mem.cas32(h._vb, old, new)


# ---- Value ---------------------------------------------------------------------------------

def _block(arena: Arena, obj: object) -> int:
    """A data block holding ``obj`` as one inline cell (never spilled, so
    reading it copies and never hands over memory)."""
    kind, payload = V.encode(obj)
    if kind == V.VK_P5:
        kind, payload = V.VK_PICKLE, V.dumps(obj)
    n = V.sizeof_payload(kind, payload)
    blk = arena.alloc(32 + n, L.K_DATA)
    V.put(arena, (blk >> 3) + 2, kind, payload, n)
    return blk


def _name_block(arena: Arena, name: str) -> int:
    data = name.encode()
    b = arena.alloc(16 + len(data), L.K_DATA)
    arena.M[(b >> 3) + 1] = len(data)
    arena.B[b + 16:b + 16 + len(data)] = data
    return b


def _name_at(arena: Arena, b: int) -> str:
    n = arena.M[(b >> 3) + 1]
    return arena.B[b + 16:b + 16 + n].tobytes().decode()


def value_load(h: ValueRef) -> Any:
    """A copy of the value stored last, or None before any store."""
    arena = h._arena
    _lock.acquire(arena, h._lb)
    try:
        blk = arena.M[h._w + _DATA]
        if not blk:
            return None
        raw = V.take_raw(arena, (blk >> 3) + 2)
    finally:
        _lock.release(arena, h._lb)
    return V.decode_raw(arena, raw)


class TypeChanged(Exception):
    """value_put found a value of another type stored already."""


def value_put(h: ValueRef, obj: object, type_name: str, expect: object = None,
              compare: bool = False) -> int | bool:
    """Store a copy of ``obj`` (of type ``type_name``), if ``compare`` only
    when the value now == ``expect``. Returns the replaced data block (0:
    none; the caller frees it with take_replaced) or False if the compare
    failed. Raises TypeChanged for a type other than the first stored."""
    arena = h._arena
    blk = _block(arena, obj)
    M = arena.M
    try:
        _lock.acquire(arena, h._lb)
        try:
            tn = M[h._w + _TYPENAME]
            if tn and _name_at(arena, tn) != type_name:
                raise TypeChanged(type_name)
            cur = M[h._w + _DATA]
            if compare:
                current = (V.decode_raw(arena, V.take_raw(arena, (cur >> 3) + 2))
                           if cur else None)
                if not (current == expect or (current is None and expect is None)):
                    return False
            if not tn:
                M[h._w + _TYPENAME] = _name_block(arena, type_name)
            M[h._w + _DATA] = blk          # the single store that commits
            blk = 0
            return cur
        finally:
            _lock.release(arena, h._lb)
    finally:
        if blk:
            arena.free(blk)


def take_replaced(arena: Arena, blk: int, want: bool) -> Any:
    """Free a data block value_put replaced; its value first if ``want``."""
    try:
        return V.decode_raw(arena, V.take_raw(arena, (blk >> 3) + 2)) if want else None
    finally:
        arena.free(blk)


def free_value(arena: Arena, b: int) -> None:
    """Free a Value record and its blocks (its last reference is gone)."""
    M = arena.M
    for f in (_DATA, _TYPENAME):
        if M[(b >> 3) + f]:
            arena.free(M[(b >> 3) + f])
    arena.free(b)


from .._accel import use_compiled  # noqa: E402

use_compiled(globals())
