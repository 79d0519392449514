"""Handles: the Python objects that stand for blocks in the runtime's arena.

Owns: the reference counting of handles (the REFS word of each block, by
the rules below), this process's registry of them, and their pickling.

A channel, mutex, wait group, atomic ... is a block in shared memory; the
Python object users hold is a small handle (arena, byte offset) that pickles
as (segment name, offset). Every handle owns one reference to its block
(its REFS word): pickling adds one for the copy in flight, which the
unpickled handle adopts; a process keeps at most one handle per block (a weak
registry), so unpickling a block this process already holds drops the extra
reference. The last reference frees the block.

Invariants:
  - A handle that owns a reference drops it exactly once, in its finaliser,
    which never frees anything itself: it queues the block (Arena.graveyard),
    freed at a safe point (Arena.bury), since a finaliser may run inside a
    critical section of this very thread.
  - Compiled, ShmObject is an extension type with its fields in C (the
    kernel reads a channel handle's fields without attribute lookups);
    handles are then made with ``cls.__new__(cls)``, never
    ``object.__new__``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self
from weakref import WeakValueDictionary

from .._errors import no_runtime, other_runtime, runtime_ended
from . import sched as _sched

if TYPE_CHECKING:
    from .protocols import Arena
    from .sched import Processor

_registry: WeakValueDictionary[int, ShmObject] = WeakValueDictionary()


def current_arena() -> Arena:
    """The running runtime's arena (for creating an object), with the blocks
    of dropped objects given back first."""
    proc = _sched.this_proc()
    if proc is None:
        raise no_runtime()
    arena = proc.arena
    if arena.graveyard:
        arena.bury()
    return arena


def _name(cls: type) -> str:
    """How errors call an object of ``cls`` (internal classes: "object")."""
    n = cls.__name__
    return "object" if n.startswith("_") else n


misuse = _sched.misuse


class ShmObject:
    """Base class of every handle. Subclasses set ``_REFS_OFF`` (byte offset
    of the REFS word in their block) and may define ``_free_block``."""

    __slots__ = ("_arena", "_b", "__weakref__")
    _REFS_OFF = 16

    def _attach(self, arena: Arena, b: int) -> None:
        self._arena = arena
        self._b = b
        _registry[b] = self

    def _check(self) -> Processor:
        """The running processor, checking this object belongs to its runtime."""
        proc = _sched.this_proc()
        if proc is None or proc.arena is not self._arena:
            raise misuse(self._arena, proc, _name(type(self)))
        return proc

    def _owns_ref(self) -> bool:
        return True

    def _extra(self) -> tuple[Any, ...]:
        """What besides the address the handle needs to be rebuilt."""
        return ()

    def __reduce__(self) -> tuple[Any, ...]:
        arena = self._arena
        if arena.seg.mm is None:
            raise runtime_ended(_name(type(self)))
        arena.mem.add64(self._b + self._REFS_OFF, 1)
        return _rebuild, (type(self), arena.seg.name, self._b, self._extra())

    def _adopt_as(self, cls: type[Self], extra: tuple[Any, ...]) -> Self:
        """This process's existing handle, as the kind of handle requested."""
        return self

    @classmethod
    def _from_block(cls, arena: Arena, b: int, extra: tuple[Any, ...]) -> Self:
        obj = cls.__new__(cls)
        obj._attach(arena, b)
        return obj

    @staticmethod
    def _free_block(arena: Arena, b: int) -> None:
        arena.free(b)

    def __del__(self) -> None:
        arena = getattr(self, "_arena", None)
        if arena is None or arena.seg.mm is None or not self._owns_ref():
            return
        if arena.mem.add64(self._b + self._REFS_OFF, -1) == 0:
            # Freed later, at a safe point: see Arena.bury.
            arena.graveyard.append((type(self)._free_block, self._b))

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, ShmObject) and other._b == self._b
                and other._arena is self._arena)

    def __hash__(self) -> int:
        return hash(self._b)


def _rebuild(cls: type[ShmObject], seg_name: str, b: int, extra: tuple[Any, ...]) -> ShmObject:
    proc = _sched.this_proc()
    if proc is None:
        raise no_runtime(f"a copy of a parago {_name(cls)}")
    if proc.arena.seg.name != seg_name:
        raise other_runtime(_name(cls))
    arena = proc.arena
    obj = _registry.get(b)
    if obj is not None and obj._arena is arena:
        arena.mem.add64(b + cls._REFS_OFF, -1)     # this process already holds one
        return obj._adopt_as(cls, extra)
    return cls._from_block(arena, b, extra)


from .._accel import use_compiled  # noqa: E402

use_compiled(globals())
