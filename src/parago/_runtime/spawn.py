"""go(): copying a goroutine into shared memory and placing it.

Owns: the encoding of an unstarted goroutine (its function and arguments)
and the placement policy of DESIGN decision 8.

Invariants:
  - ``go`` copies exactly as a channel send would (values.dumps): pickle
    protocol 5 by reference, by value (cloudpickle) for lambdas, closures
    and anything of the main module, which workers do not import. The one
    shortcut: a module's top-level function, the common case, is written as
    its module and name (BY_NAME), which is what pickle would write, and the
    starting P looks it up in sys.modules as pickle would (without pickle's
    import call on every load).
    A value that cannot be copied raises TypeError in the caller, naming it.
  - The new goroutine is counted (H_NGOROUTINE) before it becomes visible, and
    H_ACTIVITY is bumped after it is queued (ptable's rule).
  - It is queued on the P the placement policy chooses (placement.py), which
    is counted (loadtab) before the goroutine is visible there and woken
    after, if it sleeps.
"""

from __future__ import annotations

import importlib
import sys
from time import monotonic_ns
from types import FunctionType
from typing import TYPE_CHECKING, Any

from .._core import preempt
from .._core.sched import Processor
from .._errors import Panic
from .._shm import gqueue, loadtab, ptable
from .._shm import layout as L
from .._shm import values as V
from . import placement

if TYPE_CHECKING:
    from collections.abc import Callable

dumps_function = V.dumps_function     # a function's cached by-value bytes, or None
loads_function = V.loads_function


def dumps(obj: object) -> bytes:
    """Pickle ``obj`` so any P can load it. Raises on failure."""
    return V.dumps(obj)


def pack(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> bytes:
    """The bytes of an unstarted goroutine; TypeError names what cannot be copied.
    A function that travels by value goes as cached bytes (values.dumps_function);
    a module's own top-level function, as its module's and its name."""
    try:
        if _named(fn):
            return dumps((BY_NAME, fn.__module__, fn.__name__, args, kwargs))
        fn_bytes = V.dumps_function(fn)
        if fn_bytes is not None:
            return V._dumps((BY_VALUE, fn_bytes, dumps((args, kwargs))), 5)
        return dumps((fn, args, kwargs))
    except Exception as e:
        culprit = _find_culprit(fn, args, kwargs)
        raise TypeError(f"go: {culprit} cannot be copied to a goroutine: {e}") from e


BY_VALUE = "v"     # marks a goroutine whose function is cached bytes
BY_NAME = "n"      # marks one whose function is a module's attribute, by name


def _named(fn: object) -> bool:
    """Is ``fn`` a plain function its module holds under its own name? Then
    its module and name are all a P needs: pickle would write the same and
    find it through the import machinery, which costs as much as the rest of
    a goroutine's start (go() of such a function is the common case)."""
    if not isinstance(fn, FunctionType):       # not a method, partial, builtin
        return False
    name = fn.__name__
    module = sys.modules.get(fn.__module__)
    return (module is not None and fn.__module__ != "__main__" and fn.__qualname__ == name
            and getattr(module, name, None) is fn)


def unpack(payload: bytes) -> tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]:
    """(fn, args, kwargs) of a goroutine packed by pack()."""
    t = V._loads(payload)
    tag = t[0]
    if tag == BY_NAME:
        module = sys.modules.get(t[1]) or importlib.import_module(t[1])
        return getattr(module, t[2]), t[3], t[4]
    if tag == BY_VALUE:
        args, kwargs = V._loads(t[2])
        return V.loads_function(t[1]), args, kwargs
    fn_args: tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]] = t
    return fn_args


def _find_culprit(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    for i, a in enumerate(args):
        if not _copyable(a):
            return f"argument {i} ({type(a).__name__})"
    for k, v in kwargs.items():
        if not _copyable(v):
            return f"keyword argument {k!r} ({type(v).__name__})"
    return f"the function {getattr(fn, '__qualname__', fn)!r}"


def _copyable(v: object) -> bool:
    try:
        dumps(v)
        return True
    except Exception:  # noqa: BLE001
        return False


def go_local(proc: Processor, fn: Callable[..., Any], args: tuple[Any, ...] = (),
             kwargs: dict[str, Any] | None = None) -> int:
    """Start a goroutine that runs on this P and never moves (the runtime's
    own goroutines, such as a WorkerPool's dispatcher). Nothing is copied."""
    gid = proc.mem.add64(L.H_GID << 3, 1)
    proc.mem.add64(L.H_NGOROUTINE << 3, 1)
    key = loadtab.UNCOUNTED
    if proc.M[L.H_NSLOTS] > 1:
        key = 0
        loadtab.add(proc.arena, proc.p, key, 1)
    cur = proc.current
    proc.spawn(gid, fn, args, kwargs, cur.id if cur is not None else 0, fnkey=key)
    return gid


def go_on(proc: Processor, p: int, fn: Callable[..., Any], args: tuple[Any, ...],
          kwargs: dict[str, Any]) -> int:
    """Start a goroutine pinned to P ``p`` (copied, like go): it waits in
    that P's pinned queue, which no other P steals from (a WorkerPool's worker
    for that process; after a crash, the replacement process runs it)."""
    return go(proc, fn, args, kwargs, home=p, pinned=True)


def go(proc: Processor, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
       home: int | None = None,
       pinned: bool = False) -> int:
    """Start a goroutine; returns its id."""
    if fn is None:
        raise Panic("go of nil func value")
    if not callable(fn):
        raise TypeError(f"go: {type(fn).__name__!r} object is not callable")
    payload = pack(fn, args, kwargs)
    arena = proc.arena
    mem = arena.mem
    gid = mem.add64(L.H_GID << 3, 1)
    mem.add64(L.H_NGOROUTINE << 3, 1)
    cur = proc.current
    if arena.M[L.H_NSLOTS] > 1:
        key, queued_ns = placement.fn_key(fn), monotonic_ns()
        if home is None:
            home = placement.choose(arena, proc.p, key)
        loadtab.add(arena, home, key, 1)
    else:                          # one P: no choice to make, nothing to count
        key, queued_ns = loadtab.UNCOUNTED, 0
        if home is None:
            home = proc.p
    blob = gqueue.make_blob(arena, gid, payload, cur.id if cur is not None else 0, key,
                            queued_ns)
    gqueue.push(arena, home, [blob], pinned)
    ptable.bump_activity(arena)
    if home != proc.p:
        ptable.wake(arena, home)
        preempt.nudge(arena, home)
    return gid
