"""Go's time package, the parts goroutines block on: sleep, after.

Timers live in the heap of the P whose goroutine waits on them; a timer
channel keeps its deadline in shared memory, so whoever receives from it, in
any process, sees it fire (see chan.timer_chan). Sleeping blocks only the
goroutine, never its P.
"""

from __future__ import annotations

import time as _time

from ._core import sched as _sched
from ._errors import NoRuntime
from .chan import Chan, timer_chan

__all__ = ["after", "sleep"]

_MAX_S = 1e9          # ~31 years: larger durations are clamped (TM-02)


def _duration(s) -> float:
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
    """Pause the calling goroutine for at least ``s`` seconds (TM-01)."""
    s = _duration(s)
    proc = _sched.proc
    if proc is None or proc.current is None:
        raise NoRuntime("pg.sleep must be called from a goroutine (inside pg.run)")
    if s <= 0:
        proc.gosched()
        return
    proc.sleep_until(_time.monotonic() + s)


def after(s: float) -> Chan:
    """A channel that receives the fire time (a time.time() float) once,
    after ``s`` seconds; it is never closed (TM-03)."""
    s = _duration(s)
    return timer_chan(_time.monotonic_ns() + max(0, int(s * 1e9)))
