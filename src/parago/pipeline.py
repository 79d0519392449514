"""Pipelines: the patterns of "Concurrency in Go", chapter 4, as functions
over channels.

Every function starts goroutines and returns receive-only channels, exactly
as the book's versions do; its goroutines stop when their input is closed
and drained, or when ``done`` is: ``done`` is a channel that is closed to
say stop, a context (its done channel), or None (never). Since goroutines
may run in any process, these work across processes as they are.

    done = pg.chan()
    squares = pg.pipeline.stage(lambda x: x * x, pg.pipeline.generator(done, *range(10)),
                                workers=4, ordered=True)
    print(list(pg.pipeline.take(done, squares, 5)))   # [0, 1, 4, 9, 16]
    done.close()

``stage`` runs a CPU-bound step on several goroutines (so on several
processes). An exception in the step raises ``StageError`` where the
stage's output is received (``errors="value"``: it arrives as a value in
place of that item's result instead).
"""

from __future__ import annotations

import pickle
import reprlib
import traceback
from typing import TYPE_CHECKING, Any, NoReturn, TypeAlias, TypeVar

from ._core import sched as _sched
from ._errors import RemoteError
from ._runtime import pool_dask as _pool_dask
from ._runtime import spawn as _spawn
from .chan import Chan, RecvOnlyChan, chan
from .runtime import go, gomaxprocs
from .select import select
from .sync import WaitGroup
from .time import Ticker

if TYPE_CHECKING:
    import concurrent.futures as cf
    from collections.abc import Callable

    from .context import Context
    from .pool import WorkerPool

T = TypeVar("T")
R = TypeVar("R")
# What says stop: a channel that is closed then, a context, or None (never).
Done: TypeAlias = "Chan[Any] | Context | None"

__all__ = ["StageError", "bridge", "fan_in", "generator", "or_channel", "or_done", "repeat",
           "repeat_fn", "stage", "take", "tee"]


def _done_case(done: Done) -> Callable[[], object] | None:
    """The select case that fires when ``done`` says stop (None: never)."""
    if done is None:
        return None
    if isinstance(done, Chan):
        return done.recv
    d = done.done()                       # a context
    return d.recv if d is not None else None


def _send(done: Done, out: Chan[Any], v: object) -> bool:
    """Send unless done says stop first; False if it did."""
    return select((out.send, v), _done_case(done))[0] == 0


# ---- sources ------------------------------------------------------------------------

def _generate(done: Done, out: Chan[Any], values: tuple[Any, ...]) -> None:
    try:
        for v in values:
            if not _send(done, out, v):
                return
    finally:
        out.close()


def generator(done: Done, *values: T) -> RecvOnlyChan[T]:
    """A receive-only channel that yields ``values`` in order, then closes.

        for v in pg.pipeline.generator(done, 1, 2, 3): ...

    ``done`` is a channel closed to say stop, a context, or None (never):
    its goroutine stops as soon as ``done`` says so. Call it from a
    goroutine (it starts one: NoRuntime elsewhere); its goroutines may run
    in any process. Raises TypeError for a value that cannot be copied."""
    out = chan()
    go(_generate, done, out, values)
    return out.recv_only()


def _repeat(done: Done, out: Chan[Any], values: tuple[Any, ...]) -> None:
    try:
        while values:
            for v in values:
                if not _send(done, out, v):
                    return
    finally:
        out.close()


def repeat(done: Done, *values: T) -> RecvOnlyChan[T]:
    """A receive-only channel that yields ``values`` over and over until
    ``done`` says stop (an endless source: bound it with take).

        pg.pipeline.take(done, pg.pipeline.repeat(done, "a", "b"), 5)

    ``done`` is a channel closed to say stop, a context, or None (never):
    its goroutine stops as soon as ``done`` says so. Call it from a
    goroutine (it starts one: NoRuntime elsewhere); its goroutines may run
    in any process. Raises TypeError for a value that cannot be copied."""
    out = chan()
    go(_repeat, done, out, values)
    return out.recv_only()


def _repeat_fn(done: Done, out: Chan[Any], fn: Callable[..., Any]) -> None:
    try:
        while _send(done, out, fn()):
            pass
    finally:
        out.close()


