"""Atomic operations on the arena's words, for the kernel's hot paths.

Owns: nothing shared; how kernel code reaches _native's atomics (and the
calling thread's id, a call to C compiled). Each
function takes the arena's Mem object, its int64 view ``M`` and a word index:
run as Python, it calls the Mem method (the view is unused); compiled, the
same call becomes the inline C of _native_atomics.h on the typed view
(_c_atom.pxd: this module itself is never compiled, its twin is that .pxd;
callers cimport it under the name they import this module by, as NumPy's
``import numpy as np; cimport numpy as np``).

Invariants:
  - Every operation is sequentially consistent, as _native's are.
  - fence() keeps the C compiler from moving the kernel's plain stores across
    it (a no-op run as Python, where every store is a call). The undo log
    relies on it: the log is complete before the first change, and the
    changes before the commit.
"""

from __future__ import annotations

from threading import get_ident as thread_ident

from .._native import Mem

__all__ = ["add64", "cas64", "fence", "load64", "store64", "swap64", "thread_ident"]


def load64(mem: Mem, M: memoryview, w: int) -> int:
    return mem.load64(w << 3)


def store64(mem: Mem, M: memoryview, w: int, v: int) -> None:
    mem.store64(w << 3, v)


def add64(mem: Mem, M: memoryview, w: int, d: int) -> int:
    return mem.add64(w << 3, d)


def swap64(mem: Mem, M: memoryview, w: int, v: int) -> int:
    return mem.swap64(w << 3, v)


def cas64(mem: Mem, M: memoryview, w: int, old: int, new: int) -> bool:
    return mem.cas64(w << 3, old, new)


def fence() -> None:
    pass
