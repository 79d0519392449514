"""The shapes of what the kernel is handed, for type checking only.

Owns: the Protocols that describe the objects the kernel's functions read
without owning them (a channel handle's fields), and the names of the lower
layers' types that the public modules may mention in annotations (they do
not import _shm, so they name its types through here).

Invariants:
  - Imported only under ``typing.TYPE_CHECKING``: nothing here runs in the
    kernel's hot paths, and it declares no behaviour.
  - A Protocol lists exactly the fields the kernel reads or writes; a class
    matching it (parago/chan.py's Chan, ctx.py's _DoneRef) needs no base.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

if TYPE_CHECKING:
    from .._shm.arena import Arena as Arena
    from .._shm.arena import Mem as Mem
    from .sched import G, Processor


class ChanRef(Protocol):
    """A channel handle as _core/chan.py and _core/select.py read it."""

    _arena: Arena
    _b: int           # byte address of its block
    _w: int           # word index of the channel's header
    _lb: int          # byte address of its lock word
    _cap: int
    _timer: int       # PLAIN, TIMER or DEADLINE (_core/chan.py)


class AtomicRef(Protocol):
    """An atomic integer or Bool handle as _core/cells.py reads it."""

    _arena: Arena
    _vb: int          # byte address of its value word


class ValueRef(Protocol):
    """An atomic.Value handle as _core/cells.py reads it."""

    _arena: Arena
    _w: int           # word index of its record
    _lb: int          # byte address of its lock word


class SyncRef(Protocol):
    """A sync record's handle (Mutex, RWMutex, WaitGroup, Cond) as
    _core/sema.py reads it."""

    _arena: Arena
    _w: int           # word index of its record
    _lb: int          # byte address of its lock word
    _xb: int          # byte address of its state word


class SchedHooks(Protocol):
    """What a Processor asks of the runtime that drives it (_runtime/hooks.py)."""

    def on_panic(self, proc: Processor, g: G, exc: BaseException) -> None: ...
    def start_blob(self, proc: Processor, blob: int) -> G: ...
    def steal(self, proc: Processor) -> int: ...
    def on_event(self, proc: Processor) -> None: ...
    def event_pending(self, proc: Processor) -> bool: ...
    def has_work(self, proc: Processor) -> bool: ...
    def idle_without_timers(self, proc: Processor) -> None: ...
    def recheck_in(self, proc: Processor) -> float | None: ...


# A timer of a P's heap (_core/timers.py): [when, seq, fn, arg]; fn None once
# cancelled or fired.
TimerEntry: TypeAlias = "list[Any]"

# A select case as _core/select.py takes it: (index, channel, SEND|RECV, value).
SelectOp: TypeAlias = "tuple[int, ChanRef, int, Any]"
# What a select returns: (index, value, ok).
SelectResult: TypeAlias = "tuple[int, Any, bool]"