def repeat_fn(done: Done, fn: Callable[[], T]) -> RecvOnlyChan[T]:
    """A receive-only channel that yields fn(), fn(), ... until ``done``
    says stop; ``fn`` runs in the generator's goroutine (copied there).

        randoms = pg.pipeline.repeat_fn(done, random.random)

    ``done`` is a channel closed to say stop, a context, or None (never):
    its goroutine stops as soon as ``done`` says so. Call it from a
    goroutine (it starts one: NoRuntime elsewhere); its goroutines may run
    in any process. Raises TypeError for a value that cannot be copied."""
    out = chan()
    go(_repeat_fn, done, out, fn)
    return out.recv_only()


# ---- shaping ------------------------------------------------------------------------------

def _take(done: Done, stream: Chan[Any], n: int, out: Chan[Any]) -> None:
    try:
        for _ in range(n):
            i, v, ok = select(stream.recv, _done_case(done))
            if i != 0 or not ok or not _send(done, out, v):
                return
    finally:
        out.close()


def take(done: Done, stream: Chan[T], n: int) -> RecvOnlyChan[T]:
    """A receive-only channel of the first ``n`` values of ``stream``,
    then closed (sooner if ``stream`` closes or ``done`` says stop).

        first_ten = list(pg.pipeline.take(done, stream, 10))

    ``done`` is a channel closed to say stop, a context, or None (never):
    its goroutine stops as soon as ``done`` says so. Call it from a
    goroutine (it starts one: NoRuntime elsewhere); its goroutines may run
    in any process. Raises TypeError for a value that cannot be copied."""
    out = chan()
    go(_take, done, stream, n, out)
    return out.recv_only()


def _or_done(done: Done, c: Chan[Any], out: Chan[Any]) -> None:
    try:
        while True:
            i, v, ok = select(c.recv, _done_case(done))
            if i != 0 or not ok or not _send(done, out, v):
                return
    finally:
        out.close()


def or_done(done: Done, c: Chan[T]) -> RecvOnlyChan[T]:
    """A receive-only channel of ``c``'s values until ``c`` closes or
    ``done`` says stop: ``for v in or_done(done, c)`` never blocks past done.

        for v in pg.pipeline.or_done(ctx, results): ...

    ``done`` is a channel closed to say stop, a context, or None (never):
    its goroutine stops as soon as ``done`` says so. Call it from a
    goroutine (it starts one: NoRuntime elsewhere); its goroutines may run
    in any process. Raises TypeError for a value that cannot be copied."""
    out = chan()
    go(_or_done, done, c, out)
    return out.recv_only()


def _or(channels: tuple[Chan[Any], ...], out: Chan[Any]) -> None:
    try:
        select(*(c.recv for c in channels))
    finally:
        out.close()


def or_channel(*channels: Chan[Any]) -> Chan[Any]:
    """A receive-only channel closed as soon as any of ``channels`` closes
    (or yields a value): the book's ``or``, one select instead of a
    recursion. With no channel it is never closed; with one it is that one.

        pg.pipeline.or_channel(sig1, sig2, pg.after(5.0)).recv()

    Call it from a goroutine (it starts one: NoRuntime elsewhere); raises
    nothing else."""
    out = chan()
    if not channels:
        return out.recv_only()
    if len(channels) == 1:
        return channels[0]
    go(_or, channels, out)
    return out.recv_only()


def _tee(done: Done, c: Chan[Any], out1: Chan[Any], out2: Chan[Any]) -> None:
    try:
        for v in or_done(done, c):
            # Send v on both, in whichever order they are ready.
            pending = [out1, out2]
            while pending:
                i, _, _ = select(*((p.send, v) for p in pending), _done_case(done))
                if i == len(pending):
                    return
                del pending[i]
    finally:
        out1.close()
        out2.close()


def tee(done: Done, c: Chan[T]) -> tuple[RecvOnlyChan[T], RecvOnlyChan[T]]:
    """Two receive-only channels that each get every value of ``c``, sent
    on both in whichever order their receivers are ready; both close when
    ``c`` does.

        left, right = pg.pipeline.tee(done, source)

    ``done`` is a channel closed to say stop, a context, or None (never):
    its goroutine stops as soon as ``done`` says so. Call it from a
    goroutine (it starts one: NoRuntime elsewhere); its goroutines may run
    in any process. Raises TypeError for a value that cannot be copied."""
    out1, out2 = chan(), chan()
    go(_tee, done, c, out1, out2)
    return out1.recv_only(), out2.recv_only()


