"""Carrying a goroutine's panic (or a crash report) from any P to P0.

Owns: H_PANIC_BLOB and H_CRASH_BLOB, and the encoding of what they hold.

Invariants:
  - Panics: the first report wins (CAS from 0); later ones are dropped, as Go
    prints only the first panic.
  - Crashes: every report is kept (a list, pushed with a CAS), since each
    dead process needs its own repair and its own replacement.
  - A report is complete before the event bit announcing it is set.
  - Decoding never fails: an exception that cannot be unpickled in P0 comes
    back as RemoteError with its type name and message.
"""

from __future__ import annotations

import pickle
import traceback
from typing import TYPE_CHECKING, Any

from .._errors import RemoteError
from .._shm import layout as L
from .._shm import ptable

if TYPE_CHECKING:
    from .._shm.arena import Arena


def _exc_bytes(exc: BaseException) -> bytes:
    try:
        data = pickle.dumps(exc, 5)
        pickle.loads(data)          # must round-trip, not merely pickle
        return data
    except Exception:  # noqa: BLE001
        return pickle.dumps(RemoteError(type(exc).__qualname__, str(exc)), 5)


def report(arena: Arena, slot_word: int, event: int, record: dict[str, Any]) -> bool:
    """Store ``record`` (pickled) in header word ``slot_word`` and raise
    ``event`` for P0. Returns False if a report was already there."""
    data = pickle.dumps(record, 5)
    blk = arena.alloc(16 + len(data), L.K_DATA)
    arena.M[(blk >> 3) + 1] = len(data)
    arena.B[blk + 16:blk + 16 + len(data)] = data
    if not arena.mem.cas64(slot_word << 3, 0, blk):
        arena.free(blk)
        return False
    raise_event(arena, event)
    return True


def raise_event(arena: Arena, event: int) -> None:
    mem = arena.mem
    while True:
        old = mem.load64(L.H_EVENT << 3)
        if old & event or mem.cas64(L.H_EVENT << 3, old, old | event):
            break
    ptable.bump_activity(arena)
    ptable.wake(arena, 0)


def push_record(arena: Arena, head_word: int, event: int, record: dict[str, Any]) -> None:
    """Add ``record`` to the list at header word ``head_word`` (several
    reports may be pending at once, none overwrites another) and raise
    ``event`` for P0."""
    data = pickle.dumps(record, 5)
    blk = arena.alloc(24 + len(data), L.K_DATA)
    M = arena.M
    M[(blk >> 3) + 2] = len(data)
    arena.B[blk + 24:blk + 24 + len(data)] = data
    mem = arena.mem
    while True:
        head = mem.load64(head_word << 3)
        M[(blk >> 3) + 1] = head
        if mem.cas64(head_word << 3, head, blk):
            break
    raise_event(arena, event)


def take_records(arena: Arena, head_word: int) -> list[dict[str, Any]]:
    """Every record pushed since the last take, oldest first."""
    blk = arena.mem.swap64(head_word << 3, 0)
    out = []
    M = arena.M
    while blk:
        n = M[(blk >> 3) + 2]
        out.append(pickle.loads(arena.B[blk + 24:blk + 24 + n]))
        nxt = M[(blk >> 3) + 1]
        arena.free(blk)
        blk = nxt
    out.reverse()
    return out


def clear_event(arena: Arena, event: int) -> None:
    mem = arena.mem
    while True:
        old = mem.load64(L.H_EVENT << 3)
        if not old & event or mem.cas64(L.H_EVENT << 3, old, old & ~event):
            return


def read(arena: Arena, slot_word: int) -> dict[str, Any] | None:
    blk = arena.M[slot_word]
    if not blk:
        return None
    n = arena.M[(blk >> 3) + 1]
    record: dict[str, Any] = pickle.loads(arena.B[blk + 16:blk + 16 + n])
    return record


def panic_record(gid: int, p: int, exc: BaseException) -> dict[str, Any]:
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return {"gid": gid, "p": p, "exc": _exc_bytes(exc), "type": type(exc).__qualname__,
            "message": str(exc), "traceback": tb}


def load_exc(record: dict[str, Any]) -> BaseException:
    try:
        exc: BaseException = pickle.loads(record["exc"])
        return exc
    except Exception:  # noqa: BLE001
        return RemoteError(record["type"], record["message"])
