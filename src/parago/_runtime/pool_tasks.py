"""What travels between a WorkerPool and its workers, and what comes back.

Owns: the encoding of tasks and of their failures, shared by the parent
(pool_engine) and the workers (pool_runner).

    unit    (seq0, n, offset, fn_bytes, payload, timed, star)
            n tasks that share a function: tasks seq0+offset .. seq0+n-1 of
            one worker (the first ``offset`` already ran elsewhere or before
            a crash). ``payload`` unpickles to (items, kwargs): task k is
            fn(*items[k], **kwargs) if ``star``, else fn(items[k]).
    message ("units", root log level, [unit, ...])   parent -> worker
            (on a standalone pool's pipes: FRAME length + pickle; an empty
            frame only wakes the parent)
            ("ready", pid) | ("bytes", seq, data) | ("log", record)
            | ("init_failed", error record)           worker -> parent
    error record  pickled (exception or None, type name, message, traceback
            text): how an exception raised in a worker comes back.

Invariants:
  - Functions and arguments are pickled in the caller's process, by
    reference where the worker can import them and by value (cloudpickle)
    for lambdas, closures and anything of ``__main__``; a function's bytes are
    cached only while nothing it captures has been rebound, so a task submitted
    after a ``__main__`` global changed sees the new value on every worker.
  - Nothing here keeps a reference to a task's function, arguments or result.
  - An exception that cannot be pickled, or unpickled, comes back as a
    RemoteError carrying its type name and message; the worker's traceback is
    always attached as the exception's ``__cause__`` (as ProcessPoolExecutor
    does, with its _RemoteTraceback type, so tracebacks read the same).
"""

from __future__ import annotations

import pickle
import struct
import traceback
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool, _RemoteTraceback
from typing import Any, TypeAlias

from .._errors import RemoteError
from .._shm import values as V

# A standalone pool's pipes carry frames: an 8-byte little-endian length, then
# a pickled message. A frame of length 0 is a bare wake-up.
FRAME = struct.Struct("<Q")

# A unit: (seq0, n, offset, fn_bytes, payload, timed, star).
WireUnit: TypeAlias = "tuple[int, int, int, bytes, bytes, bool, bool]"
# A message to a worker: ("units", root log level, [unit, ...]).
UnitsMessage: TypeAlias = "tuple[str, int, list[WireUnit]]"
# A message from a worker: ("ready", pid), ("bytes", seq, data), ... (above).
WorkerMessage: TypeAlias = "tuple[Any, ...]"


class TransferError(BrokenProcessPool):
    """A task's arguments could not be unpickled in the worker, or its result
    could not be unpickled in the caller's process. Only that task fails;
    ``__cause__`` is the original error."""


def function_bytes(fn: Callable[..., object]) -> bytes:
    """``fn`` pickled for a worker (raises what pickling raises)."""
    data = V.dumps_function(fn)
    return data if data is not None else V.dumps(fn)


def args_bytes(items: list[Any], kwargs: dict[str, Any] | None) -> bytes:
    """The payload of a unit (raises what pickling raises)."""
    return V.dumps((items, kwargs or None))


def load_unit_payload(fn_bytes: bytes, payload: bytes) -> tuple[Any, Any]:
    """(function, (items, kwargs)) of a unit, where it runs."""
    return pickle.loads(fn_bytes), pickle.loads(payload)


def error_record(e: BaseException) -> bytes:
    tb = "".join(traceback.format_exception(type(e), e, e.__traceback__))
    try:
        data = pickle.dumps(e, 5)
        pickle.loads(data)
    except BaseException:  # noqa: BLE001 - it cannot travel: a stand-in will
        data = None
    return pickle.dumps((data, type(e).__qualname__, str(e), tb), 5)


def exception_from(record: bytes) -> BaseException:
    data, type_name, message, tb = pickle.loads(record)
    exc = None
    if data is not None:
        try:
            exc = pickle.loads(data)
        except (Exception, SystemExit):  # noqa: BLE001 - fall back to a stand-in
            exc = None
    if not isinstance(exc, BaseException):
        exc = RemoteError(type_name, message)
    # typeshed types _RemoteTraceback's argument as a traceback; the stdlib passes its text
    exc.__cause__ = _RemoteTraceback(f'\n"""\n{tb}"""')  # type: ignore[arg-type]
    return exc


def load_failure(record: bytes) -> TransferError:
    cause = exception_from(record)
    err = TransferError(f"the task's arguments could not be unpickled in the worker: "
                        f"{type(cause).__name__}: {cause}")
    err.__cause__ = cause
    return err


def result_from(data: bytes) -> tuple[bool, Any]:
    """A pickled result, or the TransferError saying why it cannot be had."""
    try:
        return True, pickle.loads(data)
    except (Exception, SystemExit) as e:  # the task fails, the pool goes on
        err = TransferError(f"the task's result could not be unpickled: "
                            f"{type(e).__name__}: {e}")
        err.__cause__ = e
        return False, err