def _bridge(done: Done, chan_stream: Chan[Any], out: Chan[Any]) -> None:
    try:
        while True:
            i, stream, ok = select(chan_stream.recv, _done_case(done))
            if i != 0 or not ok:
                return
            for v in or_done(done, stream):
                if not _send(done, out, v):
                    return
    finally:
        out.close()


def bridge(done: Done, chan_stream: Chan[Chan[T]]) -> RecvOnlyChan[T]:
    """A receive-only channel of the values of each channel that arrives
    on ``chan_stream``, one channel after the other (a channel of channels
    read as one stream).

        for v in pg.pipeline.bridge(done, streams): ...

    ``done`` is a channel closed to say stop, a context, or None (never):
    its goroutine stops as soon as ``done`` says so. Call it from a
    goroutine (it starts one: NoRuntime elsewhere); its goroutines may run
    in any process. Raises TypeError for a value that cannot be copied."""
    out = chan()
    go(_bridge, done, chan_stream, out)
    return out.recv_only()


def _forward(done: Done, c: Chan[Any], out: Chan[Any], wg: WaitGroup) -> None:
    try:
        for v in or_done(done, c):
            if not _send(done, out, v):
                return
    finally:
        wg.done()


def _close_when_done(wg: WaitGroup, out: Chan[Any]) -> None:
    wg.wait()
    out.close()


def fan_in(done: Done, *channels: Chan[T]) -> RecvOnlyChan[T]:
    """A receive-only channel of every value of every one of ``channels``,
    as they come (closed when all of them are): fan-in.

        merged = pg.pipeline.fan_in(done, *workers_outputs)

    ``done`` is a channel closed to say stop, a context, or None (never):
    its goroutine stops as soon as ``done`` says so. Call it from a
    goroutine (it starts one: NoRuntime elsewhere); its goroutines may run
    in any process. Raises TypeError for a value that cannot be copied."""
    out, wg = chan(), WaitGroup()
    wg.add(len(channels))
    for c in channels:
        go(_forward, done, c, out, wg)
    go(_close_when_done, wg, out)
    return out.recv_only()


# ---- stage: a CPU-bound step on many processes -----------------------------------------

class StageError(Exception):
    """A stage's function raised for an item.

    With ``errors="raise"`` (the default) the consumer's ``recv``,
    ``recv_ok``, iteration or ``select`` on the stage's output raises it, in
    whichever process the consumer runs, with the original exception as
    ``__cause__``. With ``errors="value"`` it arrives as a value in place of
    that item's result. Attributes: ``exception`` (the original, or a
    ``RemoteError`` stand-in where it cannot be copied), ``item`` (the input
    it failed on) and ``traceback`` (its traceback text, from the process
    the stage worker ran in).

    It is raised in the consumer's goroutine; ``except
    pg.pipeline.StageError`` there lets the consumer go on receiving: the
    other items' results follow.
    """

    def __init__(self, exception: BaseException, item: Any, tb: str = "") -> None:
        super().__init__(exception, item, tb)
        self.exception = exception
        self.item = item
        self.traceback = tb

    def __str__(self) -> str:
        e = self.exception
        head = f"the stage function raised {type(e).__name__}: {e} for item {_short(self.item)}"
        return f"{head}\n{self.traceback.rstrip()}" if self.traceback else head

    def __repr__(self) -> str:
        return f"StageError({self.exception!r}, item={_short(self.item)})"

    def __reduce__(self) -> tuple[Any, ...]:
        return StageError, (self.exception, self.item, self.traceback)


_item_repr = reprlib.Repr()
_item_repr.maxstring = _item_repr.maxother = 60
_short = _item_repr.repr          # an item in a message: a long one is cut short


