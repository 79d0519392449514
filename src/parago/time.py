"""Go's time package, the parts goroutines block on: sleep, after, tick,
Timer, Ticker, after_func — with Go 1.23's timer channel semantics.

A timer channel keeps its deadline in shared memory (chan.timer_chan): the
value is produced when a receiver, in any process, finds the deadline passed,
so len(c) and cap(c) are 0 and a stopped or reset timer can never leave a
stale value behind (TM-08, TM-09). A receiver parked on one is woken by a
timer in its own P's heap; stop and reset nudge parked receivers to look
again. after_func's function runs in a new goroutine, started by whichever
process's timer finds it due first (a lock makes that exactly once).
Sleeping blocks only the goroutine, never its P.
"""

from __future__ import annotations

import time as _time
from typing import TYPE_CHECKING, Any, cast

from ._core import chan as _kchan
from ._core import sched as _sched
from ._core import wait as _wait
from ._errors import Panic, no_runtime, not_in_goroutine
from ._runtime import spawn as _spawn
from .chan import Chan, RecvOnlyChan, set_timer, timer_chan

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._core.protocols import TimerEntry

__all__ = ["Ticker", "Timer", "after", "after_func", "sleep", "tick"]

_MAX_S = 1e9          # ~31 years: larger durations are clamped (TM-02)


def _duration(s: float) -> float:
    if isinstance(s, (str, bytes)):
        raise TypeError(f"duration must be a number of seconds, not {type(s).__name__}")
    try:
        s = float(s)
    except (TypeError, ValueError):
        raise TypeError(f"duration must be a number of seconds, not {type(s).__name__}") from None
    if s != s:
        raise ValueError("duration is NaN")
    return min(s, _MAX_S)


def sleep(s: float) -> None:
    """Pause the calling goroutine for at least ``s`` seconds (TM-01), with
    wait reason "sleep"; ``s <= 0`` only yields. Only the goroutine waits:
    the other goroutines of its process run meanwhile (unlike time.sleep,
    which stops them all).

        pg.sleep(0.5)

    Durations are float seconds; a duration that is not a number raises
    TypeError, NaN ValueError. Call it from a goroutine; elsewhere it raises
    NoRuntime."""
    s = _duration(s)
    proc = _sched.this_proc()
    if proc is None:
        raise no_runtime("pg.sleep")
    if proc.current is None:
        raise not_in_goroutine("pg.sleep")
    if s <= 0:
        _wait.gosched(proc)
        return
    _wait.sleep_until(proc, _time.monotonic() + s)


def after(s: float) -> RecvOnlyChan[float]:
    """A receive-only channel that delivers the fire time (a time.time()
    float, not the time of the receive) once, ``s`` seconds from now; it is
    never closed (TM-03). Go's time.After: a timeout as a select case.

        i, v, ok = pg.select(results.recv, pg.after(1.0).recv)   # i == 1: timed out

    Durations are float seconds; a duration that is not a number raises
    TypeError, NaN ValueError. Call it inside a running runtime (NoRuntime otherwise)."""
    s = _duration(s)
    return cast("RecvOnlyChan[float]", timer_chan(_time.monotonic_ns() + max(0, int(s * 1e9))))


def _ns(s: float) -> int:
    return _time.monotonic_ns() + max(0, int(s * 1e9))


_set = set_timer


class Timer:
    """Go's time.Timer: ``c`` receives the fire time once, ``s`` seconds on.

        t = pg.Timer(2.0)
        t.c.recv()            # the fire time (a time.time() float)
        t.stop()              # True if this call stopped it (TM-06)
        t.reset(1.0)          # fire 1 s from now; True if it was active (TM-07)

    Made by ``Timer(s)``, or by ``after_func(s, fn)`` (then ``c`` is None
    and fn runs in its own goroutine instead). As in Go 1.23, ``c`` is
    unbuffered and nothing stale arrives after stop() or reset() (TM-08).
    Durations are float seconds; a duration that is not a number raises
    TypeError, NaN ValueError. Make it inside a running runtime (NoRuntime otherwise);
    it may be passed to goroutines in any process."""

    __slots__ = ("c", "_ch", "_fn", "_entry")
    c: RecvOnlyChan[float] | None     # None for an after_func timer
    _ch: Chan[Any]          # the timer channel itself (c is a view of it)
    _fn: Callable[[], object] | None
    _entry: TimerEntry | None

    def __init__(self, s: float) -> None:
        self.c = cast("RecvOnlyChan[float]", timer_chan(_ns(_duration(s))))   # a view
        self._ch = self.c._base  # type: ignore[assignment]  # a view's channel: never None
        self._fn = None
        self._entry = None

    def stop(self) -> bool:
        """Stop it; True if this call stopped it, False if it had already
        fired (and its value was taken) or been stopped (TM-06)."""
        was = _set(self._ch, 0)
        self._disarm()
        return was

    def _disarm(self) -> None:
        """Drop this process's scheduler timer of an after_func, so a stopped
        timer does not count as pending (RT-15). A copy of the Timer in
        another process leaves that process's timer to find nothing to do."""
        entry, self._entry = getattr(self, "_entry", None), None
        _kchan.cancel_timer(entry)

    def reset(self, s: float) -> bool:
        """Fire after ``s`` from now instead; True if it was active (TM-07)."""
        when = _ns(_duration(s))
        was = _set(self._ch, max(1, when))
        if self._fn is not None:
            self._disarm()
            _arm_func(self, when)
        return was

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild_timer, (Timer, self._ch, self._fn)


class Ticker:
    """Go's time.Ticker: ``c`` receives the tick time every ``s`` seconds.

        t = pg.Ticker(0.1)
        for _ in range(3):
            t.c.recv()        # a tick's scheduled time
        t.reset(0.5)          # a new period, the next tick 0.5 s from now
        t.stop()              # no more ticks; c is not closed (TM-16)

    A slow receiver misses ticks, never queues them (TM-15). Raises
    Panic("non-positive interval for NewTicker") for ``s <= 0`` (TM-17).
    Durations are float seconds; a duration that is not a number raises
    TypeError, NaN ValueError. Make it inside a running runtime (NoRuntime otherwise);
    it may be passed to goroutines in any process."""

    __slots__ = ("c", "_ch")
    c: RecvOnlyChan[float]
    _ch: Chan[Any]

    def __init__(self, s: float) -> None:
        s = _duration(s)
        if s <= 0:
            raise Panic("non-positive interval for NewTicker")
        period = max(1, int(s * 1e9))
        self.c = cast("RecvOnlyChan[float]", timer_chan(_time.monotonic_ns() + period, period))
        self._ch = self.c._base  # type: ignore[assignment]  # a view's channel: never None

    def stop(self) -> None:
        """Stop the ticks; ``c`` stays open, so a receiver waits on (TM-16)."""
        _set(self._ch, 0)

    def reset(self, s: float) -> None:
        """Tick every ``s`` seconds from now on, the next one ``s`` from now
        (TM-15). Raises Panic("non-positive interval for Ticker.Reset") for
        ``s <= 0`` (TM-17)."""
        s = _duration(s)
        if s <= 0:
            raise Panic("non-positive interval for Ticker.Reset")
        period = max(1, int(s * 1e9))
        _set(self._ch, _time.monotonic_ns() + period, period)

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild_timer, (Ticker, self._ch, None)


def _rebuild_timer(cls: type[Timer | Ticker], ch: Chan[Any], fn: Callable[[], object] | None
                   ) -> Timer | Ticker:
    t = object.__new__(cls)
    t._ch = ch
    t.c = None if fn is not None else ch.recv_only()
    if isinstance(t, Timer):
        t._fn = fn
        t._entry = None
    return t


def tick(s: float) -> RecvOnlyChan[float] | None:
    """Go's time.Tick: ``Ticker(s).c``, a channel of tick times every ``s``
    seconds, for a ticker that is never stopped (TM-18); None if ``s <= 0``
    (TM-17), which as a select case is never ready.

        for now in pg.tick(1.0): ...

    Durations are float seconds; a duration that is not a number raises
    TypeError, NaN ValueError. Call it inside a running runtime (NoRuntime otherwise)."""
    s = _duration(s)
    return Ticker(s).c if s > 0 else None


def after_func(s: float, fn: Callable[[], object]) -> Timer:
    """Go's time.AfterFunc: run ``fn()`` in its own goroutine after ``s``
    seconds; returns a Timer whose ``c`` is None (TM-13).

        t = pg.after_func(5.0, cancel)
        t.stop()              # True if fn will not run; it never waits for fn

    ``fn`` is started as pg.go starts a goroutine (copied, placed on any
    P). A pending after_func is not a goroutine (RT-18) but keeps the
    deadlock detector quiet (RT-15). Raises TypeError if ``fn`` is not callable.
    Durations are float seconds; a duration that is not a number raises
    TypeError, NaN ValueError. Call it inside a running runtime (NoRuntime otherwise)."""
    if not callable(fn):
        raise TypeError("after_func needs a callable")
    when = _ns(_duration(s))
    t = object.__new__(Timer)
    t._ch = timer_chan(max(1, when))._base  # type: ignore[assignment]  # a view's: never None
    t.c = None
    t._fn = fn
    t._entry = None
    _arm_func(t, when)
    return t


def _arm_func(t: Timer, when_ns: int) -> None:
    def keep(entry: TimerEntry | None) -> None:
        t._entry = entry

    _kchan.arm_func(t._ch, when_ns,
                    lambda: _spawn.go(_sched.this_proc(), t._fn, (), {}),  # type: ignore[arg-type]
                    keep)             # (an after_func timer has its fn)