class _Failed:
    """An item's failure on its way to the consumer of an ``errors="raise"``
    stage. It travels as a value like any result (values are copied, so it
    is decoded by the receiver: in recv, recv_ok, iteration or select, in
    any process) and decoding it raises its StageError. Nothing else about
    the channel changes: a failure is one more value in the stream."""

    __slots__ = ("error",)

    def __init__(self, error: StageError) -> None:
        self.error = error

    def __reduce__(self) -> tuple[Any, ...]:
        return _raise, (self.error,)


def _raise(error: StageError) -> NoReturn:
    raise error from error.exception


def _apply(fn: Callable[..., Any], item: Any) -> Any:
    """fn(item), or the StageError it raised."""
    try:
        return fn(item)
    except Exception as e:  # noqa: BLE001 - travels downstream
        # The traceback from fn's own frame on: _apply's adds nothing.
        # the traceback starts in _apply: leave that frame out
        tb = "".join(traceback.format_exception(
            type(e), e, e.__traceback__.tb_next))  # type: ignore[union-attr]
        try:
            pickle.loads(pickle.dumps(e, 5))     # must round-trip, not merely pickle
        except Exception:  # noqa: BLE001
            e = RemoteError(type(e).__qualname__, str(e))
        return StageError(e, item, tb)


def _stage_worker(fn: Callable[..., Any], inbox: Chan[Any], out: Chan[Any], done: Done,
                  numbered: bool, raising: bool, wg: WaitGroup) -> None:
    try:
        while True:
            i, item, ok = select(inbox.recv, _done_case(done))
            if i != 0 or not ok:
                return
            seq = None
            if numbered:
                seq, item = item
            if not _send(done, out, _outgoing(_apply(fn, item), seq, numbered, raising)):
                return
    finally:
        wg.done()


def _outgoing(result: Any, seq: int | None, numbered: bool, raising: bool) -> Any:
    """What a stage worker sends for an item's result: numbered for _reorder
    (which wraps a failure itself), else a failure wrapped for an
    ``errors="raise"`` consumer."""
    if numbered:
        return (seq, result)
    if raising and type(result) is StageError:
        return _Failed(result)
    return result


def _pool_stage_worker(pool: WorkerPool, fn: Callable[..., Any], inbox: Chan[Any],
                       out: Chan[Any], done: Done, numbered: bool, raising: bool,
                       wg: WaitGroup) -> None:
    """A stage worker whose items run on ``pool``, one at a time: it runs in
    the pool's process and waits for each task's future, or for ``done``."""
    finished: Chan[None] = chan(1)    # a note per task; at most one is not yet received
    note = _pool_dask.OnDone(finished)
    # The note comes from outside the runtime (the pool's or Dask's thread):
    # a timer keeps the runtime from taking the wait for a deadlock.
    keepalive = Ticker(_pool_dask.KEEPALIVE_S)
    try:
        while True:
            i, item, ok = select(inbox.recv, _done_case(done))
            if i != 0 or not ok:
                return
            seq = None
            if numbered:
                seq, item = item
            fut: cf.Future[Any] = pool.submit(_apply, fn, item)
            fut.add_done_callback(note)
            while (i := select(finished.recv, _done_case(done), keepalive.c.recv)[0]) == 2:
                pass
            if i != 0:
                fut.cancel()                     # cancelled: the task's result is not wanted
                return
            error = fut.exception()
            result: Any = _apply_failed(error, item) if error is not None else fut.result()
            del fut                              # keep nothing of a delivered item
            if not _send(done, out, _outgoing(result, seq, numbered, raising)):
                return
    finally:
        note.stop()
        keepalive.stop()
        wg.done()


def _apply_failed(error: BaseException, item: Any) -> StageError:
    """The StageError for an item whose pool task failed as a whole (its
    worker was lost, its argument could not be copied)."""
    tb = "".join(traceback.format_exception(error)) if error.__cause__ is None \
        else str(error.__cause__)
    return StageError(error, item, tb)


def _number(inbox: Chan[Any], numbered: Chan[Any], done: Done) -> None:
    try:
        seq = 0
        for item in or_done(done, inbox):
            if not _send(done, numbered, (seq, item)):
                return
            seq += 1
    finally:
        numbered.close()


def _reorder(done: Done, unordered: Chan[Any], out: Chan[Any], raising: bool) -> None:
    try:
        waiting, nxt = {}, 0
        for seq, result in or_done(done, unordered):
            waiting[seq] = result
            while nxt in waiting:
                result = waiting.pop(nxt)
                if raising and type(result) is StageError:
                    result = _Failed(result)
                if not _send(done, out, result):
                    return
                nxt += 1
    finally:
        out.close()


def stage(fn: Callable[[Any], R], inbox: Chan[Any], workers: int = 1, ordered: bool = False,
          ctx: Context | None = None, pool: WorkerPool | None = None, *,
          errors: str = "raise") -> RecvOnlyChan[R]:
    """Apply ``fn`` to every value of ``inbox`` on ``workers`` goroutines
    and return a receive-only channel of the results, closed when ``inbox``
    is closed and drained.

    The workers are pinned round-robin to the Ps, so a CPU-bound ``fn`` runs
    in parallel. Results come in input order with ``ordered=True``, else as
    they are ready. Cancelling ``ctx`` (a context or a done channel) stops
    the stage and closes its output.

    errors="raise" (the default): an exception in ``fn`` raises
    ``StageError`` (the original as ``__cause__``) where the output is
    consumed — ``recv``, ``recv_ok``, ``for v in out`` or a ``select`` case,
    in whichever process; the results of other items still follow it.
    errors="value": the StageError arrives as a value in place of that
    item's result, and the consumer decides.

    With ``pool`` (a WorkerPool: local, or on a Dask cluster) ``fn`` runs on
    the pool instead, at most ``workers`` items at a time; the stage's
    goroutines then run in the pool's process, and ordering, backpressure,
    cancellation and errors are as above (an item whose task fails as a
    whole, its worker lost, raises StageError too). Cancelling leaves a task
    that already runs to finish, its result dropped.

    Call it from a goroutine (it starts goroutines: it needs a running
    runtime). Raises TypeError if ``fn`` is not callable or ``pool`` is not
    a WorkerPool, ValueError for ``workers < 1`` or another ``errors``.

        out = pg.pipeline.stage(str.upper, pg.pipeline.generator(None, "a", "b"),
                                workers=2, ordered=True)
        list(out)    # ['A', 'B']
    """
    if not callable(fn):
        raise TypeError("stage: fn must be callable")
    if not isinstance(workers, int) or workers < 1:
        raise ValueError("stage: workers must be a positive int")
    if errors not in ("raise", "value"):
        raise ValueError(f"stage: errors must be 'raise' or 'value', not {errors!r}")
    if pool is not None:
        from .pool import WorkerPool
        if not isinstance(pool, WorkerPool):
            raise TypeError(f"stage: pool must be a WorkerPool, not {type(pool).__name__!r}")
    raising = errors == "raise"
    wg = WaitGroup()
    wg.add(workers)

    def start(src: Chan[Any], dst: Chan[Any], numbered: bool) -> None:
        if pool is None:
            _spread(workers, _stage_worker, fn, src, dst, ctx, numbered, raising, wg)
            return
        proc = _sched.this_proc()     # the pool is this process's: so are its stage workers
        for _ in range(workers):
            _spawn.go_local(proc, _pool_stage_worker,
                            (pool, fn, src, dst, ctx, numbered, raising, wg))

    if ordered:
        numbered, unordered, out = chan(workers), chan(workers), chan(workers)
        go(_number, inbox, numbered, ctx)
        start(numbered, unordered, True)
        go(_close_when_done, wg, unordered)
        go(_reorder, ctx, unordered, out, raising)
    else:
        out = chan(workers)
        start(inbox, out, False)
        go(_close_when_done, wg, out)
    return out.recv_only()


def _spread(n: int, fn: Callable[..., Any], *args: Any) -> None:
    """Start n long-lived workers pinned round-robin to the Ps, P0 last: a
    started goroutine never moves, so leaving placement to chance could put
    every worker of a CPU-bound stage in one process."""
    proc = _sched.this_proc()
    nprocs = gomaxprocs()
    for i in range(n):
        p = (i + 1) % nprocs
        if p == proc.p:
            go(fn, *args)
        else:
            _spawn.go_on(proc, p, fn, args, {})
